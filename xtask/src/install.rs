//! `cargo xtask install`: the tools the stack and the tests need.

use devkit::{postgres, temporal_cli};

/// Installs the Temporal CLI, PostgreSQL's server binaries, Chromium and chromedriver.
pub fn run() -> anyhow::Result<()> {
    let cli = temporal_cli::ensure_installed()?;
    println!("Temporal CLI {}: {}", temporal_cli::VERSION, cli.display());
    let bin = postgres::ensure_installed()?;
    println!("PostgreSQL: {}", bin.display());
    devkit::browser::ensure_installed()?;
    println!("Chromium: {}", devkit::browser::CHROMIUM);
    Ok(())
}
