//! The `CampaignLaunch` workflow: brief sales on every target account of a campaign.
//!
//! 1. `load_campaign` ([`crate::activities`]) reads the campaign and its target
//!    accounts, in order, from the Marketing database.
//! 2. For each target, the workflow calls GTM's `gtm.coordinator.v1/runCoordinator`
//!    through the `gtm-coordinator` Nexus endpoint. The operation is asynchronous:
//!    GTM starts a `DrewCoordinator` for the account, and the operation completes with
//!    its brief when that run ends, minutes later perhaps. At most `maxConcurrent`
//!    coordinators run at once.
//! 3. As soon as an account's outcome is known, `record_launch_result` writes it to
//!    the Marketing database, once per launch and account.
//!
//! The launch keeps every account's status in its state: the `launchProgress` query
//! answers from it, and the workflow returns it as its result.
//!
//! # Bounded concurrency, deterministically
//!
//! Workflow code must replay identically, so no `tokio::spawn` and no `tokio::select!`
//! here. The launch runs `maxConcurrent` *lanes* joined with the SDK's deterministic
//! `join_all`; each lane takes the next pending account (a counter the lanes share),
//! briefs it, records it and takes the next, until none is left. A slow account
//! holds up only its own lane.
//!
//! # Failure rules
//!
//! - A malformed input or an unknown campaign fails the launch, non-retryably, naming
//!   the field or the campaign.
//! - A target that is not a valid account id, or whose coordinator fails (an account
//!   GTM does not know fails at step 1) or does not finish in time, fails that account
//!   only; the others go on.
//! - Canceling the launch cancels its in-flight operations, and GTM's handler cancels
//!   their coordinators. The launch waits for those cancellations to complete (the
//!   default `WaitCancellationCompleted`), records the outcome of every account it had
//!   started, marks the ones it had not started canceled, and ends as canceled.
//!
//! A launch's history grows by about ten events per account. That is fine for
//! campaigns of hundreds of accounts; one of many thousands would want to
//! continue-as-new in batches, which this reference leaves out.

// The SDK macros add undocumented marker consts (`CampaignLaunch::run`, ...).
#![allow(missing_docs)]

use std::cell::Cell;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use nexus_handler::WorkflowRunToken;
use nexus_handler::{ContractBreach, NexusCall, NexusCallError};
use opentelemetry::KeyValue;
use opentelemetry::trace::FutureExt as _;
use service_kit::failure::activity_message;
use shared_contracts::campaign::{
    CampaignLaunchInput, CampaignLaunchSummary, LaunchAccountResult, LaunchAccountStatus,
};
use shared_contracts::coordinator::RunCoordinatorRequest;
use shared_contracts::operation::RUN_COORDINATOR;
use shared_contracts::{AccountId, codec};
use temporalio_common::RetryPolicy;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::workflows::join_all;
use temporalio_sdk::{
    ActivityExecutionError, ActivityOptions, ApplicationFailure, NexusOperationCancellationType,
    WorkflowCancellationToken, WorkflowContext, WorkflowContextView, WorkflowResult,
    WorkflowTermination,
};

use crate::activities::{CAMPAIGN_NOT_FOUND, LaunchActivities, RecordLaunchResult};

/// Worker-level settings the workflow reads (through its factory, not its input).
#[derive(Debug, Clone)]
pub struct LaunchSettings {
    /// Nexus endpoint of GTM's coordinator service.
    pub gtm_endpoint: String,
    /// How long one account's coordinator may take, from scheduling the operation to
    /// its brief; after that the account fails as timed out.
    pub coordinator_timeout: Duration,
}

/// The tracer name of the launch's spans.
const TRACER: &str = "marketing-worker";

/// A campaign launch. Registered with a factory that hands it the worker's
/// [`LaunchSettings`].
#[workflow]
pub struct CampaignLaunch {
    settings: LaunchSettings,
    summary: CampaignLaunchSummary,
    /// Accounts whose outcome could not be written to the database, with why.
    unrecorded: Vec<String>,
}

impl CampaignLaunch {
    /// A launch that has not read its input yet.
    pub fn new(settings: LaunchSettings) -> Self {
        Self {
            settings,
            summary: CampaignLaunchSummary::new(String::new()),
            unrecorded: Vec::new(),
        }
    }
}

#[workflow_methods(factory_only)]
impl CampaignLaunch {
    /// Briefs every target account of the campaign. The input is taken as raw JSON and
    /// validated here, so a malformed input fails the launch with a message instead of
    /// failing (and retrying) the workflow task that cannot decode it.
    #[run(name = "CampaignLaunch")]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        input: serde_json::Value,
    ) -> WorkflowResult<CampaignLaunchSummary> {
        launch(ctx, input).await
    }

    /// The accounts with their status, coordinator run and outcome.
    #[query(name = "launchProgress")]
    pub fn launch_progress(&self, _ctx: &WorkflowContextView) -> CampaignLaunchSummary {
        self.summary.clone()
    }
}

/// The launch: reads the campaign, then briefs its accounts in `concurrency` lanes.
async fn launch(
    ctx: &mut WorkflowContext<CampaignLaunch>,
    input: serde_json::Value,
) -> WorkflowResult<CampaignLaunchSummary> {
    let input = decode_input(&input).map_err(ApplicationFailure::non_retryable)?;
    ctx.state_mut(|s| s.summary = CampaignLaunchSummary::new(input.campaign_id.clone()));

    let result = ctx
        .execute_activity(
            LaunchActivities::load_campaign,
            input.campaign_id.clone(),
            load_options(),
        )
        .await;
    let campaign = match result {
        Ok(campaign) => campaign,
        Err(ActivityExecutionError::Cancelled(_)) => {
            return Err(WorkflowTermination::cancelled());
        }
        Err(err) => {
            return Err(ApplicationFailure::non_retryable(activity_message(&err)).into());
        }
    };
    ctx.state_mut(|s| {
        s.summary.campaign_name = Some(campaign.name.clone());
        s.summary.accounts = campaign
            .targets
            .iter()
            .map(LaunchAccountResult::pending)
            .collect();
    });

    let ctx: &WorkflowContext<CampaignLaunch> = ctx;
    let lanes = usize::try_from(input.concurrency())
        .unwrap_or(1)
        .min(campaign.targets.len());
    let next = Cell::new(0);
    join_all((0..lanes).map(|_| brief_accounts(ctx, &next))).await;

    if ctx.cancellation_token().is_cancelled() {
        let at = now(ctx);
        ctx.state_mut(|s| {
            for account in &mut s.summary.accounts {
                if account.status == LaunchAccountStatus::Pending {
                    account.status = LaunchAccountStatus::Canceled;
                    account.error =
                        Some("the launch was canceled before this account started".into());
                    account.finished_at = Some(at);
                }
            }
        });
        return Err(WorkflowTermination::cancelled());
    }
    let unrecorded = ctx.state(|s| s.unrecorded.clone());
    if !unrecorded.is_empty() {
        return Err(ApplicationFailure::non_retryable(format!(
            "the launch finished, but these outcomes could not be recorded: {}",
            unrecorded.join("; ")
        ))
        .into());
    }
    Ok(ctx.state(|s| s.summary.clone()))
}

/// Decodes and validates the launch input; the message names the field at fault.
fn decode_input(input: &serde_json::Value) -> Result<CampaignLaunchInput, String> {
    let bytes = serde_json::to_vec(input).map_err(|err| err.to_string())?;
    let input: CampaignLaunchInput = codec::decode(&bytes).map_err(|err| err.to_string())?;
    input.validate()?;
    Ok(input)
}

/// One lane: takes the next pending account, briefs it, and repeats until no account
/// is left or the launch is canceled. `next` is the index of the next account to take,
/// shared by every lane.
async fn brief_accounts(ctx: &WorkflowContext<CampaignLaunch>, next: &Cell<usize>) {
    let cancellation = ctx.cancellation_token();
    while !cancellation.is_cancelled() {
        let index = next.get();
        let Some(target) =
            ctx.state(|s| s.summary.accounts.get(index).map(|a| a.account_id.clone()))
        else {
            break;
        };
        next.set(index + 1);
        brief_account(ctx, index, target).await;
    }
}

/// Briefs one account and records its outcome.
async fn brief_account(ctx: &WorkflowContext<CampaignLaunch>, index: usize, target: String) {
    let started_at = now(ctx);
    update(ctx, index, |account| {
        account.status = LaunchAccountStatus::Running;
        account.started_at = Some(started_at);
    });
    let outcome = match AccountId::parse(target) {
        Ok(account_id) => {
            // A span per account, under the launch's (Temporal's plugin traces the
            // launch itself); GTM's handler, and so the coordinator run, hang under it.
            let span = service_kit::trace::workflow_span(
                TRACER,
                format!(
                    "{}/{} {account_id}",
                    RUN_COORDINATOR.service, RUN_COORDINATOR.name
                ),
                vec![KeyValue::new(
                    "coordinator.account_id",
                    account_id.to_string(),
                )],
            );
            let outcome = run_coordinator(ctx, index, account_id)
                .with_context(span.clone())
                .await;
            let error = match &outcome {
                Outcome::Completed { .. } => None,
                Outcome::Failed(why) | Outcome::Canceled(why) => Some(why.as_str()),
            };
            service_kit::trace::end_span(&span, error);
            outcome
        }
        // A bad row in the campaign: no coordinator could brief it.
        Err(invalid) => Outcome::Failed(invalid.to_string()),
    };
    let finished_at = now(ctx);
    update(ctx, index, |account| outcome.apply(account, finished_at));
    record(ctx, index).await;
}

/// How one account's briefing ended.
enum Outcome {
    Completed { recommendation: String },
    Failed(String),
    Canceled(String),
}

impl Outcome {
    fn apply(self, account: &mut LaunchAccountResult, finished_at: DateTime<Utc>) {
        account.finished_at = Some(finished_at);
        match self {
            Self::Completed { recommendation } => {
                account.status = LaunchAccountStatus::Completed;
                account.recommendation = Some(recommendation);
            }
            Self::Failed(error) => {
                account.status = LaunchAccountStatus::Failed;
                account.error = Some(error);
            }
            Self::Canceled(reason) => {
                account.status = LaunchAccountStatus::Canceled;
                account.error = Some(reason);
            }
        }
    }
}

/// Runs the account's coordinator in GTM through Nexus and waits for its brief.
async fn run_coordinator(
    ctx: &WorkflowContext<CampaignLaunch>,
    index: usize,
    account_id: AccountId,
) -> Outcome {
    let (endpoint, timeout, campaign_id) = ctx.state(|s| {
        (
            s.settings.gtm_endpoint.clone(),
            s.settings.coordinator_timeout,
            s.summary.campaign_id.clone(),
        )
    });
    // GTM's handler span, and so the coordinator run's trace, hang under this call.
    let trace_header = service_kit::trace::nexus_header(&opentelemetry::Context::current());
    let request = RunCoordinatorRequest {
        account_id,
        requested_by: Some(format!("campaign:{campaign_id}")),
    };
    let started = NexusCall::new(endpoint, RUN_COORDINATOR, timeout)
        .header(trace_header)
        // On cancel, wait until GTM has canceled the coordinator, so the launch never
        // closes while a run it started is still going.
        .cancellation_type(NexusOperationCancellationType::WaitCancellationCompleted)
        .start(ctx, &request)
        .await;
    let started = match started {
        Ok(started) => started,
        Err(NexusCallError::ContractBroken(ContractBreach::Input(err))) => {
            return Outcome::Failed(format!("could not encode the request: {err}"));
        }
        Err(_) if ctx.cancellation_token().is_cancelled() => {
            return Outcome::Canceled(
                "the launch was canceled before its coordinator started".into(),
            );
        }
        Err(err) => {
            return Outcome::Failed(format!(
                "its coordinator could not start: {}",
                err.message()
            ));
        }
    };
    // The token names the coordinator run: GTM's handler chose its workflow id.
    if let Some(token) = started
        .operation_token()
        .and_then(|t| WorkflowRunToken::decode(t).ok())
    {
        update(ctx, index, |account| {
            account.coordinator_workflow_id = Some(token.workflow_id);
        });
    }
    match started.result().await {
        Ok(brief) => Outcome::Completed {
            recommendation: brief.recommendation,
        },
        Err(NexusCallError::Failed(failure)) => Outcome::Failed(failure.message),
        Err(NexusCallError::TimedOut { .. }) => Outcome::Failed(format!(
            "its coordinator did not finish within {}s",
            timeout.as_secs()
        )),
        Err(NexusCallError::Canceled { .. }) if ctx.cancellation_token().is_cancelled() => {
            Outcome::Canceled("the launch was canceled; so was its coordinator".into())
        }
        Err(NexusCallError::Canceled { .. }) => {
            Outcome::Canceled("its coordinator was canceled".into())
        }
        Err(err @ NexusCallError::ContractBroken(_)) => Outcome::Failed(format!(
            "its coordinator's brief broke the contract: {}",
            err.message()
        )),
    }
}

/// Writes the account's outcome to the Marketing database.
async fn record(ctx: &WorkflowContext<CampaignLaunch>, index: usize) {
    let launch_workflow_id = ctx.workflow_id().to_owned();
    let Some(request) = ctx.state(|s| {
        s.summary
            .accounts
            .get(index)
            .map(|result| RecordLaunchResult {
                launch_workflow_id,
                campaign_id: s.summary.campaign_id.clone(),
                result: result.clone(),
            })
    }) else {
        return;
    };
    let account = request.result.account_id.clone();
    let result = ctx
        .execute_activity(
            LaunchActivities::record_launch_result,
            request,
            record_options(),
        )
        .await;
    if let Err(err) = result {
        let message = activity_message(&err);
        ctx.state_mut(|s| s.unrecorded.push(format!("{account}: {message}")));
    }
}

/// Reading the campaign retries with backoff, five attempts at most; a campaign that
/// does not exist is not retried.
fn load_options() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(15))
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_millis(500))
                .backoff_coefficient(2.0)
                .maximum_interval(Duration::from_secs(10))
                .maximum_attempts(5)
                .non_retryable_error_types([CAMPAIGN_NOT_FOUND])
                .build(),
        )
        .build()
}

/// Recording retries longer (a few minutes) than reading: by now a coordinator has
/// done its work, and its outcome is worth waiting for the database. The token is
/// detached from the workflow's, so a canceled launch still records the accounts it
/// had started.
fn record_options() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(15))
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_secs(1))
                .backoff_coefficient(2.0)
                .maximum_interval(Duration::from_secs(30))
                .maximum_attempts(10)
                .build(),
        )
        .cancellation_token(WorkflowCancellationToken::new())
        .build()
}

fn now(ctx: &WorkflowContext<CampaignLaunch>) -> DateTime<Utc> {
    DateTime::<Utc>::from(ctx.workflow_time().unwrap_or(SystemTime::UNIX_EPOCH))
}

fn update(
    ctx: &WorkflowContext<CampaignLaunch>,
    index: usize,
    change: impl FnOnce(&mut LaunchAccountResult),
) {
    ctx.state_mut(|s| {
        if let Some(account) = s.summary.accounts.get_mut(index) {
            change(account);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_errors_name_the_field() {
        let ok = decode_input(&serde_json::json!({"campaignId": "q1", "maxConcurrent": 2}));
        assert_eq!(ok.unwrap().concurrency(), 2);
        for (input, expected) in [
            (serde_json::json!({}), "missing field `campaignId`"),
            (serde_json::json!({"campaignId": 7}), "campaignId"),
            (
                serde_json::json!({"campaignId": "Q1!"}),
                "campaignId \"Q1!\" is invalid",
            ),
            (
                serde_json::json!({"campaignId": "q1", "maxConcurrent": 99}),
                "maxConcurrent is 99",
            ),
        ] {
            let err = decode_input(&input).unwrap_err();
            assert!(err.contains(expected), "{input}: {err}");
        }
    }

    #[test]
    fn outcomes_fill_in_the_account() {
        let at = DateTime::<Utc>::from(SystemTime::UNIX_EPOCH);
        let mut account = LaunchAccountResult::pending("acme-corp");
        Outcome::Completed {
            recommendation: "Call them".into(),
        }
        .apply(&mut account, at);
        assert_eq!(account.status, LaunchAccountStatus::Completed);
        assert_eq!(account.recommendation.as_deref(), Some("Call them"));
        assert_eq!(account.finished_at, Some(at));

        let mut account = LaunchAccountResult::pending("ghost-co");
        Outcome::Failed("unknown".into()).apply(&mut account, at);
        assert_eq!(account.status, LaunchAccountStatus::Failed);
        assert_eq!(account.error.as_deref(), Some("unknown"));
        assert_eq!(account.recommendation, None);
    }
}
