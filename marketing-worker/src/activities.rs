//! The campaign launch's activities: reading the campaign, and recording what became
//! of each target account, both over the Marketing database ([`crate::store`]).
//!
//! Activities are where I/O happens, so they are retried on failure; the workflow
//! gives them a bounded retry policy. A campaign that does not exist is not retried:
//! no retry will make it appear. Outcomes are written keyed by launch and account, so
//! a retry, or a worker dying right after the write, never records one twice.

// The SDK macros add undocumented marker consts (`LaunchActivities::load_campaign`, ...).
#![allow(missing_docs)]

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use shared_contracts::campaign::LaunchAccountResult;
use temporalio_macros::activities;
use temporalio_sdk::ApplicationFailure;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::store::{CampaignPlan, MarketingStore, StoreError};

/// Failure type of a campaign that does not exist: not retried.
pub const CAMPAIGN_NOT_FOUND: &str = "CampaignNotFound";

/// What `record_launch_result` writes: one account's final outcome in one launch.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordLaunchResult {
    /// The launch's workflow id (half of the row's key).
    pub launch_workflow_id: String,
    /// The campaign launched.
    pub campaign_id: String,
    /// The account's outcome (its id is the other half of the key).
    pub result: LaunchAccountResult,
}

/// The activities, over the Marketing database.
pub struct LaunchActivities {
    store: MarketingStore,
}

impl LaunchActivities {
    /// Activities reading and writing `store`.
    pub fn new(store: MarketingStore) -> Self {
        Self { store }
    }
}

#[activities]
impl LaunchActivities {
    /// The campaign and its targets, or a non-retryable failure naming it.
    #[activity(name = "load_campaign")]
    pub async fn load_campaign(
        self: Arc<Self>,
        _ctx: ActivityContext,
        campaign_id: String,
    ) -> Result<CampaignPlan, ActivityError> {
        match self
            .store
            .campaign(&campaign_id)
            .await
            .map_err(store_failure)?
        {
            Some(campaign) => Ok(campaign),
            None => Err(ActivityError::application(
                ApplicationFailure::builder(format!(
                    "campaign \"{campaign_id}\" does not exist in the Marketing database"
                ))
                .type_name(CAMPAIGN_NOT_FOUND.to_owned())
                .non_retryable(true)
                .build(),
            )),
        }
    }

    /// Writes one account's outcome, once per launch and account.
    #[activity(name = "record_launch_result")]
    pub async fn record_launch_result(
        self: Arc<Self>,
        _ctx: ActivityContext,
        request: RecordLaunchResult,
    ) -> Result<(), ActivityError> {
        let written = self
            .store
            .record_launch_result(
                &request.launch_workflow_id,
                &request.campaign_id,
                &request.result,
                chrono::Utc::now(),
            )
            .await
            .map_err(store_failure)?;
        if !written {
            tracing::info!(
                launch = %request.launch_workflow_id,
                account = %request.result.account_id,
                "launch result already recorded; kept the first"
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
