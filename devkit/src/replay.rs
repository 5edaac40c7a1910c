//! Replay tests over a corpus of recorded histories.
//!
//! A workflow's `tests/histories/` folder is a growing corpus: every history recorded
//! from any past version of the workflow stays, and every one must keep replaying
//! through the current code. A change to the commands a workflow issues therefore goes
//! behind `ctx.patched(..)`; a change that would make a running workflow behave
//! differently fails here, before it reaches a worker with runs in flight.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use temporalio_client::WorkflowHistory;
use temporalio_sdk::workflow_replayer::WorkflowReplayer;

/// Replays the history in `path` (Temporal's JSON export) through `replayer`.
pub async fn replay_file(replayer: &WorkflowReplayer, path: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let history = WorkflowHistory::from_json(&bytes)
        .map_err(|err| anyhow::anyhow!("{} is not a history: {err:?}", path.display()))?;
    replayer.replay_workflow(history).await.map_err(|err| {
        anyhow::anyhow!(
            "{} does not replay: {err:?}\n\
                 A run recorded by an earlier version of the workflow issues different \
                 commands in the new code. Put the change behind \
                 `if ctx.patched(\"<change-id>\") {{ new }} else {{ old }}`, keeping the old \
                 code in the else branch (README, \"Change the workflow\"); never \
                 re-record the history to make this pass.",
            path.display()
        )
    })
}

/// Replays every `*.json` history in `folder`, each through a fresh replayer from
/// `replayer`; returns the files replayed. Fails on the first that does not replay,
/// and when the folder holds fewer than `at_least` (a corpus that went missing).
pub async fn replay_folder(
    folder: &Path,
    at_least: usize,
    replayer: impl Fn() -> WorkflowReplayer,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(folder)
        .with_context(|| format!("listing {}", folder.display()))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("listing {}", folder.display()))?;
    paths.retain(|path| path.extension().is_some_and(|ext| ext == "json"));
    paths.sort();
    if paths.len() < at_least {
        bail!(
            "{} holds {} histories, fewer than the {at_least} expected",
            folder.display(),
            paths.len()
        );
    }
    for path in &paths {
        replay_file(&replayer(), path).await?;
    }
    Ok(paths)
}
