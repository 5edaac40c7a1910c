//! Replays histories recorded from real runs through the current workflow code. A
//! change that would make a running coordinator behave differently on replay (a step
//! added, reordered or removed without versioning) fails here, before it reaches a
//! worker with runs in flight.
//!
//! `tests/histories/` is a growing corpus: every history recorded from any past
//! version of the workflow stays, and every one must keep replaying. A change to the
//! commands a run issues therefore goes behind `ctx.patched(..)`, and
//! `cargo xtask record-histories` adds histories of the new code beside the old ones
//! (it never overwrites a file).

use std::path::{Path, PathBuf};
use std::time::Duration;

use gtm_worker::workflows::{CoordinatorSettings, DrewCoordinator};
use temporalio_client::WorkflowHistory;
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
    replay_file(&histories().join(format!("{name}.json"))).await;
}

async fn replay_file(path: &Path) {
    let bytes =
        std::fs::read(path).unwrap_or_else(|err| panic!("reading {}: {err}", path.display()));
    let history = WorkflowHistory::from_json(&bytes).unwrap();
    replayer()
        .replay_workflow(history)
        .await
        .unwrap_or_else(|err| panic!("{} does not replay: {err:?}", path.display()));
}

/// Every history in the corpus, old and new.
#[tokio::test]
async fn every_recorded_history_replays() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(histories())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 3, "the corpus is missing: {paths:?}");
    for path in &paths {
        replay_file(path).await;
    }
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
