//! The `cs.health.v1` Nexus service, as Customer Success serves it: GTM and Marketing
//! ask how healthy an account is, and get the score, band and drivers the rules in
//! [`crate::rules`] give from this team's own database.

use nexus_handler::{HandlerError, NexusServices};
use shared_contracts::health::AccountHealthRequest;
use shared_contracts::operation::GET_ACCOUNT_HEALTH;

use crate::store::CsStore;

/// The operations this worker serves on its task queue.
pub fn services(store: CsStore) -> NexusServices {
    NexusServices::new().sync(
        GET_ACCOUNT_HEALTH,
        move |_context, request: AccountHealthRequest| {
            let store = store.clone();
            async move {
                // An unreachable database is not an answer: the error is retryable, so
                // the server retries until the caller's deadline decides.
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
}
