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
use shared_contracts::campaign::{CampaignLaunchInput, CampaignLaunchSummary};
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
    ListWorkflowExecutionsRequest, ListWorkflowExecutionsResponse, QueryWorkflowRequest,
    StartWorkflowExecutionRequest,
};
use tokio::sync::Mutex;

/// Longest workflow id Temporal accepts (its `limit.maxIDLength` default), in bytes.
pub const WORKFLOW_ID_MAX_LEN: usize = 1000;

/// Checks a workflow id read from an address before Temporal is asked about it: one
/// that Temporal would refuse, or that no tool could have typed, names no run.
///
/// Any other text is a possible id (ids are free text, and may hold `/` or `..`):
/// Temporal answers whether a run has it.
pub fn check_workflow_id(workflow_id: &str) -> Result<(), TemporalError> {
    let problem = if workflow_id.is_empty() {
        "it is empty".to_owned()
    } else if workflow_id.len() > WORKFLOW_ID_MAX_LEN {
        format!("it is longer than {WORKFLOW_ID_MAX_LEN} bytes")
    } else if workflow_id.chars().any(char::is_control) {
        "it contains a control character".to_owned()
    } else {
        return Ok(());
    };
    Err(TemporalError::InvalidWorkflowId(format!(
        "workflowId {} is invalid: {problem}",
        crate::error::shown(workflow_id)
    )))
}

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
    /// The workflow id could not name any workflow; checked before Temporal is asked.
    #[error("{0}")]
    InvalidWorkflowId(String),
    /// Temporal did not accept the page token: it is not one it handed out.
    #[error("the page token is not one Temporal handed out")]
    InvalidPageToken,
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

/// A campaign launch as the dashboard shows it.
#[derive(Debug, Clone)]
pub struct LaunchDetail {
    /// The launch's workflow id, status and times.
    pub summary: RunSummary,
    /// Per-account progress: the `launchProgress` query while it runs, the result
    /// once it completed; `None` when neither is available.
    pub progress: Option<CampaignLaunchSummary>,
    /// Why the launch stopped, in words.
    pub failure: Option<String>,
}

/// Where the dashboard finds things in Temporal.
#[derive(Debug, Clone)]
pub struct Placement {
    /// Namespace of coordinator runs (`gtm`).
    pub gtm_namespace: String,
    /// Task queue coordinator runs start on.
    pub gtm_task_queue: String,
    /// Namespace of campaign launches (`marketing`).
    pub marketing_namespace: String,
    /// Task queue campaign launches start on.
    pub marketing_task_queue: String,
}

/// Connection to Temporal, made on first use and kept.
pub struct TemporalGateway {
    settings: TemporalSettings,
    placement: Placement,
    connection: Mutex<Option<Connection>>,
}

impl TemporalGateway {
    /// A gateway that connects with `settings` when first needed.
    pub fn new(settings: TemporalSettings, placement: Placement) -> Self {
        Self {
            settings,
            placement,
            connection: Mutex::new(None),
        }
    }

    /// The namespace coordinator runs live in.
    pub fn namespace(&self) -> &str {
        &self.placement.gtm_namespace
    }

    /// The namespace campaign launches live in.
    pub fn marketing_namespace(&self) -> &str {
        &self.placement.marketing_namespace
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
        let workflow_id = format!(
            "drew-{}-{}",
            input.account_id,
            Utc::now().timestamp_millis()
        );
        // Set at start, so the run can be found by account before a worker has even
        // picked it up (the workflow sets it again, to the same value).
        let account = encode(&input.account_id.as_str())?;
        let search = HashMap::from([(search_attributes::ACCOUNT_ID.to_owned(), account)]);
        let run_id = self
            .start(
                &self.placement.gtm_namespace,
                &self.placement.gtm_task_queue,
                workflow_types::DREW_COORDINATOR,
                &workflow_id,
                encode(input)?,
                search,
            )
            .await?;
        Ok((workflow_id, run_id))
    }

    /// Starts a campaign launch in Marketing's namespace, as `launch-<campaign>-<millis>`.
    pub async fn start_launch(&self, input: &CampaignLaunchInput) -> Result<String, TemporalError> {
        let workflow_id = format!(
            "launch-{}-{}",
            input.campaign_id,
            Utc::now().timestamp_millis()
        );
        self.start(
            &self.placement.marketing_namespace,
            &self.placement.marketing_task_queue,
            workflow_types::CAMPAIGN_LAUNCH,
            &workflow_id,
            encode(input)?,
            HashMap::new(),
        )
        .await?;
        Ok(workflow_id)
    }

    async fn start(
        &self,
        namespace: &str,
        task_queue: &str,
        workflow_type: &str,
        workflow_id: &str,
        input: Payload,
        search: HashMap<String, Payload>,
    ) -> Result<String, TemporalError> {
        let connection = self.connection().await?;
        let request = StartWorkflowExecutionRequest {
            namespace: namespace.to_owned(),
            workflow_id: workflow_id.to_owned(),
            workflow_type: Some(WorkflowType {
                name: workflow_type.to_owned(),
            }),
            task_queue: Some(TaskQueue {
                name: task_queue.to_owned(),
                ..Default::default()
            }),
            input: Some(Payloads {
                payloads: vec![input],
            }),
            identity: self.settings.connection.identity.clone(),
            // One start per workflow id: a resent request finds the same run.
            request_id: format!("{workflow_id}-start"),
            search_attributes: (!search.is_empty()).then_some(SearchAttributes {
                indexed_fields: search,
            }),
            // The run continues this request's trace.
            header: service_kit::trace::tracer_data_header(),
            ..Default::default()
        };
        let response = timed(
            "starting a workflow",
            connection
                .workflow_service()
                .start_workflow_execution(Request::new(request)),
        )
        .await?;
        Ok(response.run_id)
    }

    /// One page of runs matching `filter`, newest first.
    pub async fn list_runs(
        &self,
        filter: &RunFilter,
        page_token: Option<Vec<u8>>,
        page_size: i32,
    ) -> Result<(Vec<RunSummary>, Option<Vec<u8>>), TemporalError> {
        self.list(
            &self.placement.gtm_namespace,
            filter.query(),
            page_token,
            page_size,
        )
        .await
    }

    /// The newest campaign launches.
    pub async fn list_launches(&self, limit: i32) -> Result<Vec<RunSummary>, TemporalError> {
        let query = format!("WorkflowType = '{}'", workflow_types::CAMPAIGN_LAUNCH);
        let (launches, _) = self
            .list(&self.placement.marketing_namespace, query, None, limit)
            .await?;
        Ok(launches)
    }

    async fn list(
        &self,
        namespace: &str,
        query: String,
        page_token: Option<Vec<u8>>,
        page_size: i32,
    ) -> Result<(Vec<RunSummary>, Option<Vec<u8>>), TemporalError> {
        let connection = self.connection().await?;
        let list = |next_page_token: Vec<u8>, page_size: i32| {
            list_page(&connection, namespace, &query, next_page_token, page_size)
        };
        let paging = page_token.is_some();
        let response = match list(page_token.unwrap_or_default(), page_size).await {
            Ok(response) => response,
            // A token the user edited, or kept from another list, is refused in
            // different words by different visibility stores (an invalid argument, an
            // "unknown error"). When the first page of the same query is served, the
            // token was at fault, not the server.
            Err(TemporalError::Refused { .. }) if paging && list(Vec::new(), 1).await.is_ok() => {
                return Err(TemporalError::InvalidPageToken);
            }
            Err(err) => return Err(err),
        };
        let runs = response.executions.iter().map(summary_from_info).collect();
        let next = (!response.next_page_token.is_empty()).then_some(response.next_page_token);
        Ok((runs, next))
    }

    /// The coordinator run with this workflow id (its latest run), or `None`.
    pub async fn run(&self, workflow_id: &str) -> Result<Option<RunDetail>, TemporalError> {
        check_workflow_id(workflow_id)?;
        let connection = self.connection().await?;
        let namespace = &self.placement.gtm_namespace;
        let Some(summary) = self
            .describe(
                &connection,
                namespace,
                workflow_id,
                workflow_types::DREW_COORDINATOR,
            )
            .await?
        else {
            return Ok(None);
        };
        let steps = self
            .query_json(&connection, namespace, &summary, queries::PROGRESS)
            .await;
        let (brief, failure) = if summary.status == RunStatus::Running {
            (None, None)
        } else {
            self.outcome(&connection, namespace, &summary).await?
        };
        Ok(Some(RunDetail {
            summary,
            steps,
            brief,
            failure,
        }))
    }

    /// The campaign launch with this workflow id, or `None`.
    pub async fn launch(&self, workflow_id: &str) -> Result<Option<LaunchDetail>, TemporalError> {
        check_workflow_id(workflow_id)?;
        let connection = self.connection().await?;
        let namespace = &self.placement.marketing_namespace;
        let Some(summary) = self
            .describe(
                &connection,
                namespace,
                workflow_id,
                workflow_types::CAMPAIGN_LAUNCH,
            )
            .await?
        else {
            return Ok(None);
        };
        let queried: Option<CampaignLaunchSummary> = self
            .query_json(&connection, namespace, &summary, queries::LAUNCH_PROGRESS)
            .await;
        let (result, failure) = if summary.status == RunStatus::Running {
            (None, None)
        } else {
            self.outcome(&connection, namespace, &summary).await?
        };
        let from_result = result.and_then(|value| serde_json::from_value(value).ok());
        Ok(Some(LaunchDetail {
            summary,
            progress: queried.or(from_result),
            failure,
        }))
    }

    /// Describes a workflow; `None` when there is none of `workflow_type` by that id.
    async fn describe(
        &self,
        connection: &Connection,
        namespace: &str,
        workflow_id: &str,
        workflow_type: &str,
    ) -> Result<Option<RunSummary>, TemporalError> {
        let described = timed(
            "describing a workflow",
            connection
                .workflow_service()
                .describe_workflow_execution(Request::new(DescribeWorkflowExecutionRequest {
                    namespace: namespace.to_owned(),
                    execution: Some(WorkflowExecution {
                        workflow_id: workflow_id.to_owned(),
                        run_id: String::new(),
                    }),
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
        Ok(described
            .workflow_execution_info
            .as_ref()
            .filter(|info| {
                info.r#type
                    .as_ref()
                    .is_some_and(|t| t.name == workflow_type)
            })
            .map(summary_from_info))
    }

    /// A query's JSON answer; `None` when no worker answers it in time.
    async fn query_json<T: serde::de::DeserializeOwned>(
        &self,
        connection: &Connection,
        namespace: &str,
        run: &RunSummary,
        query_type: &str,
    ) -> Option<T> {
        let request = QueryWorkflowRequest {
            namespace: namespace.to_owned(),
            execution: Some(WorkflowExecution {
                workflow_id: run.workflow_id.clone(),
                run_id: run.run_id.clone(),
            }),
            query: Some(WorkflowQuery {
                query_type: query_type.to_owned(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut service = connection.workflow_service();
        let answer =
            tokio::time::timeout(QUERY_TIMEOUT, service.query_workflow(Request::new(request)))
                .await;
        let response = match answer {
            Ok(Ok(response)) => response.into_inner(),
            Ok(Err(status)) => {
                tracing::debug!(%status, query_type, "query refused");
                return None;
            }
            Err(_) => {
                tracing::debug!(query_type, "query timed out: no worker answered");
                return None;
            }
        };
        let payload = response.query_result?.payloads.into_iter().next()?;
        serde_json::from_slice(&payload.data).ok()
    }

    /// A closed workflow's result or failure, from its close event.
    async fn outcome(
        &self,
        connection: &Connection,
        namespace: &str,
        run: &RunSummary,
    ) -> Result<(Option<serde_json::Value>, Option<String>), TemporalError> {
        let request = GetWorkflowExecutionHistoryRequest {
            namespace: namespace.to_owned(),
            execution: Some(WorkflowExecution {
                workflow_id: run.workflow_id.clone(),
                run_id: run.run_id.clone(),
            }),
            history_event_filter_type: HistoryEventFilterType::CloseEvent.into(),
            ..Default::default()
        };
        let history = timed(
            "reading the outcome",
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

/// One `ListWorkflowExecutions` call.
async fn list_page(
    connection: &Connection,
    namespace: &str,
    query: &str,
    next_page_token: Vec<u8>,
    page_size: i32,
) -> Result<ListWorkflowExecutionsResponse, TemporalError> {
    let request = ListWorkflowExecutionsRequest {
        namespace: namespace.to_owned(),
        page_size,
        next_page_token,
        query: query.to_owned(),
    };
    timed(
        "listing workflows",
        connection
            .workflow_service()
            .list_workflow_executions(Request::new(request)),
    )
    .await
}

fn encode(value: &impl Serialize) -> Result<Payload, TemporalError> {
    value
        .as_json_payload()
        .map_err(|err| TemporalError::Unreachable(format!("encoding a payload: {err}")))
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
    fn workflow_ids_are_free_text_within_temporals_limits() {
        for ok in [
            "drew-acme-corp-1",
            "../../etc/passwd",
            "a/b",
            "\u{202e}x",
            &"a".repeat(1000),
        ] {
            assert!(check_workflow_id(ok).is_ok(), "{ok:?}");
        }
        for (bad, problem) in [
            ("", "it is empty"),
            (&"a".repeat(1001), "it is longer than 1000 bytes"),
            ("drew\0acme", "it contains a control character"),
            ("a\nb", "it contains a control character"),
        ] {
            let message = check_workflow_id(bad).unwrap_err().to_string();
            assert!(message.starts_with("workflowId \""), "{message}");
            assert!(message.ends_with(problem), "{message}");
            assert!(message.len() < 200, "{message}");
        }
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
