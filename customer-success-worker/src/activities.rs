//! The monitor's activities, over the Customer Success database ([`crate::store`]):
//! computing the team's own view of an account, and storing a snapshot.
//!
//! Both run as local activities (see [`crate::workflows`]): they are short, read and
//! write only this team's database, and are safe to run twice (a snapshot is keyed by
//! account and check number).

// The SDK macros add undocumented marker consts (`HealthActivities::account_health`, ...).
#![allow(missing_docs)]

use std::sync::Arc;

use shared_contracts::AccountId;
use shared_contracts::health::AccountHealth;
use shared_contracts::monitor::HealthSnapshot;
use temporalio_macros::activities;
use temporalio_sdk::ApplicationFailure;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::store::{CsStore, StoreError};

/// The activities, over the Customer Success database.
pub struct HealthActivities {
    store: CsStore,
}

impl HealthActivities {
    /// Activities reading and writing `store`.
    pub fn new(store: CsStore) -> Self {
        Self { store }
    }
}

#[activities]
impl HealthActivities {
    /// Customer Success's health of the account, by the rules in [`crate::rules`], as
    /// of now.
    #[activity(name = "account_health")]
    pub async fn account_health(
        self: Arc<Self>,
        _ctx: ActivityContext,
        account_id: AccountId,
    ) -> Result<AccountHealth, ActivityError> {
        self.store
            .account_health(&account_id, chrono::Utc::now())
            .await
            .map_err(store_failure)
    }

    /// Stores the snapshot once per account and check number.
    #[activity(name = "record_snapshot")]
    pub async fn record_snapshot(
        self: Arc<Self>,
        _ctx: ActivityContext,
        snapshot: HealthSnapshot,
    ) -> Result<(), ActivityError> {
        let written = self
            .store
            .record_snapshot(&snapshot)
            .await
            .map_err(store_failure)?;
        if !written {
            tracing::info!(
                account = %snapshot.account_id,
                cycle = snapshot.cycle,
                "health snapshot already stored; kept the first"
            );
        }
        Ok(())
    }
}

/// A database failure may pass, so it is retried; an invalid value will not.
fn store_failure(err: StoreError) -> ActivityError {
    let failure = match err {
        StoreError::Database(_) => ApplicationFailure::new(err.to_string()),
        StoreError::Invalid { .. } => ApplicationFailure::non_retryable(err.to_string()),
    };
    ActivityError::application(failure)
}
