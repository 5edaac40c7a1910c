//! The Drew Coordinator end to end: nine steps, step 8 through real Nexus.

use std::time::Duration;
use temporalio_common::protos::constants::LOCAL_ACTIVITY_MARKER_NAME;
use temporalio_common::protos::coresdk::common::extract_local_activity_marker_data;

use serde_json::{Value, json};
use shared_contracts::steps::{STEPS, StepId};
use temporalio_client::{WorkflowDescribeOptions, WorkflowExecutionStatus};
use temporalio_common::protos::temporal::api::enums::v1::EventType;
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;

use crate::system::{System, history, progress, record_history, result};

/// SPEC's example: what Marketing answers for acme-corp.
fn acme_abm() -> Value {
    json!({"accountId": "acme-corp", "inABMProgram": true,
           "programName": "Enterprise Expansion Q1", "status": "active", "touchesRemaining": 3})
}

fn step_statuses(progress: &Value) -> Vec<String> {
    progress
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{}={}",
                s["id"].as_str().unwrap(),
                s["status"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test]
async fn acme_corp_gets_a_brief_that_uses_its_active_abm_program() {
    let system = System::start().await;
    system
        .with_gtm_worker(system.gtm_config(), async {
            let handle = system
                .start_coordinator(json!({"accountId": "acme-corp", "requestedBy": "system-tests"}))
                .await;
            let brief = result(&handle).await.unwrap();

            assert_eq!(brief["accountId"], "acme-corp");
            assert_eq!(brief["abm"], acme_abm());
            let recommendation = brief["recommendation"].as_str().unwrap();
            assert!(
                recommendation.contains("Enterprise Expansion Q1"),
                "{recommendation}"
            );
            assert!(
                recommendation.contains("3 touches remaining"),
                "{recommendation}"
            );
            assert_eq!(
                brief["nextActions"][0]["action"],
                "Coordinate with Marketing on Enterprise Expansion Q1"
            );
            for field in [
                "fitScore",
                "intent",
                "buyingCommittee",
                "openPipeline",
                "completedAt",
            ] {
                assert!(!brief[field].is_null(), "brief lacks {field}: {brief}");
            }
            assert_eq!(brief["buyingCommittee"]["coveragePercent"], 100);
            assert_eq!(brief["openPipeline"]["openCount"], 2);

            // Every catalogue step completed, in order, with times and summaries.
            let progress = progress(&handle).await;
            let statuses = step_statuses(&progress);
            assert_eq!(statuses.len(), STEPS.len());
            assert!(
                statuses.iter().all(|s| s.ends_with("=completed")),
                "{statuses:?}"
            );
            assert_eq!(
                statuses[StepId::MarketingAbmCheck.index()],
                "marketing_abm_check=completed"
            );
            // In order on the steps' own clocks: each starts once the one before it
            // finished (steps 1-7 and 9 run inside workflow tasks, as local activities,
            // where workflow time stands still).
            let time = |step: &serde_json::Value, field: &str| {
                chrono::DateTime::parse_from_rfc3339(step[field].as_str().unwrap()).unwrap()
            };
            let mut previous_finish = None;
            for step in progress.as_array().unwrap() {
                assert!(step["startedAt"].as_str().unwrap().ends_with('Z'), "{step}");
                assert!(!step["summary"].as_str().unwrap().is_empty(), "{step}");
                let (started, finished) = (time(step, "startedAt"), time(step, "completedAt"));
                assert!(started <= finished, "{step}");
                if let Some(previous) = previous_finish {
                    assert!(
                        started >= previous,
                        "{step} starts before the step before it ended"
                    );
                }
                previous_finish = Some(finished);
            }
            assert_eq!(
                progress[StepId::MarketingAbmCheck.index()]["summary"],
                "Enterprise Expansion Q1 · active · 3 touches remaining"
            );

            // Step 8 is a real Nexus operation on endpoint marketing-abm.
            let events = history(&handle).await;
            let scheduled = events
                .iter()
                .find_map(|e| match &e.attributes {
                    Some(Attributes::NexusOperationScheduledEventAttributes(a)) => Some(a.clone()),
                    _ => None,
                })
                .expect("NexusOperationScheduled in the coordinator's history");
            assert_eq!(scheduled.endpoint, "marketing-abm");
            assert_eq!(scheduled.service, "marketing.abm.v1");
            assert_eq!(scheduled.operation, "checkAbmProgram");
            assert!(
                events
                    .iter()
                    .any(|e| e.event_type() == EventType::NexusOperationCompleted)
            );

            // Visible without opening the run: the search attributes.
            let description = handle
                .describe(WorkflowDescribeOptions::default())
                .await
                .unwrap();
            let attributes = description
                .raw_description
                .workflow_execution_info
                .as_ref()
                .and_then(|info| info.search_attributes.as_ref())
                .map(|sa| sa.indexed_fields.clone())
                .unwrap_or_default();
            assert_eq!(attributes["AccountId"].data, b"\"acme-corp\"");
            assert_eq!(attributes["CoordinatorStep"].data, b"\"done\"");

            // The brief is stored once.
            let pool = service_kit::db::connect(&system.gtm_database_url)
                .await
                .unwrap();
            let rows: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM coordinator_briefs WHERE workflow_id = $1",
            )
            .bind(handle.info().workflow_id.as_str())
            .fetch_one(&pool)
            .await
            .unwrap();
            assert_eq!(rows, 1);
            let stored: String =
                sqlx::query_scalar("SELECT brief FROM coordinator_briefs WHERE workflow_id = $1")
                    .bind(handle.info().workflow_id.as_str())
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            assert_eq!(serde_json::from_str::<Value>(&stored).unwrap(), brief);

            record_history("happy_path", &events);
        })
        .await;
    let mut system = system;
    system.stop_marketing().await;
}

#[tokio::test]
async fn an_account_in_no_program_gets_sales_led_outreach() {
    let system = System::start().await;
    system
        .with_gtm_worker(system.gtm_config(), async {
            let handle = system
                .start_coordinator(json!({"accountId": "soylent-foods"}))
                .await;
            let brief = result(&handle).await.unwrap();
            assert_eq!(
                brief["abm"],
                json!({"accountId": "soylent-foods", "inABMProgram": false, "programName": null,
                       "status": "none", "touchesRemaining": 0})
            );
            assert!(
                brief["recommendation"]
                    .as_str()
                    .unwrap()
                    .contains("in no ABM program"),
                "{}",
                brief["recommendation"]
            );
        })
        .await;
}

#[tokio::test]
async fn without_marketing_the_run_completes_with_abm_unavailable() {
    let system = System::start_without_marketing().await;
    let mut config = system.gtm_config();
    config.abm_timeout = Duration::from_secs(3);
    system
        .with_gtm_worker(config, async {
            let handle = system
                .start_coordinator(json!({"accountId": "acme-corp"}))
                .await;
            let brief = result(&handle).await.unwrap();
            assert_eq!(brief["abm"]["status"], "unavailable");
            assert_eq!(brief["abm"]["reason"], "Marketing did not answer within 3s");
            assert!(
                brief["recommendation"]
                    .as_str()
                    .unwrap()
                    .contains("ABM status is unknown"),
                "{}",
                brief["recommendation"]
            );
            let description = handle
                .describe(WorkflowDescribeOptions::default())
                .await
                .unwrap();
            assert_eq!(description.status(), WorkflowExecutionStatus::Completed);
            let events = history(&handle).await;
            assert!(
                events
                    .iter()
                    .any(|e| e.event_type() == EventType::NexusOperationTimedOut)
            );
            record_history("marketing_unavailable", &events);
        })
        .await;
}

#[tokio::test]
async fn unknown_and_malformed_accounts_fail_fast_at_step_one() {
    let system = System::start().await;
    system
        .with_gtm_worker(system.gtm_config(), async {
            let unknown = system
                .start_coordinator(json!({"accountId": "ghost-co"}))
                .await;
            let failure = result(&unknown).await.unwrap_err();
            assert!(
                failure
                    .contains("step 1 (load_account) failed: account \"ghost-co\" does not exist"),
                "{failure}"
            );
            let statuses = step_statuses(&progress(&unknown).await);
            assert_eq!(statuses[0], "load_account=failed");
            assert!(
                statuses[1..].iter().all(|s| s.ends_with("=skipped")),
                "{statuses:?}"
            );
            // Not retried: load_account ran once, as a local activity (one marker, on its
            // first attempt).
            let events = history(&unknown).await;
            let attempts: Vec<(String, u32)> = events
                .iter()
                .filter_map(|e| match &e.attributes {
                    Some(Attributes::MarkerRecordedEventAttributes(marker))
                        if marker.marker_name == LOCAL_ACTIVITY_MARKER_NAME =>
                    {
                        extract_local_activity_marker_data(&marker.details)
                            .map(|data| (data.activity_type, data.attempt))
                    }
                    _ => None,
                })
                .collect();
            assert_eq!(attempts, [("load_account".to_owned(), 1)]);
            assert_eq!(
                unknown
                    .describe(WorkflowDescribeOptions::default())
                    .await
                    .unwrap()
                    .status(),
                WorkflowExecutionStatus::Failed
            );
            record_history("unknown_account", &events);

            let malformed = system
                .start_coordinator(json!({"accountId": "Not A Slug"}))
                .await;
            let failure = result(&malformed).await.unwrap_err();
            assert!(
                failure.contains("step 1 (load_account) failed"),
                "{failure}"
            );
            assert!(
                failure.contains("accountId \"Not A Slug\" is invalid"),
                "{failure}"
            );

            let missing = system
                .start_coordinator(json!({"account": "acme-corp"}))
                .await;
            let failure = result(&missing).await.unwrap_err();
            assert!(failure.contains("missing field `accountId`"), "{failure}");
        })
        .await;
}

#[tokio::test]
async fn a_run_started_with_the_temporal_cli_completes() {
    let system = System::start().await;
    system
        .with_gtm_worker(system.gtm_config(), async {
            let workflow_id = format!("drew-acme-corp-cli-{}", devkit::probe::unique_suffix());
            let output = tokio::process::Command::new(devkit::temporal_cli::installed().unwrap())
                .args(["workflow", "start", "--address", &system.server.address()])
                .args(["--namespace", "gtm", "--task-queue", "gtm-coordinator"])
                .args(["--type", "DrewCoordinator", "--workflow-id", &workflow_id])
                .args(["--input", r#"{"accountId":"acme-corp"}"#])
                .output()
                .await
                .unwrap();
            assert!(output.status.success(), "{output:?}");
            let handle = system
                .gtm
                .get_workflow_handle::<temporalio_client::UntypedWorkflow>(workflow_id);
            let brief = result(&handle).await.unwrap();
            assert_eq!(brief["abm"], acme_abm());
        })
        .await;
}
