//! Replays campaign-launch histories recorded from real runs through the current
//! workflow code (see [`devkit::replay`]). `tests/histories/` is a growing corpus:
//! histories from past versions stay and must keep replaying, so a change to the
//! commands a launch issues goes behind `ctx.patched(..)`. New histories come from
//! `system-tests`: `RECORD_HISTORIES=1 cargo test -p system-tests --test it campaign::`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use devkit::replay::{replay_file, replay_folder};
use marketing_worker::workflows::{CampaignLaunch, LaunchSettings};
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

fn histories() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/histories")
}

async fn replay(name: &str) {
    replay_file(&replayer(), &histories().join(format!("{name}.json")))
        .await
        .unwrap();
}

/// Every history in the corpus, old and new.
#[tokio::test]
async fn every_recorded_history_replays() {
    replay_folder(&histories(), 3, replayer).await.unwrap();
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
