//! One team's real worker against a dev server of its own: the harness of every
//! team's integration tests.
//!
//! [`TeamStack::start`] starts a dev server with every team's namespace and endpoint,
//! seeds the team's database (in a temporary folder) with the worker's own `seed`,
//! runs the worker on a thread of its own, and returns once the server lists its
//! Nexus poller: a call made next, with a deadline, finds the handler there.
//! [`TeamStack::call`] calls one of the team's operations from a real workflow in any
//! namespace, through the team's endpoint.

use std::marker::PhantomData;

use anyhow::Context;
use service_kit::worker_main::TeamWorker;
use shared_contracts::operation::Operation;
use shared_contracts::teams;

use crate::dev_server::DevServer;
use crate::nexus_endpoints;
use crate::pollers::{self, PollerKind};
use crate::probe::{self, ProbeRequest, ProbeRun};
use crate::worker_thread::{self, BackgroundWorker};

/// A dev server, the team's seeded database and its worker, serving.
pub struct TeamStack<W> {
    /// The dev server.
    pub server: DevServer,
    /// The team's database (`sqlite:` in a temporary folder).
    pub database_url: String,
    _database_dir: tempfile::TempDir,
    worker: BackgroundWorker,
    team: PhantomData<W>,
}

impl<W: TeamWorker> TeamStack<W> {
    /// Starts it all and waits until the worker's Nexus handler polls.
    pub async fn start() -> anyhow::Result<Self> {
        let team = W::TEAM;
        let server = DevServer::start_for_tests().await?;
        let connection = server.connect(&format!("{}-it", team.worker)).await?;
        nexus_endpoints::ensure(&connection, &teams::endpoint_specs()).await?;

        let dir = tempfile::tempdir()?;
        let database_url = format!("sqlite:{}/{}.db", dir.path().display(), team.namespace);
        let config = W::local_config(&server.address(), &database_url)?;
        W::seed(&config)
            .await
            .with_context(|| format!("seeding {}", team.title))?;

        let since = std::time::SystemTime::now();
        let worker = worker_thread::spawn(move |stop| W::run(config, stop));
        pollers::wait_for_poller(
            &connection,
            team.namespace,
            team.task_queue,
            PollerKind::Nexus,
            since,
        )
        .await?;
        Ok(Self {
            server,
            database_url,
            _database_dir: dir,
            worker,
            team: PhantomData,
        })
    }

    /// Calls the team's `operation` with `input` (raw JSON, as any caller may send it)
    /// from a workflow in `caller_namespace`, through the team's endpoint.
    pub async fn call<I, O>(
        &self,
        caller_namespace: &str,
        operation: Operation<I, O>,
        input: serde_json::Value,
    ) -> anyhow::Result<ProbeRun> {
        let request = ProbeRequest::new(W::TEAM.endpoint, operation.service, operation.name, input);
        self.probe(caller_namespace, request).await
    }

    /// Runs `request` from a workflow in `caller_namespace`.
    pub async fn probe(
        &self,
        caller_namespace: &str,
        request: ProbeRequest,
    ) -> anyhow::Result<ProbeRun> {
        probe::run_probe(&self.server, caller_namespace, request).await
    }

    /// Stops the worker gracefully and returns how its `run` ended.
    pub async fn stop_worker(&mut self) -> anyhow::Result<()> {
        self.worker.stop().await
    }
}
