//! Temporal's promises, checked under faults: the real workers run as processes and
//! are killed with SIGKILL mid-run; the dev server is stopped and started again.
//!
//! Every fault is arranged, never raced: the runs are held where the fault must find
//! them (at step 8, with Marketing not yet running, so each waits on its Nexus call)
//! and the test checks that they are there before it strikes. Then it releases them
//! and waits on outcomes (a run's result, rows in the database), each bounded by
//! [`result`]'s and [`wait_until`]'s two-minute limits, never on fixed sleeps.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::future::join_all;
use seed_data::model::SeedSet;
use serde_json::{Value, json};
use temporalio_client::{Client, UntypedWorkflow, WorkflowHandle};
use temporalio_common::protos::temporal::api::enums::v1::EventType;
use temporalio_common::protos::temporal::api::history::v1::HistoryEvent;
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;

use crate::processes::WorkerProcess;
use crate::system::{System, briefs_per_workflow, history, progress, result, wait_until};
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

/// Whether the run waits at step 8: its Nexus call to Marketing is scheduled and has
/// not ended.
async fn held_at_abm_check(run: &WorkflowHandle<Client, UntypedWorkflow>) -> bool {
    let (timeout, ended) = abm_call(&history(run).await);
    timeout.is_some() && ended.is_none()
}

/// Waits until every run waits at step 8, then checks that none has a stored brief.
async fn wait_until_held_at_step_8(
    system: &System,
    runs: &[WorkflowHandle<Client, UntypedWorkflow>],
) {
    wait_until("every run held at step 8", || async {
        join_all(runs.iter().map(held_at_abm_check))
            .await
            .into_iter()
            .all(|held| held)
    })
    .await;
    assert_eq!(briefs_stored(system).await, 0, "a run got past step 8");
}

/// Step 8's Nexus call as the history records it: the schedule-to-close timeout the
/// workflow gave it, and the event that ended it.
fn abm_call(events: &[HistoryEvent]) -> (Option<Duration>, Option<EventType>) {
    let timeout = events.iter().find_map(|event| match &event.attributes {
        Some(Attributes::NexusOperationScheduledEventAttributes(scheduled)) => scheduled
            .schedule_to_close_timeout
            .and_then(|timeout| Duration::try_from(timeout).ok()),
        _ => None,
    });
    let ended = events.iter().map(HistoryEvent::event_type).find(|kind| {
        matches!(
            kind,
            EventType::NexusOperationCompleted
                | EventType::NexusOperationFailed
                | EventType::NexusOperationCanceled
                | EventType::NexusOperationTimedOut
        )
    });
    (timeout, ended)
}

/// Each brief carries Marketing's own answer for its account.
fn assert_marketing_answered(briefs: &[Value]) {
    for brief in briefs {
        assert_eq!(brief["abm"]["accountId"], brief["accountId"], "{brief}");
        assert!(brief["abm"]["inABMProgram"].is_boolean(), "{brief}");
    }
}

#[tokio::test]
async fn killing_the_gtm_worker_with_runs_in_flight_loses_and_duplicates_nothing() {
    const RUNS: usize = 16;
    let system = System::start_without_marketing().await;
    let mut gtm = WorkerProcess::gtm(&system).started().await;
    let runs = start_batch(&system, RUNS).await;
    // Marketing is not running yet: every run does steps 1-7 and waits at step 8,
    // its state cached in this gtm-worker.
    wait_until_held_at_step_8(&system, &runs).await;

    gtm.kill().await;
    // A new process takes over: the runs' next workflow tasks go to it, and it
    // rebuilds each run by replaying its history.
    gtm.start().await;
    let _marketing = WorkerProcess::marketing(&system).started().await;
    let briefs = assert_each_run_briefed_once(&system, &runs).await;
    assert_marketing_answered(&briefs);
}

#[tokio::test]
async fn killing_the_marketing_worker_makes_abm_unavailable_until_it_is_back() {
    const DEADLINE_SECS: u64 = 4;
    let system = System::start_without_marketing().await;
    let mut marketing = WorkerProcess::marketing(&system).started().await;
    let mut gtm = WorkerProcess::gtm(&system).started().await;

    let before = system
        .start_coordinator(json!({"accountId": "acme-corp"}))
        .await;
    let brief = result(&before).await.unwrap();
    assert_eq!(brief["abm"]["programName"], "Enterprise Expansion Q1");

    marketing.kill().await;
    // Step 8's deadline is the gtm-worker's setting: this part runs one started with a
    // short deadline, which a Marketing that is down misses for certain.
    gtm.stop().await;
    let mut short_deadline = WorkerProcess::gtm(&system)
        .env("GTM_ABM_TIMEOUT_SECS", &DEADLINE_SECS.to_string())
        .started()
        .await;
    let while_down = start_batch(&system, 3).await;
    for run in &while_down {
        let brief = result(run).await.unwrap();
        assert_eq!(brief["abm"]["status"], "unavailable", "{brief}");
        assert_eq!(
            brief["abm"]["reason"],
            format!("Marketing did not answer within {DEADLINE_SECS}s")
        );
        // Step 8 handed Temporal its deadline, and Temporal timed the call out: the
        // run neither failed nor waited on. (With no handler polling, the server may
        // end the call up to a few seconds early: it sends no attempt with less than
        // 1.5 s left. So the history, not a clock, is what to check.)
        let (timeout, ended) = abm_call(&history(run).await);
        assert_eq!(timeout, Some(Duration::from_secs(DEADLINE_SECS)));
        assert_eq!(ended, Some(EventType::NexusOperationTimedOut));
        let step = &progress(run).await[StepId::MarketingAbmCheck.index()];
        assert_eq!(step["status"], "completed", "{step}");
    }
    short_deadline.stop().await;

    gtm.start().await;
    // Started again, and polling (`start` waits for that): Marketing answers again.
    marketing.start().await;
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
    let _gtm = WorkerProcess::gtm(&system).started().await;
    let runs = start_batch(&system, RUNS).await;
    wait_until_held_at_step_8(&system, &runs).await;

    system.server.restart().await.unwrap();
    // Marketing starts against the restarted server, which still holds every run and
    // its pending Nexus call.
    let _marketing = WorkerProcess::marketing(&system).started().await;
    let briefs = assert_each_run_briefed_once(&system, &runs).await;
    assert_marketing_answered(&briefs);
}

#[tokio::test]
async fn a_burst_of_coordinators_completes_with_none_lost_or_duplicated() {
    // `cargo xtask bench --scenario load` runs the same check with 500 at once.
    const RUNS: usize = 44;
    let system = System::start_without_marketing().await;
    let _marketing = WorkerProcess::marketing(&system).started().await;
    // Step 8's deadline is ANSWER_DEADLINE: a loaded machine still gets every answer.
    let _gtm = WorkerProcess::gtm(&system).started().await;
    let runs = start_batch(&system, RUNS).await;
    let briefs = assert_each_run_briefed_once(&system, &runs).await;
    assert_marketing_answered(&briefs);
}
