//! The dashboard's view of Temporal: starting coordinator runs, listing them through
//! visibility (with the `AccountId` and `CoordinatorStep` search attributes), and
//! reading one run's progress, result and failure.
//!
//! Every call has a short timeout and no retry loop: a page should say "Temporal is
//! unreachable" in a second, not hang.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use service_kit::TemporalSettings;
use shared_contracts::AccountId;
use shared_contracts::coordinator::{CoordinatorInput, StepProgress};
use shared_contracts::names::{queries, search_attributes, workflow_types};
use temporalio_client::Connection;
use temporalio_client::tonic::{Code, Request, Status};
use temporalio_common::protos::coresdk::AsJsonPayloadExt;
use temporalio_common::protos::temporal::api::common::v1::{
    Payload, Payloads, SearchAttributes, WorkflowExecution, WorkflowType,
};
use temporalio_common::protos::temporal::api::enums::v1::{
    HistoryEventFilterType, WorkflowExecutionStatus,
};
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;
use temporalio_common::protos::temporal::api::query::v1::WorkflowQuery;
use temporalio_common::protos::temporal::api::taskqueue::v1::TaskQueue;
use temporalio_common::protos::temporal::api::workflow::v1::WorkflowExecutionInfo;
use temporalio_common::protos::temporal::api::workflowservice::v1::{
    DescribeWorkflowExecutionRequest, GetSystemInfoRequest, GetWorkflowExecutionHistoryRequest,
    ListWorkflowExecutionsRequest, QueryWorkflowRequest, StartWorkflowExecutionRequest,
};
use tokio::sync::Mutex;

/// How long any one call to Temporal may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the progress query may take. It needs a gtm-worker to answer; without
/// one, the page shows "progress unavailable" quickly instead of waiting.
const QUERY_TIMEOUT: Duration = Duration::from_secs(2);

/// Why a call to Temporal did not give an answer.
#[derive(Debug, thiserror::Error)]
pub enum TemporalError {
    /// Temporal could not be reached (or did not answer in time).
    #[error("Temporal is unreachable: {0}")]
    Unreachable(String),
    /// Temporal answered with an error.
    #[error("Temporal refused {doing}: {status}")]
    Refused {
        /// What we asked for.
        doing: &'static str,
        /// What it said.
        status: Status,
    },
}

/// A run's status as the API reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// In flight.
    Running,
    /// Finished with a brief.
    Completed,
    /// Failed (e.g. unknown account).
    Failed,
    /// Canceled.
    Canceled,
    /// Terminated by an operator.
    Terminated,
    /// Ran out of time.
    TimedOut,
}

impl RunStatus {
    fn from_proto(status: i32) -> Self {
        match WorkflowExecutionStatus::try_from(status).unwrap_or_default() {
            WorkflowExecutionStatus::Completed => Self::Completed,
            WorkflowExecutionStatus::Failed => Self::Failed,
            WorkflowExecutionStatus::Canceled => Self::Canceled,
            WorkflowExecutionStatus::Terminated => Self::Terminated,
            WorkflowExecutionStatus::TimedOut => Self::TimedOut,
            _ => Self::Running,
        }
    }

    /// The wire name (`running`, `completed`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
            Self::Terminated => "terminated",
            Self::TimedOut => "timed_out",
        }
    }

    /// Parses a filter value.
    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::Running,
            Self::Completed,
            Self::Failed,
            Self::Canceled,
            Self::Terminated,
            Self::TimedOut,
        ]
        .into_iter()
        .find(|s| s.as_str() == value)
    }

    /// The visibility query's name for the status.
    fn visibility_name(self) -> &'static str {
        match self {
            Self::Running => "Running",
            Self::Completed => "Completed",
            Self::Failed => "Failed",
            Self::Canceled => "Canceled",
            Self::Terminated => "Terminated",
            Self::TimedOut => "TimedOut",
        }
    }
}

/// One row of the runs list.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunSummary {
    /// Workflow id.
    pub workflow_id: String,
    /// Run id.
    pub run_id: String,
    /// From the `AccountId` search attribute.
    pub account_id: Option<String>,
    /// Status.
    pub status: RunStatus,
    /// From the `CoordinatorStep` search attribute (`done` when finished).
    pub current_step: Option<String>,
    /// Start time.
    pub started_at: Option<DateTime<Utc>>,
    /// Close time.
    pub closed_at: Option<DateTime<Utc>>,
}

impl RunSummary {
    /// Whole seconds from start to close (or to `now` while running).
    pub fn duration_secs(&self, now: DateTime<Utc>) -> Option<i64> {
        let start = self.started_at?;
        Some((self.closed_at.unwrap_or(now) - start).num_seconds().max(0))
    }
}

/// Filters of the runs list.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    /// Only runs with this status.
    pub status: Option<RunStatus>,
    /// Only runs for this account.
    pub account: Option<AccountId>,
}

impl RunFilter {
    /// The visibility query. Values come from closed types (a status enum, a validated
    /// slug), so nothing a user types reaches the query unchecked.
    pub fn query(&self) -> String {
        let mut query = format!("WorkflowType = '{}'", workflow_types::DREW_COORDINATOR);
        if let Some(status) = self.status {
            query.push_str(&format!(
                " AND ExecutionStatus = '{}'",
                status.visibility_name()
            ));
        }
        if let Some(account) = &self.account {
            query.push_str(&format!(
                " AND {} = '{account}'",
                search_attributes::ACCOUNT_ID
            ));
        }
        query
    }
}

/// One page of runs.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunPage {
    /// The runs, newest first.
    pub runs: Vec<RunSummary>,
    /// Token for the next page, if there is one.
    pub next_page_token: Option<String>,
}

/// A run in full.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunDetail {
    /// The run as the list shows it.
    #[serde(flatten)]
    pub summary: RunSummary,
    /// The nine steps, from the `progress` query; `None` when no worker answered.
    pub steps: Option<Vec<StepProgress>>,
    /// The brief, once completed.
    pub brief: Option<serde_json::Value>,
    /// Why the run failed, in words.
    pub failure: Option<String>,
}

/// Connection to Temporal, made on first use and kept.
pub struct TemporalGateway {
    settings: TemporalSettings,
    task_queue: String,
    connection: Mutex<Option<Connection>>,
}

impl TemporalGateway {
    /// A gateway that connects with `settings` when first needed.
    pub fn new(settings: TemporalSettings, task_queue: String) -> Self {
        Self {
            settings,
            task_queue,
            connection: Mutex::new(None),
        }
    }

    /// The namespace runs live in.
    pub fn namespace(&self) -> &str {
        &self.settings.namespace
    }

    async fn connection(&self) -> Result<Connection, TemporalError> {
        let mut slot = self.connection.lock().await;
        if let Some(connection) = slot.as_ref() {
            return Ok(connection.clone());
        }
        let connection = tokio::time::timeout(CALL_TIMEOUT, self.settings.connect())
            .await
            .map_err(|_| TemporalError::Unreachable("connection timed out".into()))?
            .map_err(|err| TemporalError::Unreachable(format!("{err:#}")))?;
        *slot = Some(connection.clone());
        Ok(connection)
    }

    /// True when Temporal answers.
    pub async fn is_reachable(&self) -> bool {
        let Ok(connection) = self.connection().await else {
            return false;
        };
        timed(
            "checking the server",
            connection
                .workflow_service()
                .get_system_info(Request::new(GetSystemInfoRequest::default())),
        )
        .await
        .is_ok()
    }

    /// Starts a coordinator run; the workflow id follows `drew-<account>-<millis>`.
    pub async fn start_run(
        &self,
        input: &CoordinatorInput,
    ) -> Result<(String, String), TemporalError> {
        let connection = self.connection().await?;
        let workflow_id = format!(
            "drew-{}-{}",
            input.account_id,
            Utc::now().timestamp_millis()
        );
        let payload = input
            .as_json_payload()
            .map_err(|err| TemporalError::Unreachable(format!("encoding the input: {err}")))?;
        let request = StartWorkflowExecutionRequest {
            namespace: self.namespace().to_owned(),
            workflow_id: workflow_id.clone(),
            workflow_type: Some(WorkflowType {
                name: workflow_types::DREW_COORDINATOR.to_owned(),
            }),
            task_queue: Some(TaskQueue {
                name: self.task_queue.clone(),
                ..Default::default()
            }),
            input: Some(Payloads {
                payloads: vec![payload],
            }),
            identity: self.settings.connection.identity.clone(),
            request_id: format!("{workflow_id}-start"),
            // Set at start, so the run can be found by account before a worker has
            // even picked it up (the workflow sets it again, to the same value).
            search_attributes: Some(SearchAttributes {
                indexed_fields: HashMap::from([(
                    search_attributes::ACCOUNT_ID.to_owned(),
                    input.account_id.as_str().as_json_payload().map_err(|err| {
                        TemporalError::Unreachable(format!("encoding the account id: {err}"))
                    })?,
                )]),
            }),
            ..Default::default()
        };
        let response = timed(
            "starting the run",
            connection
                .workflow_service()
                .start_workflow_execution(Request::new(request)),
        )
        .await?;
        Ok((workflow_id, response.run_id))
    }

    /// One page of runs matching `filter`, newest first.
    pub async fn list_runs(
        &self,
        filter: &RunFilter,
        page_token: Option<Vec<u8>>,
        page_size: i32,
    ) -> Result<(Vec<RunSummary>, Option<Vec<u8>>), TemporalError> {
        let connection = self.connection().await?;
        let request = ListWorkflowExecutionsRequest {
            namespace: self.namespace().to_owned(),
            page_size,
            next_page_token: page_token.unwrap_or_default(),
            query: filter.query(),
        };
        let response = timed(
            "listing runs",
            connection
                .workflow_service()
                .list_workflow_executions(Request::new(request)),
        )
        .await?;
        let runs = response.executions.iter().map(summary_from_info).collect();
        let next = (!response.next_page_token.is_empty()).then_some(response.next_page_token);
        Ok((runs, next))
    }

    /// The run with this workflow id (its latest run), or `None` if there is none.
    pub async fn run(&self, workflow_id: &str) -> Result<Option<RunDetail>, TemporalError> {
        let connection = self.connection().await?;
        let execution = WorkflowExecution {
            workflow_id: workflow_id.to_owned(),
            run_id: String::new(),
        };
        let described = timed(
            "describing the run",
            connection
                .workflow_service()
                .describe_workflow_execution(Request::new(DescribeWorkflowExecutionRequest {
                    namespace: self.namespace().to_owned(),
                    execution: Some(execution),
                })),
        )
        .await;
        let described = match described {
            Ok(described) => described,
            Err(TemporalError::Refused { status, .. })
                if matches!(status.code(), Code::NotFound | Code::InvalidArgument) =>
            {
                return Ok(None);
            }
            Err(err) => return Err(err),
        };
        let Some(info) = described.workflow_execution_info.as_ref() else {
            return Ok(None);
        };
        let is_coordinator = info
            .r#type
            .as_ref()
            .is_some_and(|t| t.name == workflow_types::DREW_COORDINATOR);
        if !is_coordinator {
            return Ok(None);
        }
        let summary = summary_from_info(info);
        let steps = self.progress(&connection, &summary).await;
        let (brief, failure) = if summary.status == RunStatus::Running {
            (None, None)
        } else {
            self.outcome(&connection, &summary).await?
        };
        Ok(Some(RunDetail {
            summary,
            steps,
            brief,
            failure,
        }))
    }

    /// The `progress` query; `None` when no worker answers it.
    async fn progress(
        &self,
        connection: &Connection,
        run: &RunSummary,
    ) -> Option<Vec<StepProgress>> {
        let request = QueryWorkflowRequest {
            namespace: self.namespace().to_owned(),
            execution: Some(WorkflowExecution {
                workflow_id: run.workflow_id.clone(),
                run_id: run.run_id.clone(),
            }),
            query: Some(WorkflowQuery {
                query_type: queries::PROGRESS.to_owned(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut service = connection.workflow_service();
        let response =
            tokio::time::timeout(QUERY_TIMEOUT, service.query_workflow(Request::new(request)))
                .await
                .map_err(|_| TemporalError::Unreachable("progress query timed out".into()))
                .and_then(|result| {
                    result
                        .map(|r| r.into_inner())
                        .map_err(|status| TemporalError::Refused {
                            doing: "querying progress",
                            status,
                        })
                })
                .inspect_err(|err| tracing::debug!(error = %err, "progress query failed"))
                .ok()?;
        let payload = response.query_result?.payloads.into_iter().next()?;
        serde_json::from_slice(&payload.data).ok()
    }

    /// The closed run's result (brief) or failure, from its close event.
    async fn outcome(
        &self,
        connection: &Connection,
        run: &RunSummary,
    ) -> Result<(Option<serde_json::Value>, Option<String>), TemporalError> {
        let request = GetWorkflowExecutionHistoryRequest {
            namespace: self.namespace().to_owned(),
            execution: Some(WorkflowExecution {
                workflow_id: run.workflow_id.clone(),
                run_id: run.run_id.clone(),
            }),
            history_event_filter_type: HistoryEventFilterType::CloseEvent.into(),
            ..Default::default()
        };
        let history = timed(
            "reading the run's outcome",
            connection
                .workflow_service()
                .get_workflow_execution_history(Request::new(request)),
        )
        .await?;
        let event = history.history.and_then(|h| h.events.into_iter().last());
        Ok(match event.and_then(|e| e.attributes) {
            Some(Attributes::WorkflowExecutionCompletedEventAttributes(completed)) => (
                completed
                    .result
                    .and_then(|p| p.payloads.into_iter().next())
                    .and_then(|p| serde_json::from_slice(&p.data).ok()),
                None,
            ),
            Some(Attributes::WorkflowExecutionFailedEventAttributes(failed)) => {
                (None, failed.failure.map(|f| f.message))
            }
            Some(Attributes::WorkflowExecutionCanceledEventAttributes(_)) => {
                (None, Some("The run was canceled.".to_owned()))
            }
            Some(Attributes::WorkflowExecutionTerminatedEventAttributes(terminated)) => (
                None,
                Some(format!("The run was terminated: {}", terminated.reason)),
            ),
            Some(Attributes::WorkflowExecutionTimedOutEventAttributes(_)) => {
                (None, Some("The run ran out of time.".to_owned()))
            }
            _ => (None, None),
        })
    }
}

async fn timed<T>(
    doing: &'static str,
    call: impl std::future::Future<Output = Result<temporalio_client::tonic::Response<T>, Status>>,
) -> Result<T, TemporalError> {
    match tokio::time::timeout(CALL_TIMEOUT, call).await {
        Err(_) => Err(TemporalError::Unreachable(format!("{doing} timed out"))),
        Ok(Err(status)) if matches!(status.code(), Code::Unavailable | Code::DeadlineExceeded) => {
            Err(TemporalError::Unreachable(status.message().to_owned()))
        }
        Ok(Err(status)) => Err(TemporalError::Refused { doing, status }),
        Ok(Ok(response)) => Ok(response.into_inner()),
    }
}

fn summary_from_info(info: &WorkflowExecutionInfo) -> RunSummary {
    let attributes: HashMap<String, Payload> = info
        .search_attributes
        .as_ref()
        .map(|sa| sa.indexed_fields.clone())
        .unwrap_or_default();
    let keyword = |name: &str| {
        attributes
            .get(name)
            .and_then(|p| serde_json::from_slice::<String>(&p.data).ok())
    };
    let execution = info.execution.clone().unwrap_or_default();
    RunSummary {
        workflow_id: execution.workflow_id,
        run_id: execution.run_id,
        account_id: keyword(search_attributes::ACCOUNT_ID),
        status: RunStatus::from_proto(info.status),
        current_step: keyword(search_attributes::COORDINATOR_STEP),
        started_at: info.start_time.and_then(|t| timestamp(t.seconds, t.nanos)),
        closed_at: info.close_time.and_then(|t| timestamp(t.seconds, t.nanos)),
    }
}

fn timestamp(seconds: i64, nanos: i32) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(seconds, u32::try_from(nanos).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_make_a_visibility_query_from_closed_types_only() {
        assert_eq!(
            RunFilter::default().query(),
            "WorkflowType = 'DrewCoordinator'"
        );
        let filter = RunFilter {
            status: Some(RunStatus::Running),
            account: Some(AccountId::parse("acme-corp").unwrap()),
        };
        assert_eq!(
            filter.query(),
            "WorkflowType = 'DrewCoordinator' AND ExecutionStatus = 'Running' AND AccountId = 'acme-corp'"
        );
    }

    #[test]
    fn statuses_parse_their_wire_names() {
        for status in [
            "running",
            "completed",
            "failed",
            "canceled",
            "terminated",
            "timed_out",
        ] {
            assert_eq!(RunStatus::parse(status).unwrap().as_str(), status);
        }
        assert_eq!(RunStatus::parse("done"), None);
    }
}
