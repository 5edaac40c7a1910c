//! Listing runs through visibility: coordinator runs by status and account (the
//! `AccountId` search attribute), campaign launches, one page at a time.
//!
//! A row is what visibility holds, with no call per row: a running run's current step
//! comes from the `CoordinatorStep` search attribute when the worker has set it, and
//! is simply unknown ("running") when it has not.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use shared_contracts::AccountId;
use shared_contracts::names::{search_attributes, workflow_types};
use temporalio_client::Connection;
use temporalio_client::tonic::Request;
use temporalio_common::protos::temporal::api::common::v1::Payload;
use temporalio_common::protos::temporal::api::enums::v1::WorkflowExecutionStatus;
use temporalio_common::protos::temporal::api::workflow::v1::WorkflowExecutionInfo;
use temporalio_common::protos::temporal::api::workflowservice::v1::{
    ListWorkflowExecutionsRequest, ListWorkflowExecutionsResponse,
};

use super::call::timed;
use super::error::TemporalError;
use super::gateway::TemporalGateway;

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
    pub(super) fn from_proto(status: i32) -> Self {
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
    /// From the `RequestedBy` search attribute: who asked for the run, when the starter
    /// said.
    pub requested_by: Option<String>,
    /// Status.
    pub status: RunStatus,
    /// From the `CoordinatorStep` search attribute (`done` when finished); `None` when
    /// the run has not set it, which is allowed: the list then says only "running".
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

impl TemporalGateway {
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

    /// One page of a visibility query. This stays on the raw service: the SDK's
    /// `list_workflows` stream pages by itself and hands out no page token, and the
    /// dashboard pages by token.
    pub(super) async fn list(
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

/// A run as visibility (or a describe) holds it.
pub(super) fn summary_from_info(info: &WorkflowExecutionInfo) -> RunSummary {
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
        requested_by: keyword(search_attributes::REQUESTED_BY),
        status: RunStatus::from_proto(info.status),
        current_step: keyword(search_attributes::COORDINATOR_STEP),
        started_at: info.start_time.and_then(|t| timestamp(t.seconds, t.nanos)),
        closed_at: info.close_time.and_then(|t| timestamp(t.seconds, t.nanos)),
    }
}

/// A protobuf timestamp as a UTC time.
pub(super) fn timestamp(seconds: i64, nanos: i32) -> Option<DateTime<Utc>> {
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
