//! The Drew Coordinator workflow: nine steps for one account, one brief at the end.
//!
//! Steps 1-7 and 9 are activities ([`crate::activities`]); step 8 is a Nexus call to
//! Marketing's `marketing.abm.v1/checkAbmProgram` through the `marketing-abm`
//! endpoint. The workflow keeps the nine steps' progress in its state and answers the
//! `progress` query from it; it upserts the `AccountId` and `CoordinatorStep` search
//! attributes so runs can be listed and filtered without opening each one.
//!
//! Failure rules:
//! - a malformed input or an unknown account fails the run at step 1, non-retryably,
//!   naming the account;
//! - Marketing failing or not answering within the deadline never fails the run: the
//!   brief says `{"status":"unavailable","reason":...}`;
//! - a canceled run marks the running step failed ("canceled") and the rest skipped.
//!
//! Workflow code must be deterministic: no I/O, no clocks but `ctx.workflow_time()`,
//! no randomness. Replaying a recorded history (see the replay tests) checks that.

// The SDK macros add undocumented marker consts (`DrewCoordinator::run`, ...).
#![allow(missing_docs)]

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use nexus_handler::{ContractBreach, NexusCall, NexusCallError, innermost_failure};
use service_kit::trace::RunTrace;
use shared_contracts::abm::AbmCheckRequest;
use shared_contracts::codec;
use shared_contracts::coordinator::{
    AbmOutcome, CoordinatorBrief, CoordinatorInput, StepProgress, StepStatus, initial_progress,
};
use shared_contracts::names::search_attributes;
use shared_contracts::operation::CHECK_ABM_PROGRAM;
use shared_contracts::steps::{STEPS, StepId};
use temporalio_common::data_converters::RawValue;
use temporalio_common::protos::coresdk::AsJsonPayloadExt;
use temporalio_common::search_attributes::SearchAttributeKey;
use temporalio_common::{RetryPolicy, UntypedActivity};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ActivityExecutionError, ActivityOptions, ApplicationFailure, WorkflowContext,
    WorkflowContextView, WorkflowResult, WorkflowTermination,
};

use crate::activities::{
    ACCOUNT_NOT_FOUND, ComposeRequest, CoordinatorActivities, IntentRequest, PlanRequest,
};
use crate::telemetry::{CoordinatorTelemetry, Outcome};

/// `AccountId` (Keyword): the run's account.
const ACCOUNT_ID: SearchAttributeKey<String> =
    SearchAttributeKey::keyword(search_attributes::ACCOUNT_ID);
/// `CoordinatorStep` (Keyword): the running step's id; `done` once the brief is stored.
const COORDINATOR_STEP: SearchAttributeKey<String> =
    SearchAttributeKey::keyword(search_attributes::COORDINATOR_STEP);

/// The `CoordinatorStep` value of a run that finished all nine steps.
pub const STEP_DONE: &str = "done";

/// Worker-level settings the workflow reads (through its factory, not its input).
#[derive(Debug, Clone)]
pub struct CoordinatorSettings {
    /// Nexus endpoint of Marketing's ABM service.
    pub marketing_endpoint: String,
    /// Step 8's deadline: after it, ABM status is "unavailable".
    pub abm_timeout: Duration,
    /// When set, step 8 asks Marketing through a plain activity on this task queue of
    /// the `gtm` namespace instead of through Nexus, as a single-namespace design
    /// would. This is the benchmark's baseline (`cargo xtask bench`), not a production
    /// setting: it must not change while runs are in flight, or their replays diverge.
    pub abm_baseline_task_queue: Option<String>,
    /// Where runs report their spans and metrics.
    pub telemetry: CoordinatorTelemetry,
}

/// The Drew Coordinator. Registered with a factory that hands it the worker's
/// [`CoordinatorSettings`].
#[workflow]
pub struct DrewCoordinator {
    settings: CoordinatorSettings,
    progress: Vec<StepProgress>,
    /// The run's trace and start, known once the run starts.
    trace: Option<RunTrace>,
    started_at: Option<DateTime<Utc>>,
}

impl DrewCoordinator {
    /// A fresh run with all nine steps pending.
    pub fn new(settings: CoordinatorSettings) -> Self {
        Self {
            settings,
            progress: initial_progress(),
            trace: None,
            started_at: None,
        }
    }
}

#[workflow_methods(factory_only)]
impl DrewCoordinator {
    /// Runs the nine steps. The input is taken as raw JSON and validated here, so a
    /// malformed input fails step 1 with a message instead of failing to decode.
    #[run(name = "DrewCoordinator")]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        input: serde_json::Value,
    ) -> WorkflowResult<CoordinatorBrief> {
        let started_at = now(ctx);
        let trace = RunTrace::of_run(&ctx.info().raw().headers, ctx.run_id());
        ctx.state_mut(|s| {
            s.trace = Some(trace);
            s.started_at = Some(started_at);
        });
        let input: CoordinatorInput = match serde_json::to_vec(&input)
            .map_err(|err| err.to_string())
            .and_then(|bytes| codec::decode(&bytes).map_err(|err| err.to_string()))
            .and_then(|input: CoordinatorInput| input.validate().map(|()| input))
        {
            Ok(input) => input,
            Err(message) => {
                begin(ctx, StepId::LoadAccount);
                return Err(fail(ctx, StepId::LoadAccount, &message));
            }
        };
        let account_id = input.account_id.to_string();
        ctx.upsert_search_attributes([ACCOUNT_ID.value_set(account_id.clone())]);

        // 1. Load account.
        begin(ctx, StepId::LoadAccount);
        let result = ctx
            .execute_activity(
                CoordinatorActivities::load_account,
                account_id.clone(),
                activity_options(),
            )
            .await;
        let account = finish(ctx, StepId::LoadAccount, result, |a| {
            format!("{} · {} · {}", a.name, a.industry, a.region)
        })?;

        // 2. Enrich firmographics.
        begin(ctx, StepId::EnrichFirmographics);
        let result = ctx
            .execute_activity(
                CoordinatorActivities::enrich_firmographics,
                account.clone(),
                activity_options(),
            )
            .await;
        let firmographics = finish(ctx, StepId::EnrichFirmographics, result, |f| {
            format!(
                "{} · {} employees · {} revenue",
                f.segment.replace('_', "-"),
                crate::scoring::thousands(f.employees),
                crate::scoring::usd_short(f.annual_revenue_usd)
            )
        })?;

        // 3. Score ICP fit.
        begin(ctx, StepId::ScoreFit);
        let result = ctx
            .execute_activity(
                CoordinatorActivities::score_fit,
                firmographics,
                activity_options(),
            )
            .await;
        let fit = finish(ctx, StepId::ScoreFit, result, |f| {
            format!("Fit {}/100 (tier {})", f.score, f.tier)
        })?;

        // 4. Gather intent signals.
        begin(ctx, StepId::GatherIntent);
        let request = IntentRequest {
            account_id: account_id.clone(),
            as_of: started_at,
        };
        let result = ctx
            .execute_activity(
                CoordinatorActivities::gather_intent,
                request,
                activity_options(),
            )
            .await;
        let intent = finish(ctx, StepId::GatherIntent, result, |i| {
            format!(
                "{} signals in {} days · intent {}",
                i.signal_count, i.window_days, i.level
            )
        })?;

        // 5. Map buying committee.
        begin(ctx, StepId::MapBuyingCommittee);
        let result = ctx
            .execute_activity(
                CoordinatorActivities::map_buying_committee,
                account_id.clone(),
                activity_options(),
            )
            .await;
        let committee = finish(ctx, StepId::MapBuyingCommittee, result, |c| {
            format!(
                "{} of 5 roles covered ({}%)",
                c.covered_roles.len(),
                c.coverage_percent
            )
        })?;

        // 6. Review open pipeline.
        begin(ctx, StepId::ReviewPipeline);
        let result = ctx
            .execute_activity(
                CoordinatorActivities::review_pipeline,
                account_id.clone(),
                activity_options(),
            )
            .await;
        let pipeline = finish(ctx, StepId::ReviewPipeline, result, |p| {
            format!(
                "{} open · ${} (${} weighted)",
                p.summary.open_count,
                crate::scoring::thousands(p.summary.total_amount_usd),
                crate::scoring::thousands(p.summary.weighted_amount_usd)
            )
        })?;

        // 7. Plan next actions.
        begin(ctx, StepId::PlanNextActions);
        let request = PlanRequest {
            account_name: account.name.clone(),
            fit: fit.clone(),
            intent: intent.clone(),
            committee: committee.clone(),
            pipeline: pipeline.clone(),
            today: started_at.date_naive(),
        };
        let result = ctx
            .execute_activity(
                CoordinatorActivities::plan_next_actions,
                request,
                activity_options(),
            )
            .await;
        let next_actions = finish(
            ctx,
            StepId::PlanNextActions,
            result,
            |actions| match actions.first() {
                Some(first) if actions.len() == 1 => format!("1 action: {}", first.action),
                Some(first) => format!("{} actions · first: {}", actions.len(), first.action),
                None => "no actions".to_owned(),
            },
        )?;

        // 8. Marketing ABM check, through Nexus.
        begin(ctx, StepId::MarketingAbmCheck);
        let abm = check_abm_program(ctx, &input).await;
        complete(ctx, StepId::MarketingAbmCheck, abm_summary(&abm));

        // 9. Compose coordinator brief.
        begin(ctx, StepId::ComposeBrief);
        let request = ComposeRequest {
            workflow_id: ctx.workflow_id().to_owned(),
            run_id: ctx.run_id().to_owned(),
            account,
            fit,
            intent,
            committee,
            pipeline: pipeline.summary,
            next_actions,
            abm,
            completed_at: now(ctx),
        };
        let result = ctx
            .execute_activity(
                CoordinatorActivities::compose_brief,
                request,
                activity_options(),
            )
            .await;
        let brief = finish(ctx, StepId::ComposeBrief, result, |b| {
            format!("Brief stored · {} next actions", b.next_actions.len())
        })?;
        ctx.upsert_search_attributes([COORDINATOR_STEP.value_set(STEP_DONE.to_owned())]);
        report_run(ctx, Outcome::Completed, None);
        Ok(brief)
    }

    /// The nine steps with status, times and summary.
    #[query(name = "progress")]
    pub fn progress(&self, _ctx: &WorkflowContextView) -> Vec<StepProgress> {
        self.progress.clone()
    }
}

/// Activities retry with backoff, five attempts at most: nothing retries forever.
fn activity_options() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(15))
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_millis(500))
                .backoff_coefficient(2.0)
                .maximum_interval(Duration::from_secs(10))
                .maximum_attempts(5)
                .non_retryable_error_types([ACCOUNT_NOT_FOUND, "InvalidAccountId"])
                .build(),
        )
        .build()
}

/// Step 8: asks Marketing; any failure becomes "unavailable" with the reason.
async fn check_abm_program(
    ctx: &WorkflowContext<DrewCoordinator>,
    input: &CoordinatorInput,
) -> AbmOutcome {
    let (endpoint, timeout, baseline_queue) = ctx.state(|s| {
        (
            s.settings.marketing_endpoint.clone(),
            s.settings.abm_timeout,
            s.settings.abm_baseline_task_queue.clone(),
        )
    });
    let request = AbmCheckRequest {
        account_id: input.account_id.clone(),
    };
    if let Some(task_queue) = baseline_queue {
        return check_abm_program_by_activity(ctx, &request, task_queue, timeout).await;
    }
    // Marketing's handler span becomes a child of this step's span.
    let trace_header = ctx.state(|s| {
        s.trace
            .as_ref()
            .map(|trace| trace.nexus_header(trace.span_id(StepId::MarketingAbmCheck.id())))
            .unwrap_or_default()
    });
    let answer = NexusCall::new(endpoint, CHECK_ABM_PROGRAM, timeout)
        .header(trace_header)
        .call(ctx, &request)
        .await;
    match answer {
        Ok(answer) => AbmOutcome::Available(answer),
        Err(NexusCallError::TimedOut { .. }) => did_not_answer(timeout),
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
}

/// The benchmark's baseline for step 8: the same question as a plain activity in this
/// namespace, served by Marketing's code on `task_queue`, under the same deadline.
async fn check_abm_program_by_activity(
    ctx: &WorkflowContext<DrewCoordinator>,
    request: &AbmCheckRequest,
    task_queue: String,
    timeout: Duration,
) -> AbmOutcome {
    let payload = match request.as_json_payload() {
        Ok(payload) => payload,
        Err(err) => return AbmOutcome::unavailable(format!("could not encode the request: {err}")),
    };
    let options = ActivityOptions::with_schedule_to_close_timeout(timeout)
        .task_queue(task_queue)
        .build();
    let result = ctx
        .execute_activity(
            UntypedActivity::new(CHECK_ABM_PROGRAM.name),
            RawValue::new(vec![payload]),
            options,
        )
        .await;
    match result {
        Ok(answer) => match answer.payloads.first() {
            Some(payload) => match CHECK_ABM_PROGRAM.decode_output(&payload.data) {
                Ok(answer) => AbmOutcome::Available(answer),
                Err(err) => {
                    AbmOutcome::unavailable(format!("Marketing's answer broke the contract: {err}"))
                }
            },
            None => AbmOutcome::unavailable("Marketing sent no result"),
        },
        Err(err) if err.as_timeout().is_some() => did_not_answer(timeout),
        Err(err) => {
            AbmOutcome::unavailable(format!("Marketing failed: {}", activity_message(&err)))
        }
    }
}

/// "unavailable" because the deadline passed.
fn did_not_answer(timeout: Duration) -> AbmOutcome {
    AbmOutcome::unavailable(format!(
        "Marketing did not answer within {}s",
        timeout.as_secs()
    ))
}

fn abm_summary(abm: &AbmOutcome) -> String {
    match abm {
        AbmOutcome::Available(answer) => match &answer.program_name {
            Some(program) => format!(
                "{program} · {} · {} touches remaining",
                answer.status.as_str(),
                answer.touches_remaining
            ),
            None => "In no ABM program".to_owned(),
        },
        AbmOutcome::Unavailable(unavailable) => format!("Unavailable: {}", unavailable.reason),
    }
}

fn now(ctx: &WorkflowContext<DrewCoordinator>) -> DateTime<Utc> {
    DateTime::<Utc>::from(ctx.workflow_time().unwrap_or(SystemTime::UNIX_EPOCH))
}

fn set_step(
    ctx: &WorkflowContext<DrewCoordinator>,
    step: StepId,
    update: impl FnOnce(&mut StepProgress),
) {
    ctx.state_mut(|state| {
        if let Some(progress) = state.progress.iter_mut().find(|p| p.id == step) {
            update(progress);
        }
    });
}

/// Marks `step` running and publishes it as the run's current step.
fn begin(ctx: &WorkflowContext<DrewCoordinator>, step: StepId) {
    let at = now(ctx);
    set_step(ctx, step, |p| {
        p.status = StepStatus::Running;
        p.started_at = Some(at);
    });
    ctx.upsert_search_attributes([COORDINATOR_STEP.value_set(step.id().to_owned())]);
}

fn complete(ctx: &WorkflowContext<DrewCoordinator>, step: StepId, summary: String) {
    let at = now(ctx);
    set_step(ctx, step, |p| {
        p.status = StepStatus::Completed;
        p.completed_at = Some(at);
        p.summary = Some(summary);
    });
    report_step(ctx, step, Outcome::Completed, None);
}

/// Reports a finished step's span and duration, when it finished live.
fn report_step(
    ctx: &WorkflowContext<DrewCoordinator>,
    step: StepId,
    outcome: Outcome,
    message: Option<&str>,
) {
    if ctx.is_replaying() {
        return;
    }
    let (started, telemetry, trace) = ctx.state(|s| {
        let started = s
            .progress
            .iter()
            .find(|p| p.id == step)
            .and_then(|p| p.started_at);
        (started, s.settings.telemetry.clone(), s.trace.clone())
    });
    if let Some(trace) = trace {
        let end = now(ctx);
        telemetry.step(
            &trace,
            step,
            (started.unwrap_or(end), end),
            outcome,
            message,
        );
    }
}

/// Reports the run's span and outcome, when it ended live.
fn report_run(ctx: &WorkflowContext<DrewCoordinator>, outcome: Outcome, message: Option<&str>) {
    if ctx.is_replaying() {
        return;
    }
    let (telemetry, trace) = ctx.state(|s| (s.settings.telemetry.clone(), s.trace.clone()));
    if let Some(trace) = trace {
        let started = ctx.state(|s| s.started_at).unwrap_or_else(|| now(ctx));
        telemetry.run(
            &trace,
            ctx.workflow_id(),
            (started, now(ctx)),
            outcome,
            message,
        );
    }
}

/// Ends a step with its activity's result: completed with a summary, or the run ends.
fn finish<T>(
    ctx: &WorkflowContext<DrewCoordinator>,
    step: StepId,
    result: Result<T, ActivityExecutionError>,
    summarize: impl FnOnce(&T) -> String,
) -> WorkflowResult<T> {
    match result {
        Ok(value) => {
            complete(ctx, step, summarize(&value));
            Ok(value)
        }
        Err(ActivityExecutionError::Cancelled(_)) => {
            mark_failed(ctx, step, Outcome::Canceled, "canceled");
            report_run(ctx, Outcome::Canceled, Some("canceled"));
            Err(WorkflowTermination::cancelled())
        }
        Err(err) => Err(fail(ctx, step, &activity_message(&err))),
    }
}

/// Marks `step` failed and the later steps skipped; the run fails non-retryably.
fn fail(
    ctx: &WorkflowContext<DrewCoordinator>,
    step: StepId,
    message: &str,
) -> WorkflowTermination {
    mark_failed(ctx, step, Outcome::Failed, message);
    let message = format!("step {} ({}) failed: {message}", step.number(), step.id());
    report_run(ctx, Outcome::Failed, Some(&message));
    ApplicationFailure::non_retryable(message).into()
}

/// Ends `step` as `outcome` (failed or canceled) with `message`; later steps are
/// skipped.
fn mark_failed(
    ctx: &WorkflowContext<DrewCoordinator>,
    step: StepId,
    outcome: Outcome,
    message: &str,
) {
    let at = now(ctx);
    set_step(ctx, step, |p| {
        p.status = StepStatus::Failed;
        p.completed_at = Some(at);
        p.summary = Some(message.to_owned());
    });
    for later in STEPS.iter().filter(|s| s.number() > step.number()) {
        set_step(ctx, *later, |p| p.status = StepStatus::Skipped);
    }
    report_step(ctx, step, outcome, Some(message));
}

/// The activity's own message (the innermost cause), not the wrapper's.
fn activity_message(err: &ActivityExecutionError) -> String {
    err.failure().map_or_else(
        || err.to_string(),
        |failure| innermost_failure(failure).message.clone(),
    )
}
