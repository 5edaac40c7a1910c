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
use temporalio_client::tonic::{Code, Request};
use temporalio_common::protos::temporal::api::common::v1::WorkflowExecution;
use temporalio_common::protos::temporal::api::enums::v1::HistoryEventFilterType;
use temporalio_common::protos::temporal::api::history::v1::HistoryEvent;
use temporalio_common::protos::temporal::api::workflowservice::v1::GetWorkflowExecutionHistoryRequest;

use super::error::TemporalError;
use super::gateway::{CALL_TIMEOUT, HistoryReads, from_status};
use super::history;
use super::run::{ClosedRuns, closed_run};
use super::runs::RunSummary;

/// A watch nobody has looked at for this long ends.
const IDLE: Duration = Duration::from_secs(30);

/// How long one long poll may wait for new events; the server answers with no events
/// when it passes, and the watch polls again.
const LONG_POLL: Duration = Duration::from_secs(20);

/// The running runs being watched, by run id.
#[derive(Debug, Default)]
pub struct LiveRuns {
    watches: Mutex<HashMap<String, Arc<Watch>>>,
}

/// One running run's latest steps, and when they were last looked at.
#[derive(Debug)]
struct Watch {
    steps: Mutex<Arc<Vec<StepProgress>>>,
    viewed_at: Mutex<Instant>,
}

/// What a watch's task needs.
struct Follower {
    source: Source,
    watch: Arc<Watch>,
    closed_runs: Arc<ClosedRuns>,
    reads: HistoryReads,
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

    /// The steps of the running run `run`, from its history: from memory while it is
    /// watched, read now and watched from then on otherwise.
    pub(super) async fn steps(
        self: &Arc<Self>,
        connection: &Connection,
        namespace: &str,
        run: &RunSummary,
        closed_runs: &Arc<ClosedRuns>,
        reads: &HistoryReads,
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
        let first = tokio::time::timeout(CALL_TIMEOUT, source.page(Vec::new(), CALL_TIMEOUT))
            .await
            .map_err(|_| TemporalError::Unreachable("reading a history timed out".into()))?
            .map_err(|status| from_status("reading a history", status))?;
        reads.record("running", started.elapsed());
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
        let follower = Follower {
            source,
            watch,
            closed_runs: closed_runs.clone(),
            reads: reads.clone(),
        };
        tokio::spawn(self.clone().follow(follower, first));
        Ok(steps)
    }

    /// Long-polls the run's history from where `first` ended until the run closes, the
    /// watch goes idle, or a poll fails; then forgets the watch.
    async fn follow(self: Arc<Self>, follower: Follower, first: Page) {
        let Follower {
            source,
            watch,
            closed_runs,
            reads,
        } = follower;
        let mut events = first.events;
        let mut token = first.next_page_token;
        while lock(&watch.viewed_at).elapsed() < IDLE {
            let started = Instant::now();
            let page = source.page(token.clone(), LONG_POLL).await;
            reads.record("watch", started.elapsed());
            let page = match page {
                Ok(page) => page,
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
                closed_runs.put(&source.execution.run_id, closed_run(&events));
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
    async fn page(
        &self,
        token: Vec<u8>,
        wait: Duration,
    ) -> Result<Page, temporalio_client::tonic::Status> {
        let mut request = Request::new(GetWorkflowExecutionHistoryRequest {
            namespace: self.namespace.clone(),
            execution: Some(self.execution.clone()),
            next_page_token: token,
            wait_new_event: true,
            history_event_filter_type: HistoryEventFilterType::AllEvent as i32,
            ..Default::default()
        });
        request.set_timeout(wait);
        let response = self
            .connection
            .workflow_service()
            .get_workflow_execution_history(request)
            .await?
            .into_inner();
        Ok(Page {
            events: response.history.map(|h| h.events).unwrap_or_default(),
            next_page_token: response.next_page_token,
        })
    }
}

/// A lock that a panic elsewhere does not poison for good: the data behind it is
/// always whole.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
