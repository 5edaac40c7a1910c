//! Who may call which service, set in a worker's environment: a service's own
//! allowlist (`<PREFIX>_ALLOWED_CALLER_NAMESPACES_<SERVICE>`) replaces the worker's for
//! that service only, as real caller workflows see it.

use devkit::probe::{self, ProbeOutcome, ProbeRequest};
use serde_json::json;
use shared_contracts::names::{endpoints, namespaces};
use shared_contracts::operation::{GET_ACCOUNT_SNAPSHOT, RUN_COORDINATOR};

use crate::processes::WorkerProcess;
use crate::system::System;

/// `operation` on GTM's endpoint with `input`, from a workflow in `namespace`.
async fn call_gtm(
    system: &System,
    namespace: &str,
    service: &str,
    operation: &str,
    input: serde_json::Value,
) -> ProbeOutcome {
    let request = ProbeRequest::new(endpoints::GTM_COORDINATOR, service, operation, input);
    probe::run_probe(&system.server, namespace, request)
        .await
        .unwrap()
        .outcome
}

#[tokio::test]
async fn a_services_own_allowlist_admits_only_its_callers_and_leaves_the_others_alone() {
    let system = System::start_without_marketing().await;
    let _gtm = WorkerProcess::gtm(&system)
        .env("GTM_ALLOWED_CALLER_NAMESPACES_GTM_ACCOUNTS_V1", "marketing")
        .started()
        .await;
    let snapshot = |namespace| {
        call_gtm(
            &system,
            namespace,
            GET_ACCOUNT_SNAPSHOT.service,
            GET_ACCOUNT_SNAPSHOT.name,
            json!({"accountId": "acme-corp"}),
        )
    };

    // gtm.accounts.v1 now admits Marketing only.
    let refused = snapshot(namespaces::CUSTOMER_SUCCESS).await;
    assert_eq!(refused.outcome, "start_failed", "{refused:?}");
    let text = refused.failure_text();
    assert!(text.contains("NexusHandlerFailure(UNAUTHORIZED,"), "{text}");
    assert!(
        text.contains(
            "caller namespace \"customer-success\" is not allowed to call gtm.accounts.v1/getAccountSnapshot"
        ),
        "{text}"
    );
    let admitted = snapshot(namespaces::MARKETING).await;
    assert_eq!(admitted.outcome, "completed", "{admitted:?}");
    assert_eq!(admitted.output.unwrap()["accountId"], "acme-corp");

    // gtm.coordinator.v1 keeps the worker's allowlist: Customer Success is admitted,
    // and its (deliberately incomplete) input is what is refused.
    let coordinator = call_gtm(
        &system,
        namespaces::CUSTOMER_SUCCESS,
        RUN_COORDINATOR.service,
        RUN_COORDINATOR.name,
        json!({}),
    )
    .await;
    assert_eq!(coordinator.outcome, "start_failed", "{coordinator:?}");
    let text = coordinator.failure_text();
    assert!(text.contains("NexusHandlerFailure(BAD_REQUEST,"), "{text}");
}
