//! Customer Success's Nexus handlers with no server (`nexus_handler::testing`): the
//! team's own allowlist in front, the seeded Customer Success database behind.
//! (`checkNow` updates a running workflow: it is tested against a server, in
//! `system-tests`.)

use customer_success_worker::TEAM;
use customer_success_worker::store::CsStore;
use nexus_handler::testing::{TestHandler, TestStart};
use nexus_handler::{HandlerError, HandlerErrorKind};
use seed_data::model::SeedSet;
use shared_contracts::AccountId;
use shared_contracts::health::{AccountHealthRequest, HealthBand};
use shared_contracts::names::namespaces;
use shared_contracts::operation::GET_ACCOUNT_HEALTH;

async fn cs_handler(dir: &tempfile::TempDir) -> TestHandler {
    let url = format!("sqlite:{}/customer-success.db", dir.path().display());
    customer_success_worker::seed::load_url(&url, &SeedSet::shipped().unwrap(), chrono::Utc::now())
        .await
        .unwrap();
    let store = CsStore::open(&url).await.unwrap();
    TestHandler::new(
        namespaces::CUSTOMER_SUCCESS,
        service_kit::host::caller_policy(TEAM),
        customer_success_worker::nexus::services(store),
    )
}

#[tokio::test]
async fn get_account_health_scores_from_the_cs_database_for_its_callers_only() {
    let dir = tempfile::tempdir().unwrap();
    let handler = cs_handler(&dir).await;
    let ask = |account: &str| AccountHealthRequest {
        account_id: AccountId::parse(account).unwrap(),
    };
    let at_risk = handler
        .start(
            GET_ACCOUNT_HEALTH,
            Some(namespaces::MARKETING),
            &ask("umbrella-health"),
        )
        .await
        .unwrap();
    let TestStart::Answered(health) = at_risk else {
        panic!("not answered: {at_risk:?}");
    };
    assert_eq!(health.band, HealthBand::AtRisk, "{health:?}");
    assert!(health.health_score < 40, "{health:?}");

    let own = handler
        .start(
            GET_ACCOUNT_HEALTH,
            Some(namespaces::CUSTOMER_SUCCESS),
            &ask("umbrella-health"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            own,
            HandlerError::Handler {
                kind: HandlerErrorKind::Unauthorized,
                ..
            }
        ),
        "{own}"
    );
}
