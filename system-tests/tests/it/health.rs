//! Customer Success's `AccountHealthMonitor` with all three teams' real workers: the
//! monitor asks Marketing and GTM over Nexus, escalates to GTM's coordinator once
//! when an account turns at-risk, keeps running when Marketing is down, answers
//! `checkNow`, and keeps its state across continue-as-new.

use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use shared_contracts::names::{queries, signals, updates, workflow_types};
use temporalio_client::{
    Client, UntypedSignal, UntypedUpdate, UntypedWorkflow, WorkflowCountOptions,
    WorkflowDescribeOptions, WorkflowExecuteUpdateOptions, WorkflowExecutionStatus, WorkflowHandle,
    WorkflowSignalOptions,
};
use temporalio_common::data_converters::RawValue;

use devkit::probe::{self, ProbeOutcome, ProbeRequest};
use shared_contracts::names::{endpoints, namespaces};
use shared_contracts::operation::CHECK_NOW;

use crate::system::{self, System};

/// A monitor's `health` query answer.
async fn health(handle: &WorkflowHandle<Client, UntypedWorkflow>) -> Option<Value> {
    system::query(handle, queries::HEALTH).await.ok()
}

/// Waits until the monitor's state satisfies `done`; returns that state.
async fn health_until(
    handle: &WorkflowHandle<Client, UntypedWorkflow>,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let mut last = Value::Null;
    for _ in 0..600 {
        if let Some(state) = health(handle).await {
            if done(&state) {
                return state;
            }
            last = state;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("timed out waiting for {what}; last state: {last:#}");
}

fn cycles(state: &Value) -> u64 {
    state["cycles"].as_u64().unwrap_or(0)
}

/// Makes `account` at risk in Customer Success's database, as support and product
/// data would: two critical tickets, six detractors, and usage collapsing today.
async fn turn_at_risk(system: &System, account: &str) {
    let pool = service_kit::db::connect(&system.cs_database_url)
        .await
        .unwrap();
    let now = Utc::now();
    let at = |days: i64| {
        (now - chrono::Duration::days(days)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    };
    for n in 1..=2 {
        sqlx::query(
            "INSERT INTO support_tickets (id, account_id, subject, severity, status, opened_at) \
             VALUES ($1, $2, 'Production outage', 'critical', 'open', $3)",
        )
        .bind(format!("tkt-{account}-outage-{n}"))
        .bind(account)
        .bind(at(0))
        .execute(&pool)
        .await
        .unwrap();
    }
    for n in 1..=6 {
        sqlx::query(
            "INSERT INTO nps_responses (id, account_id, responded_at, score, respondent) \
             VALUES ($1, $2, $3, 0, 'Unhappy user')",
        )
        .bind(format!("{account}-nps-detractor-{n}"))
        .bind(account)
        .bind(at(0))
        .execute(&pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO usage_snapshots (id, account_id, taken_on, active_users, seats) \
         VALUES ($1, $2, $3, 40, 400)",
    )
    .bind(format!("{account}-usage-collapse"))
    .bind(account)
    .bind(at(0))
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
}

/// Coordinator runs GTM holds for `account`, as visibility lists them.
async fn coordinators_for(system: &System, account: &str) -> usize {
    let query = format!(
        "WorkflowType = '{}' AND AccountId = '{account}'",
        workflow_types::DREW_COORDINATOR
    );
    system
        .gtm
        .count_workflows(query, WorkflowCountOptions::default())
        .await
        .unwrap()
        .count()
}

/// Waits until visibility (eventually consistent) counts `expected` coordinator runs
/// for `account`; fails the test if it counts more, or has not after two minutes.
async fn wait_for_coordinators(system: &System, account: &str, expected: usize) {
    system::wait_until(
        &format!("{expected} coordinator(s) for {account}"),
        || async {
            let count = coordinators_for(system, account).await;
            assert!(count <= expected, "{count} coordinators for {account}");
            count == expected
        },
    )
    .await;
}

#[tokio::test]
async fn a_monitor_sees_three_views_and_asks_gtm_once_when_the_account_turns_at_risk() {
    let system = System::start().await;
    let mut cs = system.start_cs_worker(|_| {}).await;
    let web = system.start_web().await;
    system
        .with_gtm_worker(system.gtm_config(), async {
            let monitor = system.start_monitor("acme-corp", 1, 100).await;

            // A healthy account: the three views, nothing missing, no escalation.
            let state = health_until(&monitor, "two whole checks", |s| cycles(s) >= 2).await;
            let latest = &state["latest"];
            assert_eq!(latest["missing"], json!([]), "{latest:#}");
            assert_eq!(latest["band"], "healthy");
            assert_eq!(latest["customerSuccess"]["band"], "healthy");
            assert_eq!(
                latest["marketing"]["programName"],
                "Enterprise Expansion Q1"
            );
            assert_eq!(latest["gtm"]["known"], true);
            assert_eq!(state["escalations"], json!([]));
            assert_eq!(coordinators_for(&system, "acme-corp").await, 0);

            turn_at_risk(&system, "acme-corp").await;
            let state = health_until(&monitor, "the escalation's brief", |s| {
                s["escalations"][0]["recommendation"].is_string()
            })
            .await;
            let escalation = &state["escalations"][0];
            assert_eq!(escalation["fromBand"], "healthy", "{escalation:#}");
            let coordinator = escalation["coordinatorWorkflowId"]
                .as_str()
                .unwrap()
                .to_owned();
            assert!(
                coordinator.starts_with("drew-acme-corp-nexus-"),
                "{coordinator}"
            );
            assert_eq!(state["latest"]["band"], "at-risk");

            // Still at risk, three checks later: no second brief.
            let at = cycles(&state);
            let state = health_until(&monitor, "three more checks", |s| cycles(s) >= at + 3).await;
            assert_eq!(state["escalations"].as_array().unwrap().len(), 1);
            assert_eq!(state["latest"]["band"], "at-risk");
            wait_for_coordinators(&system, "acme-corp", 1).await;

            // The coordinator says who asked for it.
            let run = system
                .gtm
                .get_workflow_handle::<UntypedWorkflow>(&coordinator);
            let brief = system::result(&run).await.unwrap();
            assert_eq!(brief["accountId"], "acme-corp");
            let history = system::history(&run).await;
            let started = format!("{:?}", history[0].attributes);
            assert!(started.contains("customer-success"), "{started}");
            let page =
                system::wait_for_page(web.address(), &format!("/runs/{coordinator}"), |page| {
                    page.contains("id=\"requested-by\"")
                })
                .await;
            assert!(
                page.contains(
                    "Requested by Customer Success: its health monitor found the account at risk"
                ),
                "the run page says who asked"
            );

            // Every check is stored once, in order.
            let stored = system.cs_snapshots("acme-corp").await;
            assert!(stored.len() as u64 >= at + 3, "{} stored", stored.len());
            let numbers: Vec<u64> = stored.iter().map(|(cycle, _)| *cycle).collect();
            assert_eq!(numbers, (1..=numbers.len() as u64).collect::<Vec<_>>());

            system::record_health_history("escalated_once", &system::history(&monitor).await);
            monitor.terminate(Default::default()).await.unwrap();
        })
        .await;
    cs.stop().await.unwrap();
}

#[tokio::test]
async fn with_marketing_down_the_snapshot_names_the_missing_view_and_the_monitor_goes_on() {
    // Marketing is held down for the whole test: its view misses this deadline on
    // every check, for certain. GTM's handler polls before the monitor starts
    // (`with_gtm_worker` waits for that) and answers well within it.
    const VIEW_TIMEOUT: Duration = Duration::from_secs(10);
    let mut system = System::start().await;
    system.stop_marketing().await;
    let mut cs = system
        .start_cs_worker(|config| config.view_timeout = VIEW_TIMEOUT)
        .await;
    system
        .with_gtm_worker(system.gtm_config(), async {
            let monitor = system.start_monitor("initech", 1, 100).await;
            let state = health_until(&monitor, "a check with GTM's view", |s| {
                s["latest"]["gtm"]["known"] == true
            })
            .await;
            let latest = &state["latest"];
            assert_eq!(latest["missing"], json!(["marketing"]), "{latest:#}");
            assert_eq!(
                latest["marketing"],
                json!({"unavailable": format!(
                    "Marketing did not answer within {}s",
                    VIEW_TIMEOUT.as_secs()
                )})
            );
            // The other two views still make a band.
            assert_eq!(latest["band"], "watch");
            let stored = system.cs_snapshots("initech").await;
            assert!(
                stored
                    .iter()
                    .all(|(_, snapshot)| snapshot["missing"][0] == "marketing"),
                "every stored check lacks Marketing's view"
            );
            // And the monitor goes on checking.
            let at = cycles(&state);
            health_until(&monitor, "one more check", |s| cycles(s) > at).await;
            let description = monitor
                .describe(WorkflowDescribeOptions::default())
                .await
                .unwrap();
            assert_eq!(
                description.status(),
                WorkflowExecutionStatus::Running,
                "the monitor is still running"
            );
            system::record_health_history("marketing_down", &system::history(&monitor).await);
            monitor.terminate(Default::default()).await.unwrap();
        })
        .await;
    cs.stop().await.unwrap();
}

#[tokio::test]
async fn check_now_answers_with_a_fresh_snapshot_even_while_paused() {
    let system = System::start().await;
    let mut cs = system.start_cs_worker(|_| {}).await;
    system
        .with_gtm_worker(system.gtm_config(), async {
            // A day between checks: only `checkNow` makes a second one.
            let monitor = system
                .start_monitor("umbrella-health", 24 * 3600, 100)
                .await;
            let first = health_until(&monitor, "the first check", |s| cycles(s) >= 1).await;
            assert_eq!(first["latest"]["band"], "at-risk");

            let fresh = check_now(&system, "umbrella-health").await;
            assert_eq!(fresh["cycle"], 2, "{fresh:#}");
            assert!(
                fresh["checkedAt"].as_str() > first["latest"]["checkedAt"].as_str(),
                "a new check, not the stored one"
            );
            assert_eq!(fresh["missing"], json!([]));

            signal(&system, "umbrella-health", signals::PAUSE).await;
            health_until(&monitor, "the pause", |s| s["paused"] == true).await;
            let while_paused = check_now(&system, "umbrella-health").await;
            assert_eq!(while_paused["cycle"], 3);
            signal(&system, "umbrella-health", signals::RESUME).await;
            let state = health_until(&monitor, "the resume", |s| s["paused"] == false).await;
            // Already at risk at the first check: one brief, not one per check.
            assert_eq!(state["escalations"].as_array().unwrap().len(), 1);
            assert_eq!(state["escalations"][0]["fromBand"], Value::Null);

            system::record_health_history("check_now", &system::history(&monitor).await);
            monitor.terminate(Default::default()).await.unwrap();
        })
        .await;
    cs.stop().await.unwrap();
}

/// `cs.health.v1/checkNow` from a real caller workflow in `namespace`.
async fn check_now_over_nexus(system: &System, namespace: &str, account: &str) -> ProbeOutcome {
    let request = ProbeRequest::new(
        endpoints::CS_HEALTH,
        CHECK_NOW.service,
        CHECK_NOW.name,
        json!({ "accountId": account }),
    );
    probe::run_probe(&system.server, namespace, request)
        .await
        .unwrap()
        .outcome
}

#[tokio::test]
async fn check_now_over_nexus_messages_the_running_monitor() {
    let system = System::start().await;
    let mut cs = system.start_cs_worker(|_| {}).await;
    system
        .with_gtm_worker(system.gtm_config(), async {
            // No monitor yet: NOT_FOUND, naming the account.
            let none = check_now_over_nexus(&system, namespaces::GTM, "umbrella-health").await;
            assert_eq!(none.outcome, "start_failed", "{none:?}");
            let text = none.failure_text();
            assert!(text.contains("NexusHandlerFailure(NOT_FOUND,"), "{text}");
            assert!(
                text.contains("no health monitor is running for umbrella-health"),
                "{text}"
            );

            // A day between checks: only `checkNow` makes a second one.
            let monitor = system
                .start_monitor("umbrella-health", 24 * 3600, 100)
                .await;
            let first = health_until(&monitor, "the first check", |s| cycles(s) >= 1).await;
            let fresh =
                check_now_over_nexus(&system, namespaces::MARKETING, "umbrella-health").await;
            assert_eq!(fresh.outcome, "completed", "{fresh:?}");
            let snapshot = fresh.output.unwrap();
            assert_eq!(snapshot["accountId"], "umbrella-health", "{snapshot:#}");
            assert_eq!(
                snapshot["cycle"], 2,
                "a new check, not the stored one: {snapshot:#}"
            );
            assert!(
                snapshot["checkedAt"].as_str() > first["latest"]["checkedAt"].as_str(),
                "{snapshot:#}"
            );
            // The monitor's own record agrees: that check is its latest.
            let state = health_until(&monitor, "the second check", |s| cycles(s) >= 2).await;
            assert_eq!(state["latest"], snapshot);

            // Stopped, it answers nothing again.
            monitor.terminate(Default::default()).await.unwrap();
            let stopped = check_now_over_nexus(&system, namespaces::GTM, "umbrella-health").await;
            assert!(
                stopped
                    .failure_text()
                    .contains("no health monitor is running for umbrella-health"),
                "{stopped:?}"
            );
        })
        .await;
    cs.stop().await.unwrap();
}

#[tokio::test]
async fn continue_as_new_keeps_the_monitors_state() {
    let system = System::start().await;
    let mut cs = system.start_cs_worker(|_| {}).await;
    system
        .with_gtm_worker(system.gtm_config(), async {
            // Two checks per run: by the seventh check the monitor is on its fourth run.
            let monitor = system.start_monitor("umbrella-health", 1, 2).await;
            // Queried by workflow id alone, so the query follows the newest run.
            let current = system
                .customer_success
                .get_workflow_handle::<UntypedWorkflow>(&monitor.info().workflow_id);
            let state = health_until(&current, "seven checks", |s| cycles(s) >= 7).await;
            assert!(state["runs"].as_u64().unwrap() >= 4, "{state:#}");
            // The escalation of the first run is still there, and was not repeated.
            assert_eq!(
                state["escalations"].as_array().unwrap().len(),
                1,
                "{state:#}"
            );
            assert_eq!(state["band"], "at-risk");

            // Each run's history stays small; the first one ended by continuing as new.
            // The handle from the start names the first run.
            let events = system::history(&monitor).await;
            let last = format!("{:?}", events.last().unwrap().event_type());
            assert_eq!(last, "WorkflowExecutionContinuedAsNew");
            assert!(events.len() < 80, "{} events in one run", events.len());
            system::record_health_history("continued_as_new", &events);
            current.terminate(Default::default()).await.unwrap();
        })
        .await;
    cs.stop().await.unwrap();
}

async fn check_now(system: &System, account: &str) -> Value {
    let handle = system
        .customer_success
        .get_workflow_handle::<UntypedWorkflow>(&format!("health-{account}"));
    let raw = handle
        .execute_update(
            UntypedUpdate::<UntypedWorkflow>::new(updates::CHECK_NOW),
            RawValue::new(vec![]),
            WorkflowExecuteUpdateOptions::default(),
        )
        .await
        .unwrap();
    serde_json::from_slice(&raw.payloads[0].data).unwrap()
}

async fn signal(system: &System, account: &str, name: &str) {
    let handle = system
        .customer_success
        .get_workflow_handle::<UntypedWorkflow>(&format!("health-{account}"));
    handle
        .signal(
            UntypedSignal::<UntypedWorkflow>::new(name),
            RawValue::new(vec![]),
            WorkflowSignalOptions::default(),
        )
        .await
        .unwrap();
}

/// A double-submitted CSRF token, as the dashboard's forms send it.
const CSRF: &str = "0123456789abcdef0123456789abcdef";

/// Posts a form to the dashboard: (status, `Location`).
async fn post_form(address: &str, path: &str, fields: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = format!("csrf_token={CSRF}&{fields}");
    let request = format!(
        "POST {path} HTTP/1.0\r\nHost: {address}\r\nCookie: sb_csrf={CSRF}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let location = response
        .lines()
        .find_map(|line| line.strip_prefix("location: "))
        .unwrap_or_default()
        .to_owned();
    (status, location)
}

#[tokio::test]
async fn the_health_page_starts_shows_and_stops_a_monitor() {
    let system = System::start().await;
    let mut cs = system.start_cs_worker(|_| {}).await;
    let web = system.start_web().await;
    system
        .with_gtm_worker(system.gtm_config(), async {
            let (status, location) =
                post_form(web.address(), "/health", "account_id=initech").await;
            assert_eq!((status, location.as_str()), (303, "/health"));
            let monitor = system
                .customer_success
                .get_workflow_handle::<UntypedWorkflow>("health-initech");
            health_until(&monitor, "the first check", |s| cycles(s) >= 1).await;

            // The page reads the stored snapshot: band, the three views, the last check.
            let page = crate::system::wait_for_page(web.address(), "/health", |body| {
                body.contains(r#"data-account="initech" data-band="watch""#)
            })
            .await;
            assert!(
                page.contains(
                    "class=\"view-marketing\">active ABM program Mid-Market Acceleration"
                ),
                "{page}"
            );
            assert!(page.contains("class=\"view-gtm\">"), "{page}");
            assert!(page.contains("Last check:"), "{page}");
            assert!(
                page.contains("/namespaces/customer-success/workflows/health-initech"),
                "deep link to the monitor's history"
            );
            // A second start of the same account keeps the one monitor.
            let (status, _) = post_form(web.address(), "/health", "account_id=initech").await;
            assert_eq!(status, 303);
            // A malformed or unknown account is refused, naming the field.
            let (status, _) = post_form(web.address(), "/health", "account_id=Nope!").await;
            assert_eq!(status, 400);
            let (status, _) = post_form(web.address(), "/health", "account_id=ghost-co").await;
            assert_eq!(status, 400);

            let (status, location) = post_form(web.address(), "/health/initech/stop", "").await;
            assert_eq!((status, location.as_str()), (303, "/health"));
            let description = monitor
                .describe(WorkflowDescribeOptions::default())
                .await
                .unwrap();
            assert_eq!(
                description.status(),
                WorkflowExecutionStatus::Terminated,
                "the monitor was stopped"
            );
            let (status, _) = post_form(web.address(), "/health/initech/stop", "").await;
            assert_eq!(status, 404, "nothing left to stop");
        })
        .await;
    cs.stop().await.unwrap();
}
