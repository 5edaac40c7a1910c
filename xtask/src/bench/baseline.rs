//! The bench's baseline: step 8 as a plain activity in namespace `gtm`, the way a
//! single-namespace design would call Marketing's code.
//!
//! Nothing here ships. The bench runs it as two processes of its own release binary
//! (`xtask bench-worker <role>`), in place of the two workers:
//!
//! - `coordinator`: the production `DrewCoordinator` and GTM activities, on task
//!   queue [`COORDINATOR_QUEUE`], with step 8's [`AbmCheck`] swapped for
//!   [`ActivityAbmCheck`]. Every other step is the shipped code.
//! - `abm-activity`: `checkAbmProgram` as an activity on [`ABM_QUEUE`] (namespace
//!   `gtm`), answered by Marketing's own store ([`MarketingStore::check_abm_program`],
//!   what the Nexus handler calls), so only the transport differs.
//!
//! Both read the workers' own configuration from the environment (`TEMPORAL_ADDRESS`,
//! `GTM_DATABASE_URL`, `MARKETING_DATABASE_URL`, `*_METRICS_BIND`) and stop on SIGTERM.

// The SDK macros add undocumented marker consts (`AbmBaselineActivities::...`).
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use futures::future::LocalBoxFuture;
use gtm_worker::activities::CoordinatorActivities;
use gtm_worker::store::GtmStore;
use gtm_worker::telemetry::CoordinatorTelemetry;
use gtm_worker::workflows::{AbmCheck, CoordinatorSettings, DrewCoordinator, did_not_answer};
use marketing_worker::store::MarketingStore;
use service_kit::failure::activity_message;
use service_kit::host::WorkerHost;
use shared_contracts::abm::{AbmCheckRequest, AbmCheckResponse};
use shared_contracts::coordinator::AbmOutcome;
use shared_contracts::names::namespaces;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use temporalio_sdk::{ActivityOptions, ApplicationFailure, WorkflowContext};

/// The baseline coordinators' task queue: their own, so they never meet the shipped
/// worker's runs.
pub const COORDINATOR_QUEUE: &str = "gtm-coordinator-baseline";
/// The task queue (namespace `gtm`) where the baseline's `checkAbmProgram` is served.
pub const ABM_QUEUE: &str = "marketing-abm-baseline";

/// Step 8 as an activity on `task_queue`, under the same deadline as the Nexus call
/// (`GTM_ABM_TIMEOUT_SECS`).
#[derive(Debug, Clone)]
pub struct ActivityAbmCheck {
    /// Where `checkAbmProgram` is served.
    pub task_queue: String,
    /// Schedule to close.
    pub timeout: Duration,
}

impl AbmCheck for ActivityAbmCheck {
    fn check<'a>(
        &'a self,
        ctx: &'a WorkflowContext<DrewCoordinator>,
        request: AbmCheckRequest,
    ) -> LocalBoxFuture<'a, AbmOutcome> {
        Box::pin(async move {
            let options = ActivityOptions::with_schedule_to_close_timeout(self.timeout)
                .task_queue(self.task_queue.clone())
                .build();
            let result = ctx
                .execute_activity(AbmBaselineActivities::check_abm_program, request, options)
                .await;
            match result {
                Ok(answer) => AbmOutcome::Available(answer),
                Err(err) if err.as_timeout().is_some() => did_not_answer(self.timeout),
                Err(err) => {
                    AbmOutcome::unavailable(format!("Marketing failed: {}", activity_message(&err)))
                }
            }
        })
    }
}

/// `checkAbmProgram` as an activity, over the Marketing database.
pub struct AbmBaselineActivities {
    store: MarketingStore,
}

#[activities]
impl AbmBaselineActivities {
    /// The ABM answer for one account; a database error is retried, as in the Nexus
    /// handler. Named as the operation is.
    #[activity(name = "checkAbmProgram")]
    pub async fn check_abm_program(
        self: Arc<Self>,
        _ctx: ActivityContext,
        request: AbmCheckRequest,
    ) -> Result<AbmCheckResponse, ActivityError> {
        self.store
            .check_abm_program(&request.account_id)
            .await
            .map_err(|err| ActivityError::application(ApplicationFailure::new(err.to_string())))
    }
}

/// `xtask bench-worker <role>`: runs one of the baseline's processes until SIGTERM.
pub fn serve(args: &[String]) -> anyhow::Result<()> {
    let role = match args {
        [role] if role == "coordinator" || role == "abm-activity" => role.clone(),
        _ => bail!("usage: xtask bench-worker coordinator|abm-activity (started by the bench)"),
    };
    // As the workers: the SDK worker's future is not `Send`, so it runs on this thread.
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            if role == "coordinator" {
                serve_coordinator().await
            } else {
                serve_abm_activity().await
            }
        })
}

/// The shipped coordinator with [`ActivityAbmCheck`] as step 8, and the GTM activities,
/// on the worker host without Nexus services.
async fn serve_coordinator() -> anyhow::Result<()> {
    let config = gtm_worker::Config::from_env()?;
    let store = GtmStore::open(&config.host.database_url).await?;
    let mut host_config = config.host;
    host_config.task_queue = COORDINATOR_QUEUE.to_owned();
    let mut host = WorkerHost::connect(host_config).await?;
    let settings = CoordinatorSettings {
        abm_check: Arc::new(ActivityAbmCheck {
            task_queue: ABM_QUEUE.to_owned(),
            timeout: config.abm_timeout,
        }),
        telemetry: CoordinatorTelemetry::new(host.meter()),
    };
    host.worker()
        .register_workflow_with_factory(move || DrewCoordinator::new(settings.clone()))
        .context("registering DrewCoordinator")?
        .register_activities(CoordinatorActivities::new(store));
    host.run(service_kit::shutdown_signal()).await
}

/// `checkAbmProgram` as an activity in namespace `gtm`, over Marketing's store.
async fn serve_abm_activity() -> anyhow::Result<()> {
    let config = marketing_worker::Config::from_env()?;
    let store = MarketingStore::open(&config.host.database_url).await?;
    let mut host_config = config.host;
    host_config.task_queue = ABM_QUEUE.to_owned();
    host_config.temporal.namespace = namespaces::GTM.to_owned();
    let mut host = WorkerHost::connect(host_config).await?;
    host.worker()
        .register_activities(AbmBaselineActivities { store });
    host.run(service_kit::shutdown_signal()).await
}
