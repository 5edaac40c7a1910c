//! Customer Success's health monitors: listing the running ones, starting one for an
//! account, stopping one. They live in namespace `customer-success`, one per account,
//! as `health-<accountId>`.

use shared_contracts::AccountId;
use shared_contracts::monitor::MonitorInput;
use shared_contracts::names::{health_monitor_id, workflow_types};
use temporalio_client::errors::WorkflowInteractionError;
use temporalio_client::{UntypedWorkflow, WorkflowTerminateOptions};
use temporalio_common::protos::temporal::api::enums::v1::WorkflowIdConflictPolicy;

use super::error::TemporalError;
use super::gateway::TemporalGateway;
use super::runs::RunSummary;
use super::start::StartRequest;

/// Most monitors listed on one page.
const MONITORS_LISTED: i32 = 200;

impl TemporalGateway {
    /// The running monitors, newest first.
    pub async fn list_monitors(&self) -> Result<Vec<RunSummary>, TemporalError> {
        let query = format!(
            "WorkflowType = '{}' AND ExecutionStatus = 'Running'",
            workflow_types::ACCOUNT_HEALTH_MONITOR
        );
        let (monitors, _) = self
            .list(&self.placement.cs_namespace, query, None, MONITORS_LISTED)
            .await?;
        Ok(monitors)
    }

    /// Starts monitoring `account`; a monitor already running is kept as it is.
    /// Returns the monitor's workflow id.
    pub async fn start_monitor(&self, account: &AccountId) -> Result<String, TemporalError> {
        let workflow_id = health_monitor_id(account);
        let input = MonitorInput::new(account.clone());
        self.start(StartRequest {
            namespace: &self.placement.cs_namespace,
            task_queue: &self.placement.cs_task_queue,
            workflow_type: workflow_types::ACCOUNT_HEALTH_MONITOR,
            workflow_id: &workflow_id,
            input: super::start::encode(&input)?,
            search: Default::default(),
            // A monitor is started again after it was stopped, so each start is a new
            // request; one already running is the answer to a second start.
            request_id: format!("{workflow_id}-{}", chrono::Utc::now().timestamp_millis()),
            if_running: WorkflowIdConflictPolicy::UseExisting,
        })
        .await?;
        Ok(workflow_id)
    }

    /// Stops monitoring `account`: its monitor is terminated. `false` when none ran.
    pub async fn stop_monitor(&self, account: &AccountId) -> Result<bool, TemporalError> {
        let client = self.client(&self.placement.cs_namespace).await?;
        let handle = client.get_workflow_handle::<UntypedWorkflow>(health_monitor_id(account));
        match handle
            .terminate(
                WorkflowTerminateOptions::builder()
                    .reason("stopped from the dashboard")
                    .build(),
            )
            .await
        {
            Ok(()) => Ok(true),
            // Not running (never started, or already stopped): nothing to stop.
            Err(WorkflowInteractionError::NotFound(_)) => Ok(false),
            Err(WorkflowInteractionError::Rpc(status)) => {
                Err(super::call::from_status("stopping a monitor", status))
            }
            Err(err) => Err(TemporalError::Unreachable(format!(
                "stopping the monitor of {account}: {err}"
            ))),
        }
    }
}
