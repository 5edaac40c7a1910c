//! The `cs.health.v1` Nexus service, as Customer Success serves it:
//!
//! - `getAccountHealth`: GTM and Marketing ask how healthy an account is, and get the
//!   score, band and drivers the rules in [`crate::rules`] give from this team's own
//!   database;
//! - `checkNow`: messaging over Nexus. The handler sends the account's running health
//!   monitor its `checkNow` update, with the Temporal client its context carries, and
//!   answers with the fresh snapshot. No running monitor: `NOT_FOUND`, naming the
//!   account.

use nexus_handler::{HandlerError, NexusServices, OperationContext};
use shared_contracts::health::AccountHealthRequest;
use shared_contracts::monitor::HealthSnapshot;
use shared_contracts::names::{health_monitor_id, updates};
use shared_contracts::operation::{CHECK_NOW, GET_ACCOUNT_HEALTH};
use temporalio_client::errors::WorkflowUpdateError;
use temporalio_client::{UntypedUpdate, UntypedWorkflow, WorkflowExecuteUpdateOptions};
use temporalio_common::data_converters::RawValue;

use crate::store::CsStore;

/// The operations this worker serves on its task queue.
pub fn services(store: CsStore) -> NexusServices {
    NexusServices::new()
        .sync(
            GET_ACCOUNT_HEALTH,
            move |_context, request: AccountHealthRequest| {
                let store = store.clone();
                async move {
                    // An unreachable database is not an answer: the error is retryable,
                    // so the server retries until the caller's deadline decides.
                    store
                        .account_health(&request.account_id, chrono::Utc::now())
                        .await
                        .map_err(|err| {
                            HandlerError::retryable_internal(format!(
                                "reading the health records of {}: {err}",
                                request.account_id
                            ))
                        })
                }
            },
        )
        .sync(CHECK_NOW, check_now)
}

/// `cs.health.v1/checkNow`: the monitor's `checkNow` update, sent from the handler.
async fn check_now(
    context: OperationContext,
    request: AccountHealthRequest,
) -> Result<HealthSnapshot, HandlerError> {
    let account = &request.account_id;
    let client = context.client.ok_or_else(|| {
        HandlerError::permanent_internal("this handler's context has no Temporal client")
    })?;
    let monitor = client.get_workflow_handle::<UntypedWorkflow>(health_monitor_id(account));
    let answer = monitor
        .execute_update(
            UntypedUpdate::<UntypedWorkflow>::new(updates::CHECK_NOW),
            RawValue::new(vec![]),
            WorkflowExecuteUpdateOptions::default(),
        )
        .await;
    let raw = match answer {
        Ok(raw) => raw,
        // Never started, or ended (stopped, or failed): nothing to check.
        Err(WorkflowUpdateError::NotFound(_)) => {
            return Err(HandlerError::not_found(format!(
                "no health monitor is running for {account}"
            )));
        }
        Err(WorkflowUpdateError::Failed(failure)) => {
            return Err(HandlerError::operation_failed(format!(
                "the health monitor of {account} could not check: {}",
                failure.message
            )));
        }
        Err(err) => {
            return Err(HandlerError::retryable_internal(format!(
                "asking the health monitor of {account} to check: {err}"
            )));
        }
    };
    let payload = raw.payloads.first().ok_or_else(|| {
        HandlerError::permanent_internal(format!(
            "the health monitor of {account} answered checkNow with nothing"
        ))
    })?;
    serde_json::from_slice(&payload.data).map_err(|err| {
        HandlerError::permanent_internal(format!(
            "the health monitor of {account} answered checkNow with an unreadable snapshot: {err}"
        ))
    })
}
