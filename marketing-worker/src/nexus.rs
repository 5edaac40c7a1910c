//! The `marketing.abm.v1` Nexus service, as Marketing serves it.

use nexus_handler::{HandlerError, NexusServices};
use shared_contracts::abm::AbmCheckRequest;
use shared_contracts::operation::CHECK_ABM_PROGRAM;

use crate::store::MarketingStore;

/// The operations this worker serves on its task queue.
pub fn services(store: MarketingStore) -> NexusServices {
    NexusServices::new().sync(
        CHECK_ABM_PROGRAM,
        move |_context, request: AbmCheckRequest| {
            let store = store.clone();
            async move {
                // An unreachable database is not an answer: the error is retryable, so the
                // server retries until the caller's deadline decides.
                store
                    .check_abm_program(&request.account_id)
                    .await
                    .map_err(|err| {
                        HandlerError::retryable_internal(format!(
                            "reading ABM enrolments of {}: {err}",
                            request.account_id
                        ))
                    })
            }
        },
    )
}
