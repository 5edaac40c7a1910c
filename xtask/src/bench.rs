//! `cargo xtask bench`: how fast and how lean the system is, measured end to end.
//!
//! Builds the release binaries, starts a private dev server (free port, in memory),
//! seeds temporary SQLite databases, runs the real `marketing-worker` and `gtm-worker`
//! processes, and then:
//!
//! - runs one warm-up coordinator, then `N` coordinators at once (default 50, across the
//!   seeded accounts), and reports throughput and the end-to-end latency of a run
//!   (workflow start to close) and of step 8's Nexus call (scheduled to completed);
//! - reads each worker's resident memory (`VmRSS`) and peak (`VmHWM`) from `/proc`.
//!
//! The report is printed and written to `target/bench/report.md`. Numbers depend on the
//! machine; compare runs on the same one.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use devkit::dev_server::{DevServer, DevServerOptions};
use devkit::{nexus_endpoints, paths, ports, temporal_cli};
use seed_data::model::SeedSet;
use shared_contracts::names::{ENDPOINTS, namespaces, task_queues, workflow_types};
use temporalio_client::{
    Client, ClientOptions, UntypedWorkflow, WorkflowFetchHistoryOptions, WorkflowGetResultOptions,
    WorkflowStartOptions,
};
use temporalio_common::data_converters::RawValue;
use temporalio_common::protos::coresdk::AsJsonPayloadExt;
use temporalio_common::protos::temporal::api::enums::v1::EventType;
use tokio::process::{Child, Command};

/// Runs the benchmark with `args` (`--runs N`).
pub fn run(args: &[String]) -> anyhow::Result<()> {
    let runs = match args {
        [] => 50,
        [flag, n] if flag == "--runs" => n.parse().context("--runs takes a number")?,
        _ => bail!("usage: cargo xtask bench [--runs N]"),
    };
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(bench(runs))
}

async fn bench(runs: usize) -> anyhow::Result<()> {
    let cli = temporal_cli::ensure_installed()?;
    println!("==> building release binaries");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--bin",
            "gtm-worker",
            "--bin",
            "marketing-worker",
        ])
        .current_dir(paths::workspace_root())
        .status()
        .await?;
    if !status.success() {
        bail!("cargo build --release failed ({status})");
    }

    let scratch = tempfile::Builder::new()
        .prefix("steadybase-bench-")
        .tempdir()?;
    let server = DevServer::start(
        &cli,
        DevServerOptions::contract_defaults(
            ports::free_port()?,
            scratch.path().join("temporal.log"),
        ),
    )
    .await?;
    let connection = server.connect("xtask-bench").await?;
    nexus_endpoints::ensure(&connection, &ENDPOINTS).await?;

    let gtm_url = format!("sqlite:{}/gtm.db", scratch.path().display());
    let marketing_url = format!("sqlite:{}/marketing.db", scratch.path().display());
    let seed = SeedSet::shipped()?;
    let pool = seed_data::db::connect(&gtm_url).await?;
    seed_data::load::load_gtm(&pool, &seed, chrono::Utc::now()).await?;
    pool.close().await;
    let pool = seed_data::db::connect(&marketing_url).await?;
    seed_data::load::load_marketing(&pool, &seed).await?;
    pool.close().await;

    let env = [
        ("TEMPORAL_ADDRESS", server.address()),
        ("GTM_DATABASE_URL", gtm_url.clone()),
        ("MARKETING_DATABASE_URL", marketing_url.clone()),
        ("RUST_LOG", "warn".to_owned()),
    ];
    let mut marketing = spawn_worker("marketing-worker", &env)?;
    let mut gtm = spawn_worker("gtm-worker", &env)?;

    let client = Client::new(connection, ClientOptions::new(namespaces::GTM).build())?;
    println!("==> warm-up run");
    run_coordinator(&client, "acme-corp", "warmup").await?;

    println!("==> {runs} coordinators at once");
    let accounts: Vec<String> = seed.accounts.iter().map(|a| a.id.to_string()).collect();
    let started = Instant::now();
    let results = futures::future::join_all((0..runs).map(|i| {
        let account = accounts[i % accounts.len()].clone();
        let client = client.clone();
        async move { run_coordinator(&client, &account, &format!("bench-{i}")).await }
    }))
    .await;
    let wall = started.elapsed();
    let mut run_ms = Vec::new();
    let mut nexus_ms = Vec::new();
    for result in results {
        let timing = result?;
        run_ms.push(timing.run_ms);
        nexus_ms.extend(timing.nexus_ms);
    }

    let memory = [
        ("marketing-worker", memory_kib(&marketing)),
        ("gtm-worker", memory_kib(&gtm)),
    ];
    let _ = gtm.kill().await;
    let _ = marketing.kill().await;
    server.stop().await?;

    let report = report(runs, wall, &mut run_ms, &mut nexus_ms, &memory);
    println!("\n{report}");
    let dir = paths::workspace_root().join("target/bench");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("report.md"), &report)?;
    println!("written to {}", dir.join("report.md").display());
    Ok(())
}

fn spawn_worker(name: &str, env: &[(&str, String)]) -> anyhow::Result<Child> {
    let binary: PathBuf = paths::workspace_root().join("target/release").join(name);
    Command::new(&binary)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))
}

/// What one run took.
struct RunTiming {
    run_ms: f64,
    nexus_ms: Option<f64>,
}

async fn run_coordinator(client: &Client, account: &str, tag: &str) -> anyhow::Result<RunTiming> {
    let input = serde_json::json!({"accountId": account, "requestedBy": "bench"});
    let workflow_id = format!("drew-{account}-{tag}-{}", devkit::probe::unique_suffix());
    let handle = client
        .start_workflow(
            UntypedWorkflow::new(workflow_types::DREW_COORDINATOR),
            RawValue::new(vec![input.as_json_payload()?]),
            WorkflowStartOptions::new(task_queues::GTM_COORDINATOR, workflow_id.clone()).build(),
        )
        .await
        .with_context(|| format!("starting {workflow_id}"))?;
    tokio::time::timeout(
        Duration::from_secs(300),
        handle.get_result(WorkflowGetResultOptions::default()),
    )
    .await
    .with_context(|| format!("{workflow_id} did not finish in 5 minutes"))?
    .with_context(|| format!("{workflow_id} failed"))?;
    let events = handle
        .fetch_history(WorkflowFetchHistoryOptions::default())
        .into_events()
        .await?;
    let at = |kind: EventType| {
        events
            .iter()
            .find(|e| e.event_type() == kind)
            .and_then(|e| e.event_time)
            .map(|t| t.seconds as f64 * 1000.0 + f64::from(t.nanos) / 1e6)
    };
    let run_ms = match (
        at(EventType::WorkflowExecutionStarted),
        at(EventType::WorkflowExecutionCompleted),
    ) {
        (Some(start), Some(end)) => end - start,
        _ => bail!("{workflow_id}: history lacks start or close"),
    };
    let nexus_ms = match (
        at(EventType::NexusOperationScheduled),
        at(EventType::NexusOperationCompleted),
    ) {
        (Some(start), Some(end)) => Some(end - start),
        _ => None,
    };
    Ok(RunTiming { run_ms, nexus_ms })
}

/// `(VmRSS, VmHWM)` in KiB, from `/proc/<pid>/status`.
fn memory_kib(child: &Child) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()?)).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kib| kib.parse().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn report(
    runs: usize,
    wall: Duration,
    run_ms: &mut [f64],
    nexus_ms: &mut [f64],
    memory: &[(&str, Option<(u64, u64)>)],
) -> String {
    run_ms.sort_by(f64::total_cmp);
    nexus_ms.sort_by(f64::total_cmp);
    let mut out = String::from("# Steadybase benchmark\n\n");
    out.push_str(&format!(
        "{runs} DrewCoordinator runs started at once, release build, dev server in memory, SQLite.\n\n"
    ));
    out.push_str("| measure | value |\n| --- | --- |\n");
    out.push_str(&format!("| wall time | {:.2} s |\n", wall.as_secs_f64()));
    out.push_str(&format!(
        "| throughput | {:.1} runs/s |\n",
        runs as f64 / wall.as_secs_f64()
    ));
    for (label, values) in [
        ("run (start → close)", &*run_ms),
        ("step 8 Nexus call (scheduled → completed)", &*nexus_ms),
    ] {
        out.push_str(&format!(
            "| {label} p50 / p95 / max | {:.0} / {:.0} / {:.0} ms |\n",
            percentile(values, 50.0),
            percentile(values, 95.0),
            values.last().copied().unwrap_or(f64::NAN)
        ));
    }
    for (name, kib) in memory {
        match kib {
            Some((rss, peak)) => out.push_str(&format!(
                "| {name} memory (RSS / peak) | {:.1} / {:.1} MiB |\n",
                *rss as f64 / 1024.0,
                *peak as f64 / 1024.0
            )),
            None => out.push_str(&format!("| {name} memory | not readable |\n")),
        }
    }
    out
}
