//! Running coordinator runs, followed live from their histories: a page view of a
//! running run costs no call beyond the describe that finds it, and needs no worker.
//!
//! The first view of a running run reads its history and starts a *watch*: a task that
//! long-polls the same history for the next events (`GetWorkflowExecutionHistory` with
//! `wait_new_event`, the call Temporal's clients use to wait for a result) and folds
//! each batch into the run's steps ([`history::coordinator_steps`]). Later views read
//! the latest steps from memory, so any number of dashboards refreshing one run cost
//! the server one long poll. A step shows as soon as its events are in the history.
//!
//! A watch ends when its run closes (it leaves what the history says with the closed
//! runs, so the next view reads nothing), when nobody has looked at the run for
//! [`IDLE`], or when a poll fails; the next view then starts afresh. At most
//! [`LiveRuns::CAPACITY`] runs are watched at once; past that a view reads the history
//! itself.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use shared_contracts::coordinator::StepProgress;
use temporalio_client::Connection;
use temporalio_client::tonic::{Code, Request, Response, Status};
use temporalio_common::protos::temporal::api::common::v1::WorkflowExecution;
use temporalio_common::protos::temporal::api::enums::v1::HistoryEventFilterType;
use temporalio_common::protos::temporal::api::history::v1::HistoryEvent;
use temporalio_common::protos::temporal::api::workflowservice::v1::{
    GetWorkflowExecutionHistoryRequest, GetWorkflowExecutionHistoryResponse,
};

use super::call::{CALL_TIMEOUT, HistoryReads, timed};
use super::error::TemporalError;
use super::history;
use super::lock;
use super::run::{ClosedRuns, closed_run};
use super::runs::RunSummary;

/// A watch nobody has looked at for this long ends.
const IDLE: Duration = Duration::from_secs(30);

/// How long one long poll may wait for new events; the server answers with no events
/// when it passes, and the watch polls again.
const LONG_POLL: Duration = Duration::from_secs(20);

/// The running runs being watched, by run id; where a watch leaves a run that closed,
/// and where it counts its reads.
#[derive(Debug)]
pub struct LiveRuns {
    watches: Mutex<HashMap<String, Arc<Watch>>>,
    closed_runs: Arc<ClosedRuns>,
    reads: HistoryReads,
}

/// One running run's latest steps, and when they were last looked at.
#[derive(Debug)]
struct Watch {
    steps: Mutex<Arc<Vec<StepProgress>>>,
    viewed_at: Mutex<Instant>,
}

/// Where a watched run's history is read.
struct Source {
    connection: Connection,
    namespace: String,
    execution: WorkflowExecution,
}

/// One page of a history, and the token that continues it (empty once the run has
/// closed).
struct Page {
    events: Vec<HistoryEvent>,
    next_page_token: Vec<u8>,
}

impl LiveRuns {
    /// Runs watched at once: one task and a few kilobytes each.
    const CAPACITY: usize = 256;

    /// No run watched yet; a watch leaves a closed run's history with `closed_runs`.
    pub(super) fn new(closed_runs: Arc<ClosedRuns>, reads: HistoryReads) -> Self {
        Self {
            watches: Mutex::default(),
            closed_runs,
            reads,
        }
    }

    /// The steps of the running run `run`, from its history: from memory while it is
    /// watched, read now and watched from then on otherwise.
    pub(super) async fn steps(
        self: &Arc<Self>,
        connection: &Connection,
        namespace: &str,
        run: &RunSummary,
    ) -> Result<Arc<Vec<StepProgress>>, TemporalError> {
        if let Some(watch) = self.lock().get(&run.run_id) {
            *lock(&watch.viewed_at) = Instant::now();
            return Ok(lock(&watch.steps).clone());
        }
        let source = Source {
            connection: connection.clone(),
            namespace: namespace.to_owned(),
            execution: WorkflowExecution {
                workflow_id: run.workflow_id.clone(),
                run_id: run.run_id.clone(),
            },
        };
        let started = Instant::now();
        let first = Page::from(
            timed(
                "reading a history",
                source.request(Vec::new(), CALL_TIMEOUT),
            )
            .await?,
        );
        self.reads.record("running", started.elapsed());
        let steps = Arc::new(history::coordinator_steps(&first.events));
        if first.next_page_token.is_empty() {
            return Ok(steps);
        }
        let watch = {
            let mut watches = self.lock();
            if watches.len() >= Self::CAPACITY || watches.contains_key(&run.run_id) {
                return Ok(steps);
            }
            let watch = Arc::new(Watch {
                steps: Mutex::new(steps.clone()),
                viewed_at: Mutex::new(Instant::now()),
            });
            watches.insert(run.run_id.clone(), watch.clone());
            watch
        };
        tokio::spawn(self.clone().follow(source, watch, first));
        Ok(steps)
    }

    /// Long-polls the run's history from where `first` ended until the run closes, the
    /// watch goes idle, or a poll fails; then forgets the watch.
    async fn follow(self: Arc<Self>, source: Source, watch: Arc<Watch>, first: Page) {
        let mut events = first.events;
        let mut token = first.next_page_token;
        while lock(&watch.viewed_at).elapsed() < IDLE {
            let started = Instant::now();
            let page = source.request(token.clone(), LONG_POLL).await;
            self.reads.record("watch", started.elapsed());
            let page = match page {
                Ok(response) => Page::from(response.into_inner()),
                // The long poll ran out with no new event: poll again.
                Err(status) if status.code() == Code::DeadlineExceeded => continue,
                Err(status) => {
                    tracing::debug!(
                        run_id = %source.execution.run_id,
                        error = %status,
                        "stopped watching a run"
                    );
                    break;
                }
            };
            if !page.events.is_empty() {
                events.extend(page.events);
                *lock(&watch.steps) = Arc::new(history::coordinator_steps(&events));
            }
            if page.next_page_token.is_empty() {
                self.closed_runs
                    .put(&source.execution.run_id, closed_run(&events));
                break;
            }
            token = page.next_page_token;
        }
        let mut watches = self.lock();
        if watches
            .get(&source.execution.run_id)
            .is_some_and(|kept| Arc::ptr_eq(kept, &watch))
        {
            watches.remove(&source.execution.run_id);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Watch>>> {
        lock(&self.watches)
    }
}

impl Source {
    /// The history's events after `token` (from the start when empty). With a token,
    /// the server holds the call until there are new events or `wait` has passed.
    fn request(
        &self,
        token: Vec<u8>,
        wait: Duration,
    ) -> impl Future<Output = Result<Response<GetWorkflowExecutionHistoryResponse>, Status>> + use<>
    {
        let mut request = Request::new(GetWorkflowExecutionHistoryRequest {
            namespace: self.namespace.clone(),
            execution: Some(self.execution.clone()),
            next_page_token: token,
            wait_new_event: true,
            history_event_filter_type: HistoryEventFilterType::AllEvent as i32,
            ..Default::default()
        });
        request.set_timeout(wait);
        let mut service = self.connection.workflow_service();
        async move { service.get_workflow_execution_history(request).await }
    }
}

impl From<GetWorkflowExecutionHistoryResponse> for Page {
    fn from(response: GetWorkflowExecutionHistoryResponse) -> Self {
        Self {
            events: response.history.map(|h| h.events).unwrap_or_default(),
            next_page_token: response.next_page_token,
        }
    }
}
