//! GTM's Nexus services, both behind the one `gtm-coordinator` endpoint: a worker
//! serves every service registered on its task queue, and the endpoint routes by
//! service and operation name.
//!
//! - `gtm.coordinator.v1/runCoordinator` (Marketing's campaign launches, Customer
//!   Success's escalations);
//! - `gtm.accounts.v1/getAccountSnapshot` (Customer Success's monitors): synchronous,
//!   the account's open pipeline and its newest stored brief, read from the GTM
//!   database.
//!
//! `runCoordinator` is a workflow-backed asynchronous operation: the handler only
//! names the `DrewCoordinator` run to start; the `nexus-handler` layer starts it with
//! the Nexus request id as the start request id (a retried start finds the run it
//! already started), attaches the completion callback that later delivers the brief
//! to the caller, and turns the caller's cancel requests into workflow cancellation.

use nexus_handler::{HandlerError, NexusServices, OperationContext, WorkflowStart};
use shared_contracts::AccountId;
use shared_contracts::accounts::{AccountSnapshot, AccountSnapshotRequest, LatestBrief};
use shared_contracts::coordinator::{CoordinatorInput, REQUESTED_BY_MAX_LEN};
use shared_contracts::names::search_attributes;
use shared_contracts::operation::{GET_ACCOUNT_SNAPSHOT, RUN_COORDINATOR};

use crate::scoring;
use crate::store::{GtmStore, StoreError};
use crate::workflows::DrewCoordinator;

/// The operations this worker serves: coordinators started on `task_queue`, account
/// snapshots read from `store`.
pub fn services(task_queue: &str, store: GtmStore) -> NexusServices {
    let task_queue = task_queue.to_owned();
    NexusServices::new()
        .workflow_run(
            RUN_COORDINATOR,
            DrewCoordinator::run,
            move |context, input: CoordinatorInput| {
                let start = coordinator_start(&context, input, &task_queue);
                async move { start }
            },
        )
        .sync(
            GET_ACCOUNT_SNAPSHOT,
            move |_context, request: AccountSnapshotRequest| {
                let store = store.clone();
                async move {
                    // An unreachable database is not an answer: retryable, so the
                    // server retries until the caller's deadline decides.
                    account_snapshot(&store, request.account_id.clone())
                        .await
                        .map_err(|err| {
                            HandlerError::retryable_internal(format!(
                                "reading account {}: {err}",
                                request.account_id
                            ))
                        })
                }
            },
        )
}

/// What GTM has on an account now: its open pipeline, as step 6 sums it, and its
/// newest stored brief. An account GTM does not have is `known: false`, not an error.
pub async fn account_snapshot(
    store: &GtmStore,
    account_id: AccountId,
) -> Result<AccountSnapshot, StoreError> {
    let Some(account) = store.account(account_id.as_str()).await? else {
        return Ok(AccountSnapshot::unknown(account_id));
    };
    let opportunities = store.opportunities(account_id.as_str()).await?;
    let latest_brief = store
        .latest_brief(account_id.as_str())
        .await?
        .map(|stored| LatestBrief {
            workflow_id: stored.workflow_id,
            recommendation: stored.brief.recommendation,
            completed_at: stored.brief.completed_at,
        });
    Ok(AccountSnapshot {
        account_id,
        known: true,
        account_name: Some(account.name),
        open_pipeline: scoring::pipeline(&opportunities),
        latest_brief,
    })
}

/// The coordinator run a `runCoordinator` request starts. The coordinator takes its
/// input as raw JSON (it validates it in step 1, to fail there with a message), so the
/// start carries the request's input as JSON.
pub fn coordinator_start(
    context: &OperationContext,
    mut input: CoordinatorInput,
    task_queue: &str,
) -> Result<WorkflowStart<serde_json::Value>, HandlerError> {
    if input.requested_by.is_none() {
        // Runs started through Nexus say where they came from, so the dashboard can
        // tell a campaign's runs from a salesperson's.
        let origin = match &context.caller {
            Some(caller) => format!("nexus:{}", caller.namespace),
            None => "nexus".to_owned(),
        };
        input.requested_by = Some(origin.chars().take(REQUESTED_BY_MAX_LEN).collect());
    }
    input.validate().map_err(HandlerError::bad_request)?;
    // `AccountId` and `RequestedBy` are set at start, as the dashboard does: the run is
    // listed by account and requester from its first event, and the workflow has no
    // search attribute left to upsert.
    let requested_by = input.requested_by.clone().unwrap_or_default();
    let json = serde_json::to_value(&input).map_err(|err| {
        HandlerError::permanent_internal(format!("encoding the coordinator's input: {err}"))
    })?;
    Ok(WorkflowStart::new(
        coordinator_workflow_id(&input.account_id, &context.request_id),
        task_queue,
        json,
    )
    .keyword(search_attributes::ACCOUNT_ID, input.account_id.as_str())
    .keyword(search_attributes::REQUESTED_BY, &requested_by))
}

/// `drew-{accountId}-nexus-{request id}`: readable in the Web UI, one run per
/// operation, and the same on every retry of one start request.
pub fn coordinator_workflow_id(account_id: &AccountId, request_id: &str) -> String {
    format!("drew-{account_id}-nexus-{request_id}")
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use nexus_handler::CallerInfo;

    use super::*;

    fn context(caller: Option<&str>) -> OperationContext {
        OperationContext {
            endpoint: "gtm-coordinator".into(),
            service: RUN_COORDINATOR.service.into(),
            operation: RUN_COORDINATOR.name.into(),
            request_id: "7f0c".into(),
            caller: caller.map(|namespace| CallerInfo {
                namespace: namespace.into(),
                workflow_id: "launch-1".into(),
                run_id: "run-1".into(),
            }),
            headers: HashMap::new(),
            deadline: None,
            links: Vec::new(),
            callback_url: "temporal://system".into(),
            callback_headers: HashMap::new(),
            client: None,
        }
    }

    fn input(requested_by: Option<&str>) -> CoordinatorInput {
        CoordinatorInput {
            account_id: AccountId::parse("acme-corp").unwrap(),
            requested_by: requested_by.map(str::to_owned),
        }
    }

    #[test]
    fn starts_a_coordinator_per_request() {
        let start =
            coordinator_start(&context(Some("marketing")), input(None), "gtm-coordinator").unwrap();
        assert_eq!(start.workflow_id, "drew-acme-corp-nexus-7f0c");
        assert_eq!(start.task_queue, "gtm-coordinator");
        assert_eq!(
            start.search_attributes,
            [
                ("AccountId".to_owned(), "acme-corp".to_owned()),
                ("RequestedBy".to_owned(), "nexus:marketing".to_owned())
            ]
        );
        assert_eq!(
            start.input,
            serde_json::json!({"accountId": "acme-corp", "requestedBy": "nexus:marketing"})
        );
    }

    #[test]
    fn keeps_the_callers_requested_by() {
        let start = coordinator_start(&context(Some("marketing")), input(Some("campaign:q1")), "q")
            .unwrap();
        assert_eq!(start.input["requestedBy"], "campaign:q1");
        let anonymous = coordinator_start(&context(None), input(None), "q").unwrap();
        assert_eq!(anonymous.input["requestedBy"], "nexus");
    }

    #[test]
    fn an_overlong_requested_by_is_a_bad_request() {
        let long = "x".repeat(500);
        let err = coordinator_start(&context(None), input(Some(&long)), "q").unwrap_err();
        assert!(!err.is_retryable());
        assert!(err.message().contains("requestedBy"), "{err}");
    }
}
