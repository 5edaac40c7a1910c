//! Child processes the way the stack runs them: output appended to a log file, and a
//! graceful stop (SIGTERM, then SIGKILL) so services can finish in-flight work.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use tokio::process::Child;

/// `(stdout, stderr)` for a child: both appended to the file at `path`.
pub fn log_to(path: &Path) -> anyhow::Result<(Stdio, Stdio)> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    Ok((log.try_clone()?.into(), log.into()))
}

/// Asks `child` to stop with SIGTERM and waits up to `grace`; then kills it. Returns
/// whether it stopped by itself.
pub async fn terminate(child: &mut Child, grace: Duration) -> bool {
    if let Ok(Some(_)) = child.try_wait() {
        return true;
    }
    if let Some(pid) = child.id() {
        let _ = tokio::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await;
    }
    if tokio::time::timeout(grace, child.wait()).await.is_ok() {
        return true;
    }
    let _ = child.kill().await;
    false
}
