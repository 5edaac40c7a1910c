//! One run's view: a coordinator run (or a campaign launch) by workflow id.
//!
//! Where each part comes from, and what it costs per page view:
//!
//! | run is | calls | needs a worker |
//! | --- | --- | --- |
//! | running | describe; its history on the first view, then a watch follows it ([`super::live`]) | no |
//! | closed | describe; its history the first time only (none when a watch saw it close) | no |
//!
//! A run's history holds everything the page shows: each step's status, times and
//! summary are its local-activity markers and Nexus events, the brief is the
//! completion event's result (see `history.rs`). The workflow's `progress` query
//! answers the same while the run is open, but each query travels through the server to
//! a gtm-worker and back, and shows nothing while no worker runs; the history is the
//! server's own record. A closed run never changes, so what its history says is kept
//! ([`ClosedRuns`]), keyed by run id, and the next view of it costs one describe.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use shared_contracts::campaign::CampaignLaunchSummary;
use shared_contracts::coordinator::{CoordinatorBrief, StepProgress};
use shared_contracts::names::{queries, workflow_types};
use temporalio_client::errors::{WorkflowInteractionError, WorkflowQueryError};
use temporalio_client::tonic::Code;
use temporalio_client::{
    Client, HistoryEventFilterType, NamespacedClient, UntypedQuery, UntypedWorkflow,
    UntypedWorkflowHandle, WorkflowDescribeOptions, WorkflowExecutionInfo,
    WorkflowFetchHistoryOptions, WorkflowQueryOptions,
};
use temporalio_common::data_converters::RawValue;
use temporalio_common::protos::temporal::api::history::v1::HistoryEvent;

use super::call::{CALL_TIMEOUT, from_status};
use super::error::{TemporalError, check_workflow_id};
use super::gateway::TemporalGateway;
use super::runs::{RunStatus, RunSummary, summary_from_info};
use super::{history, lock};

/// How long a campaign launch's `launchProgress` query may take. It needs a
/// marketing-worker to answer; without one, the launch page says so quickly instead of
/// waiting.
const QUERY_TIMEOUT: Duration = Duration::from_secs(2);

/// A run in full.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunDetail {
    /// The run as the list shows it.
    #[serde(flatten)]
    pub summary: RunSummary,
    /// The catalogue's steps, from the run's history.
    pub steps: Vec<StepProgress>,
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

/// What a closed run's history says, kept by run id: a closed run never changes.
#[derive(Debug, Clone)]
pub(super) struct ClosedRun {
    steps: Vec<StepProgress>,
    brief: Option<serde_json::Value>,
    failure: Option<String>,
}

/// The most recently read closed runs, at most [`ClosedRuns::CAPACITY`].
#[derive(Debug, Default)]
pub struct ClosedRuns {
    runs: Mutex<Kept>,
}

/// Closed runs by run id, and their run ids oldest first (the next to forget).
#[derive(Debug, Default)]
struct Kept {
    by_id: HashMap<String, Arc<ClosedRun>>,
    order: VecDeque<String>,
}

impl ClosedRuns {
    /// Closed runs kept: a few hundred kilobytes.
    const CAPACITY: usize = 512;

    fn get(&self, run_id: &str) -> Option<Arc<ClosedRun>> {
        let kept = lock(&self.runs);
        kept.by_id.get(run_id).cloned()
    }

    pub(super) fn put(&self, run_id: &str, run: ClosedRun) -> Arc<ClosedRun> {
        let run = Arc::new(run);
        let mut kept = lock(&self.runs);
        if kept.by_id.insert(run_id.to_owned(), run.clone()).is_none() {
            kept.order.push_back(run_id.to_owned());
            while kept.order.len() > Self::CAPACITY {
                if let Some(oldest) = kept.order.pop_front() {
                    kept.by_id.remove(&oldest);
                }
            }
        }
        run
    }
}

/// What the whole history of a closed coordinator run says.
pub(super) fn closed_run(events: &[HistoryEvent]) -> ClosedRun {
    let outcome = history::outcome(events);
    let mut steps = history::coordinator_steps(events);
    if let Some(brief) = outcome
        .result
        .clone()
        .and_then(|value| serde_json::from_value::<CoordinatorBrief>(value).ok())
    {
        history::summarize_from_brief(&mut steps, &brief);
    }
    ClosedRun {
        steps,
        brief: outcome.result,
        failure: outcome.failure,
    }
}

impl TemporalGateway {
    /// The coordinator run with this workflow id (its latest run), or `None`.
    pub async fn run(&self, workflow_id: &str) -> Result<Option<RunDetail>, TemporalError> {
        check_workflow_id(workflow_id)?;
        let namespace = &self.placement.gtm_namespace;
        let client = self.client(namespace).await?;
        let Some(summary) =
            describe(&client, workflow_id, workflow_types::DREW_COORDINATOR).await?
        else {
            return Ok(None);
        };
        if summary.status == RunStatus::Running {
            let connection = self.connection().await?;
            let steps = self
                .live_runs
                .steps(&connection, namespace, &summary)
                .await?;
            return Ok(Some(RunDetail {
                summary,
                steps: steps.as_ref().clone(),
                brief: None,
                failure: None,
            }));
        }
        let closed = match self.closed_runs.get(&summary.run_id) {
            Some(closed) => closed,
            None => {
                let run = handle(&client, &summary);
                let started = std::time::Instant::now();
                let events = fetch_history(&run, HistoryEventFilterType::AllEvent).await?;
                self.history_reads.record("closed", started.elapsed());
                self.closed_runs.put(&summary.run_id, closed_run(&events))
            }
        };
        Ok(Some(RunDetail {
            summary,
            steps: closed.steps.clone(),
            brief: closed.brief.clone(),
            failure: closed.failure.clone(),
        }))
    }

    /// The campaign launch with this workflow id, or `None`: its progress from the
    /// `launchProgress` query while it runs, from its result once it completed.
    pub async fn launch(&self, workflow_id: &str) -> Result<Option<LaunchDetail>, TemporalError> {
        check_workflow_id(workflow_id)?;
        let client = self.client(&self.placement.marketing_namespace).await?;
        let Some(summary) = describe(&client, workflow_id, workflow_types::CAMPAIGN_LAUNCH).await?
        else {
            return Ok(None);
        };
        let launch = handle(&client, &summary);
        if summary.status == RunStatus::Running {
            let progress = query_json(&launch, queries::LAUNCH_PROGRESS).await;
            return Ok(Some(LaunchDetail {
                summary,
                progress,
                failure: None,
            }));
        }
        let close = fetch_history(&launch, HistoryEventFilterType::CloseEvent).await?;
        let outcome = history::outcome(&close);
        Ok(Some(LaunchDetail {
            summary,
            progress: outcome
                .result
                .and_then(|value| serde_json::from_value(value).ok()),
            failure: outcome.failure,
        }))
    }
}

/// The latest run of `workflow_id`; `None` when there is none of `workflow_type`.
async fn describe(
    client: &Client,
    workflow_id: &str,
    workflow_type: &str,
) -> Result<Option<RunSummary>, TemporalError> {
    let latest = client.get_workflow_handle::<UntypedWorkflow>(workflow_id);
    let described = tokio::time::timeout(
        CALL_TIMEOUT,
        latest.describe(WorkflowDescribeOptions::default()),
    )
    .await
    .map_err(|_| TemporalError::Unreachable("describing a workflow timed out".into()))?;
    let described = match described {
        Ok(described) => described,
        Err(WorkflowInteractionError::NotFound(_)) => return Ok(None),
        Err(WorkflowInteractionError::Rpc(status)) if status.code() == Code::InvalidArgument => {
            return Ok(None);
        }
        Err(err) => return Err(interaction_error("describing a workflow", err)),
    };
    Ok(described
        .raw()
        .workflow_execution_info
        .as_ref()
        .filter(|info| {
            info.r#type
                .as_ref()
                .is_some_and(|t| t.name == workflow_type)
        })
        .map(summary_from_info))
}

/// A handle on exactly the run `summary` describes.
fn handle(client: &Client, summary: &RunSummary) -> UntypedWorkflowHandle<Client> {
    WorkflowExecutionInfo::builder()
        .namespace(client.namespace())
        .workflow_id(summary.workflow_id.clone())
        .run_id(summary.run_id.clone())
        .build()
        .bind_untyped(client.clone())
}

/// The run's history (every page), or only its close event.
async fn fetch_history(
    run: &UntypedWorkflowHandle<Client>,
    filter: HistoryEventFilterType,
) -> Result<Vec<HistoryEvent>, TemporalError> {
    let options = WorkflowFetchHistoryOptions::builder()
        .event_filter_type(filter)
        .build();
    tokio::time::timeout(CALL_TIMEOUT, run.fetch_history(options).into_events())
        .await
        .map_err(|_| TemporalError::Unreachable("reading a history timed out".into()))?
        .map_err(|err| interaction_error("reading a history", err))
}

/// A query's JSON answer; `None` when no worker answers it in time.
async fn query_json<T: serde::de::DeserializeOwned>(
    run: &UntypedWorkflowHandle<Client>,
    query_type: &str,
) -> Option<T> {
    let answer = tokio::time::timeout(
        QUERY_TIMEOUT,
        run.query(
            UntypedQuery::<UntypedWorkflow>::new(query_type),
            RawValue::new(vec![]),
            WorkflowQueryOptions::default(),
        ),
    )
    .await;
    let raw = match answer {
        Ok(Ok(raw)) => raw,
        Ok(Err(err)) => {
            log_refused_query(query_type, &err);
            return None;
        }
        Err(_) => {
            tracing::debug!(query_type, "query timed out: no worker answered");
            return None;
        }
    };
    serde_json::from_slice(&raw.payloads.first()?.data).ok()
}

fn log_refused_query(query_type: &str, err: &WorkflowQueryError) {
    tracing::debug!(error = %err, query_type, "query refused");
}

fn interaction_error(doing: &'static str, err: WorkflowInteractionError) -> TemporalError {
    match err {
        WorkflowInteractionError::NotFound(status) | WorkflowInteractionError::Rpc(status) => {
            from_status(doing, status)
        }
        other => TemporalError::Unreachable(format!("{doing}: {other}")),
    }
}
