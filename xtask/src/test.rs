//! `cargo xtask test`: everything CI checks, in the order a developer wants to see it
//! fail: formatting, lints, then every test with real dependencies.

use std::process::Command;

use anyhow::{Context, bail};
use devkit::{browser, paths, ports, postgres, temporal_cli};

/// Installs test dependencies, then runs fmt, clippy and `cargo test`; `extra` goes
/// to `cargo test` (e.g. `-- load` to filter).
pub fn run(extra: &[String]) -> anyhow::Result<()> {
    step("installing the Temporal CLI");
    let cli = temporal_cli::ensure_installed()?;
    step("installing PostgreSQL");
    let pg_bin = postgres::ensure_installed()?;
    step("installing Chromium and chromedriver");
    browser::ensure_installed()?;

    step("cargo fmt --check");
    cargo(&["fmt", "--all", "--", "--check"], &[])?;
    step("cargo clippy (warnings denied)");
    cargo(
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;

    step("starting a private PostgreSQL for the tests");
    let scratch = tempfile::Builder::new()
        .prefix("steadybase-pg-")
        .tempdir_in(std::env::temp_dir())
        .context("creating PostgreSQL's scratch folder")?;
    let cluster = postgres::LocalCluster::start(&pg_bin, scratch.path(), ports::free_port()?)?;

    step("cargo test --workspace");
    let mut args = vec!["test", "--workspace", "--locked"];
    args.extend(extra.iter().map(String::as_str));
    let cli_path = cli.display().to_string();
    let url = cluster.url();
    let result = cargo(
        &args,
        &[
            ("TEMPORAL_CLI", cli_path.as_str()),
            (postgres::TEST_URL_VAR, url.as_str()),
            (postgres::REQUIRE_VAR, "1"),
            (browser::REQUIRE_VAR, "1"),
        ],
    );
    if let Err(err) = cluster.stop() {
        eprintln!("warning: stopping the test PostgreSQL: {err:#}");
    }
    result
}

/// Runs the coordinator's end-to-end tests with `RECORD_HISTORIES=1`, which makes
/// them write their histories to `gtm-worker/tests/histories/`; then replays them.
pub fn record_histories() -> anyhow::Result<()> {
    let cli = temporal_cli::ensure_installed()?;
    let cli_path = cli.display().to_string();
    step("running the coordinator end to end, recording histories");
    cargo(
        &[
            "test",
            "--package",
            "system-tests",
            "--test",
            "it",
            "coordinator::",
        ],
        &[
            ("TEMPORAL_CLI", cli_path.as_str()),
            ("RECORD_HISTORIES", "1"),
        ],
    )?;
    step("replaying the new histories");
    cargo(
        &[
            "test",
            "--package",
            "gtm-worker",
            "--test",
            "it",
            "replay::",
        ],
        &[],
    )
}

fn step(what: &str) {
    println!("==> {what}");
}

fn cargo(args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(&cargo)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(paths::workspace_root())
        .status()
        .with_context(|| format!("running cargo {}", args.join(" ")))?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", args.join(" "));
    }
    Ok(())
}
