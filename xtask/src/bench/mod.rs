//! `cargo xtask bench`: how fast and how lean the system is, measured end to end, and
//! what the Nexus hop costs against a plain activity.
//!
//! Builds the release binaries, starts a private dev server (free port, in memory) and
//! seeds temporary SQLite databases. Then, for each mode, it starts two worker
//! processes:
//!
//! - **nexus**: the real `gtm-worker` and `marketing-worker`; step 8 goes through the
//!   `marketing-abm` Nexus endpoint, as shipped;
//! - **baseline**: the bench's own two processes ([`baseline`]): the same coordinator
//!   and GTM activities, on task queue `gtm-coordinator-baseline`, with step 8 asking
//!   the same question through a plain activity in namespace `gtm`, answered by
//!   Marketing's store on the same database: one namespace, no Nexus;
//!
//! runs one warm-up coordinator, then `runs` coordinators with at most `concurrency`
//! in flight, and measures (see [`measure`]):
//!
//! - throughput, and each run's start-to-close time from its history (p50/p95/p99);
//! - what a run costs the server: its history events and workflow tasks (means), and
//!   the dev server's CPU per run below;
//! - step 8's time, scheduled to completed (Nexus operation or activity);
//! - each process's CPU seconds per run (`/proc/<pid>/stat`) and peak memory
//!   (`VmHWM`), the dev server's included;
//! - that every run completed and stored exactly one brief (nothing lost or
//!   duplicated), or the bench fails.
//!
//! Then, unless `--no-pages`, the run page under load ([`pages`]): the release `web`
//! binary serves `/runs/<id>` at 50 requests a second, for a completed run and for a
//! running one waiting at step 8 for a Marketing that is not there. Both are read from
//! their histories, with no worker running.
//!
//! The report ([`report`]) goes to `bench/results/<scenario>.md` and `.json`. With
//! `--before <report.json>` (a report of an earlier commit, on the same machine), it
//! also sets this run's figures beside those. Numbers depend on the machine; compare
//! runs on the same one.

mod baseline;
mod measure;
mod pages;
mod report;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use devkit::dev_server::{DevServer, DevServerOptions};
use devkit::{nexus_endpoints, paths, ports, temporal_cli};
use futures::{StreamExt, TryStreamExt};
use seed_data::model::SeedSet;
use shared_contracts::names::{namespaces, search_attributes, task_queues, workflow_types};
use temporalio_client::{
    Client, ClientOptions, UntypedWorkflow, WorkflowGetResultOptions, WorkflowHandle,
    WorkflowStartOptions, WorkflowTerminateOptions,
};
use temporalio_common::data_converters::RawValue;
use temporalio_common::protos::coresdk::AsJsonPayloadExt;
use temporalio_common::search_attributes::{SearchAttributeKey, SearchAttributes};
use tokio::process::{Child, Command};

use self::measure::{ProcessUsage, RunTiming};
use self::report::{ModeReport, Report};

pub use self::baseline::serve as serve_baseline;

/// How long one run may take before the bench gives up on it.
const RUN_LIMIT: Duration = Duration::from_secs(600);

/// What to run.
#[derive(Debug, Clone)]
struct Settings {
    /// Report name: `default`, `load`, or what `--name` says.
    scenario: String,
    /// Coordinators per mode.
    runs: usize,
    /// At most this many in flight at once.
    concurrency: usize,
    /// Also run the baseline mode.
    baseline: bool,
    /// Also load the run page.
    pages: bool,
    /// An earlier report to compare with.
    before: Option<PathBuf>,
}

impl Settings {
    fn parse(args: &[String]) -> anyhow::Result<Self> {
        let mut settings = Self {
            scenario: "default".to_owned(),
            runs: 200,
            concurrency: 50,
            baseline: true,
            pages: true,
            before: None,
        };
        let mut args = args.iter();
        while let Some(flag) = args.next() {
            let mut value = || {
                args.next()
                    .with_context(|| format!("{flag} takes a value\n\n{USAGE}"))
            };
            match flag.as_str() {
                "--scenario" => match value()?.as_str() {
                    "default" => {}
                    "load" => {
                        settings.scenario = "load".to_owned();
                        settings.runs = 500;
                        settings.concurrency = 500;
                    }
                    "c20" => {
                        settings.scenario = "c20".to_owned();
                        settings.runs = 400;
                        settings.concurrency = 20;
                    }
                    "pages" => {
                        settings.scenario = "pages".to_owned();
                        settings.runs = 20;
                        settings.concurrency = 5;
                        settings.baseline = false;
                    }
                    other => {
                        bail!("unknown scenario {other:?} (default, load, c20, pages)\n\n{USAGE}")
                    }
                },
                "--runs" => settings.runs = number(flag, value()?)?,
                "--concurrency" => settings.concurrency = number(flag, value()?)?,
                "--name" => settings.scenario = value()?.clone(),
                "--no-baseline" => settings.baseline = false,
                "--no-pages" => settings.pages = false,
                "--before" => settings.before = Some(PathBuf::from(value()?)),
                other => bail!("unknown option {other:?}\n\n{USAGE}"),
            }
        }
        ensure!(
            !settings.scenario.is_empty()
                && settings
                    .scenario
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "--name takes letters, digits and dashes"
        );
        Ok(settings)
    }
}

fn number(flag: &str, value: &str) -> anyhow::Result<usize> {
    match value.parse() {
        Ok(n) if n > 0 => Ok(n),
        _ => bail!("{flag} takes a positive number, not {value:?}"),
    }
}

/// The options, for errors.
const USAGE: &str = "cargo xtask bench [--scenario default|load|c20|pages] [--runs N]
                  [--concurrency C] [--name NAME] [--no-baseline] [--no-pages]
                  [--before REPORT.json]
  default: 200 runs, 50 in flight, nexus and baseline modes, then the run page
  load:    500 runs, all 500 in flight at once
  c20:     400 runs, 20 in flight
  pages:   20 runs, then the run page only (no baseline)
  --before: set the figures beside an earlier report's (same machine)";

/// Runs the benchmark with `args`.
pub fn run(args: &[String]) -> anyhow::Result<()> {
    let settings = Settings::parse(args)?;
    let command = std::iter::once("cargo xtask bench".to_owned())
        .chain(args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(bench(settings, command))
}

async fn bench(settings: Settings, command: String) -> anyhow::Result<()> {
    let cli = temporal_cli::ensure_installed()?;
    println!("==> building release binaries");
    build_release().await?;

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
    nexus_endpoints::ensure(&connection, &shared_contracts::teams::endpoint_specs()).await?;
    let seed = SeedSet::shipped()?;
    let databases = Databases::seeded(scratch.path(), &seed).await?;
    let accounts: Vec<String> = seed.accounts.iter().map(|a| a.id.to_string()).collect();

    let server_pid = server.pid().context("the dev server has no pid")?;
    let common_env = vec![
        ("TEMPORAL_ADDRESS".to_owned(), server.address()),
        ("GTM_DATABASE_URL".to_owned(), databases.gtm.clone()),
        (
            "CS_DATABASE_URL".to_owned(),
            databases.customer_success.clone(),
        ),
        (
            "MARKETING_DATABASE_URL".to_owned(),
            databases.marketing.clone(),
        ),
        ("GTM_METRICS_BIND".to_owned(), "127.0.0.1:0".to_owned()),
        (
            "MARKETING_METRICS_BIND".to_owned(),
            "127.0.0.1:0".to_owned(),
        ),
        ("RUST_LOG".to_owned(), "warn".to_owned()),
    ];
    let client = Client::new(connection, ClientOptions::new(namespaces::GTM).build())?;
    let mut modes = vec![Mode::Nexus];
    if settings.baseline {
        modes.push(Mode::Baseline);
    }
    let mut reports = Vec::new();
    let mut completed_run = None;
    for mode in modes {
        let [marketing, gtm] = mode.workers().map(|(side, binary, args)| {
            let log = scratch.path().join(format!("{}-{side}.log", mode.name()));
            spawn_release(binary, args, &common_env, &log)
        });
        let (marketing, gtm) = (marketing?, gtm?);
        let processes = [
            ("gtm-worker", gtm.id()),
            ("marketing-worker", marketing.id()),
            ("dev server", Some(server_pid)),
        ];
        let result = run_mode(&client, &settings, mode, &accounts, &processes, &databases).await;
        stop(gtm).await;
        stop(marketing).await;
        let (report, warmup) = result.with_context(|| format!("the {} mode", mode.name()))?;
        if mode == Mode::Nexus {
            completed_run = Some(warmup);
        }
        reports.push(report);
    }
    let pages = match (settings.pages, completed_run) {
        (true, Some(completed)) => run_pages(&client, &common_env, scratch.path(), &completed)
            .await
            .context("the run page phase")?,
        _ => Vec::new(),
    };
    server.stop().await?;

    let before = settings
        .before
        .as_deref()
        .map(report::Before::read)
        .transpose()?;
    let report = Report::new(&settings, command, reports, pages, before);
    let dir = paths::workspace_root().join("bench/results");
    let written = report.write(&dir, &settings.scenario)?;
    println!("\n{}", report.markdown());
    for path in written {
        println!("written to {}", path.display());
    }
    Ok(())
}

/// How step 8 reaches Marketing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Through the Nexus endpoint, as shipped.
    Nexus,
    /// Through a plain activity in namespace `gtm`.
    Baseline,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Self::Nexus => "nexus",
            Self::Baseline => "baseline",
        }
    }

    fn task_queue(self) -> &'static str {
        match self {
            Self::Nexus => task_queues::GTM_COORDINATOR,
            Self::Baseline => baseline::COORDINATOR_QUEUE,
        }
    }

    /// The mode's Marketing-side and GTM-side processes: side, release binary and
    /// arguments.
    fn workers(self) -> [(&'static str, &'static str, &'static [&'static str]); 2] {
        match self {
            Self::Nexus => [
                ("marketing", "marketing-worker", &[]),
                ("gtm", "gtm-worker", &[]),
            ],
            Self::Baseline => [
                ("marketing", "xtask", &["bench-worker", "abm-activity"]),
                ("gtm", "xtask", &["bench-worker", "coordinator"]),
            ],
        }
    }
}

async fn run_mode(
    client: &Client,
    settings: &Settings,
    mode: Mode,
    accounts: &[String],
    processes: &[(&'static str, Option<u32>)],
    databases: &Databases,
) -> anyhow::Result<(ModeReport, String)> {
    println!("==> {}: warm-up run", mode.name());
    let warmup = start_coordinator(client, mode, "acme-corp", "warmup").await?;
    wait_for(&warmup).await?;

    println!(
        "==> {}: {} coordinators, at most {} in flight",
        mode.name(),
        settings.runs,
        settings.concurrency
    );
    let before: Vec<ProcessUsage> = processes
        .iter()
        .map(|(name, pid)| ProcessUsage::read(name, *pid))
        .collect();
    let started = Instant::now();
    let handles: Vec<WorkflowHandle<Client, UntypedWorkflow>> =
        futures::stream::iter(0..settings.runs)
            .map(|i| async move {
                let account = &accounts[i % accounts.len()];
                let handle = start_coordinator(client, mode, account, &format!("{i}")).await?;
                wait_for(&handle).await?;
                anyhow::Ok(handle)
            })
            .buffer_unordered(settings.concurrency)
            .try_collect()
            .await?;
    let wall = started.elapsed();
    let usage: Vec<ProcessUsage> = processes
        .iter()
        .zip(&before)
        .map(|((name, pid), before)| ProcessUsage::read(name, *pid).since(before))
        .collect();

    println!("==> {}: reading {} histories", mode.name(), handles.len());
    let timings: Vec<RunTiming> = futures::stream::iter(&handles)
        .map(RunTiming::of)
        .buffer_unordered(16)
        .try_collect()
        .await?;
    let ids: Vec<String> = handles
        .iter()
        .map(|handle| handle.info().workflow_id.clone())
        .collect();
    databases.check_one_brief_each(&ids).await?;
    let report = ModeReport::new(mode.name(), settings.runs, wall, &timings, usage);
    Ok((report, warmup.info().workflow_id.clone()))
}

/// The run page at 50 requests a second for 20 s each, for `completed` (a finished
/// run) and for a run held at step 8: a gtm-worker with a ten-minute step-8 deadline
/// and no marketing-worker brings it there, and is stopped before the load, so the
/// page is measured as it is served: from the history, with no worker. The web process
/// is stopped afterwards.
async fn run_pages(
    client: &Client,
    env: &[(String, String)],
    scratch: &Path,
    completed: &str,
) -> anyhow::Result<Vec<pages::PageLatency>> {
    let address: SocketAddr = format!("127.0.0.1:{}", ports::free_port()?).parse()?;
    let mut web_env = env.to_vec();
    web_env.extend([
        ("WEB_BIND".to_owned(), address.to_string()),
        ("WEB_METRICS_BIND".to_owned(), "off".to_owned()),
    ]);
    let web = spawn_release("web", &[], &web_env, &scratch.join("pages-web.log"))?;
    let mut gtm_env = env.to_vec();
    gtm_env.push(("GTM_ABM_TIMEOUT_SECS".to_owned(), "600".to_owned()));
    let mut gtm = Some(spawn_release(
        "gtm-worker",
        &[],
        &gtm_env,
        &scratch.join("pages-gtm.log"),
    )?);
    let result = async {
        let held = start_coordinator(client, Mode::Nexus, "acme-corp", "page-running").await?;
        let running = format!("/runs/{}", held.info().workflow_id);
        let at_step_8 = "data-step=\"marketing_abm_check\" data-status=\"running\"";
        let deadline = Instant::now() + Duration::from_secs(60);
        while !pages::get(address, &running)
            .await
            .is_ok_and(|body| body.contains(at_step_8))
        {
            ensure!(
                Instant::now() < deadline,
                "the held run's page did not show step 8 running within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // The run now waits for Marketing; nothing on the page's path needs the worker.
        if let Some(gtm) = gtm.take() {
            stop(gtm).await;
        }
        let load = pages::Load {
            rate: 50,
            warm_up: Duration::from_secs(2),
            duration: Duration::from_secs(20),
        };
        let web_pid = web.id();
        println!("==> run page, completed run: 50 requests/s for 20 s");
        let done = pages::measure(
            "completed",
            address,
            &format!("/runs/{completed}"),
            "id=\"brief\"",
            load,
            web_pid,
        )
        .await?;
        println!("==> run page, running run: 50 requests/s for 20 s");
        let live = pages::measure("running", address, &running, at_step_8, load, web_pid).await?;
        held.terminate(
            WorkflowTerminateOptions::builder()
                .reason("bench done")
                .build(),
        )
        .await?;
        anyhow::Ok(vec![done, live])
    }
    .await;
    if let Some(gtm) = gtm {
        stop(gtm).await;
    }
    stop(web).await;
    result
}

async fn start_coordinator(
    client: &Client,
    mode: Mode,
    account: &str,
    tag: &str,
) -> anyhow::Result<WorkflowHandle<Client, UntypedWorkflow>> {
    let input = serde_json::json!({"accountId": account, "requestedBy": "bench"});
    let workflow_id = format!(
        "drew-{account}-bench-{}-{tag}-{}",
        mode.name(),
        devkit::probe::unique_suffix()
    );
    client
        .start_workflow(
            UntypedWorkflow::new(workflow_types::DREW_COORDINATOR),
            RawValue::new(vec![input.as_json_payload()?]),
            // As the dashboard starts a run: `AccountId` set at start, so the run
            // writes no search attribute until it ends.
            WorkflowStartOptions::new(mode.task_queue(), workflow_id.clone())
                .search_attributes(SearchAttributes::new([
                    SearchAttributeKey::<String>::keyword(search_attributes::ACCOUNT_ID)
                        .value_set(account.to_owned()),
                ]))
                .build(),
        )
        .await
        .with_context(|| format!("starting {workflow_id}"))
}

async fn wait_for(handle: &WorkflowHandle<Client, UntypedWorkflow>) -> anyhow::Result<()> {
    let id = &handle.info().workflow_id;
    tokio::time::timeout(
        RUN_LIMIT,
        handle.get_result(WorkflowGetResultOptions::default()),
    )
    .await
    .with_context(|| format!("{id} did not finish within {RUN_LIMIT:?}"))?
    .with_context(|| format!("{id} failed"))?;
    Ok(())
}

/// The two seeded SQLite databases.
struct Databases {
    gtm: String,
    marketing: String,
    /// Read by the dashboard (the run page phase); no worker of this team runs.
    customer_success: String,
}

impl Databases {
    async fn seeded(dir: &Path, seed: &SeedSet) -> anyhow::Result<Self> {
        let databases = Self {
            gtm: format!("sqlite:{}/gtm.db", dir.display()),
            marketing: format!("sqlite:{}/marketing.db", dir.display()),
            customer_success: format!("sqlite:{}/customer-success.db", dir.display()),
        };
        let now = chrono::Utc::now();
        gtm_worker::seed::load_url(&databases.gtm, seed, now).await?;
        marketing_worker::seed::load_url(&databases.marketing, seed).await?;
        customer_success_worker::seed::load_url(
            &databases.customer_success,
            seed,
            chrono::Utc::now(),
        )
        .await?;
        Ok(databases)
    }

    /// Fails unless each of `workflow_ids` stored exactly one brief.
    async fn check_one_brief_each(&self, workflow_ids: &[String]) -> anyhow::Result<()> {
        let pool = service_kit::db::connect(&self.gtm).await?;
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT workflow_id, COUNT(*) FROM coordinator_briefs GROUP BY workflow_id",
        )
        .fetch_all(&pool)
        .await
        .context("counting briefs")?;
        pool.close().await;
        let stored: BTreeMap<String, i64> = rows.into_iter().collect();
        let missing = workflow_ids
            .iter()
            .filter(|id| !stored.contains_key(*id))
            .count();
        let duplicated = workflow_ids
            .iter()
            .filter(|id| stored.get(*id).is_some_and(|count| *count > 1))
            .count();
        ensure!(
            missing == 0 && duplicated == 0,
            "{missing} runs stored no brief and {duplicated} stored more than one"
        );
        Ok(())
    }
}

async fn build_release() -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--locked",
            "--bin",
            "gtm-worker",
            "--bin",
            "marketing-worker",
            "--bin",
            "xtask",
            "--bin",
            "web",
        ])
        .current_dir(paths::workspace_root())
        .status()
        .await?;
    ensure!(status.success(), "cargo build --release failed ({status})");
    Ok(())
}

fn spawn_release(
    name: &str,
    args: &[&str],
    env: &[(String, String)],
    log: &Path,
) -> anyhow::Result<Child> {
    let binary: PathBuf = paths::workspace_root().join("target/release").join(name);
    let (stdout, stderr) = devkit::process::log_to(log)?;
    Command::new(&binary)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))
}

/// Stops a worker gracefully (SIGTERM, then SIGKILL after 10 s).
async fn stop(mut child: Child) {
    devkit::process::terminate(&mut child, Duration::from_secs(10)).await;
}
