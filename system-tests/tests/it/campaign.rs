//! Marketing's campaign launch end to end: a `CampaignLaunch` in `marketing` briefs
//! every target account through `gtm.coordinator.v1/runCoordinator`, a real Nexus
//! operation that runs a `DrewCoordinator` in `gtm` (whose step 8 calls back into
//! Marketing through the other endpoint).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use devkit::probe::unique_suffix;
use futures::StreamExt;
use marketing_worker::store::{LaunchResultRecord, MarketingStore};
use serde_json::{Value, json};
use shared_contracts::campaign::LaunchAccountStatus;
use shared_contracts::names::{endpoints, namespaces, queries, workflow_types};
use shared_contracts::operation::RUN_COORDINATOR;
use temporalio_client::errors::WorkflowStartError;
use temporalio_client::{
    Client, UntypedWorkflow, WorkflowCancelOptions, WorkflowDescribeOptions,
    WorkflowExecutionStatus, WorkflowHandle, WorkflowIdConflictPolicy, WorkflowListOptions,
};
use temporalio_common::protos::temporal::api::common::v1::{Link, link};
use temporalio_common::protos::temporal::api::enums::v1::EventType;
use temporalio_common::protos::temporal::api::history::v1::HistoryEvent;
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;

use crate::system::{
    System, history, launch_progress, query, record_launch_history, result, wait_until,
};

/// The seeded five-account campaign.
const Q1: &str = "q1-enterprise-launch";
const Q1_TARGETS: [&str; 5] = [
    "acme-corp",
    "globex",
    "stark-industries",
    "massive-dynamic",
    "hooli",
];

#[tokio::test]
async fn a_launch_started_with_the_cli_briefs_every_target_account_once() {
    let mut system = System::start().await;
    system
        .with_gtm_worker(system.gtm_config(), async {
            let launch_id = format!("launch-{Q1}-cli-{}", unique_suffix());
            let output = tokio::process::Command::new(devkit::temporal_cli::installed().unwrap())
                .args(["workflow", "start", "--address", &system.server.address()])
                .args(["--namespace", "marketing", "--task-queue", "marketing-abm"])
                .args(["--type", "CampaignLaunch", "--workflow-id", &launch_id])
                .args(["--input", r#"{"campaignId":"q1-enterprise-launch"}"#])
                .output()
                .await
                .unwrap();
            assert!(output.status.success(), "{output:?}");
            let launch = system
                .marketing
                .get_workflow_handle::<UntypedWorkflow>(launch_id.clone());
            let summary = result(&launch).await.unwrap();

            // Every account completed, in the campaign's order, with a recommendation.
            assert_eq!(summary["campaignId"], Q1);
            assert_eq!(summary["campaignName"], "Q1 Enterprise Launch");
            assert_eq!(
                statuses(&summary),
                Q1_TARGETS.map(|account| format!("{account}=completed"))
            );
            for account in accounts(&summary) {
                let id = account["accountId"].as_str().unwrap();
                let coordinator = account["coordinatorWorkflowId"].as_str().unwrap();
                assert!(
                    coordinator.starts_with(&format!("drew-{id}-nexus-")),
                    "{coordinator}"
                );
                assert!(!account["recommendation"].as_str().unwrap().is_empty());
                assert!(account["error"].is_null(), "{account}");
                assert!(account["finishedAt"].as_str().unwrap().ends_with('Z'));
            }
            // acme-corp's brief used Marketing's answer: Marketing -> GTM -> Marketing.
            let acme = &accounts(&summary)[0]["recommendation"];
            assert!(
                acme.as_str().unwrap().contains("Enterprise Expansion Q1"),
                "{acme}"
            );
            // The query answers the same as the result.
            assert_eq!(launch_progress(&launch).await, summary);

            // Exactly five coordinators ran in gtm: the ones the launch names, all
            // completed.
            let coordinators = coordinator_ids(&summary);
            assert_eq!(coordinators.len(), 5);
            assert_eq!(coordinators_in_gtm(&system, 5).await, coordinators);
            for id in &coordinators {
                assert_eq!(
                    status_in(&system.gtm, id).await,
                    WorkflowExecutionStatus::Completed
                );
            }

            // Each went through Nexus: scheduled on the gtm-coordinator endpoint, and
            // the launch's NexusOperationStarted event links to the coordinator's run.
            let events = history(&launch).await;
            let scheduled: Vec<_> = events
                .iter()
                .filter_map(|e| match &e.attributes {
                    Some(Attributes::NexusOperationScheduledEventAttributes(a)) => Some(a),
                    _ => None,
                })
                .collect();
            assert_eq!(scheduled.len(), 5);
            for operation in &scheduled {
                assert_eq!(operation.endpoint, endpoints::GTM_COORDINATOR);
                assert_eq!(operation.service, RUN_COORDINATOR.service);
                assert_eq!(operation.operation, RUN_COORDINATOR.name);
            }
            let started = linked_coordinators(&events);
            assert_eq!(started.len(), 5, "one link per NexusOperationStarted");
            assert_eq!(started.into_iter().collect::<BTreeSet<_>>(), coordinators);
            // Three at a time, the default.
            assert_eq!(max_in_flight(&events), 3);

            // The coordinator knows who asked, and its completion callback (which
            // delivers the brief) links back to the launch.
            let first = system
                .gtm
                .get_workflow_handle::<UntypedWorkflow>(coordinator_of(&summary, "acme-corp"));
            let started = history(&first).await.remove(0);
            let Some(Attributes::WorkflowExecutionStartedEventAttributes(attributes)) =
                &started.attributes
            else {
                panic!("the first event is WorkflowExecutionStarted: {started:?}");
            };
            let input: Value =
                serde_json::from_slice(&attributes.input.as_ref().unwrap().payloads[0].data)
                    .unwrap();
            assert_eq!(
                input,
                json!({"accountId": "acme-corp", "requestedBy": "campaign:q1-enterprise-launch"})
            );
            let description = first
                .describe(WorkflowDescribeOptions::default())
                .await
                .unwrap();
            let callers: Vec<_> = description
                .raw_description
                .callbacks
                .iter()
                .filter_map(|info| info.callback.as_ref())
                .flat_map(|callback| workflow_links(&callback.links, namespaces::MARKETING))
                .collect();
            assert_eq!(callers, [launch_id.as_str()]);

            // One row per account in the Marketing database, matching the summary.
            let rows = launch_results(&system, &launch_id).await;
            assert_eq!(rows.len(), 5);
            for (row, account) in rows.iter().zip(accounts(&summary)) {
                assert_eq!(row.account_id, account["accountId"].as_str().unwrap());
                assert_eq!(row.campaign_id, Q1);
                assert_eq!(row.status, LaunchAccountStatus::Completed);
                assert_eq!(
                    row.coordinator_workflow_id.as_deref(),
                    account["coordinatorWorkflowId"].as_str()
                );
                assert_eq!(row.detail, account["recommendation"].as_str().unwrap());
            }
            record_launch_history("launch_q1", &events);
        })
        .await;
    system.stop_marketing().await;
}

#[tokio::test]
async fn starting_the_same_launch_twice_runs_it_once() {
    let system = System::start().await;
    system
        .with_gtm_worker(system.gtm_config(), async {
            let launch_id = format!("launch-{Q1}-twice-{}", unique_suffix());
            let input = json!({"campaignId": Q1});
            let first = system
                .start_launch(&launch_id, input.clone())
                .await
                .unwrap();

            // While it runs: refused, or (if the caller asks) the same run back.
            expect_already_started(system.start_launch(&launch_id, input.clone()).await);
            let same = system
                .start_launch_with(
                    &launch_id,
                    input.clone(),
                    WorkflowIdConflictPolicy::UseExisting,
                )
                .await
                .unwrap();
            assert_eq!(same.info().run_id, first.info().run_id);

            let summary = result(&first).await.unwrap();
            assert_eq!(
                statuses(&summary),
                Q1_TARGETS.map(|account| format!("{account}=completed"))
            );
            // Once it has closed, the launch id still cannot start a second run.
            expect_already_started(system.start_launch(&launch_id, input).await);

            assert_eq!(
                coordinators_in_gtm(&system, 5).await,
                coordinator_ids(&summary)
            );
            assert_eq!(launch_results(&system, &launch_id).await.len(), 5);
        })
        .await;
}

/// Cancels a launch while its coordinators are in flight, deterministically: at first
/// only GTM's Nexus handler serves (`gtm_worker::nexus::services`, as in production),
/// so the coordinators start but no worker runs them yet, and the cancel reaches them
/// there. Then the whole gtm-worker runs; the coordinators honour the cancel, and the
/// launch, which waits for that, closes.
#[tokio::test]
async fn canceling_a_launch_cancels_its_coordinators() {
    let system = System::start().await;
    let launch_id = format!("launch-{Q1}-canceled-{}", unique_suffix());
    let (launch, coordinators) = system
        .with_gtm_nexus_handler_only(async {
            let launch = system
                .start_launch(&launch_id, json!({"campaignId": Q1, "maxConcurrent": 2}))
                .await
                .unwrap();
            // Two lanes: the first two accounts' coordinators start, nothing more.
            let running = wait_for(&launch, "two coordinators started", |summary| {
                accounts(summary)
                    .iter()
                    .filter(|a| a["status"] == "running" && a["coordinatorWorkflowId"].is_string())
                    .count()
                    == 2
            })
            .await;
            let coordinators = [
                coordinator_of(&running, "acme-corp"),
                coordinator_of(&running, "globex"),
            ];
            for id in &coordinators {
                assert_eq!(
                    status_in(&system.gtm, id).await,
                    WorkflowExecutionStatus::Running
                );
            }

            launch
                .cancel(
                    WorkflowCancelOptions::builder()
                        .reason("campaign pulled")
                        .build(),
                )
                .await
                .unwrap();
            // The cancel travels launch -> Nexus -> GTM's handler -> each coordinator.
            for id in &coordinators {
                let coordinator = system
                    .gtm
                    .get_workflow_handle::<UntypedWorkflow>(id.clone());
                wait_until(&format!("a cancel request on {id}"), || async {
                    history(&coordinator)
                        .await
                        .iter()
                        .any(|e| e.event_type() == EventType::WorkflowExecutionCancelRequested)
                })
                .await;
            }
            // The launch waits for the coordinators to actually end.
            assert_eq!(
                status_in(&system.marketing, &launch_id).await,
                WorkflowExecutionStatus::Running
            );
            (launch, coordinators)
        })
        .await;

    system
        .with_gtm_worker(system.gtm_config(), async {
            let failure = result(&launch).await.unwrap_err();
            assert!(failure.contains("cancelled"), "{failure}");
            assert_eq!(
                status_in(&system.marketing, &launch_id).await,
                WorkflowExecutionStatus::Canceled
            );

            // Both coordinators ended canceled before their first step finished, and no
            // other coordinator ever started.
            for id in &coordinators {
                assert_eq!(
                    status_in(&system.gtm, id).await,
                    WorkflowExecutionStatus::Canceled,
                    "{id}"
                );
                let coordinator = system
                    .gtm
                    .get_workflow_handle::<UntypedWorkflow>(id.clone());
                let steps = query(&coordinator, queries::PROGRESS).await.unwrap();
                assert_eq!(steps[0]["status"], "failed", "{steps}");
                assert_eq!(steps[0]["summary"], "canceled", "{steps}");
            }
            assert_eq!(
                coordinators_in_gtm(&system, 2).await,
                coordinators.iter().cloned().collect()
            );
            let events = history(&launch).await;
            let canceled = events
                .iter()
                .filter(|e| e.event_type() == EventType::NexusOperationCanceled)
                .count();
            assert_eq!(canceled, 2);

            // The launch says what happened to each account, and recorded the two it
            // had started.
            let summary = launch_progress(&launch).await;
            assert_eq!(
                statuses(&summary),
                Q1_TARGETS.map(|account| format!("{account}=canceled"))
            );
            assert_eq!(
                accounts(&summary)[0]["error"],
                "the launch was canceled; so was its coordinator"
            );
            for never_started in &accounts(&summary)[2..] {
                assert!(never_started["coordinatorWorkflowId"].is_null());
                assert_eq!(
                    never_started["error"],
                    "the launch was canceled before this account started"
                );
            }
            let rows = launch_results(&system, &launch_id).await;
            let recorded: Vec<_> = rows
                .iter()
                .map(|r| (r.account_id.as_str(), r.status))
                .collect();
            assert_eq!(
                recorded,
                [
                    ("acme-corp", LaunchAccountStatus::Canceled),
                    ("globex", LaunchAccountStatus::Canceled)
                ]
            );
            record_launch_history("launch_canceled", &events);
        })
        .await;
}

#[tokio::test]
async fn a_bad_target_fails_only_its_own_account() {
    let system = System::start().await;
    insert_campaign(
        &system,
        "partner-push",
        &["acme-corp", "ghost-co", "globex"],
    )
    .await;
    insert_campaign(&system, "typo-list", &["Initech Corp"]).await;
    system
        .with_gtm_worker(system.gtm_config(), async {
            // ghost-co is well-formed but unknown to GTM: its coordinator fails at step 1.
            let launch_id = format!("launch-partner-push-{}", unique_suffix());
            let launch = system
                .start_launch(&launch_id, json!({"campaignId": "partner-push"}))
                .await
                .unwrap();
            let summary = result(&launch).await.unwrap();
            assert_eq!(
                statuses(&summary),
                ["acme-corp=completed", "ghost-co=failed", "globex=completed"]
            );
            let ghost = &accounts(&summary)[1];
            let error = ghost["error"].as_str().unwrap();
            assert!(
                error.contains("account \"ghost-co\" does not exist"),
                "{error}"
            );
            assert!(ghost["recommendation"].is_null());
            assert_eq!(
                status_in(&system.gtm, &coordinator_of(&summary, "ghost-co")).await,
                WorkflowExecutionStatus::Failed
            );
            let rows = launch_results(&system, &launch_id).await;
            let recorded: Vec<_> = rows
                .iter()
                .map(|r| (r.account_id.as_str(), r.status))
                .collect();
            assert_eq!(
                recorded,
                [
                    ("acme-corp", LaunchAccountStatus::Completed),
                    ("ghost-co", LaunchAccountStatus::Failed),
                    ("globex", LaunchAccountStatus::Completed)
                ]
            );
            assert_eq!(rows[1].detail, error);
            record_launch_history("launch_bad_account", &history(&launch).await);

            // A malformed id never reaches GTM.
            let typo_id = format!("launch-typo-list-{}", unique_suffix());
            let typo = system
                .start_launch(&typo_id, json!({"campaignId": "typo-list"}))
                .await
                .unwrap();
            let summary = result(&typo).await.unwrap();
            let account = &accounts(&summary)[0];
            assert_eq!(account["status"], "failed");
            assert!(account["coordinatorWorkflowId"].is_null());
            assert!(
                account["error"]
                    .as_str()
                    .unwrap()
                    .contains("accountId \"Initech Corp\" is invalid"),
                "{account}"
            );
            assert!(
                !history(&typo)
                    .await
                    .iter()
                    .any(|e| e.event_type() == EventType::NexusOperationScheduled)
            );
            let rows = launch_results(&system, &typo_id).await;
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].coordinator_workflow_id, None);

            // What fails the whole launch: an unknown campaign (not retried), bad input.
            let unknown_id = format!("launch-unknown-{}", unique_suffix());
            let unknown = system
                .start_launch(&unknown_id, json!({"campaignId": "no-such-campaign"}))
                .await
                .unwrap();
            let failure = result(&unknown).await.unwrap_err();
            assert!(
                failure.contains(
                    "campaign \"no-such-campaign\" does not exist in the Marketing database"
                ),
                "{failure}"
            );
            let attempts = history(&unknown)
                .await
                .iter()
                .filter(|e| e.event_type() == EventType::ActivityTaskStarted)
                .count();
            assert_eq!(attempts, 1);
            for (input, expected) in [
                (
                    json!({"campaignId": "partner-push", "maxConcurrent": 0}),
                    "maxConcurrent is 0",
                ),
                (
                    json!({"campaign": "partner-push"}),
                    "missing field `campaignId`",
                ),
                (
                    json!({"campaignId": "Partner Push"}),
                    "campaignId \"Partner Push\" is invalid",
                ),
            ] {
                let handle = system
                    .start_launch(&format!("launch-bad-{}", unique_suffix()), input)
                    .await
                    .unwrap();
                let failure = result(&handle).await.unwrap_err();
                assert!(failure.contains(expected), "{failure}");
            }
        })
        .await;
}

/// Adds a campaign with these targets to the test's Marketing database.
async fn insert_campaign(system: &System, id: &str, targets: &[&str]) {
    let pool = service_kit::db::connect(&system.marketing_database_url)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO campaigns (id, name, program_id, channel, status, description) \
         VALUES ($1, $2, NULL, 'email', 'planned', 'system tests')",
    )
    .bind(id)
    .bind(format!("Test campaign {id}"))
    .execute(&pool)
    .await
    .unwrap();
    for (position, account) in targets.iter().enumerate() {
        sqlx::query(
            "INSERT INTO campaign_targets (campaign_id, account_id, position) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(*account)
        .bind(i64::try_from(position).unwrap())
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;
}

async fn launch_results(system: &System, launch_id: &str) -> Vec<LaunchResultRecord> {
    let pool = service_kit::db::connect(&system.marketing_database_url)
        .await
        .unwrap();
    let rows = MarketingStore::new(pool.clone())
        .launch_results(launch_id)
        .await
        .unwrap();
    pool.close().await;
    rows
}

fn accounts(summary: &Value) -> &Vec<Value> {
    summary["accounts"].as_array().unwrap()
}

/// `account=status` per account, in order.
fn statuses(summary: &Value) -> Vec<String> {
    accounts(summary)
        .iter()
        .map(|a| {
            format!(
                "{}={}",
                a["accountId"].as_str().unwrap(),
                a["status"].as_str().unwrap()
            )
        })
        .collect()
}

fn coordinator_of(summary: &Value, account: &str) -> String {
    accounts(summary)
        .iter()
        .find(|a| a["accountId"] == account)
        .and_then(|a| a["coordinatorWorkflowId"].as_str())
        .unwrap_or_else(|| panic!("no coordinator for {account} in {summary}"))
        .to_owned()
}

fn coordinator_ids(summary: &Value) -> BTreeSet<String> {
    accounts(summary)
        .iter()
        .filter_map(|a| a["coordinatorWorkflowId"].as_str().map(str::to_owned))
        .collect()
}

/// Every `DrewCoordinator` in `gtm`, once visibility (eventually consistent) shows at
/// least `expected`; fails the test if it has not after two minutes.
async fn coordinators_in_gtm(system: &System, expected: usize) -> BTreeSet<String> {
    let query = format!("WorkflowType = '{}'", workflow_types::DREW_COORDINATOR);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let mut ids = BTreeSet::new();
        let mut listed = system
            .gtm
            .list_workflows(query.as_str(), WorkflowListOptions::builder().build());
        while let Some(execution) = listed.next().await {
            ids.insert(execution.unwrap().id().to_owned());
        }
        if ids.len() >= expected {
            return ids;
        }
        assert!(
            Instant::now() < deadline,
            "visibility lists {} coordinators, not {expected}, after two minutes: {ids:?}",
            ids.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn status_in(client: &Client, workflow_id: &str) -> WorkflowExecutionStatus {
    client
        .get_workflow_handle::<UntypedWorkflow>(workflow_id)
        .describe(WorkflowDescribeOptions::default())
        .await
        .unwrap()
        .status()
}

/// Workflow ids that `links` point at in `namespace`.
fn workflow_links(links: &[Link], namespace: &str) -> Vec<String> {
    links
        .iter()
        .filter_map(|l| match &l.variant {
            Some(link::Variant::WorkflowEvent(linked)) if linked.namespace == namespace => {
                Some(linked.workflow_id.clone())
            }
            _ => None,
        })
        .collect()
}

/// The coordinator runs the launch's `NexusOperationStarted` events link to.
fn linked_coordinators(events: &[HistoryEvent]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.event_type() == EventType::NexusOperationStarted)
        .flat_map(|e| workflow_links(&e.links, namespaces::GTM))
        .collect()
}

/// The most Nexus operations the history ever had open at once.
fn max_in_flight(events: &[HistoryEvent]) -> usize {
    let (mut open, mut most) = (0usize, 0usize);
    for event in events {
        match event.event_type() {
            EventType::NexusOperationScheduled => {
                open += 1;
                most = most.max(open);
            }
            EventType::NexusOperationCompleted
            | EventType::NexusOperationFailed
            | EventType::NexusOperationCanceled
            | EventType::NexusOperationTimedOut => open = open.saturating_sub(1),
            _ => {}
        }
    }
    most
}

fn expect_already_started(
    start: Result<WorkflowHandle<Client, UntypedWorkflow>, WorkflowStartError>,
) {
    match start {
        Err(WorkflowStartError::AlreadyStarted { .. }) => {}
        Err(other) => panic!("expected AlreadyStarted, got {other}"),
        Ok(handle) => panic!("a second run started: {:?}", handle.info()),
    }
}

/// Polls the launch's progress until `done` holds; returns that progress.
async fn wait_for(
    launch: &WorkflowHandle<Client, UntypedWorkflow>,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        // Until its first workflow task completes, the launch cannot answer.
        let summary = query(launch, queries::LAUNCH_PROGRESS).await;
        if let Ok(summary) = &summary
            && done(summary)
        {
            return summary.clone();
        }
        if Instant::now() > deadline {
            let events: Vec<_> = history(launch)
                .await
                .iter()
                .map(|e| format!("{:?}", e.event_type()))
                .collect();
            panic!("timed out waiting for {what}: {summary:?}\nlaunch history: {events:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
