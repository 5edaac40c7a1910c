//! Replays monitor histories recorded from real runs through the current workflow
//! code (see [`devkit::replay`]). `tests/histories/` is a growing corpus: histories
//! from past versions stay and must keep replaying, so a change to the commands a
//! monitor issues goes behind `ctx.patched(..)`. New histories come from
//! `system-tests`: `RECORD_HISTORIES=1 cargo test -p system-tests --test it health::`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use customer_success_worker::workflows::{AccountHealthMonitor, MonitorSettings};
use devkit::replay::replay_folder;
use temporalio_sdk::workflow_replayer::{WorkflowReplayer, WorkflowReplayerOptions};

fn replayer() -> WorkflowReplayer {
    let settings = MonitorSettings {
        marketing_endpoint: "marketing-abm".to_owned(),
        gtm_endpoint: "gtm-coordinator".to_owned(),
        view_timeout: Duration::from_secs(10),
        coordinator_timeout: Duration::from_secs(600),
    };
    let options = WorkflowReplayerOptions::new()
        .register_workflow_with_factory(move || AccountHealthMonitor::new(settings.clone()))
        .unwrap()
        .build();
    WorkflowReplayer::new(options).unwrap()
}

fn histories() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/histories")
}

/// Every history in the corpus: monitors that cycled, escalated once, ran with
/// Marketing down, answered `checkNow`, and continued as new.
#[tokio::test]
async fn every_recorded_history_replays() {
    replay_folder(&histories(), 3, replayer).await.unwrap();
}
