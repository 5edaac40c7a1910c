use serde_json::json;
use shared_contracts::names::namespaces;

use crate::harness::CsStack;

/// One seeded account per band, with the figures the rules give from the seed.
#[tokio::test]
async fn answers_with_the_seeded_health_of_one_account_per_band() {
    let mut stack = CsStack::start().await;

    let acme = stack.health(json!({"accountId": "acme-corp"})).await;
    assert_eq!(acme.outcome.outcome, "completed", "{:?}", acme.outcome);
    // Proof that this went through Nexus: the caller's history.
    assert_eq!(
        acme.nexus_events(),
        ["NexusOperationScheduled", "NexusOperationCompleted"]
    );
    let acme = acme.outcome.output.unwrap();
    assert_eq!(
        acme,
        json!({"accountId": "acme-corp", "healthScore": 98, "band": "healthy",
               "openTickets": 1, "nps": 75, "usageTrend": "flat", "renewalInDays": 210,
               "drivers": ["1 open ticket (1 low)", "NPS 75 from 4 responses"]})
    );

    let initech = stack.health(json!({"accountId": "initech"})).await;
    let initech = initech.outcome.output.unwrap();
    assert_eq!(initech["healthScore"], 62);
    assert_eq!(initech["band"], "watch");
    assert_eq!(initech["openTickets"], 3);
    assert_eq!(initech["nps"], 0);
    assert_eq!(initech["drivers"][0], "3 open tickets (1 high, 2 medium)");

    let umbrella = stack.health(json!({"accountId": "umbrella-health"})).await;
    let umbrella = umbrella.outcome.output.unwrap();
    assert_eq!(umbrella["healthScore"], 10);
    assert_eq!(umbrella["band"], "at-risk");
    assert_eq!(umbrella["usageTrend"], "declining");
    assert_eq!(umbrella["renewalInDays"], 40);
    assert!(
        umbrella["drivers"]
            .as_array()
            .unwrap()
            .contains(&json!("renews in 40 days while not healthy")),
        "{umbrella}"
    );

    // An account Customer Success has no record of is answered, not refused.
    let unknown = stack
        .health(json!({"accountId": "never-heard-of-us"}))
        .await;
    let unknown = unknown.outcome.output.unwrap();
    assert_eq!(unknown["openTickets"], 0);
    assert_eq!(unknown["renewalInDays"], serde_json::Value::Null);

    stack.stop_worker().await.unwrap();
}

#[tokio::test]
async fn a_malformed_id_is_a_bad_request_and_only_gtm_and_marketing_may_ask() {
    let mut stack = CsStack::start().await;

    let malformed = stack.health(json!({"accountId": "Acme Corp!"})).await;
    assert_eq!(
        malformed.outcome.outcome, "start_failed",
        "{:?}",
        malformed.outcome
    );
    let text = malformed.outcome.failure_text();
    assert!(text.contains("NexusHandlerFailure(BAD_REQUEST,"), "{text}");
    assert!(text.contains("accountId"), "{text}");
    assert_eq!(
        malformed.nexus_events(),
        ["NexusOperationScheduled", "NexusOperationFailed"]
    );

    let from_marketing = stack
        .health_from(namespaces::MARKETING, json!({"accountId": "acme-corp"}))
        .await;
    assert_eq!(
        from_marketing.outcome.outcome, "completed",
        "{:?}",
        from_marketing.outcome
    );

    // A fourth namespace reaches the endpoint, and the handler refuses it by name.
    stack.register_namespace("finance").await;
    let foreign = stack
        .health_from("finance", json!({"accountId": "acme-corp"}))
        .await;
    assert_eq!(
        foreign.outcome.outcome, "start_failed",
        "{:?}",
        foreign.outcome
    );
    let text = foreign.outcome.failure_text();
    assert!(text.contains("NexusHandlerFailure(UNAUTHORIZED,"), "{text}");
    assert!(
        text.contains("caller namespace \\\"finance\\\" is not allowed")
            || text.contains("caller namespace \"finance\" is not allowed"),
        "{text}"
    );

    stack.stop_worker().await.unwrap();
}
