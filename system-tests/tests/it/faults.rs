//! Temporal's promises, checked under faults: the real workers run as processes and
//! are killed with SIGKILL mid-run; the dev server is stopped and started again.
//!
//! Every test waits on outcomes (a run's result, rows in the database), each bounded
//! by [`result`]'s and [`wait_until`]'s two-minute limits, never on fixed sleeps.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use futures::future::join_all;
use seed_data::model::SeedSet;
use serde_json::{Value, json};
use temporalio_client::{Client, UntypedWorkflow, WorkflowHandle};

use crate::processes::WorkerProcess;
use crate::system::{System, briefs_per_workflow, progress, result, wait_until};
use shared_contracts::steps::StepId;

/// Starts one coordinator for each of the first `count` seeded accounts.
async fn start_batch(
    system: &System,
    count: usize,
) -> Vec<WorkflowHandle<Client, UntypedWorkflow>> {
    let seed = SeedSet::shipped().unwrap();
    assert!(seed.accounts.len() >= count, "the seed has enough accounts");
    join_all(seed.accounts.iter().take(count).map(|account| {
        system.start_coordinator(
            json!({"accountId": account.id.to_string(), "requestedBy": "faults"}),
        )
    }))
    .await
}

/// Waits for every run to complete with a brief, and checks that the database holds
/// exactly one brief per run: nothing lost, nothing written twice.
async fn assert_each_run_briefed_once(
    system: &System,
    runs: &[WorkflowHandle<Client, UntypedWorkflow>],
) -> Vec<Value> {
    let mut briefs = Vec::new();
    for run in runs {
        let brief = result(run)
            .await
            .unwrap_or_else(|err| panic!("{} did not complete: {err}", run.info().workflow_id));
        let account = brief["accountId"].as_str().unwrap();
        assert!(
            run.info()
                .workflow_id
                .starts_with(&format!("drew-{account}-")),
            "{} got the brief of {account}",
            run.info().workflow_id
        );
        briefs.push(brief);
    }
    let stored = briefs_per_workflow(system).await;
    let expected: BTreeMap<String, i64> = runs
        .iter()
        .map(|run| (run.info().workflow_id.clone(), 1))
        .collect();
    assert_eq!(stored, expected, "one stored brief per run");
    briefs
}

async fn briefs_stored(system: &System) -> usize {
    briefs_per_workflow(system).await.len()
}

#[tokio::test]
async fn killing_the_gtm_worker_mid_batch_loses_and_duplicates_nothing() {
    const RUNS: usize = 16;
    let system = System::start_without_marketing().await;
    let _marketing = WorkerProcess::marketing(&system).started();
    let mut gtm = WorkerProcess::gtm(&system).started();
    let runs = start_batch(&system, RUNS).await;

    wait_until("the first brief", || async {
        briefs_stored(&system).await >= 1
    })
    .await;
    let before_kill = briefs_stored(&system).await;
    gtm.kill().await;
    assert!(
        before_kill < RUNS,
        "the kill must land while runs are in flight, but all {RUNS} were briefed"
    );

    // A new process takes over: activities the dead one had started time out and are
    // retried, its workflow tasks are handed to the new one and replayed.
    gtm.start();
    let briefs = assert_each_run_briefed_once(&system, &runs).await;
    for brief in &briefs {
        assert_ne!(brief["abm"]["status"], "unavailable", "{brief}");
    }
}

#[tokio::test]
async fn killing_the_marketing_worker_makes_abm_unavailable_until_it_is_back() {
    const DEADLINE_SECS: i64 = 4;
    let system = System::start_without_marketing().await;
    let mut marketing = WorkerProcess::marketing(&system).started();
    let _gtm = WorkerProcess::gtm(&system)
        .env("GTM_ABM_TIMEOUT_SECS", &DEADLINE_SECS.to_string())
        .started();

    let before = system
        .start_coordinator(json!({"accountId": "acme-corp"}))
        .await;
    let brief = result(&before).await.unwrap();
    assert_eq!(brief["abm"]["programName"], "Enterprise Expansion Q1");

    marketing.kill().await;
    let while_down = start_batch(&system, 3).await;
    for run in &while_down {
        let brief = result(run).await.unwrap();
        assert_eq!(brief["abm"]["status"], "unavailable", "{brief}");
        assert_eq!(
            brief["abm"]["reason"],
            format!("Marketing did not answer within {DEADLINE_SECS}s")
        );
        // Step 8 gave up at its deadline, not later.
        let step = progress(run).await[StepId::MarketingAbmCheck.index()].clone();
        let started: DateTime<Utc> = serde_json::from_value(step["startedAt"].clone()).unwrap();
        let completed: DateTime<Utc> = serde_json::from_value(step["completedAt"].clone()).unwrap();
        let took = completed - started;
        assert!(
            took <= chrono::Duration::seconds(DEADLINE_SECS + 2),
            "step 8 took {took} against a {DEADLINE_SECS}s deadline"
        );
    }

    marketing.start();
    let after = system
        .start_coordinator(json!({"accountId": "acme-corp"}))
        .await;
    let brief = result(&after).await.unwrap();
    assert_eq!(
        brief["abm"]["programName"],
        "Enterprise Expansion Q1",
        "after a restart Marketing answers again: {brief}\n{}",
        marketing.log_tail()
    );
}

#[tokio::test]
async fn restarting_the_dev_server_keeps_runs_in_flight() {
    const RUNS: usize = 8;
    let mut system = System::start_persistent_without_marketing().await;
    let _marketing = WorkerProcess::marketing(&system).started();
    let _gtm = WorkerProcess::gtm(&system).started();
    let runs = start_batch(&system, RUNS).await;

    wait_until("the first brief", || async {
        briefs_stored(&system).await >= 1
    })
    .await;
    let before_restart = briefs_stored(&system).await;
    system.server.restart().await.unwrap();
    assert!(
        before_restart < RUNS,
        "the restart must land while runs are in flight, but all {RUNS} were briefed"
    );

    assert_each_run_briefed_once(&system, &runs).await;
}

#[tokio::test]
async fn a_burst_of_coordinators_completes_with_none_lost_or_duplicated() {
    // `cargo xtask bench --scenario load` runs the same check with 500 at once.
    const RUNS: usize = 44;
    let system = System::start_without_marketing().await;
    let _marketing = WorkerProcess::marketing(&system).started();
    let _gtm = WorkerProcess::gtm(&system).started();
    let runs = start_batch(&system, RUNS).await;
    let briefs = assert_each_run_briefed_once(&system, &runs).await;
    let answered = briefs
        .iter()
        .filter(|brief| brief["abm"]["status"] != "unavailable")
        .count();
    assert_eq!(answered, RUNS, "every run got Marketing's answer");
}
