//! The coordinator's activities: steps 1-7 and 9, each over the GTM database or the
//! pure rules in [`crate::scoring`] and [`crate::recommendations`].
//!
//! Activities are where I/O happens, so they are retried on failure; the workflow
//! gives them a bounded retry policy, and errors that retrying cannot fix (an unknown
//! account) are non-retryable. Step 9 writes the brief keyed by workflow and run id,
//! so a retry, or a worker dying right after the write, never stores it twice.
//!
//! Each step's output type says here, beside its activity, how it reads in the
//! `progress` query ([`StepSummary`]).

// The SDK macros add undocumented marker consts (`DrewCoordinator::run`, ...).
#![allow(missing_docs)]

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shared_contracts::AccountId;
use shared_contracts::coordinator::{
    AbmOutcome, BuyingCommittee, CoordinatorBrief, FitScore, IntentSummary, NextAction,
    PipelineSummary,
};
use shared_contracts::steps::Timed;
use temporalio_macros::activities;
use temporalio_sdk::ApplicationFailure;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::recommendations::{self, AccountPicture};
use crate::scoring::{self, Firmographics};
use crate::store::{AccountRecord, GtmStore, OpportunityRecord, StoreError};
use shared_contracts::summary::{StepSummary, thousands, usd_short};

/// Failure type of an account that does not exist: not retried.
pub const ACCOUNT_NOT_FOUND: &str = "AccountNotFound";

/// Step 4's input: whose signals, as of when.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntentRequest {
    /// The account.
    pub account_id: String,
    /// The end of the window: the run's start, so retries see the same window.
    pub as_of: DateTime<Utc>,
}

/// Step 6's result: the summary, and the open opportunities behind it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineReview {
    /// The summary that goes into the brief.
    pub summary: PipelineSummary,
    /// Open opportunities, earliest close first.
    pub open: Vec<OpportunityRecord>,
}

/// Step 7's input: the picture steps 1-6 built.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanRequest {
    /// Account display name.
    pub account_name: String,
    /// Step 3.
    pub fit: FitScore,
    /// Step 4.
    pub intent: IntentSummary,
    /// Step 5.
    pub committee: BuyingCommittee,
    /// Step 6.
    pub pipeline: PipelineReview,
    /// The run's date.
    pub today: NaiveDate,
}

/// Step 9's input: everything, plus the run that owns the brief.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComposeRequest {
    /// The run's workflow id (half of the brief's key).
    pub workflow_id: String,
    /// The run's id (the other half).
    pub run_id: String,
    /// Step 1.
    pub account: AccountRecord,
    /// Step 3.
    pub fit: FitScore,
    /// Step 4.
    pub intent: IntentSummary,
    /// Step 5.
    pub committee: BuyingCommittee,
    /// Step 6.
    pub pipeline: PipelineSummary,
    /// Step 7.
    pub next_actions: Vec<NextAction>,
    /// Step 8.
    pub abm: AbmOutcome,
    /// When the brief is composed (workflow time).
    pub completed_at: DateTime<Utc>,
}

/// The activities, over the GTM database.
pub struct CoordinatorActivities {
    store: GtmStore,
}

impl CoordinatorActivities {
    /// Activities reading and writing `store`.
    pub fn new(store: GtmStore) -> Self {
        Self { store }
    }
}

#[activities]
impl CoordinatorActivities {
    /// Step 1: the account, or a non-retryable failure naming it.
    #[activity(name = "load_account")]
    pub async fn load_account(
        self: Arc<Self>,
        _ctx: ActivityContext,
        account_id: String,
    ) -> Result<Timed<AccountRecord>, ActivityError> {
        timed(async {
            let id = AccountId::parse(account_id)
                .map_err(|err| non_retryable("InvalidAccountId", err.to_string()))?;
            match self.store.account(id.as_str()).await.map_err(retryable)? {
                Some(account) => Ok(account),
                None => Err(non_retryable(
                    ACCOUNT_NOT_FOUND,
                    format!("account \"{id}\" does not exist in the GTM database"),
                )),
            }
        })
        .await
    }

    /// Step 2: firmographics with derived segments.
    #[activity(name = "enrich_firmographics")]
    pub async fn enrich_firmographics(
        self: Arc<Self>,
        _ctx: ActivityContext,
        account: AccountRecord,
    ) -> Result<Timed<Firmographics>, ActivityError> {
        timed(async { Ok(scoring::enrich(&account)) }).await
    }

    /// Step 3: the ICP fit score.
    #[activity(name = "score_fit")]
    pub async fn score_fit(
        self: Arc<Self>,
        _ctx: ActivityContext,
        firmographics: Firmographics,
    ) -> Result<Timed<FitScore>, ActivityError> {
        timed(async { Ok(scoring::fit_score(&firmographics)) }).await
    }

    /// Step 4: intent signals over the window.
    #[activity(name = "gather_intent")]
    pub async fn gather_intent(
        self: Arc<Self>,
        _ctx: ActivityContext,
        request: IntentRequest,
    ) -> Result<Timed<IntentSummary>, ActivityError> {
        timed(async {
            let signals = self
                .store
                .intent_signals(&request.account_id)
                .await
                .map_err(retryable)?;
            Ok(scoring::intent(&signals, request.as_of))
        })
        .await
    }

    /// Step 5: buying-committee coverage.
    #[activity(name = "map_buying_committee")]
    pub async fn map_buying_committee(
        self: Arc<Self>,
        _ctx: ActivityContext,
        account_id: String,
    ) -> Result<Timed<BuyingCommittee>, ActivityError> {
        timed(async {
            let contacts = self.store.contacts(&account_id).await.map_err(retryable)?;
            Ok(scoring::buying_committee(&contacts))
        })
        .await
    }

    /// Step 6: the open pipeline.
    #[activity(name = "review_pipeline")]
    pub async fn review_pipeline(
        self: Arc<Self>,
        _ctx: ActivityContext,
        account_id: String,
    ) -> Result<Timed<PipelineReview>, ActivityError> {
        timed(async {
            let opportunities = self
                .store
                .opportunities(&account_id)
                .await
                .map_err(retryable)?;
            Ok(PipelineReview {
                summary: scoring::pipeline(&opportunities),
                open: opportunities
                    .into_iter()
                    .filter(|o| o.stage.is_open())
                    .collect(),
            })
        })
        .await
    }

    /// Step 7: next-best actions.
    #[activity(name = "plan_next_actions")]
    pub async fn plan_next_actions(
        self: Arc<Self>,
        _ctx: ActivityContext,
        request: PlanRequest,
    ) -> Result<Timed<Vec<NextAction>>, ActivityError> {
        timed(async {
            Ok(recommendations::next_actions(&AccountPicture {
                account_name: &request.account_name,
                fit: &request.fit,
                intent: &request.intent,
                committee: &request.committee,
                pipeline: &request.pipeline.summary,
                opportunities: &request.pipeline.open,
                today: request.today,
            }))
        })
        .await
    }

    /// Step 9: the brief, stored once per run.
    #[activity(name = "compose_brief")]
    pub async fn compose_brief(
        self: Arc<Self>,
        _ctx: ActivityContext,
        request: ComposeRequest,
    ) -> Result<Timed<CoordinatorBrief>, ActivityError> {
        timed(async {
            let brief = compose(&request)?;
            let stored = self
                .store
                .save_brief(&request.workflow_id, &request.run_id, &brief)
                .await
                .map_err(retryable)?;
            // Inside the SDK's `RunActivity` span: the line names the run it belongs to.
            tracing::info!(
                account_id = %stored.account_id,
                recommendation = %stored.recommendation,
                "coordinator brief stored"
            );
            Ok(stored)
        })
        .await
    }
}

/// Runs a step's work on the step's own clock: the result with when the work started
/// and finished, and its summary. A local activity runs inside one workflow task, where
/// workflow time stands still, so the live timeline takes a step's times from here.
async fn timed<T: StepSummary>(
    work: impl Future<Output = Result<T, ActivityError>>,
) -> Result<Timed<T>, ActivityError> {
    let started_at = Utc::now();
    let value = work.await?;
    Ok(Timed::new(value, started_at, Utc::now()))
}

impl StepSummary for AccountRecord {
    fn summary(&self) -> String {
        format!("{} · {} · {}", self.name, self.industry, self.region)
    }
}

impl StepSummary for Firmographics {
    fn summary(&self) -> String {
        format!(
            "{} · {} employees · {} revenue",
            self.segment.replace('_', "-"),
            thousands(self.employees),
            usd_short(self.annual_revenue_usd)
        )
    }
}

impl StepSummary for PipelineReview {
    fn summary(&self) -> String {
        self.summary.summary()
    }
}

/// The brief for a compose request (pure).
pub fn compose(request: &ComposeRequest) -> Result<CoordinatorBrief, ActivityError> {
    let account_id = AccountId::parse(request.account.id.clone())
        .map_err(|err| non_retryable("InvalidAccountId", err.to_string()))?;
    let (recommendation, next_actions) = recommendations::recommend(
        &request.account.name,
        &request.fit,
        &request.intent,
        &request.next_actions,
        &request.abm,
    );
    Ok(CoordinatorBrief {
        account_id,
        account_name: request.account.name.clone(),
        fit_score: request.fit.clone(),
        intent: request.intent.clone(),
        buying_committee: request.committee.clone(),
        open_pipeline: request.pipeline.clone(),
        next_actions,
        abm: request.abm.clone(),
        recommendation,
        completed_at: request.completed_at,
    })
}

fn non_retryable(type_name: &str, message: String) -> ActivityError {
    ActivityError::application(
        ApplicationFailure::builder(message)
            .type_name(type_name.to_owned())
            .non_retryable(true)
            .build(),
    )
}

fn retryable(err: StoreError) -> ActivityError {
    ActivityError::application(ApplicationFailure::new(err.to_string()))
}
