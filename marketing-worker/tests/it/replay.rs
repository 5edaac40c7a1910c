//! Replays campaign-launch histories recorded from real runs through the current
//! workflow code. A change that would make a running launch behave differently on
//! replay (an activity or Nexus call added, reordered or removed without versioning)
//! fails here, before it reaches a worker with launches in flight.
//!
//! The histories come from `system-tests`; re-record them after an intended change
//! with `RECORD_HISTORIES=1 cargo test -p system-tests --test it campaign::`.

use std::path::Path;
use std::time::Duration;

use marketing_worker::workflows::{CampaignLaunch, LaunchSettings};
use temporalio_client::WorkflowHistory;
use temporalio_sdk::workflow_replayer::{WorkflowReplayer, WorkflowReplayerOptions};

fn replayer() -> WorkflowReplayer {
    let settings = LaunchSettings {
        gtm_endpoint: "gtm-coordinator".to_owned(),
        coordinator_timeout: Duration::from_secs(600),
    };
    let options = WorkflowReplayerOptions::new()
        .register_workflow_with_factory(move || CampaignLaunch::new(settings.clone()))
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

/// Five accounts, three at a time, all completed.
#[tokio::test]
async fn a_full_launch_replays() {
    replay("launch_q1").await;
}

/// One account failed (unknown to GTM), two completed.
#[tokio::test]
async fn a_launch_with_a_failed_account_replays() {
    replay("launch_bad_account").await;
}

/// Canceled with two coordinators in flight and three accounts not started.
#[tokio::test]
async fn a_canceled_launch_replays() {
    replay("launch_canceled").await;
}
