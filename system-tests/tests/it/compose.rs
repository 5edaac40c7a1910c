//! The composed stack (`docker-compose.yml`, and with `docker-compose.postgres.yml`),
//! as a user runs it: started with Compose from the images `cargo xtask docker-images`
//! made, driven only through its published ports (the dashboard's HTTP API) and Compose
//! itself (kill, stop, start, restart, scale, exec).
//!
//! Each test runs its own Compose project, with its own name, volumes and free ports;
//! dropping it runs `down --volumes`, so nothing is left behind even when a test fails.
//! With no Docker engine the tests are skipped with one line, unless
//! `STEADYBASE_REQUIRE_DOCKER` is set (`cargo xtask test` sets it when an engine
//! answers). `cargo xtask test` runs them one at a time, after the rest of the suite.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use devkit::docker::{self, Compose};
use devkit::ports;
use futures::future::join_all;
use seed_data::model::SeedSet;
use serde_json::{Value, json};
use shared_contracts::steps::StepId;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// SPEC's answer for the seeded `acme-corp`.
fn acme_abm() -> Value {
    json!({"accountId": "acme-corp", "inABMProgram": true,
           "programName": "Enterprise Expansion Q1", "status": "active", "touchesRemaining": 3})
}

/// Step 8's deadline in these stacks (`GTM_ABM_TIMEOUT_SECS`): one that no loaded
/// machine misses, so a run whose Marketing is up gets its answer.
const ABM_DEADLINE_SECS: u64 = 120;

/// Step 8's deadline while the test checks what a run does when Marketing is down.
const SHORT_ABM_DEADLINE_SECS: u64 = 4;

/// One composed stack under test.
struct Stack {
    compose: Compose,
    web_port: u16,
    postgres_port: Option<u16>,
}

impl Stack {
    /// Brings the stack up and waits until every service is healthy; `None` when there
    /// is no Docker engine and the tests may be skipped.
    async fn up(name: &str, postgres: bool) -> Option<Self> {
        if !docker::engine_answers() {
            assert!(
                std::env::var_os(docker::REQUIRE_VAR).is_none(),
                "{} is set, but no Docker engine answers `docker info`",
                docker::REQUIRE_VAR
            );
            eprintln!("compose::{name}: skipped, no Docker engine answers `docker info`");
            return None;
        }
        let images = docker::service_images()
            .into_iter()
            .chain(["temporalio/temporal:1.9.1".to_owned()])
            .chain(postgres.then(|| "postgres:15.18-bookworm".to_owned()));
        for image in images {
            assert!(
                docker::image_exists(&image),
                "image {image} is missing: run `cargo xtask docker-images` (or `docker compose build`)"
            );
        }
        static PROJECTS: AtomicU32 = AtomicU32::new(0);
        let project = format!(
            "steadybase-compose-{name}-{}-{}",
            std::process::id(),
            PROJECTS.fetch_add(1, Ordering::Relaxed)
        );
        let web_port = ports::free_port().unwrap();
        let postgres_port = postgres.then(|| ports::free_port().unwrap());
        let mut env = vec![
            ("WEB_PORT", web_port.to_string()),
            ("TEMPORAL_PORT", ports::free_port().unwrap().to_string()),
            ("TEMPORAL_UI_PORT", ports::free_port().unwrap().to_string()),
            ("GTM_ABM_TIMEOUT_SECS", ABM_DEADLINE_SECS.to_string()),
        ];
        let mut files = vec!["docker-compose.yml"];
        if let Some(port) = postgres_port {
            env.push(("POSTGRES_PORT", port.to_string()));
            files.push("docker-compose.postgres.yml");
        }
        let compose = Compose::new(&project, &files, &env).unwrap();
        let stack = Self {
            compose,
            web_port,
            postgres_port,
        };
        let started = Instant::now();
        stack.compose_ok(&["up", "--detach", "--no-build"]);
        stack
            .wait_healthy(
                &[
                    "gtm-worker",
                    "marketing-worker",
                    "customer-success-worker",
                    "web",
                ],
                1,
            )
            .await;
        eprintln!(
            "compose::{name}: stack ready {:.1} s after `up`",
            started.elapsed().as_secs_f64()
        );
        Some(stack)
    }

    /// Runs a Compose command; a failure fails the test with the services' logs.
    fn compose_ok(&self, args: &[&str]) -> String {
        match self.compose.run(args) {
            Ok(out) => out,
            Err(err) => panic!("{err:#}\n--- logs ---\n{}", self.compose.logs_tail(40)),
        }
    }

    /// Waits until `replicas` containers of each service report healthy.
    async fn wait_healthy(&self, services: &[&str], replicas: usize) {
        let deadline = Instant::now() + Duration::from_secs(180);
        for service in services {
            loop {
                let ids = self.compose_ok(&["ps", "-q", service]);
                let healthy = ids
                    .split_whitespace()
                    .filter(|id| {
                        docker::run_output(std::process::Command::new("docker").args([
                            "inspect",
                            "--format",
                            "{{.State.Health.Status}}",
                            id,
                        ]))
                        .is_ok_and(|status| status.trim() == "healthy")
                    })
                    .count();
                if healthy >= replicas {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "{service}: {healthy} of {replicas} containers healthy after 3 minutes\n{}",
                    self.compose.logs_tail(40)
                );
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }

    /// One HTTP request to the dashboard's published port: (status, body).
    async fn http(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, String) {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", self.web_port))
            .await
            .unwrap_or_else(|err| panic!("connecting to the dashboard: {err}"));
        let body = body.map(Value::to_string).unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.web_port,
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.unwrap();
        let response = String::from_utf8_lossy(&response);
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|status| status.parse().ok())
            .unwrap_or_else(|| panic!("no status in {head:?}"));
        (status, body.to_owned())
    }

    /// `POST /api/runs` for `account`; the new workflow id.
    async fn start_run(&self, account: &str) -> String {
        let (status, body) = self
            .http("POST", "/api/runs", Some(&json!({"accountId": account})))
            .await;
        assert_eq!(status, 202, "POST /api/runs for {account}: {body}");
        let started: Value = serde_json::from_str(&body).unwrap();
        started["workflowId"].as_str().unwrap().to_owned()
    }

    /// `GET /api/runs/{id}`, as JSON.
    async fn run(&self, workflow_id: &str) -> Value {
        let (status, body) = self
            .http("GET", &format!("/api/runs/{workflow_id}"), None)
            .await;
        assert_eq!(status, 200, "GET /api/runs/{workflow_id}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// Polls the run until it is no longer running (three minutes at most); the run.
    async fn finished(&self, workflow_id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            let (status, body) = self
                .http("GET", &format!("/api/runs/{workflow_id}"), None)
                .await;
            if status == 200 {
                let run: Value = serde_json::from_str(&body).unwrap();
                if run["status"] != "running" {
                    return run;
                }
            }
            assert!(
                Instant::now() < deadline,
                "{workflow_id} still not finished after 3 minutes (last answer {status}: {body})\n{}",
                self.compose.logs_tail(30)
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    /// Waits for every run to complete; their briefs.
    async fn completed(&self, workflow_ids: &[String]) -> Vec<Value> {
        let mut briefs = Vec::new();
        for id in workflow_ids {
            let run = self.finished(id).await;
            assert_eq!(run["status"], "completed", "{id}: {run}");
            briefs.push(run["brief"].clone());
        }
        briefs
    }

    /// How many briefs the GTM database holds per workflow id: read through the
    /// published PostgreSQL port, or from a copy of the SQLite file (`docker cp`).
    async fn briefs_per_workflow(&self) -> BTreeMap<String, i64> {
        let scratch = tempfile::tempdir().unwrap();
        let url = match self.postgres_port {
            Some(port) => format!("postgres://gtm:gtm@127.0.0.1:{port}/gtm"),
            None => {
                let ids = self.compose_ok(&["ps", "-q", "gtm-worker"]);
                let container = ids.split_whitespace().next().expect("a gtm-worker");
                let copy = scratch.path().join("gtm.db");
                docker::run_output(
                    std::process::Command::new("docker")
                        .arg("cp")
                        .arg(format!("{container}:/data/gtm/gtm.db"))
                        .arg(&copy),
                )
                .unwrap();
                format!("sqlite:{}", copy.display())
            }
        };
        let pool = service_kit::db::connect_read_only(&url).await.unwrap();
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT workflow_id, COUNT(*) FROM coordinator_briefs GROUP BY workflow_id",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        rows.into_iter().collect()
    }

    /// Every run in `workflow_ids` has exactly one stored brief.
    async fn assert_briefed_once(&self, workflow_ids: &[String]) {
        let stored = self.briefs_per_workflow().await;
        for id in workflow_ids {
            assert_eq!(stored.get(id), Some(&1), "stored briefs of {id}");
        }
    }

    /// A run's history events, as `temporal workflow show --output json` prints them
    /// inside the temporal container.
    fn history(&self, workflow_id: &str) -> Vec<Value> {
        let out = self.compose_ok(&[
            "exec",
            "-T",
            "temporal",
            "temporal",
            "workflow",
            "show",
            "--namespace",
            "gtm",
            "--workflow-id",
            workflow_id,
            "--output",
            "json",
        ]);
        let history: Value = serde_json::from_str(&out)
            .unwrap_or_else(|err| panic!("`temporal workflow show` printed {out:?}: {err}"));
        history["events"].as_array().cloned().unwrap_or_default()
    }

    /// Starts a run for each of these accounts, all at once.
    async fn start_runs(&self, accounts: &[String]) -> Vec<String> {
        join_all(accounts.iter().map(|account| self.start_run(account))).await
    }

    /// How many of these runs the dashboard still shows running.
    async fn running(&self, workflow_ids: &[String]) -> usize {
        let runs = join_all(workflow_ids.iter().map(|id| self.run(id))).await;
        runs.iter().filter(|run| run["status"] == "running").count()
    }

    /// The third team: a health monitor started with the Temporal CLI checks
    /// `umbrella-health` (seeded at risk) with all three views, asks GTM for one brief,
    /// and the dashboard's Health page shows it.
    async fn customer_success_sees_all_three_teams(&self) {
        self.compose_ok(&[
            "exec",
            "-T",
            "temporal",
            "temporal",
            "workflow",
            "start",
            "--namespace",
            "customer-success",
            "--task-queue",
            "cs-health",
            "--type",
            "AccountHealthMonitor",
            "--workflow-id",
            "health-umbrella-health",
            "--input",
            r#"{"accountId":"umbrella-health","intervalSecs":3600}"#,
        ]);
        let deadline = Instant::now() + Duration::from_secs(90);
        let page = loop {
            let (status, page) = self.http("GET", "/health", None).await;
            if status == 200
                && page.contains(r#"data-account="umbrella-health" data-band="at-risk""#)
            {
                break page;
            }
            assert!(
                Instant::now() < deadline,
                "the Health page never showed the monitor's check: {page}"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        assert!(!page.contains("Degraded"), "a view was missing: {page}");
        assert!(
            page.contains("paused ABM program Healthcare Vertical Push"),
            "{page}"
        );
        // The escalation: one coordinator run GTM started for Customer Success.
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let (_, list) = self
                .http("GET", "/api/runs?account=umbrella-health", None)
                .await;
            let runs: Value = serde_json::from_str(&list).unwrap_or(Value::Null);
            let from_cs: Vec<&Value> = runs["runs"]
                .as_array()
                .map(|runs| {
                    runs.iter()
                        .filter(|run| run["requestedBy"] == "customer-success")
                        .collect()
                })
                .unwrap_or_default();
            if from_cs.iter().any(|run| run["status"] == "completed") {
                assert_eq!(from_cs.len(), 1, "{list}");
                break;
            }
            assert!(
                Instant::now() < deadline,
                "no completed coordinator run from Customer Success: {list}"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Starts a run for each of `accounts` with marketing-worker stopped, and waits
    /// until the dashboard shows every one waiting at step 8 (steps 1-7 done, no brief
    /// possible yet). The runs' ids.
    async fn start_runs_held_at_step_8(&self, accounts: &[String]) -> Vec<String> {
        self.compose_ok(&["stop", "marketing-worker"]);
        let ids = self.start_runs(accounts).await;
        let deadline = Instant::now() + Duration::from_secs(180);
        let mut pending = ids.clone();
        while !pending.is_empty() {
            let runs = join_all(pending.iter().map(|id| self.run(id))).await;
            pending = runs
                .iter()
                .filter(|run| {
                    run["status"] != "running"
                        || run["steps"][StepId::MarketingAbmCheck.index()]["status"] != "running"
                })
                .map(|run| run["workflowId"].as_str().unwrap().to_owned())
                .collect();
            assert!(
                Instant::now() < deadline,
                "{} runs not at step 8 after 3 minutes: {pending:?}",
                pending.len()
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        ids
    }

    /// Starts marketing-worker again and waits for every run to complete with
    /// Marketing's own answer and exactly one stored brief.
    async fn release_marketing(&self, ids: &[String], accounts: &[String]) {
        self.compose_ok(&["start", "marketing-worker"]);
        let briefs = self.completed(ids).await;
        for (brief, account) in briefs.iter().zip(accounts) {
            assert_eq!(brief["accountId"], account.as_str(), "{brief}");
            assert_eq!(brief["abm"]["accountId"], account.as_str(), "{brief}");
            assert!(brief["abm"]["inABMProgram"].is_boolean(), "{brief}");
        }
        self.assert_briefed_once(ids).await;
    }

    /// `docker compose kill -s SIGKILL gtm-worker` with 30 runs held in flight at step
    /// 8, then `start`; then Marketing is released: every run completes, with exactly
    /// one brief each.
    async fn gtm_worker_killed_mid_run(&self) {
        let accounts = accounts(30);
        let ids = self.start_runs_held_at_step_8(&accounts).await;
        self.compose_ok(&["kill", "-s", "SIGKILL", "gtm-worker"]);
        assert_eq!(
            self.running(&ids).await,
            ids.len(),
            "every run is in flight"
        );
        self.compose_ok(&["start", "gtm-worker"]);
        self.release_marketing(&ids, &accounts).await;
    }

    /// Recreates gtm-worker with step 8's deadline at `secs` and waits until it is
    /// healthy.
    async fn set_abm_deadline(&mut self, secs: u64) {
        self.compose
            .set_env("GTM_ABM_TIMEOUT_SECS", &secs.to_string());
        self.compose_ok(&["up", "--detach", "--no-build", "--no-deps", "gtm-worker"]);
        self.wait_healthy(&["gtm-worker"], 1).await;
    }
}

/// `count` seeded account ids, in the seed's order, repeated as needed.
fn accounts(count: usize) -> Vec<String> {
    let seed = SeedSet::shipped().unwrap();
    let ids: Vec<String> = seed
        .accounts
        .iter()
        .map(|account| account.id.to_string())
        .collect();
    ids.into_iter().cycle().take(count).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_composed_stack_serves_survives_faults_and_scales() {
    let Some(mut stack) = Stack::up("sqlite", false).await else {
        return;
    };

    // A run from the dashboard's API gets SPEC's answer from Marketing.
    let id = stack.start_run("acme-corp").await;
    let run = stack.finished(&id).await;
    assert_eq!(run["status"], "completed", "{run}");
    assert_eq!(run["abm"], acme_abm());
    assert_eq!(run["brief"]["abm"], acme_abm());

    // A run started with the Temporal CLI inside the temporal container.
    let cli_id = format!("drew-globex-cli-{}", std::process::id());
    stack.compose_ok(&[
        "exec",
        "-T",
        "temporal",
        "temporal",
        "workflow",
        "start",
        "--namespace",
        "gtm",
        "--task-queue",
        "gtm-coordinator",
        "--type",
        "DrewCoordinator",
        "--workflow-id",
        &cli_id,
        "--input",
        r#"{"accountId":"globex"}"#,
    ]);
    let run = stack.finished(&cli_id).await;
    assert_eq!(run["status"], "completed", "{run}");
    assert_eq!(run["brief"]["accountId"], "globex");

    stack.customer_success_sees_all_three_teams().await;

    stack.gtm_worker_killed_mid_run().await;

    // Marketing stopped: runs complete with ABM unavailable once step 8's deadline has
    // passed. The deadline is gtm-worker's setting: a short one for this part.
    stack.set_abm_deadline(SHORT_ABM_DEADLINE_SECS).await;
    stack.compose_ok(&["stop", "marketing-worker"]);
    let ids = stack.start_runs(&accounts(3)).await;
    for run in stack.completed(&ids).await {
        assert_eq!(run["abm"]["status"], "unavailable", "{run}");
        assert_eq!(
            run["abm"]["reason"],
            format!("Marketing did not answer within {SHORT_ABM_DEADLINE_SECS}s"),
            "{run}"
        );
    }
    // Temporal got the deadline and timed the call out (with no handler polling it may
    // do so a few seconds early: the history, not a clock, is what to check).
    for id in &ids {
        let events = stack.history(id);
        let scheduled = events
            .iter()
            .find_map(|event| event.get("nexusOperationScheduledEventAttributes"))
            .unwrap_or_else(|| panic!("{id} scheduled no Nexus call: {events:?}"));
        assert_eq!(
            scheduled["scheduleToCloseTimeout"],
            format!("{SHORT_ABM_DEADLINE_SECS}s"),
            "{scheduled}"
        );
        assert!(
            events
                .iter()
                .any(|event| event.get("nexusOperationTimedOutEventAttributes").is_some()),
            "{id}'s Nexus call did not time out: {events:?}"
        );
    }
    stack.set_abm_deadline(ABM_DEADLINE_SECS).await;

    // The dev server restarted with runs held in flight: its state volume persists,
    // and once Marketing is back every run completes once, with Marketing's answer.
    let held = accounts(8);
    let ids = stack.start_runs_held_at_step_8(&held).await;
    stack.compose_ok(&["restart", "temporal"]);
    stack.release_marketing(&ids, &held).await;

    // Two replicas of each worker: 40 runs, each briefed once.
    stack.compose_ok(&[
        "up",
        "--detach",
        "--no-build",
        "--no-recreate",
        "--scale",
        "gtm-worker=2",
        "--scale",
        "marketing-worker=2",
    ]);
    stack
        .wait_healthy(&["gtm-worker", "marketing-worker"], 2)
        .await;
    let ids = stack.start_runs(&accounts(40)).await;
    let briefs = stack.completed(&ids).await;
    assert_eq!(briefs.len(), 40);
    let stored = stack.briefs_per_workflow().await;
    for id in &ids {
        assert_eq!(stored.get(id), Some(&1), "stored briefs of {id}");
    }
    assert!(
        stored.values().all(|count| *count == 1),
        "a brief stored twice: {stored:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_composed_stack_runs_on_postgres() {
    let Some(stack) = Stack::up("postgres", true).await else {
        return;
    };
    let id = stack.start_run("acme-corp").await;
    let run = stack.finished(&id).await;
    assert_eq!(run["status"], "completed", "{run}");
    assert_eq!(run["abm"], acme_abm());
    stack.assert_briefed_once(&[id]).await;

    stack.gtm_worker_killed_mid_run().await;
}
