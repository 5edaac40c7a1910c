use devkit::probe::ProbeRequest;
use serde_json::json;
use shared_contracts::names::{endpoints, namespaces};
use shared_contracts::operation::CHECK_ABM_PROGRAM;

use crate::harness::MarketingStack;

/// SPEC's example, byte for byte, as the caller receives it.
const ACME: &str = r#"{"accountId":"acme-corp","inABMProgram":true,"programName":"Enterprise Expansion Q1","status":"active","touchesRemaining":3}"#;

#[tokio::test]
async fn answers_for_active_paused_completed_and_unknown_accounts() {
    let mut stack = MarketingStack::start().await;

    let acme = stack.check(json!({"accountId": "acme-corp"})).await;
    assert_eq!(acme.outcome.outcome, "completed", "{:?}", acme.outcome);
    let output = acme.outcome.output.clone().unwrap();
    assert_eq!(serde_json::to_string(&output).unwrap(), ACME);
    // Proof that this went through Nexus, not an activity: the caller's history.
    assert_eq!(
        acme.nexus_events(),
        ["NexusOperationScheduled", "NexusOperationCompleted"]
    );
    assert!(
        acme.outcome.operation_token.is_none(),
        "sync operations have no token"
    );

    let paused = stack.check(json!({"accountId": "umbrella-health"})).await;
    assert_eq!(
        paused.outcome.output.unwrap(),
        json!({"accountId": "umbrella-health", "inABMProgram": false,
               "programName": "Healthcare Vertical Push", "status": "paused", "touchesRemaining": 4})
    );

    let completed = stack.check(json!({"accountId": "gringotts-bank"})).await;
    assert_eq!(
        completed.outcome.output.unwrap(),
        json!({"accountId": "gringotts-bank", "inABMProgram": false,
               "programName": "FinServ Renewal Defense", "status": "completed", "touchesRemaining": 0})
    );

    // initech is in a completed and an active program: the active one answers.
    let both = stack.check(json!({"accountId": "initech"})).await;
    let both = both.outcome.output.unwrap();
    assert_eq!(both["status"], "active");
    assert_eq!(both["programName"], "Mid-Market Acceleration");

    let unknown = stack.check(json!({"accountId": "never-heard-of-us"})).await;
    assert_eq!(
        unknown.outcome.output.unwrap(),
        json!({"accountId": "never-heard-of-us", "inABMProgram": false,
               "programName": null, "status": "none", "touchesRemaining": 0})
    );

    stack.stop_worker().await.unwrap();
}

#[tokio::test]
async fn bad_input_unknown_operations_and_foreign_callers_fail_at_once() {
    let mut stack = MarketingStack::start().await;

    let malformed = stack.check(json!({"accountId": "Acme Corp!"})).await;
    assert_eq!(
        malformed.outcome.outcome, "start_failed",
        "{:?}",
        malformed.outcome
    );
    let text = malformed.outcome.failure_text();
    assert!(text.contains("NexusHandlerFailure(BAD_REQUEST)"), "{text}");
    assert!(
        text.contains("accountId \\\"Acme Corp!\\\" is invalid")
            || text.contains("accountId \"Acme Corp!\" is invalid"),
        "{text}"
    );
    assert!(
        text.contains("1-64 characters of a-z, 0-9 and '-'"),
        "{text}"
    );
    assert_eq!(
        malformed.nexus_events(),
        ["NexusOperationScheduled", "NexusOperationFailed"]
    );

    let missing = stack.check(json!({"account": "acme-corp"})).await;
    assert!(
        missing
            .outcome
            .failure_text()
            .contains("missing field `accountId`"),
        "{:?}",
        missing.outcome
    );

    let unknown_operation = stack
        .call(
            namespaces::GTM,
            ProbeRequest::new(
                endpoints::MARKETING_ABM,
                CHECK_ABM_PROGRAM.service,
                "deleteAbmProgram",
                json!({"accountId": "acme-corp"}),
            ),
        )
        .await;
    let text = unknown_operation.outcome.failure_text();
    assert_eq!(unknown_operation.outcome.outcome, "start_failed");
    assert!(text.contains("NexusHandlerFailure(NOT_FOUND)"), "{text}");
    assert!(
        text.contains("no operation marketing.abm.v1/deleteAbmProgram"),
        "{text}"
    );

    // The endpoint is reachable from any namespace; the handler admits gtm only.
    let foreign = stack
        .check_from(namespaces::MARKETING, json!({"accountId": "acme-corp"}))
        .await;
    let text = foreign.outcome.failure_text();
    assert_eq!(
        foreign.outcome.outcome, "start_failed",
        "{:?}",
        foreign.outcome
    );
    assert!(text.contains("NexusHandlerFailure(UNAUTHORIZED)"), "{text}");
    assert!(
        text.contains("caller namespace \\\"marketing\\\" is not allowed")
            || text.contains("caller namespace \"marketing\" is not allowed"),
        "{text}"
    );

    stack.stop_worker().await.unwrap();
}

#[tokio::test]
async fn a_database_outage_is_retried_until_the_callers_deadline() {
    let mut stack = MarketingStack::start().await;
    let admin = seed_data::db::connect(&stack.database_url).await.unwrap();
    sqlx::query("ALTER TABLE program_enrolments RENAME TO program_enrolments_offline")
        .execute(&admin)
        .await
        .unwrap();

    let mut request = ProbeRequest::new(
        endpoints::MARKETING_ABM,
        CHECK_ABM_PROGRAM.service,
        CHECK_ABM_PROGRAM.name,
        json!({"accountId": "acme-corp"}),
    );
    request.timeout_secs = 4;
    let outage = stack.call(namespaces::GTM, request).await;
    // A sync operation that never answers times out before it ever "starts".
    assert_eq!(
        outage.outcome.outcome, "start_failed",
        "{:?}",
        outage.outcome
    );
    assert!(
        outage
            .outcome
            .failure_text()
            .contains("TimeoutFailure: operation timed out"),
        "{:?}",
        outage.outcome
    );
    // Retryable: the server kept retrying until the deadline (a non-retryable error
    // would have been NexusOperationFailed at the first attempt).
    assert_eq!(
        outage.nexus_events(),
        ["NexusOperationScheduled", "NexusOperationTimedOut"]
    );

    // Once the database is back, the same question gets the right answer.
    sqlx::query("ALTER TABLE program_enrolments_offline RENAME TO program_enrolments")
        .execute(&admin)
        .await
        .unwrap();
    let recovered = stack.check(json!({"accountId": "acme-corp"})).await;
    assert_eq!(
        recovered.outcome.outcome, "completed",
        "{:?}",
        recovered.outcome
    );
    stack.stop_worker().await.unwrap();
}
