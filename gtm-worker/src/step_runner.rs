//! The coordinator's step runner: everything a step does besides its business logic,
//! written once.
//!
//! A step is one line in [`crate::workflows`]:
//!
//! ```ignore
//! let fit = steps.activity(StepId::ScoreFit, CoordinatorActivities::score_fit, firmographics).await?;
//! ```
//!
//! and [`StepRunner`] does the rest around it:
//!
//! - **how a step runs**: as a local activity ([`local_activity_options`]), in this
//!   worker and inside the workflow task, one marker event each; runs recorded before
//!   [`LOCAL_ACTIVITY_STEPS`] keep their normal activities on replay;
//! - **progress**: marks the step running, then completed with its summary and the
//!   step's own times (a local activity's `Timed` result: workflow time stands still
//!   inside one workflow task), or failed (or canceled) with the reason and every later
//!   step skipped. The `progress` query answers from this record ([`StepRecord`]);
//! - **summaries**: a step's output type says how it reads in `progress`, by
//!   implementing [`StepSummary`] (beside its activity);
//! - **telemetry**: a span and a duration per step and per run, reported only when
//!   the workflow runs live, never on replay ([`crate::telemetry`]);
//! - **search attributes**: `AccountId` when the starter did not set it, and
//!   `CoordinatorStep` once, when the run ends (see [`COORDINATOR_STEP_AT_END`]).
//!
//! Everything here is workflow code: deterministic, with workflow time only.

use std::future::Future;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use opentelemetry::trace::FutureExt as _;
use service_kit::failure::activity_message;
use shared_contracts::AccountId;
use shared_contracts::coordinator::{StepProgress, StepStatus, initial_progress};
use shared_contracts::names::search_attributes;
use shared_contracts::steps::{STEPS, StepId, Timed, TimedOrBare};
use temporalio_common::search_attributes::SearchAttributeKey;
use temporalio_common::{ActivityDefinition, RetryPolicy};
use temporalio_sdk::{
    ActivityExecutionError, ActivityOptions, ApplicationFailure, LocalActivityOptions,
    WorkflowContext, WorkflowResult, WorkflowTermination,
};

use crate::activities::ACCOUNT_NOT_FOUND;
use crate::telemetry::{self, CoordinatorTelemetry, Outcome};

/// The patch that moved `CoordinatorStep` from every step to the end of the run, and
/// made the `AccountId` upsert conditional on the starter not having set it.
///
/// Histories recorded before it (no marker) replay the old way: one upsert per step.
/// Once no such run can be in flight or replayed any more, the old branch can go
/// (first through `ctx.deprecate_patch`, as Temporal's versioning guide describes).
pub const COORDINATOR_STEP_AT_END: &str = "coordinator-step-at-end";

/// `AccountId` (Keyword): the run's account.
const ACCOUNT_ID: SearchAttributeKey<String> =
    SearchAttributeKey::keyword(search_attributes::ACCOUNT_ID);
/// `CoordinatorStep` (Keyword): the step a run ended at; `done` once the brief is stored.
const COORDINATOR_STEP: SearchAttributeKey<String> =
    SearchAttributeKey::keyword(search_attributes::COORDINATOR_STEP);

/// The `CoordinatorStep` value of a run that finished all its steps.
pub const STEP_DONE: &str = "done";

/// How a step's result reads in `progress` (one line, for people); the contract's
/// types implement it in `shared-contracts`, so a closed run reads the same.
pub use shared_contracts::summary::StepSummary;

/// Why a step's work did not produce a result.
#[derive(Debug)]
pub enum StepError {
    /// It failed: the run fails non-retryably with this message.
    Failed(String),
    /// The run was canceled while the step ran.
    Canceled,
}

impl From<ActivityExecutionError> for StepError {
    fn from(err: ActivityExecutionError) -> Self {
        match err {
            ActivityExecutionError::Cancelled(_) => Self::Canceled,
            err => Self::Failed(activity_message(&err)),
        }
    }
}

/// The patch that runs steps as local activities. Runs recorded before it ran each
/// step as a normal activity, with a bare result; they keep doing so on replay.
pub const LOCAL_ACTIVITY_STEPS: &str = "local-activity-steps";

/// A run's steps as they went: what the `progress` query answers, plus what telemetry
/// needs. A workflow keeps one in its state and exposes it through [`HasSteps`].
#[derive(Debug, Clone)]
pub struct StepRecord {
    progress: Vec<StepProgress>,
    started_at: Option<DateTime<Utc>>,
    telemetry: CoordinatorTelemetry,
}

impl StepRecord {
    /// Every catalogue step pending; reports to `telemetry`.
    pub fn new(telemetry: CoordinatorTelemetry) -> Self {
        Self {
            progress: initial_progress(),
            started_at: None,
            telemetry,
        }
    }

    /// The steps with status, times and summary, in catalogue order.
    pub fn progress(&self) -> &[StepProgress] {
        &self.progress
    }

    fn step_mut(&mut self, step: StepId) -> Option<&mut StepProgress> {
        self.progress.iter_mut().find(|p| p.id == step)
    }
}

/// A workflow whose state holds a [`StepRecord`].
pub trait HasSteps {
    /// The record.
    fn steps(&self) -> &StepRecord;
    /// The record, to update.
    fn steps_mut(&mut self) -> &mut StepRecord;
}

/// Runs a workflow's steps; see the module docs.
pub struct StepRunner<'a, W: HasSteps> {
    ctx: &'a WorkflowContext<W>,
    /// Runs recorded before [`COORDINATOR_STEP_AT_END`]: `CoordinatorStep` at each step.
    step_attribute_each_step: bool,
    /// Runs recorded before [`LOCAL_ACTIVITY_STEPS`]: normal activities.
    normal_activities: bool,
}

impl<'a, W: HasSteps> StepRunner<'a, W> {
    /// Starts the run's record: its start time, and the versioning decisions of
    /// [`COORDINATOR_STEP_AT_END`] and [`LOCAL_ACTIVITY_STEPS`] (taken before the first
    /// command).
    pub fn start(ctx: &'a WorkflowContext<W>) -> Self {
        let step_attribute_each_step = !ctx.patched(COORDINATOR_STEP_AT_END);
        let normal_activities = !ctx.patched(LOCAL_ACTIVITY_STEPS);
        let started_at = now(ctx);
        ctx.state_mut(|s| s.steps_mut().started_at = Some(started_at));
        Self {
            ctx,
            step_attribute_each_step,
            normal_activities,
        }
    }

    /// When the run started (workflow time).
    pub fn started_at(&self) -> DateTime<Utc> {
        self.ctx
            .state(|s| s.steps().started_at)
            .unwrap_or_else(|| now(self.ctx))
    }

    /// The current workflow time.
    pub fn now(&self) -> DateTime<Utc> {
        now(self.ctx)
    }

    /// Makes the run findable by account: sets `AccountId`, unless the starter already
    /// set it to `account` (the dashboard and `runCoordinator` do).
    pub fn set_account(&self, account: &AccountId) {
        let set_at_start = self.ctx.search_attributes().get(&ACCOUNT_ID);
        if self.step_attribute_each_step || set_at_start.as_deref() != Some(account.as_str()) {
            self.ctx
                .upsert_search_attributes([ACCOUNT_ID.value_set(account.to_string())]);
        }
    }

    /// Fails the run at `step` before any work: for an input that cannot be used.
    pub fn reject(&self, step: StepId, message: &str) -> WorkflowTermination {
        self.begin(step);
        self.fail(step, message)
    }

    /// Runs `step` as `activity(input)`: a local activity ([`local_activity_options`]),
    /// timed by the step itself. Runs recorded before [`LOCAL_ACTIVITY_STEPS`] run it as
    /// a normal activity ([`activity_options`]), as they did then.
    pub async fn activity<A, T>(
        &self,
        step: StepId,
        activity: A,
        input: impl Into<A::Input>,
    ) -> WorkflowResult<T>
    where
        A: ActivityDefinition<Output = Timed<T>>,
        T: StepSummary + serde::Serialize + serde::de::DeserializeOwned + 'static,
    {
        if self.normal_activities {
            return self
                .run(step, || async {
                    self.ctx
                        .execute_activity(BareResult(activity), input, activity_options())
                        .await
                        .map(TimedOrBare::into_value)
                        .map_err(StepError::from)
                })
                .await;
        }
        self.run_timed(step, || async {
            self.ctx
                .execute_local_activity(activity, input, local_activity_options())
                .await
                .map(|timed| (timed.value, Some((timed.started_at, timed.finished_at))))
                .map_err(StepError::from)
        })
        .await
    }

    /// Runs `step` as `work`: marks it running, then records how it ended. `work` is
    /// called after the step is marked, so any command it issues comes after. It runs
    /// inside the step's span, so the SDK's activity spans, and a Nexus handler's span
    /// through the request header, hang under it.
    pub async fn run<T, F>(&self, step: StepId, work: impl FnOnce() -> F) -> WorkflowResult<T>
    where
        T: StepSummary,
        F: Future<Output = Result<T, StepError>>,
    {
        self.run_timed(step, || async { work().await.map(|value| (value, None)) })
            .await
    }

    /// [`StepRunner::run`] for work that says when it started and finished; without
    /// times, the step is timed by workflow time.
    async fn run_timed<T, F>(&self, step: StepId, work: impl FnOnce() -> F) -> WorkflowResult<T>
    where
        T: StepSummary,
        F: Future<Output = Result<(T, Option<StepTimes>), StepError>>,
    {
        self.begin(step);
        let span = telemetry::step_span(step);
        let outcome = work().with_context(span.clone()).await;
        let error = match &outcome {
            Ok(_) => None,
            Err(StepError::Canceled) => Some("canceled"),
            Err(StepError::Failed(message)) => Some(message.as_str()),
        };
        service_kit::trace::end_span(&span, error);
        match outcome {
            Ok((value, times)) => {
                self.complete(step, value.summary(), times);
                Ok(value)
            }
            Err(StepError::Canceled) => {
                self.mark_failed(step, Outcome::Canceled, "canceled");
                self.end_run(step.id(), Outcome::Canceled);
                Err(WorkflowTermination::cancelled())
            }
            Err(StepError::Failed(message)) => Err(self.fail(step, &message)),
        }
    }

    /// Ends a run whose steps all completed.
    pub fn finish(&self) {
        self.end_run(STEP_DONE, Outcome::Completed);
    }

    /// Marks `step` running. It starts at workflow time, or when the step before it
    /// finished if that is later: a local activity finishes on its own clock, ahead of
    /// the workflow time of the task it ran in.
    fn begin(&self, step: StepId) {
        let finished_before = self.ctx.state(|s| {
            s.steps()
                .progress
                .iter()
                .filter_map(|p| p.completed_at)
                .max()
        });
        let at = finished_before.map_or(now(self.ctx), |finished| finished.max(now(self.ctx)));
        self.update(step, |p| {
            p.status = StepStatus::Running;
            p.started_at = Some(at);
        });
        if self.step_attribute_each_step {
            self.ctx
                .upsert_search_attributes([COORDINATOR_STEP.value_set(step.id().to_owned())]);
        }
    }

    fn complete(&self, step: StepId, summary: String, times: Option<StepTimes>) {
        let at = now(self.ctx);
        self.update(step, |p| {
            p.status = StepStatus::Completed;
            if let Some((started, _)) = times {
                p.started_at = Some(started);
            }
            p.completed_at = Some(times.map_or(at, |(_, finished)| finished));
            p.summary = Some(summary);
        });
        self.report_step(step, Outcome::Completed);
    }

    /// Marks `step` failed and the later steps skipped; the run fails non-retryably.
    fn fail(&self, step: StepId, message: &str) -> WorkflowTermination {
        self.mark_failed(step, Outcome::Failed, message);
        let message = format!("step {} ({}) failed: {message}", step.number(), step.id());
        self.end_run(step.id(), Outcome::Failed);
        ApplicationFailure::non_retryable(message).into()
    }

    /// Ends `step` as `outcome` (failed or canceled) with `message`; later steps are
    /// skipped.
    fn mark_failed(&self, step: StepId, outcome: Outcome, message: &str) {
        let at = now(self.ctx);
        self.update(step, |p| {
            p.status = StepStatus::Failed;
            p.completed_at = Some(at);
            p.summary = Some(message.to_owned());
        });
        for later in STEPS.iter().filter(|s| s.number() > step.number()) {
            self.update(*later, |p| p.status = StepStatus::Skipped);
        }
        self.report_step(step, outcome);
    }

    /// Publishes where the run ended (`CoordinatorStep`) and reports the run.
    fn end_run(&self, ended_at: &str, outcome: Outcome) {
        let publish = if self.step_attribute_each_step {
            // The old runs wrote `done` only; a failed step was already published.
            outcome == Outcome::Completed
        } else {
            true
        };
        if publish {
            self.ctx
                .upsert_search_attributes([COORDINATOR_STEP.value_set(ended_at.to_owned())]);
        }
        self.report_run(outcome);
    }

    fn update(&self, step: StepId, update: impl FnOnce(&mut StepProgress)) {
        self.ctx.state_mut(|s| {
            if let Some(progress) = s.steps_mut().step_mut(step) {
                update(progress);
            }
        });
    }

    /// Reports a finished step's duration and outcome, when it finished live.
    fn report_step(&self, step: StepId, outcome: Outcome) {
        if self.ctx.is_replaying() {
            return;
        }
        let (times, telemetry) = self.ctx.state(|s| {
            let record = s.steps();
            let times = record
                .progress
                .iter()
                .find(|p| p.id == step)
                .map(|p| (p.started_at, p.completed_at));
            (times, record.telemetry.clone())
        });
        let now = now(self.ctx);
        let (started, finished) = times.unwrap_or_default();
        let finished = finished.unwrap_or(now);
        telemetry.step(step, (started.unwrap_or(finished), finished), outcome);
    }

    /// Reports the run's duration and outcome, when it ended live.
    fn report_run(&self, outcome: Outcome) {
        if self.ctx.is_replaying() {
            return;
        }
        let (telemetry, started) = self
            .ctx
            .state(|s| (s.steps().telemetry.clone(), s.steps().started_at));
        let end = now(self.ctx);
        telemetry.run((started.unwrap_or(end), end), outcome);
    }
}

/// A step's own start and finish.
type StepTimes = (DateTime<Utc>, DateTime<Utc>);

/// Steps retry with backoff, five attempts at most: nothing retries forever. An
/// unknown or malformed account is not retried.
fn step_retry_policy() -> RetryPolicy {
    RetryPolicy::builder()
        .initial_interval(Duration::from_millis(500))
        .backoff_coefficient(2.0)
        .maximum_interval(Duration::from_secs(10))
        .maximum_attempts(5)
        .non_retryable_error_types([ACCOUNT_NOT_FOUND, "InvalidAccountId"])
        .build()
}

/// Steps 1-7 and 9 as local activities: each attempt gets 15 s, the whole step 60 s
/// with its retries ([`step_retry_policy`]). They run in the worker that runs the
/// workflow, inside its workflow task, and a result is recorded as one marker event;
/// a retry whose backoff would outlast the workflow task waits on a timer instead.
pub fn local_activity_options() -> LocalActivityOptions {
    LocalActivityOptions::builder()
        .start_to_close_timeout(Duration::from_secs(15))
        .schedule_to_close_timeout(Duration::from_secs(60))
        .retry_policy(step_retry_policy())
        .build()
}

/// The same steps as normal activities, as runs recorded before
/// [`LOCAL_ACTIVITY_STEPS`] ran them.
pub fn activity_options() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(15))
        .retry_policy(step_retry_policy())
        .build()
}

/// An activity whose result is [`Timed`], read as runs recorded before
/// [`LOCAL_ACTIVITY_STEPS`] read it: the bare value then, either shape for a run in
/// flight across the upgrade.
struct BareResult<A>(A);

/// The value type inside a [`Timed`] result.
pub trait TimedResult {
    /// The step's value.
    type Value;
}

impl<T> TimedResult for Timed<T> {
    type Value = T;
}

impl<A> ActivityDefinition for BareResult<A>
where
    A: ActivityDefinition,
    A::Output: TimedResult,
    <A::Output as TimedResult>::Value: serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    type Input = A::Input;
    type Output = TimedOrBare<<A::Output as TimedResult>::Value>;

    fn name(&self) -> &str {
        self.0.name()
    }
}

fn now<W>(ctx: &WorkflowContext<W>) -> DateTime<Utc> {
    DateTime::<Utc>::from(ctx.workflow_time().unwrap_or(SystemTime::UNIX_EPOCH))
}
