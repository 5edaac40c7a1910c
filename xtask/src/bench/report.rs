//! The bench's report: one section per mode, and the Nexus overhead as ratios of the
//! two modes, written as markdown (to read) and JSON (to compare or plot).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;

use super::Settings;
use super::measure::{ProcessUsage, RunTiming, percentile};
use super::pages::PageLatency;

/// The whole report.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    scenario: String,
    command: String,
    recorded_at: String,
    commit: Option<String>,
    machine: Machine,
    runs_per_mode: usize,
    concurrency: usize,
    modes: Vec<ModeReport>,
    /// Nexus mode over baseline mode, when both ran.
    nexus_overhead: Option<Overhead>,
    /// The run page under load.
    pages: Vec<PageLatency>,
    /// The earlier report this one is set beside (`--before`).
    before: Option<Before>,
}

/// The per-run budgets the report checks the nexus mode against.
pub mod budget {
    /// History events per completed run, at most.
    pub const HISTORY_EVENTS: f64 = 25.0;
    /// Workflow tasks per completed run, at most.
    pub const WORKFLOW_TASKS: f64 = 4.0;
    /// Dev-server CPU per run, at most (ms).
    pub const DEV_SERVER_CPU_MS: f64 = 45.0;
    /// Run page p99 at 50 requests/s, at most (ms).
    pub const PAGE_P99_MS: f64 = 20.0;
    /// Throughput against the `--before` report, at least.
    pub const THROUGHPUT_GAIN: f64 = 2.0;
}

/// The nexus mode's figures from an earlier report (`--before`), as that commit's bench
/// wrote them; the figures an older bench did not record are `None`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Before {
    file: String,
    commit: Option<String>,
    runs: usize,
    concurrency: usize,
    runs_per_second: f64,
    run_p50_ms: f64,
    history_events_per_run: Option<f64>,
    workflow_tasks_per_run: Option<f64>,
    gtm_worker_cpu_ms_per_run: Option<f64>,
    dev_server_cpu_ms_per_run: Option<f64>,
}

impl Before {
    /// Reads the nexus mode of the report at `path`.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading --before report {}", path.display()))?;
        let report: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a bench report (JSON)", path.display()))?;
        let nexus = report["modes"]
            .as_array()
            .and_then(|modes| modes.iter().find(|m| m["mode"] == "nexus"))
            .with_context(|| format!("{} has no nexus mode", path.display()))?;
        let number = |value: &serde_json::Value| value.as_f64();
        let cpu = |process: &str| {
            nexus["processes"]
                .as_array()?
                .iter()
                .find(|p| p["process"] == process)
                .and_then(|p| number(&p["cpuMsPerRun"]))
        };
        Ok(Self {
            file: path.display().to_string(),
            commit: report["commit"].as_str().map(str::to_owned),
            runs: report["runsPerMode"].as_u64().unwrap_or(0) as usize,
            concurrency: report["concurrency"].as_u64().unwrap_or(0) as usize,
            runs_per_second: number(&nexus["runsPerSecond"])
                .with_context(|| format!("{} has no runsPerSecond", path.display()))?,
            run_p50_ms: number(&nexus["runMs"]["p50"]).unwrap_or(f64::NAN),
            history_events_per_run: number(&nexus["historyEventsPerRun"]),
            workflow_tasks_per_run: number(&nexus["workflowTasksPerRun"]),
            gtm_worker_cpu_ms_per_run: cpu("gtm-worker"),
            dev_server_cpu_ms_per_run: cpu("dev server"),
        })
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Machine {
    cpus: usize,
    memory_gib: Option<f64>,
}

/// One mode's figures.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModeReport {
    mode: String,
    runs: usize,
    completed: usize,
    wall_seconds: f64,
    runs_per_second: f64,
    run_ms: Percentiles,
    step8_ms: Percentiles,
    /// History events per run, mean: what a run costs the server to store and send.
    history_events_per_run: f64,
    /// Workflow tasks per run, mean: the server's round trips with the worker.
    workflow_tasks_per_run: f64,
    processes: Vec<ProcessReport>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Percentiles {
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
}

impl Percentiles {
    fn of(mut values: Vec<f64>) -> Self {
        values.sort_by(f64::total_cmp);
        Self {
            p50: percentile(&values, 50.0),
            p95: percentile(&values, 95.0),
            p99: percentile(&values, 99.0),
            max: values.last().copied().unwrap_or(f64::NAN),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ProcessReport {
    process: String,
    cpu_seconds: Option<f64>,
    cpu_ms_per_run: Option<f64>,
    peak_rss_mib: Option<f64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Overhead {
    step8_p50: f64,
    step8_p95: f64,
    run_p50: f64,
    throughput: f64,
    gtm_worker_cpu_per_run: Option<f64>,
    marketing_worker_cpu_per_run: Option<f64>,
    dev_server_cpu_per_run: Option<f64>,
}

impl ModeReport {
    /// Summarises one mode's `timings` and process `usage` over `wall`.
    pub fn new(
        mode: &str,
        runs: usize,
        wall: Duration,
        timings: &[RunTiming],
        usage: Vec<ProcessUsage>,
    ) -> Self {
        Self {
            mode: mode.to_owned(),
            runs,
            completed: timings.len(),
            wall_seconds: wall.as_secs_f64(),
            runs_per_second: runs as f64 / wall.as_secs_f64(),
            run_ms: Percentiles::of(timings.iter().map(|t| t.run_ms).collect()),
            step8_ms: Percentiles::of(timings.iter().filter_map(|t| t.step8_ms).collect()),
            history_events_per_run: mean(timings.iter().map(|t| t.events)),
            workflow_tasks_per_run: mean(timings.iter().map(|t| t.workflow_tasks)),
            processes: usage
                .into_iter()
                .map(|usage| ProcessReport {
                    process: usage.name.to_owned(),
                    cpu_seconds: usage.cpu_seconds,
                    cpu_ms_per_run: usage.cpu_seconds.map(|s| s * 1000.0 / runs as f64),
                    peak_rss_mib: usage.peak_kib.map(|kib| kib as f64 / 1024.0),
                })
                .collect(),
        }
    }

    fn cpu_per_run(&self, process: &str) -> Option<f64> {
        self.processes
            .iter()
            .find(|p| p.process == process)
            .and_then(|p| p.cpu_ms_per_run)
    }
}

impl Report {
    /// The report of a bench run with `settings`, started by `command`.
    pub fn new(
        settings: &Settings,
        command: String,
        modes: Vec<ModeReport>,
        pages: Vec<PageLatency>,
        before: Option<Before>,
    ) -> Self {
        let nexus = modes.iter().find(|m| m.mode == "nexus");
        let baseline = modes.iter().find(|m| m.mode == "baseline");
        let nexus_overhead = nexus.zip(baseline).map(|(n, b)| {
            let cpu = |process| Some(n.cpu_per_run(process)? / b.cpu_per_run(process)?);
            Overhead {
                step8_p50: n.step8_ms.p50 / b.step8_ms.p50,
                step8_p95: n.step8_ms.p95 / b.step8_ms.p95,
                run_p50: n.run_ms.p50 / b.run_ms.p50,
                throughput: n.runs_per_second / b.runs_per_second,
                gtm_worker_cpu_per_run: cpu("gtm-worker"),
                marketing_worker_cpu_per_run: cpu("marketing-worker"),
                dev_server_cpu_per_run: cpu("dev server"),
            }
        });
        Self {
            scenario: settings.scenario.clone(),
            command,
            recorded_at: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
            commit: git_commit(),
            machine: Machine {
                cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
                memory_gib: memory_gib(),
            },
            runs_per_mode: settings.runs,
            concurrency: settings.concurrency,
            modes,
            nexus_overhead,
            pages,
            before,
        }
    }

    /// Writes `<scenario>.md` and `<scenario>.json` into `dir`.
    pub fn write(&self, dir: &Path, scenario: &str) -> anyhow::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let markdown = dir.join(format!("{scenario}.md"));
        let json = dir.join(format!("{scenario}.json"));
        std::fs::write(&markdown, self.markdown())
            .with_context(|| format!("writing {}", markdown.display()))?;
        std::fs::write(&json, serde_json::to_string_pretty(self)? + "\n")
            .with_context(|| format!("writing {}", json.display()))?;
        Ok(vec![markdown, json])
    }

    /// The report as markdown.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# Benchmark: {}\n", self.scenario);
        let _ = writeln!(out, "- command: `{}`", self.command);
        let _ = writeln!(
            out,
            "- recorded: {}{}",
            self.recorded_at,
            self.commit
                .as_ref()
                .map(|c| format!(", commit `{c}`"))
                .unwrap_or_default()
        );
        let _ = writeln!(
            out,
            "- machine: {} CPUs{}; release build; dev server in memory; SQLite",
            self.machine.cpus,
            self.machine
                .memory_gib
                .map(|gib| format!(", {gib:.0} GiB"))
                .unwrap_or_default()
        );
        let _ = writeln!(
            out,
            "- load: {} DrewCoordinator runs per mode, at most {} in flight; every run \
             completed and stored exactly one brief\n",
            self.runs_per_mode, self.concurrency
        );

        let _ = writeln!(out, "| measure | {} |", self.column_heads());
        let _ = writeln!(out, "| --- |{}", " --- |".repeat(self.modes.len()));
        self.row(&mut out, "throughput (runs/s)", |m| {
            format!("{:.1}", m.runs_per_second)
        });
        self.row(&mut out, "wall time (s)", |m| {
            format!("{:.1}", m.wall_seconds)
        });
        self.row(
            &mut out,
            "run, start → close, p50 / p95 / p99 (ms)",
            |m| triple(&m.run_ms),
        );
        self.row(
            &mut out,
            "step 8, scheduled → completed, p50 / p95 / p99 (ms)",
            |m| triple(&m.step8_ms),
        );
        self.row(&mut out, "history events per run", |m| {
            format!("{:.1}", m.history_events_per_run)
        });
        self.row(&mut out, "workflow tasks per run", |m| {
            format!("{:.1}", m.workflow_tasks_per_run)
        });
        let processes: Vec<String> = self
            .modes
            .first()
            .map(|m| m.processes.iter().map(|p| p.process.clone()).collect())
            .unwrap_or_default();
        for process in &processes {
            self.row(&mut out, &format!("{process}: CPU per run (ms)"), |m| {
                let p = m.processes.iter().find(|p| &p.process == process);
                optional(p.and_then(|p| p.cpu_ms_per_run), 1)
            });
            self.row(&mut out, &format!("{process}: peak RSS (MiB)"), |m| {
                let p = m.processes.iter().find(|p| &p.process == process);
                optional(p.and_then(|p| p.peak_rss_mib), 1)
            });
        }

        if let Some(overhead) = &self.nexus_overhead {
            let _ = writeln!(out, "\n## Nexus overhead (nexus ÷ baseline)\n");
            let _ = writeln!(out, "| measure | ratio |\n| --- | --- |");
            let _ = writeln!(out, "| step 8 p50 | {:.2}× |", overhead.step8_p50);
            let _ = writeln!(out, "| step 8 p95 | {:.2}× |", overhead.step8_p95);
            let _ = writeln!(out, "| run p50 | {:.2}× |", overhead.run_p50);
            let _ = writeln!(out, "| throughput | {:.2}× |", overhead.throughput);
            for (label, ratio) in [
                ("gtm-worker CPU per run", overhead.gtm_worker_cpu_per_run),
                (
                    "marketing-worker CPU per run",
                    overhead.marketing_worker_cpu_per_run,
                ),
                ("dev server CPU per run", overhead.dev_server_cpu_per_run),
            ] {
                let _ = writeln!(
                    out,
                    "| {label} | {} |",
                    ratio.map_or("n/a".to_owned(), |r| format!("{r:.2}×"))
                );
            }
        }
        self.pages_markdown(&mut out);
        self.before_markdown(&mut out);
        self.budgets_markdown(&mut out);
        out
    }

    fn nexus(&self) -> Option<&ModeReport> {
        self.modes.iter().find(|m| m.mode == "nexus")
    }

    fn pages_markdown(&self, out: &mut String) {
        if self.pages.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "\n## Run page under load (release `web`, open loop, one connection per request)\n"
        );
        let _ = writeln!(
            out,
            "The running run waits at step 8 for a Marketing that is not there. No gtm-worker \
             runs during the load: both pages are read from the runs' histories.\n"
        );
        let _ = writeln!(
            out,
            "| run | requests | rate (/s) | p50 / p95 / p99 / max (ms) | web CPU per request (ms) |"
        );
        let _ = writeln!(out, "| --- | --- | --- | --- | --- |");
        for page in &self.pages {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.1} / {:.1} / {:.1} / {:.1} | {} |",
                page.run,
                page.requests,
                page.rate,
                page.p50_ms,
                page.p95_ms,
                page.p99_ms,
                page.max_ms,
                optional(page.web_cpu_ms_per_request, 2)
            );
        }
    }

    fn before_markdown(&self, out: &mut String) {
        let (Some(before), Some(now)) = (&self.before, self.nexus()) else {
            return;
        };
        let _ = writeln!(
            out,
            "\n## Before and after (nexus mode)\n\nBefore: `{}`{}, {} runs, at most {} in flight.\n",
            before.file,
            before
                .commit
                .as_ref()
                .map(|c| format!(", commit `{c}`"))
                .unwrap_or_default(),
            before.runs,
            before.concurrency
        );
        let _ = writeln!(out, "| measure | before | now | now ÷ before |");
        let _ = writeln!(out, "| --- | --- | --- | --- |");
        let rows = [
            (
                "throughput (runs/s)",
                Some(before.runs_per_second),
                Some(now.runs_per_second),
            ),
            (
                "run p50 (ms)",
                Some(before.run_p50_ms),
                Some(now.run_ms.p50),
            ),
            (
                "history events per run",
                before.history_events_per_run,
                Some(now.history_events_per_run),
            ),
            (
                "workflow tasks per run",
                before.workflow_tasks_per_run,
                Some(now.workflow_tasks_per_run),
            ),
            (
                "gtm-worker CPU per run (ms)",
                before.gtm_worker_cpu_ms_per_run,
                now.cpu_per_run("gtm-worker"),
            ),
            (
                "dev server CPU per run (ms)",
                before.dev_server_cpu_ms_per_run,
                now.cpu_per_run("dev server"),
            ),
        ];
        for (label, then, now) in rows {
            let ratio = then.zip(now).map(|(then, now)| now / then);
            let _ = writeln!(
                out,
                "| {label} | {} | {} | {} |",
                optional(then, 1),
                optional(now, 1),
                ratio.map_or("n/a".to_owned(), |r| format!("{r:.2}×"))
            );
        }
    }

    /// Each budget, the measured figure, and whether it is met.
    fn budgets(&self) -> Vec<(String, String, Option<bool>)> {
        let Some(nexus) = self.nexus() else {
            return Vec::new();
        };
        let at_most = |value: Option<f64>, limit: f64| value.map(|v| v <= limit);
        let mut rows = vec![
            (
                format!("history events per run ≤ {}", budget::HISTORY_EVENTS),
                format!("{:.1}", nexus.history_events_per_run),
                at_most(Some(nexus.history_events_per_run), budget::HISTORY_EVENTS),
            ),
            (
                format!("workflow tasks per run ≤ {}", budget::WORKFLOW_TASKS),
                format!("{:.1}", nexus.workflow_tasks_per_run),
                at_most(Some(nexus.workflow_tasks_per_run), budget::WORKFLOW_TASKS),
            ),
            (
                format!("dev server CPU per run ≤ {} ms", budget::DEV_SERVER_CPU_MS),
                optional(nexus.cpu_per_run("dev server"), 1),
                at_most(nexus.cpu_per_run("dev server"), budget::DEV_SERVER_CPU_MS),
            ),
        ];
        for page in &self.pages {
            rows.push((
                format!(
                    "{} run page p99 at {}/s ≤ {} ms",
                    page.run,
                    page.rate,
                    budget::PAGE_P99_MS
                ),
                format!("{:.1}", page.p99_ms),
                at_most(Some(page.p99_ms), budget::PAGE_P99_MS),
            ));
        }
        if let Some(before) = &self.before {
            let gain = nexus.runs_per_second / before.runs_per_second;
            rows.push((
                format!("throughput ≥ {}× before", budget::THROUGHPUT_GAIN),
                format!("{gain:.2}×"),
                Some(gain >= budget::THROUGHPUT_GAIN),
            ));
        }
        rows
    }

    fn budgets_markdown(&self, out: &mut String) {
        let budgets = self.budgets();
        if budgets.is_empty() {
            return;
        }
        let _ = writeln!(out, "\n## Budgets (nexus mode)\n");
        let _ = writeln!(out, "| budget | measured | met |\n| --- | --- | --- |");
        for (budget, measured, met) in budgets {
            let met = match met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "n/a",
            };
            let _ = writeln!(out, "| {budget} | {measured} | {met} |");
        }
    }

    fn column_heads(&self) -> String {
        self.modes
            .iter()
            .map(|m| m.mode.as_str())
            .collect::<Vec<_>>()
            .join(" | ")
    }

    fn row(&self, out: &mut String, label: &str, cell: impl Fn(&ModeReport) -> String) {
        let cells: Vec<String> = self.modes.iter().map(cell).collect();
        let _ = writeln!(out, "| {label} | {} |", cells.join(" | "));
    }
}

fn mean(values: impl ExactSizeIterator<Item = usize>) -> f64 {
    let count = values.len();
    if count == 0 {
        return f64::NAN;
    }
    values.sum::<usize>() as f64 / count as f64
}

fn triple(p: &Percentiles) -> String {
    format!("{:.0} / {:.0} / {:.0}", p.p50, p.p95, p.p99)
}

fn optional(value: Option<f64>, decimals: usize) -> String {
    value.map_or("n/a".to_owned(), |v| format!("{v:.decimals$}"))
}

fn git_commit() -> Option<String> {
    let output = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(devkit::paths::workspace_root())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn memory_gib() -> Option<f64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: f64 = meminfo
        .lines()
        .find(|line| line.starts_with("MemTotal:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib / 1024.0 / 1024.0)
}
