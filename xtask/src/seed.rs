//! `cargo xtask seed`: migrates every team's database and loads the shipped seed set
//! into it, each with its own worker's `seed` command (`gtm-worker seed`, ...), for
//! every team of the team table (`shared_contracts::teams`), as the compose file's
//! one-shot jobs do.
//!
//! Each team's `<PREFIX>_DATABASE_URL` chooses its database (the table's default
//! otherwise: SQLite files under `.data/`). Relative SQLite paths are taken from the
//! workspace root, as the services `cargo xtask up` starts take them. Running it again
//! inserts nothing.

use anyhow::{Context, bail};
use devkit::paths;
use shared_contracts::teams::TEAMS;
use tokio::process::Command;

/// Builds the workers, then seeds the databases the environment names.
pub fn run() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(async {
            crate::up::cargo_build().await?;
            seed_every_team().await
        })
}

/// Runs `<worker> seed` for every team, from the workspace root; the workers must be
/// built. `cargo xtask seed`, and `cargo xtask up` before it starts the services.
pub async fn seed_every_team() -> anyhow::Result<()> {
    for team in TEAMS {
        println!("    {}", team.title);
        let status = Command::new(crate::up::binary(team.worker))
            .arg("seed")
            .current_dir(paths::workspace_root())
            .status()
            .await
            .with_context(|| format!("running {} seed", team.worker))?;
        if !status.success() {
            bail!("`{} seed` failed ({status})", team.worker);
        }
    }
    Ok(())
}
