//! `cargo xtask install`: the tools the stack and the tests need.

use devkit::{postgres, python_sdk, temporal_cli};

/// Installs the Temporal CLI, Temporal's Python SDK (the interop test's caller),
/// PostgreSQL's server binaries, Chromium and chromedriver.
pub fn run() -> anyhow::Result<()> {
    let cli = temporal_cli::ensure_installed()?;
    println!("Temporal CLI {}: {}", temporal_cli::VERSION, cli.display());
    let sdk = python_sdk::ensure_installed()?;
    println!(
        "Temporal Python SDK {}: {}",
        python_sdk::VERSION,
        sdk.display()
    );
    let bin = postgres::ensure_installed()?;
    println!("PostgreSQL: {}", bin.display());
    devkit::browser::ensure_installed()?;
    println!("Chromium: {}", devkit::browser::CHROMIUM);
    Ok(())
}
