//! The Drew Coordinator workflow: its steps for one account, one brief at the end.
//!
//! [`DrewCoordinator::run`] is the business flow, one line a step; the step runner
//! ([`crate::step_runner`]) does the bookkeeping around each: progress for the
//! `progress` query, summaries, spans and metrics, and the search attributes
//! (`AccountId` unless the starter set it; `CoordinatorStep` once, when the run ends).
//! The steps, their ids, titles and order, are the catalogue in
//! `shared_contracts::steps`.
//!
//! Steps 1-7 and 9 are activities ([`crate::activities`]); step 8 asks Marketing
//! through its [`AbmCheck`]: a Nexus call to `marketing.abm.v1/checkAbmProgram`
//! through the `marketing-abm` endpoint ([`NexusAbmCheck`]). The check is a value in
//! the settings so that a different transport can be measured against it with the
//! same workflow (`cargo xtask bench` does).
//!
//! Failure rules:
//! - a malformed input or an unknown account fails the run at step 1, non-retryably,
//!   naming the account;
//! - Marketing failing or not answering within the deadline never fails the run: the
//!   brief says `{"status":"unavailable","reason":...}`;
//! - a canceled run marks the running step failed ("canceled") and the rest skipped.
//!
//! Workflow code must be deterministic: no I/O, no clocks but `ctx.workflow_time()`,
//! no randomness. A change to the commands a run issues goes behind `ctx.patched(..)`
//! (see [`crate::step_runner::COORDINATOR_STEP_AT_END`]); replaying the recorded
//! histories (the replay tests) checks that old runs still replay.

// The SDK macros add undocumented marker consts (`DrewCoordinator::run`, ...).
#![allow(missing_docs)]

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use futures::future::LocalBoxFuture;
use nexus_handler::{ContractBreach, NexusCall, NexusCallError};
use shared_contracts::abm::AbmCheckRequest;
use shared_contracts::codec;
use shared_contracts::coordinator::{AbmOutcome, CoordinatorBrief, CoordinatorInput, StepProgress};
use shared_contracts::operation::CHECK_ABM_PROGRAM;
use shared_contracts::steps::StepId;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{WorkflowContext, WorkflowContextView, WorkflowResult};

use crate::activities::{
    ComposeRequest, CoordinatorActivities as Activities, IntentRequest, PlanRequest,
};
use crate::step_runner::{HasSteps, StepRecord, StepRunner};
use crate::telemetry::CoordinatorTelemetry;

pub use crate::step_runner::STEP_DONE;

/// Worker-level settings the workflow reads (through its factory, not its input).
#[derive(Debug, Clone)]
pub struct CoordinatorSettings {
    /// How step 8 asks Marketing. It issues commands, so it must not change while
    /// runs are in flight, or their replays diverge.
    pub abm_check: Arc<dyn AbmCheck>,
    /// Where runs report their spans and metrics.
    pub telemetry: CoordinatorTelemetry,
}

impl CoordinatorSettings {
    /// Step 8 through the Nexus endpoint `marketing_endpoint`, within `abm_timeout`.
    pub fn new(
        marketing_endpoint: impl Into<String>,
        abm_timeout: Duration,
        telemetry: CoordinatorTelemetry,
    ) -> Self {
        Self {
            abm_check: Arc::new(NexusAbmCheck {
                endpoint: marketing_endpoint.into(),
                timeout: abm_timeout,
            }),
            telemetry,
        }
    }
}

/// Step 8: asks Marketing whether an account is in an ABM program. Any failure is an
/// answer too: "unavailable", with the reason; it never fails the run.
///
/// This is workflow code: deterministic, its commands issued through `ctx`.
pub trait AbmCheck: Debug + Send + Sync {
    /// Marketing's answer for `request`, or why there is none.
    fn check<'a>(
        &'a self,
        ctx: &'a WorkflowContext<DrewCoordinator>,
        request: AbmCheckRequest,
    ) -> LocalBoxFuture<'a, AbmOutcome>;
}

/// Step 8 as shipped: `marketing.abm.v1/checkAbmProgram` through a Nexus endpoint.
#[derive(Debug, Clone)]
pub struct NexusAbmCheck {
    /// Nexus endpoint of Marketing's ABM service.
    pub endpoint: String,
    /// The deadline: after it, ABM status is "unavailable".
    pub timeout: Duration,
}

/// The Drew Coordinator. Registered with a factory that hands it the worker's
/// [`CoordinatorSettings`].
#[workflow]
pub struct DrewCoordinator {
    settings: CoordinatorSettings,
    steps: StepRecord,
}

impl DrewCoordinator {
    /// A fresh run with every step pending.
    pub fn new(settings: CoordinatorSettings) -> Self {
        let steps = StepRecord::new(settings.telemetry.clone());
        Self { settings, steps }
    }
}

impl HasSteps for DrewCoordinator {
    fn steps(&self) -> &StepRecord {
        &self.steps
    }

    fn steps_mut(&mut self) -> &mut StepRecord {
        &mut self.steps
    }
}

#[workflow_methods(factory_only)]
impl DrewCoordinator {
    /// Runs the steps. The input is taken as raw JSON and validated here, so a
    /// malformed input fails step 1 with a message instead of failing to decode.
    #[run(name = "DrewCoordinator")]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        input: serde_json::Value,
    ) -> WorkflowResult<CoordinatorBrief> {
        let steps = StepRunner::start(ctx);
        let input = parse_input(&input).map_err(|err| steps.reject(StepId::LoadAccount, &err))?;
        steps.set_account(&input.account_id);
        let account_id = input.account_id.to_string();
        let today = steps.started_at();

        let account = steps
            .activity(
                StepId::LoadAccount,
                Activities::load_account,
                account_id.clone(),
            )
            .await?;
        let firmographics = steps
            .activity(
                StepId::EnrichFirmographics,
                Activities::enrich_firmographics,
                account.clone(),
            )
            .await?;
        let fit = steps
            .activity(StepId::ScoreFit, Activities::score_fit, firmographics)
            .await?;
        let intent = steps
            .activity(
                StepId::GatherIntent,
                Activities::gather_intent,
                IntentRequest {
                    account_id: account_id.clone(),
                    as_of: today,
                },
            )
            .await?;
        let committee = steps
            .activity(
                StepId::MapBuyingCommittee,
                Activities::map_buying_committee,
                account_id.clone(),
            )
            .await?;
        let pipeline = steps
            .activity(
                StepId::ReviewPipeline,
                Activities::review_pipeline,
                account_id,
            )
            .await?;
        let plan = PlanRequest {
            account_name: account.name.clone(),
            fit: fit.clone(),
            intent: intent.clone(),
            committee: committee.clone(),
            pipeline: pipeline.clone(),
            today: today.date_naive(),
        };
        let next_actions = steps
            .activity(StepId::PlanNextActions, Activities::plan_next_actions, plan)
            .await?;
        let abm_check = ctx.state(|s| s.settings.abm_check.clone());
        let request = AbmCheckRequest {
            account_id: input.account_id.clone(),
        };
        let abm = steps
            .run(StepId::MarketingAbmCheck, || async {
                Ok(abm_check.check(ctx, request).await)
            })
            .await?;
        let compose = ComposeRequest {
            workflow_id: ctx.workflow_id().to_owned(),
            run_id: ctx.run_id().to_owned(),
            account,
            fit,
            intent,
            committee,
            pipeline: pipeline.summary,
            next_actions,
            abm,
            completed_at: steps.now(),
        };
        let brief = steps
            .activity(StepId::ComposeBrief, Activities::compose_brief, compose)
            .await?;

        steps.finish();
        Ok(brief)
    }

    /// Every step with status, times and summary.
    #[query(name = "progress")]
    pub fn progress(&self, _ctx: &WorkflowContextView) -> Vec<StepProgress> {
        self.steps.progress().to_vec()
    }
}

/// The coordinator's input, decoded and validated; the message says what is wrong.
fn parse_input(input: &serde_json::Value) -> Result<CoordinatorInput, String> {
    let bytes = serde_json::to_vec(input).map_err(|err| err.to_string())?;
    let input: CoordinatorInput = codec::decode(&bytes).map_err(|err| err.to_string())?;
    input.validate()?;
    Ok(input)
}

impl AbmCheck for NexusAbmCheck {
    fn check<'a>(
        &'a self,
        ctx: &'a WorkflowContext<DrewCoordinator>,
        request: AbmCheckRequest,
    ) -> LocalBoxFuture<'a, AbmOutcome> {
        Box::pin(async move {
            // The step runner made step 8's span current: Marketing's handler span
            // becomes its child.
            let trace_header = service_kit::trace::nexus_header(&opentelemetry::Context::current());
            let answer = NexusCall::new(self.endpoint.clone(), CHECK_ABM_PROGRAM, self.timeout)
                .header(trace_header)
                .call(ctx, &request)
                .await;
            match answer {
                Ok(answer) => AbmOutcome::Available(answer),
                Err(NexusCallError::TimedOut { .. }) => did_not_answer(self.timeout),
                Err(NexusCallError::ContractBroken(ContractBreach::Input(err))) => {
                    AbmOutcome::unavailable(format!("could not encode the request: {err}"))
                }
                Err(NexusCallError::ContractBroken(ContractBreach::Output(err))) => {
                    AbmOutcome::unavailable(format!("Marketing's answer broke the contract: {err}"))
                }
                Err(err @ (NexusCallError::Failed(_) | NexusCallError::Canceled { .. })) => {
                    AbmOutcome::unavailable(format!("Marketing failed: {}", err.message()))
                }
            }
        })
    }
}

/// "unavailable" because the deadline passed.
pub fn did_not_answer(timeout: Duration) -> AbmOutcome {
    AbmOutcome::unavailable(format!(
        "Marketing did not answer within {}s",
        timeout.as_secs()
    ))
}
