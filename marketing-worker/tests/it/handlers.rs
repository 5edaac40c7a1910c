//! Marketing's Nexus handler with no server (`nexus_handler::testing`): the team's own
//! allowlist in front, the seeded Marketing database behind.

use marketing_worker::TEAM;
use marketing_worker::store::MarketingStore;
use nexus_handler::testing::{TestHandler, TestStart};
use nexus_handler::{HandlerError, HandlerErrorKind, Operation};
use seed_data::model::SeedSet;
use serde_json::json;
use shared_contracts::AccountId;
use shared_contracts::abm::AbmCheckRequest;
use shared_contracts::names::namespaces;
use shared_contracts::operation::CHECK_ABM_PROGRAM;

async fn marketing_handler(dir: &tempfile::TempDir) -> TestHandler {
    let url = format!("sqlite:{}/marketing.db", dir.path().display());
    marketing_worker::seed::load_url(&url, &SeedSet::shipped().unwrap())
        .await
        .unwrap();
    let store = MarketingStore::open(&url).await.unwrap();
    TestHandler::new(
        namespaces::MARKETING,
        service_kit::host::caller_policy(TEAM),
        marketing_worker::nexus::services(store),
    )
}

fn kind(err: &HandlerError) -> Option<HandlerErrorKind> {
    match err {
        HandlerError::Handler { kind, .. } => Some(*kind),
        _ => None,
    }
}

#[tokio::test]
async fn check_abm_program_answers_from_the_marketing_database() {
    let dir = tempfile::tempdir().unwrap();
    let handler = marketing_handler(&dir).await;
    let ask = |account: &str| AbmCheckRequest {
        account_id: AccountId::parse(account).unwrap(),
    };
    let acme = handler
        .start(CHECK_ABM_PROGRAM, Some(namespaces::GTM), &ask("acme-corp"))
        .await
        .unwrap();
    let TestStart::Answered(acme) = acme else {
        panic!("not answered: {acme:?}");
    };
    // SPEC's example, as the wire carries it.
    assert_eq!(
        serde_json::to_value(&acme).unwrap(),
        json!({"accountId": "acme-corp", "inABMProgram": true,
               "programName": "Enterprise Expansion Q1", "status": "active", "touchesRemaining": 3})
    );
    let unknown = handler
        .start(
            CHECK_ABM_PROGRAM,
            Some(namespaces::CUSTOMER_SUCCESS),
            &ask("ghost-co"),
        )
        .await
        .unwrap();
    assert!(matches!(unknown, TestStart::Answered(answer) if !answer.in_abm_program));
}

#[tokio::test]
async fn check_abm_program_refuses_its_own_namespace_and_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let handler = marketing_handler(&dir).await;
    let request = AbmCheckRequest {
        account_id: AccountId::parse("acme-corp").unwrap(),
    };
    let own = handler
        .start(CHECK_ABM_PROGRAM, Some(namespaces::MARKETING), &request)
        .await
        .unwrap_err();
    assert_eq!(kind(&own), Some(HandlerErrorKind::Unauthorized), "{own}");
    assert!(
        !own.message().contains("gtm"),
        "no allowlist in a refusal: {own}"
    );

    let untyped: Operation<serde_json::Value, serde_json::Value> =
        Operation::new(CHECK_ABM_PROGRAM.service, CHECK_ABM_PROGRAM.name);
    let bad = handler
        .start(
            untyped,
            Some(namespaces::GTM),
            &json!({"accountId": "-acme"}),
        )
        .await
        .unwrap_err();
    assert_eq!(kind(&bad), Some(HandlerErrorKind::BadRequest), "{bad}");
    assert!(bad.message().contains("accountId"), "{bad}");
}
