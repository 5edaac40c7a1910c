//! `cargo xtask test`: everything CI checks, in the order a developer wants to see it
//! fail: formatting, lints, then every test with real dependencies.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use devkit::{browser, docker, paths, ports, postgres, python_sdk, temporal_cli};

/// The compose tests' module: run on their own, one at a time, after the rest.
const COMPOSE_TESTS: &str = "compose::";
/// Prefix of the Compose projects the compose tests create.
const COMPOSE_PROJECTS: &str = "steadybase-compose-";

/// Installs test dependencies, then runs fmt, clippy and `cargo test`; `extra` goes
/// to `cargo test` (e.g. `-- load` to filter).
///
/// With a Docker engine, the compose tests are required: the images are made first
/// (`cargo xtask docker-images`), and the tests run after the rest of the suite, one
/// at a time, since each brings up a whole stack. Without one they skip themselves.
/// Each phase's time is printed as it ends, and all of them at the end, pass or fail.
pub fn run(extra: &[String]) -> anyhow::Result<()> {
    let mut phases = Phases::default();
    let result = run_phases(&mut phases, extra);
    phases.report();
    result
}

fn run_phases(phases: &mut Phases, extra: &[String]) -> anyhow::Result<()> {
    let mut step = |what: &str| phases.begin(what);
    step("installing the Temporal CLI");
    let cli = temporal_cli::ensure_installed()?;
    step("installing Temporal's Python SDK (the interop test's caller)");
    python_sdk::ensure_installed()?;
    step("installing PostgreSQL");
    let pg_bin = postgres::ensure_installed()?;
    step("installing Chromium and chromedriver");
    browser::ensure_installed()?;
    let with_docker = docker::engine_answers();
    if with_docker {
        step("container images (cargo xtask docker-images)");
        crate::docker_images::run(&[])?;
    } else {
        step("no Docker engine answers `docker info`: the compose tests will be skipped");
    }

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
    let cli_path = cli.display().to_string();
    let url = cluster.url();
    let mut env = vec![
        ("TEMPORAL_CLI", cli_path.as_str()),
        (postgres::TEST_URL_VAR, url.as_str()),
        (postgres::REQUIRE_VAR, "1"),
        (browser::REQUIRE_VAR, "1"),
    ];
    if with_docker {
        env.push((docker::REQUIRE_VAR, "1"));
    }
    let separate_compose_phase = with_docker && extra.is_empty();
    let mut args = vec!["test", "--workspace", "--locked"];
    args.extend(extra.iter().map(String::as_str));
    if separate_compose_phase {
        args.extend(["--", "--skip", COMPOSE_TESTS]);
    }
    let mut result = cargo(&args, &env);
    if result.is_ok() && separate_compose_phase {
        step("compose tests, one stack at a time");
        // The whole workspace again, so features unify as in the first phase and
        // nothing is compiled twice; the filter leaves only the compose tests.
        result = cargo(
            &[
                "test",
                "--workspace",
                "--tests",
                "--locked",
                "--",
                COMPOSE_TESTS,
                "--test-threads=1",
            ],
            &env,
        );
    }
    if with_docker {
        // A test killed before its clean-up ran leaves its project behind.
        if let Err(err) = docker::remove_projects(COMPOSE_PROJECTS) {
            eprintln!("warning: removing leftover compose projects: {err:#}");
        }
    }
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

/// The phases of `cargo xtask test`, timed.
#[derive(Default)]
struct Phases {
    current: Option<(String, Instant)>,
    done: Vec<(String, Duration)>,
}

impl Phases {
    /// Ends the phase under way, if any, and starts `what`.
    fn begin(&mut self, what: &str) {
        self.end();
        step(what);
        self.current = Some((what.to_owned(), Instant::now()));
    }

    fn end(&mut self) {
        if let Some((what, started)) = self.current.take() {
            let took = started.elapsed();
            println!("    ({what}: {:.0} s)", took.as_secs_f64());
            self.done.push((what, took));
        }
    }

    /// Ends the last phase and prints every phase's time.
    fn report(&mut self) {
        self.end();
        let total: Duration = self.done.iter().map(|(_, took)| *took).sum();
        println!("==> time per phase ({:.0} s in all)", total.as_secs_f64());
        for (what, took) in &self.done {
            println!("    {:>6.0} s  {what}", took.as_secs_f64());
        }
    }
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
