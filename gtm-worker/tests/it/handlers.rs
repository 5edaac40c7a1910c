//! GTM's Nexus handlers with no server (`nexus_handler::testing`): the team's own
//! allowlist in front, the seeded GTM database behind.

use chrono::Utc;
use gtm_worker::TEAM;
use gtm_worker::store::GtmStore;
use nexus_handler::testing::{TestHandler, TestStart};
use nexus_handler::{HandlerErrorKind, Operation};
use seed_data::model::SeedSet;
use serde_json::json;
use shared_contracts::AccountId;
use shared_contracts::accounts::AccountSnapshotRequest;
use shared_contracts::coordinator::RunCoordinatorRequest;
use shared_contracts::names::{namespaces, task_queues};
use shared_contracts::operation::{GET_ACCOUNT_SNAPSHOT, RUN_COORDINATOR};

/// GTM's services over a freshly seeded database in `dir`.
async fn gtm_handler(dir: &tempfile::TempDir) -> TestHandler {
    let url = format!("sqlite:{}/gtm.db", dir.path().display());
    gtm_worker::seed::load_url(&url, &SeedSet::shipped().unwrap(), Utc::now())
        .await
        .unwrap();
    let store = GtmStore::open(&url).await.unwrap();
    TestHandler::new(
        namespaces::GTM,
        service_kit::host::caller_policy(TEAM),
        gtm_worker::nexus::services(task_queues::GTM_COORDINATOR, store),
    )
}

fn kind(err: &nexus_handler::HandlerError) -> Option<HandlerErrorKind> {
    match err {
        nexus_handler::HandlerError::Handler { kind, .. } => Some(*kind),
        _ => None,
    }
}

#[tokio::test]
async fn run_coordinator_starts_one_coordinator_that_only_its_caller_cancels() {
    let dir = tempfile::tempdir().unwrap();
    let handler = gtm_handler(&dir).await;
    let request = RunCoordinatorRequest {
        account_id: AccountId::parse("acme-corp").unwrap(),
        requested_by: None,
    };
    let started = handler
        .start(RUN_COORDINATOR, Some(namespaces::MARKETING), &request)
        .await;
    let Ok(TestStart::Started { token }) = started else {
        panic!("no coordinator started: {started:?}");
    };
    let runs = handler.started();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run.workflow_type, "DrewCoordinator");
    assert!(
        run.workflow_id.starts_with("drew-acme-corp-nexus-"),
        "{run:?}"
    );
    assert_eq!(run.task_queue, task_queues::GTM_COORDINATOR);
    assert_eq!(
        run.input,
        json!({"accountId": "acme-corp", "requestedBy": "nexus:marketing"})
    );
    assert_eq!(run.search_attributes["AccountId"], json!("acme-corp"));
    assert_eq!(
        run.search_attributes["RequestedBy"],
        json!("nexus:marketing")
    );
    assert_eq!(run.caller_namespace.as_deref(), Some(namespaces::MARKETING));

    // Customer Success may call GTM, but did not start this run.
    let other = handler
        .cancel(RUN_COORDINATOR, &token, Some(namespaces::CUSTOMER_SUCCESS))
        .await
        .unwrap_err();
    assert_eq!(
        kind(&other),
        Some(HandlerErrorKind::Unauthorized),
        "{other}"
    );
    assert!(!handler.started()[0].cancel_requested);
    // Marketing's workflow cancels it (a workflow's cancel names no caller).
    handler.cancel(RUN_COORDINATOR, &token, None).await.unwrap();
    assert!(handler.started()[0].cancel_requested);
}

#[tokio::test]
async fn run_coordinator_refuses_strangers_and_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let handler = gtm_handler(&dir).await;
    let request = RunCoordinatorRequest {
        account_id: AccountId::parse("acme-corp").unwrap(),
        requested_by: None,
    };
    // GTM does not call itself through its own endpoint.
    let own = handler
        .start(RUN_COORDINATOR, Some(namespaces::GTM), &request)
        .await
        .unwrap_err();
    assert_eq!(kind(&own), Some(HandlerErrorKind::Unauthorized), "{own}");

    // What a caller in another language could send.
    let untyped: Operation<serde_json::Value, serde_json::Value> =
        Operation::new(RUN_COORDINATOR.service, RUN_COORDINATOR.name);
    let bad = handler
        .start(
            untyped,
            Some(namespaces::MARKETING),
            &json!({"accountId": "Not A Slug"}),
        )
        .await
        .unwrap_err();
    assert_eq!(kind(&bad), Some(HandlerErrorKind::BadRequest), "{bad}");
    assert!(bad.message().contains("accountId"), "{bad}");
    assert!(handler.started().is_empty(), "nothing started");
}

#[tokio::test]
async fn get_account_snapshot_reads_the_gtm_database() {
    let dir = tempfile::tempdir().unwrap();
    let handler = gtm_handler(&dir).await;
    let ask = |account: &str| AccountSnapshotRequest {
        account_id: AccountId::parse(account).unwrap(),
    };
    let acme = handler
        .start(
            GET_ACCOUNT_SNAPSHOT,
            Some(namespaces::CUSTOMER_SUCCESS),
            &ask("acme-corp"),
        )
        .await
        .unwrap();
    let TestStart::Answered(acme) = acme else {
        panic!("not answered: {acme:?}");
    };
    assert!(acme.known);
    assert_eq!(acme.account_name.as_deref(), Some("Acme Corp"));
    assert_eq!(acme.open_pipeline.open_count, 2);

    let ghost = handler
        .start(
            GET_ACCOUNT_SNAPSHOT,
            Some(namespaces::CUSTOMER_SUCCESS),
            &ask("ghost-co"),
        )
        .await
        .unwrap();
    assert!(matches!(ghost, TestStart::Answered(snapshot) if !snapshot.known));
}
