//! `cargo xtask install`: the tools the stack and the tests need.

use devkit::{postgres, temporal_cli};

/// Installs the Temporal CLI and PostgreSQL's server binaries.
pub fn run() -> anyhow::Result<()> {
    let cli = temporal_cli::ensure_installed()?;
    println!("Temporal CLI {}: {}", temporal_cli::VERSION, cli.display());
    let bin = postgres::ensure_installed()?;
    println!("PostgreSQL: {}", bin.display());
    Ok(())
}
