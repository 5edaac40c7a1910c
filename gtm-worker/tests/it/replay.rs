//! Replays histories recorded from real runs through the current workflow code. A
//! change that would make a running coordinator behave differently on replay (a step
//! added, reordered or removed without versioning) fails here, before it reaches a
//! worker with runs in flight.
//!
//! The histories come from `system-tests`; re-record them after an intended change
//! with `cargo xtask record-histories`.

use std::path::Path;
use std::time::Duration;

use gtm_worker::workflows::{CoordinatorSettings, DrewCoordinator};
use temporalio_client::WorkflowHistory;
use temporalio_sdk::workflow_replayer::{WorkflowReplayer, WorkflowReplayerOptions};

fn replayer() -> WorkflowReplayer {
    let settings = CoordinatorSettings {
        marketing_endpoint: "marketing-abm".to_owned(),
        abm_timeout: Duration::from_secs(10),
        abm_baseline_task_queue: None,
        telemetry: Default::default(),
    };
    let options = WorkflowReplayerOptions::new()
        .register_workflow_with_factory(move || DrewCoordinator::new(settings.clone()))
        .unwrap()
        .build();
    WorkflowReplayer::new(options).unwrap()
}

async fn replay(name: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/histories")
        .join(format!("{name}.json"));
    let bytes =
        std::fs::read(&path).unwrap_or_else(|err| panic!("reading {}: {err}", path.display()));
    let history = WorkflowHistory::from_json(&bytes).unwrap();
    replayer()
        .replay_workflow(history)
        .await
        .unwrap_or_else(|err| panic!("{name} does not replay: {err:?}"));
}

#[tokio::test]
async fn happy_path_replays() {
    replay("happy_path").await;
}

#[tokio::test]
async fn marketing_unavailable_replays() {
    replay("marketing_unavailable").await;
}

#[tokio::test]
async fn unknown_account_replays() {
    replay("unknown_account").await;
}
