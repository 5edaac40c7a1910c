//! Whether a worker is polling a task queue, as the server itself sees it.
//!
//! A worker process that has started is not yet a worker that takes tasks: it
//! connects, validates its task queue, then long-polls. A test that needs a worker to
//! take a task within a deadline (a Nexus call with a timeout, a run held until the
//! handler comes back) first waits here until the server lists a poll that worker
//! made, instead of hoping it is quick enough.
//!
//! The source is Temporal's `DescribeTaskQueue`: the server records each poller's
//! last access when a long poll arrives and again when it ends, per task queue type.
//! A worker started (or restarted) at `since` is polling once a poller with a last
//! access at or after `since` is listed; an earlier process's pollers stay listed for
//! minutes after it died, with older times, and do not count.

use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, bail};
use temporalio_client::Connection;
use temporalio_client::tonic::Request;
use temporalio_common::protos::temporal::api::enums::v1::{TaskQueueKind, TaskQueueType};
use temporalio_common::protos::temporal::api::taskqueue::v1::{PollerInfo, TaskQueue};
use temporalio_common::protos::temporal::api::workflowservice::v1::DescribeTaskQueueRequest;

/// How long [`wait_for_poller`] waits before it fails.
pub const POLLER_TIMEOUT: Duration = Duration::from_secs(120);

/// Which tasks a poller takes from a task queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollerKind {
    /// Workflow tasks: the SDK worker's workflow pollers.
    Workflow,
    /// Activity tasks.
    Activity,
    /// Nexus tasks: a Nexus handler's pollers.
    Nexus,
}

impl PollerKind {
    fn task_queue_type(self) -> TaskQueueType {
        match self {
            Self::Workflow => TaskQueueType::Workflow,
            Self::Activity => TaskQueueType::Activity,
            Self::Nexus => TaskQueueType::Nexus,
        }
    }
}

/// The pollers the server lists for `task_queue` in `namespace`, for tasks of `kind`.
pub async fn pollers(
    connection: &Connection,
    namespace: &str,
    task_queue: &str,
    kind: PollerKind,
) -> anyhow::Result<Vec<PollerInfo>> {
    let request = DescribeTaskQueueRequest {
        namespace: namespace.to_owned(),
        task_queue: Some(TaskQueue {
            name: task_queue.to_owned(),
            kind: TaskQueueKind::Normal as i32,
            ..Default::default()
        }),
        task_queue_type: kind.task_queue_type() as i32,
        ..Default::default()
    };
    let response = connection
        .workflow_service()
        .describe_task_queue(Request::new(request))
        .await
        .with_context(|| format!("describing task queue {namespace}/{task_queue}"))?
        .into_inner();
    Ok(response.pollers)
}

/// Waits until a poller of `kind` on `task_queue` in `namespace` has polled at or
/// after `since` (take it just before starting the worker). Fails after
/// [`POLLER_TIMEOUT`], naming the task queue. Errors while asking (a server that is
/// restarting) are retried until then.
pub async fn wait_for_poller(
    connection: &Connection,
    namespace: &str,
    task_queue: &str,
    kind: PollerKind,
    since: SystemTime,
) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let last = match pollers(connection, namespace, task_queue, kind).await {
            Ok(pollers) if pollers.iter().any(|poller| polled_since(poller, since)) => {
                return Ok(());
            }
            Ok(pollers) => format!("{} older poller(s)", pollers.len()),
            Err(err) => format!("{err:#}"),
        };
        if started.elapsed() > POLLER_TIMEOUT {
            bail!(
                "no {kind:?} poller on {namespace}/{task_queue} polled within {POLLER_TIMEOUT:?} ({last})"
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn polled_since(poller: &PollerInfo, since: SystemTime) -> bool {
    poller
        .last_access_time
        .and_then(|time| SystemTime::try_from(time).ok())
        .is_some_and(|time| time >= since)
}
