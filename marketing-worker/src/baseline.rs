//! The benchmark's baseline: `checkAbmProgram` served as a plain activity in
//! namespace `gtm`, the way a single-namespace design would call Marketing's code.
//!
//! `cargo xtask bench` runs coordinators both ways, through the `marketing-abm` Nexus
//! endpoint and through this activity, so the report can state what the Nexus hop
//! costs. Both call [`MarketingStore::check_abm_program`]: the work is the same, only
//! the transport differs. It runs only when `MARKETING_ABM_BASELINE_TASK_QUEUE` is set.

// The SDK macros add undocumented marker consts (`AbmBaselineActivities::...`).
#![allow(missing_docs)]

use std::sync::Arc;

use shared_contracts::abm::{AbmCheckRequest, AbmCheckResponse};
use temporalio_macros::activities;
use temporalio_sdk::ApplicationFailure;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::store::MarketingStore;

/// The baseline's one activity, over the Marketing database.
pub struct AbmBaselineActivities {
    store: MarketingStore,
}

impl AbmBaselineActivities {
    /// Answers from `store`.
    pub fn new(store: MarketingStore) -> Self {
        Self { store }
    }
}

#[activities]
impl AbmBaselineActivities {
    /// The ABM answer for one account; a database error is retried, as in the handler.
    /// The name is the Nexus operation's (`CHECK_ABM_PROGRAM.name`), which the
    /// coordinator's baseline mode schedules by name.
    #[activity(name = "checkAbmProgram")]
    pub async fn check_abm_program(
        self: Arc<Self>,
        _ctx: ActivityContext,
        request: AbmCheckRequest,
    ) -> Result<AbmCheckResponse, ActivityError> {
        self.store
            .check_abm_program(&request.account_id)
            .await
            .map_err(|err| ActivityError::application(ApplicationFailure::new(err.to_string())))
    }
}
