//! Replays histories recorded from real runs through the current workflow code (see
//! [`devkit::replay`]). `tests/histories/` is a growing corpus: every history from
//! any past version of the workflow stays, and every one must keep replaying. A change
//! to the commands a run issues therefore goes behind `ctx.patched(..)`, and
//! `cargo xtask record-histories` adds histories of the new code beside the old ones
//! (it never overwrites a file).

use std::path::{Path, PathBuf};
use std::time::Duration;

use devkit::replay::{replay_file, replay_folder};
use gtm_worker::workflows::{CoordinatorSettings, DrewCoordinator};
use temporalio_sdk::workflow_replayer::{WorkflowReplayer, WorkflowReplayerOptions};

fn replayer() -> WorkflowReplayer {
    let settings =
        CoordinatorSettings::new("marketing-abm", Duration::from_secs(10), Default::default());
    let options = WorkflowReplayerOptions::new()
        .register_workflow_with_factory(move || DrewCoordinator::new(settings.clone()))
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
    replay_folder(&histories(), 6, replayer).await.unwrap();
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
