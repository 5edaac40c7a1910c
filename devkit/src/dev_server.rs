//! The Temporal dev server (`temporal server start-dev`), started and stopped from Rust.
//!
//! `cargo xtask up` runs one on the well-known ports with a persistent state file;
//! each integration test runs its own on free ports, headless and in memory, so tests
//! run in parallel and leave nothing behind.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use shared_contracts::names::search_attributes;
use shared_contracts::teams;
use temporalio_client::tonic::Request;
use temporalio_client::{Connection, ConnectionOptions, Url};
use temporalio_common::protos::temporal::api::workflowservice::v1::DescribeNamespaceRequest;
use tokio::process::{Child, Command};

use crate::ports;

/// How long a dev server may take to answer after it is spawned.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// The server's dynamic configuration for every local stack (tests, `cargo xtask up`,
/// the compose file's `temporal` service says the same):
///
/// `component.nexusoperations.request.timeout`: how long one attempt to hand a Nexus
/// operation to its handler may wait. Temporal's default is 10 s: with the handler's
/// worker down, every attempt fails after 10 s and is retried with backoff, and six
/// failures in a row open the server's circuit breaker for the caller's namespace and
/// that endpoint for 60 s, after which retries that were turned away wait minutes
/// more. Locally, an attempt waits for a handler as long as the operation's own
/// schedule-to-close deadline allows (it is never longer than that): a worker that is
/// restarted picks up the calls made while it was away at once, and a test that holds a
/// handler back releases the runs waiting on it at a moment it chooses. On a cluster
/// the server's own setting applies; nothing in the workers depends on it.
pub const DYNAMIC_CONFIG: [(&str, &str); 1] =
    [("component.nexusoperations.request.timeout", "\"1h\"")];

/// How to start a dev server.
#[derive(Debug, Clone)]
pub struct DevServerOptions {
    /// Address the frontend binds (and the UI, when enabled).
    pub ip: String,
    /// Frontend gRPC port.
    pub port: u16,
    /// Web UI port; `None` runs headless.
    pub ui_port: Option<u16>,
    /// Port of the HTTP API (where Nexus requests can also arrive over plain HTTP);
    /// `None`: a free port the server picks.
    pub http_port: Option<u16>,
    /// Persistent state file; `None` keeps state in memory.
    pub db_filename: Option<PathBuf>,
    /// Namespaces to create at launch (besides `default`).
    pub namespaces: Vec<String>,
    /// Custom search attributes, `(name, type)`.
    pub search_attributes: Vec<(String, String)>,
    /// Dynamic configuration, `(key, JSON value)`.
    pub dynamic_config: Vec<(String, String)>,
    /// Where the server's output goes.
    pub log_file: PathBuf,
}

impl DevServerOptions {
    /// The contract's namespaces and search attributes on `port`, headless, in memory,
    /// with [`DYNAMIC_CONFIG`].
    pub fn contract_defaults(port: u16, log_file: PathBuf) -> Self {
        Self {
            ip: "127.0.0.1".to_owned(),
            port,
            ui_port: None,
            http_port: None,
            db_filename: None,
            namespaces: teams::namespaces().into_iter().map(str::to_owned).collect(),
            search_attributes: search_attributes::ALL
                .iter()
                .map(|(name, kind)| ((*name).to_owned(), (*kind).to_owned()))
                .collect(),
            dynamic_config: DYNAMIC_CONFIG
                .iter()
                .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
                .collect(),
            log_file,
        }
    }

    fn args(&self) -> Vec<String> {
        let mut args = vec![
            "server".to_owned(),
            "start-dev".to_owned(),
            "--ip".to_owned(),
            self.ip.clone(),
            "--port".to_owned(),
            self.port.to_string(),
            "--log-level".to_owned(),
            "warn".to_owned(),
        ];
        match self.ui_port {
            Some(ui_port) => {
                args.extend(["--ui-port".to_owned(), ui_port.to_string()]);
                args.push("--ui-disable-news-fetch".to_owned());
            }
            None => args.push("--headless".to_owned()),
        }
        if let Some(http_port) = self.http_port {
            args.extend(["--http-port".to_owned(), http_port.to_string()]);
        }
        if let Some(db) = &self.db_filename {
            args.extend(["--db-filename".to_owned(), db.display().to_string()]);
        }
        for namespace in &self.namespaces {
            args.extend(["--namespace".to_owned(), namespace.clone()]);
        }
        for (name, kind) in &self.search_attributes {
            args.extend(["--search-attribute".to_owned(), format!("{name}={kind}")]);
        }
        for (key, value) in &self.dynamic_config {
            args.extend([
                "--dynamic-config-value".to_owned(),
                format!("{key}={value}"),
            ]);
        }
        args
    }
}

/// A running dev server. Dropping it kills the process.
#[derive(Debug)]
pub struct DevServer {
    child: Child,
    cli: PathBuf,
    options: DevServerOptions,
    /// Keeps a test server's temporary folder (its log) alive as long as the server.
    _scratch: Option<tempfile::TempDir>,
}

impl DevServer {
    /// Spawns `cli server start-dev` with `options` and waits until every namespace
    /// answers.
    pub async fn start(cli: &Path, options: DevServerOptions) -> anyhow::Result<Self> {
        let child = Self::spawn(cli, &options)?;
        let mut server = Self {
            child,
            cli: cli.to_owned(),
            options,
            _scratch: None,
        };
        server.wait_ready().await?;
        Ok(server)
    }

    fn spawn(cli: &Path, options: &DevServerOptions) -> anyhow::Result<Child> {
        let (stdout, stderr) = crate::process::log_to(&options.log_file)?;
        Command::new(cli)
            .args(options.args())
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {} server start-dev", cli.display()))
    }

    /// A dev server for one test: the installed CLI, a free port, headless, in memory,
    /// with the contract's namespaces and search attributes.
    pub async fn start_for_tests() -> anyhow::Result<Self> {
        Self::start_in_scratch(false).await
    }

    /// [`DevServer::start_for_tests`], but keeping its state in a file of its scratch
    /// folder, so that [`DevServer::restart`] brings back every workflow in flight.
    pub async fn start_persistent_for_tests() -> anyhow::Result<Self> {
        Self::start_in_scratch(true).await
    }

    async fn start_in_scratch(persistent: bool) -> anyhow::Result<Self> {
        let cli = crate::temporal_cli::installed()?;
        let scratch = tempfile::Builder::new().prefix("temporal-dev-").tempdir()?;
        let mut options = DevServerOptions::contract_defaults(
            ports::free_port()?,
            scratch.path().join("server.log"),
        );
        // Known, so a test can reach it (and free: tests run side by side).
        options.http_port = Some(ports::free_port()?);
        if persistent {
            options.db_filename = Some(scratch.path().join("state.db"));
        }
        let mut server = Self::start(&cli, options).await?;
        server._scratch = Some(scratch);
        Ok(server)
    }

    /// Stops the server as [`DevServer::stop`] does and starts it again on the same
    /// address with the same options: with a state file, everything in flight is back.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.terminate().await?;
        self.child = Self::spawn(&self.cli, &self.options)?;
        self.wait_ready().await
    }

    /// The server process's id (to measure its CPU time), while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// `host:port` of the HTTP API, when its port was chosen at start.
    pub fn http_address(&self) -> Option<String> {
        self.options
            .http_port
            .map(|port| format!("{}:{port}", self.options.ip))
    }

    /// The frontend's `host:port`, as `TEMPORAL_ADDRESS` takes it.
    pub fn address(&self) -> String {
        format!("{}:{}", self.options.ip, self.options.port)
    }

    /// The frontend's URL, as `ConnectionOptions` takes it.
    pub fn url(&self) -> anyhow::Result<Url> {
        Url::parse(&format!("http://{}", self.address())).context("dev server URL")
    }

    /// The Web UI's URL, when it runs.
    pub fn ui_url(&self) -> Option<String> {
        self.options
            .ui_port
            .map(|port| format!("http://{}:{port}", self.options.ip))
    }

    /// A new connection to this server.
    pub async fn connect(&self, identity: &str) -> anyhow::Result<Connection> {
        let options = ConnectionOptions::new(self.url()?)
            .identity(identity.to_owned())
            .build();
        Connection::connect(options)
            .await
            .with_context(|| format!("connecting to the dev server at {}", self.address()))
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "the dev server exited ({status}) before it was ready; its log ({}):\n{}",
                    self.options.log_file.display(),
                    log_tail(&self.options.log_file)
                );
            }
            if self.namespaces_ready().await {
                return Ok(());
            }
            if started.elapsed() > READY_TIMEOUT {
                bail!(
                    "the dev server did not answer on {} within {READY_TIMEOUT:?}; its log:\n{}",
                    self.address(),
                    log_tail(&self.options.log_file)
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn namespaces_ready(&self) -> bool {
        let Ok(connection) = self.connect("devkit-readiness").await else {
            return false;
        };
        for namespace in &self.options.namespaces {
            let request = DescribeNamespaceRequest {
                namespace: namespace.clone(),
                ..Default::default()
            };
            if connection
                .workflow_service()
                .describe_namespace(Request::new(request))
                .await
                .is_err()
            {
                return false;
            }
        }
        true
    }

    /// Stops the server: SIGTERM, then SIGKILL if it has not exited within 10 s.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.terminate().await
    }

    async fn terminate(&mut self) -> anyhow::Result<()> {
        // SIGTERM lets the server close its state file cleanly.
        crate::process::terminate(&mut self.child, Duration::from_secs(10)).await;
        Ok(())
    }
}

/// The last lines of a log file, for error messages.
pub fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<_> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compose_files_temporal_has_the_same_dynamic_config() {
        let compose =
            std::fs::read_to_string(crate::paths::workspace_root().join("docker-compose.yml"))
                .unwrap();
        for (key, value) in DYNAMIC_CONFIG {
            let flag = format!("- --dynamic-config-value={key}={value}");
            assert!(
                compose.lines().any(|line| line.trim() == flag),
                "docker-compose.yml's temporal service lacks `{flag}`"
            );
        }
    }

    #[test]
    fn the_dev_server_gets_each_dynamic_config_value() {
        let args = DevServerOptions::contract_defaults(7233, PathBuf::from("server.log")).args();
        for (key, value) in DYNAMIC_CONFIG {
            let at = args
                .iter()
                .position(|arg| *arg == format!("{key}={value}"))
                .unwrap_or_else(|| panic!("{key} is not passed: {args:?}"));
            assert_eq!(args[at - 1], "--dynamic-config-value");
        }
    }
}
