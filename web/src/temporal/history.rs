//! A coordinator run read from Temporal's history alone, with no worker: its steps,
//! while it runs and once it has closed, and how it ended.
//!
//! - The outcome (the brief, or why the run stopped) is the close event.
//! - Each step's status, times and summary come from its local activity's marker: the
//!   step's timed result (`shared_contracts::steps::Timed`) records when the step's own
//!   work started and finished and how its result reads, so the history says it
//!   without this crate knowing the step's result type. In runs recorded before
//!   local-activity steps they come from the step's activity events (scheduled, then
//!   completed, failed, timed out or canceled). Step 8's come from its Nexus
//!   operation's events, its summary from Marketing's answer. A step is known by its
//!   activity type, which is the step's id in the catalogue; step 8 by its Nexus
//!   operation, `marketing.abm.v1/checkAbmProgram`.
//! - While a run is open, the step after the last finished one is running: the
//!   workflow works on it inside a workflow task, whose events land when it completes.
//! - What the history does not say, a closed run's brief fills in
//!   ([`summarize_from_brief`]): the summaries of older runs' steps, and step 8's
//!   "unavailable" when Marketing did not answer.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use shared_contracts::abm::AbmCheckResponse;
use shared_contracts::coordinator::{
    AbmOutcome, CoordinatorBrief, StepProgress, StepStatus, initial_progress,
};
use shared_contracts::operation::CHECK_ABM_PROGRAM;
use shared_contracts::steps::StepId;
use shared_contracts::summary::StepSummary;
use temporalio_common::protos::constants::LOCAL_ACTIVITY_MARKER_NAME;
use temporalio_common::protos::coresdk::common::extract_local_activity_marker_data;
use temporalio_common::protos::temporal::api::failure::v1::Failure;
use temporalio_common::protos::temporal::api::history::v1::HistoryEvent;
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;

use super::runs::timestamp;

/// How a closed workflow ended, from its close event.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Outcome {
    /// The result, when it completed.
    pub result: Option<serde_json::Value>,
    /// Why it stopped otherwise, in words.
    pub failure: Option<String>,
}

/// The outcome of a closed workflow whose history (or only its close event) is
/// `events`.
pub(super) fn outcome(events: &[HistoryEvent]) -> Outcome {
    let close = events.iter().rev().find_map(|e| e.attributes.as_ref());
    match close {
        Some(Attributes::WorkflowExecutionCompletedEventAttributes(completed)) => Outcome {
            result: completed
                .result
                .as_ref()
                .and_then(|p| p.payloads.first())
                .and_then(|p| serde_json::from_slice(&p.data).ok()),
            failure: None,
        },
        Some(Attributes::WorkflowExecutionFailedEventAttributes(failed)) => Outcome {
            result: None,
            failure: failed.failure.as_ref().map(|f| f.message.clone()),
        },
        Some(Attributes::WorkflowExecutionCanceledEventAttributes(_)) => Outcome {
            result: None,
            failure: Some("The run was canceled.".to_owned()),
        },
        Some(Attributes::WorkflowExecutionTerminatedEventAttributes(terminated)) => Outcome {
            result: None,
            failure: Some(format!("The run was terminated: {}", terminated.reason)),
        },
        Some(Attributes::WorkflowExecutionTimedOutEventAttributes(_)) => Outcome {
            result: None,
            failure: Some("The run ran out of time.".to_owned()),
        },
        _ => Outcome::default(),
    }
}

/// The steps of a coordinator run, open or closed, from its history: the same shape as
/// the `progress` query's answer.
///
/// While the run is open, the step after the last one the history has finished is
/// running once a worker has taken the run up (a workflow task started): the workflow
/// is working on it inside a workflow task, whose events come when the task completes.
pub(super) fn coordinator_steps(events: &[HistoryEvent]) -> Vec<StepProgress> {
    let mut steps = initial_progress();
    let mut scheduled: HashMap<i64, StepId> = HashMap::new();
    let mut taken_up_at = None;
    let mut closed = None;
    for event in events {
        let at = event.event_time.and_then(|t| timestamp(t.seconds, t.nanos));
        let Some(attributes) = &event.attributes else {
            continue;
        };
        let (step, end) = match attributes {
            Attributes::WorkflowTaskStartedEventAttributes(_) => {
                taken_up_at = taken_up_at.or(at);
                continue;
            }
            Attributes::ActivityTaskScheduledEventAttributes(scheduled_activity) => {
                let name = scheduled_activity
                    .activity_type
                    .as_ref()
                    .map_or("", |t| t.name.as_str());
                if let Some(step) = StepId::from_id(name) {
                    scheduled.insert(event.event_id, step);
                    start(&mut steps, step, at);
                }
                continue;
            }
            // Steps run as local activities (runs since `local-activity-steps`): one
            // marker each, holding the activity type and the step's timed result.
            Attributes::MarkerRecordedEventAttributes(marker)
                if marker.marker_name == LOCAL_ACTIVITY_MARKER_NAME =>
            {
                let Some(step) = extract_local_activity_marker_data(&marker.details)
                    .and_then(|data| StepId::from_id(&data.activity_type))
                else {
                    continue;
                };
                let timed = marker
                    .details
                    .get("result")
                    .and_then(|result| result.payloads.first())
                    .and_then(|payload| serde_json::from_slice::<StepRecord>(&payload.data).ok());
                let (started_at, finished_at, summary) = match timed {
                    Some(timed) => (
                        Some(timed.started_at),
                        Some(timed.finished_at),
                        timed.summary,
                    ),
                    None => (at, at, None),
                };
                start(&mut steps, step, started_at);
                let end = match &marker.failure {
                    Some(failure) => StepEnd::Failed(innermost_message(Some(failure))),
                    None => StepEnd::Completed(summary),
                };
                finish(&mut steps, step, end, finished_at);
                continue;
            }
            Attributes::NexusOperationScheduledEventAttributes(operation) => {
                if operation.service == CHECK_ABM_PROGRAM.service
                    && operation.operation == CHECK_ABM_PROGRAM.name
                {
                    scheduled.insert(event.event_id, StepId::MarketingAbmCheck);
                    start(&mut steps, StepId::MarketingAbmCheck, at);
                }
                continue;
            }
            Attributes::ActivityTaskCompletedEventAttributes(a) => (
                scheduled.get(&a.scheduled_event_id),
                StepEnd::Completed(None),
            ),
            Attributes::ActivityTaskFailedEventAttributes(a) => (
                scheduled.get(&a.scheduled_event_id),
                StepEnd::Failed(innermost_message(a.failure.as_ref())),
            ),
            Attributes::ActivityTaskTimedOutEventAttributes(a) => (
                scheduled.get(&a.scheduled_event_id),
                StepEnd::Failed(innermost_message(a.failure.as_ref())),
            ),
            Attributes::ActivityTaskCanceledEventAttributes(a) => (
                scheduled.get(&a.scheduled_event_id),
                StepEnd::Failed(Some("canceled".to_owned())),
            ),
            // Marketing's answer reads as the workflow reads it; a failure or a timeout
            // is summarized by the workflow (in the brief).
            Attributes::NexusOperationCompletedEventAttributes(a) => {
                let answer = a
                    .result
                    .as_ref()
                    .and_then(|p| serde_json::from_slice::<AbmCheckResponse>(&p.data).ok());
                (
                    scheduled.get(&a.scheduled_event_id),
                    StepEnd::Completed(answer.map(|a| AbmOutcome::Available(a).summary())),
                )
            }
            Attributes::NexusOperationFailedEventAttributes(a) => (
                scheduled.get(&a.scheduled_event_id),
                StepEnd::Completed(None),
            ),
            Attributes::NexusOperationTimedOutEventAttributes(a) => (
                scheduled.get(&a.scheduled_event_id),
                StepEnd::Completed(None),
            ),
            Attributes::NexusOperationCanceledEventAttributes(a) => (
                scheduled.get(&a.scheduled_event_id),
                StepEnd::Completed(None),
            ),
            Attributes::WorkflowExecutionCompletedEventAttributes(_)
            | Attributes::WorkflowExecutionContinuedAsNewEventAttributes(_) => {
                closed = Some(Closed { at, failure: None });
                continue;
            }
            Attributes::WorkflowExecutionFailedEventAttributes(failed) => {
                let failure = innermost_message(failed.failure.as_ref());
                closed = Some(Closed { at, failure });
                continue;
            }
            Attributes::WorkflowExecutionCanceledEventAttributes(_) => {
                let failure = Some("canceled".to_owned());
                closed = Some(Closed { at, failure });
                continue;
            }
            Attributes::WorkflowExecutionTerminatedEventAttributes(terminated) => {
                let failure = Some(format!("terminated: {}", terminated.reason));
                closed = Some(Closed { at, failure });
                continue;
            }
            Attributes::WorkflowExecutionTimedOutEventAttributes(_) => {
                let failure = Some("the run ran out of time".to_owned());
                closed = Some(Closed { at, failure });
                continue;
            }
            _ => continue,
        };
        let Some(step) = step.copied() else {
            continue;
        };
        // Step 8 never fails the run: Marketing failing or not answering is an
        // outcome ("unavailable"), and the step completes with it.
        let end = match end {
            StepEnd::Failed(_) if step == StepId::MarketingAbmCheck => StepEnd::Completed(None),
            end => end,
        };
        finish(&mut steps, step, end, at);
    }
    match closed {
        Some(Closed {
            at,
            failure: Some(message),
        }) => stop_at_first_unfinished_step(&mut steps, &message, at),
        Some(_) => {}
        None => {
            if let Some(taken_up_at) = taken_up_at {
                start_next_step(&mut steps, taken_up_at);
            }
        }
    }
    steps
}

/// How a run ended: when, and why, unless it completed.
struct Closed {
    at: Option<DateTime<Utc>>,
    failure: Option<String>,
}

/// How a step's activity or operation ended.
enum StepEnd {
    /// With its summary, when the history holds one.
    Completed(Option<String>),
    Failed(Option<String>),
}

/// What a step's timed result records besides its value
/// (`shared_contracts::steps::Timed`): read without the value, whose type is the
/// step's own.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct StepRecord {
    started_at: DateTime<Utc>,
    finished_at: DateTime<Utc>,
    #[serde(default)]
    summary: Option<String>,
}

/// In an open run where no step is running or failed, the first pending step is
/// running: it started when the step before it finished, or when a worker took the run
/// up, as the workflow's own step runner records it.
fn start_next_step(steps: &mut [StepProgress], taken_up_at: DateTime<Utc>) {
    if steps
        .iter()
        .any(|p| matches!(p.status, StepStatus::Running | StepStatus::Failed))
    {
        return;
    }
    let finished_before = steps.iter().filter_map(|p| p.completed_at).max();
    let Some(next) = steps.iter().position(|p| p.status == StepStatus::Pending) else {
        return;
    };
    let at = finished_before.map_or(taken_up_at, |finished| finished.max(taken_up_at));
    let next = steps[next].id;
    start(steps, next, Some(at));
}

fn finish(steps: &mut [StepProgress], step: StepId, end: StepEnd, at: Option<DateTime<Utc>>) {
    if let Some(progress) = steps.iter_mut().find(|p| p.id == step) {
        progress.completed_at = at;
        let (status, summary) = match end {
            StepEnd::Completed(summary) => (StepStatus::Completed, summary),
            StepEnd::Failed(message) => (StepStatus::Failed, message),
        };
        progress.status = status;
        progress.summary = summary;
    }
}

fn start(steps: &mut [StepProgress], step: StepId, at: Option<DateTime<Utc>>) {
    if let Some(progress) = steps.iter_mut().find(|p| p.id == step) {
        progress.status = StepStatus::Running;
        progress.started_at = at;
    }
}

/// A run that stopped: the step it stopped at failed (with its own message, or the
/// run's), and the steps after it were skipped, as the workflow itself records it.
fn stop_at_first_unfinished_step(
    steps: &mut [StepProgress],
    message: &str,
    closed_at: Option<DateTime<Utc>>,
) {
    let Some(stopped) = steps.iter().position(|p| p.status != StepStatus::Completed) else {
        return;
    };
    let step = &mut steps[stopped];
    if step.status != StepStatus::Failed {
        step.status = StepStatus::Failed;
        step.completed_at = closed_at;
    }
    if step.summary.is_none() {
        step.summary = Some(message.to_owned());
    }
    for later in &mut steps[stopped + 1..] {
        later.status = StepStatus::Skipped;
    }
}

/// The innermost cause's message: the activity's own words, not its wrappers'.
fn innermost_message(failure: Option<&Failure>) -> Option<String> {
    let mut current = failure?;
    while let Some(cause) = current.cause.as_deref() {
        current = cause;
    }
    Some(current.message.clone())
}

/// Fills in, from the run's brief, the summaries of completed steps the history did not
/// give (runs recorded before steps carried their own, and step 8 when Marketing did not
/// answer).
pub(super) fn summarize_from_brief(steps: &mut [StepProgress], brief: &CoordinatorBrief) {
    for step in steps
        .iter_mut()
        .filter(|p| p.status == StepStatus::Completed && p.summary.is_none())
    {
        step.summary = summary_from_brief(step.id, brief);
    }
}

/// One line on what `step` found, read from the brief with the same
/// [`StepSummary`] impls the live `progress` query uses; `None` for a step whose result
/// the brief does not keep (step 2's firmographics, and any step added later).
fn summary_from_brief(step: StepId, brief: &CoordinatorBrief) -> Option<String> {
    Some(match step {
        StepId::LoadAccount => brief.account_name.clone(),
        StepId::ScoreFit => brief.fit_score.summary(),
        StepId::GatherIntent => brief.intent.summary(),
        StepId::MapBuyingCommittee => brief.buying_committee.summary(),
        StepId::ReviewPipeline => brief.open_pipeline.summary(),
        // The brief keeps step 9's refinement of step 7's actions.
        StepId::PlanNextActions => brief.next_actions.summary(),
        StepId::MarketingAbmCheck => brief.abm.summary(),
        StepId::ComposeBrief => brief.summary(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use shared_contracts::steps::STEPS;
    use temporalio_common::protos::coresdk::common::build_local_activity_marker_details;
    use temporalio_common::protos::coresdk::external_data::LocalActivityMarkerData;
    use temporalio_common::protos::temporal::api::common::v1::{ActivityType, Payload, Payloads};
    use temporalio_common::protos::temporal::api::history::v1::{
        ActivityTaskCompletedEventAttributes, ActivityTaskFailedEventAttributes,
        ActivityTaskScheduledEventAttributes, MarkerRecordedEventAttributes,
        NexusOperationCompletedEventAttributes, NexusOperationScheduledEventAttributes,
        WorkflowExecutionCompletedEventAttributes, WorkflowExecutionFailedEventAttributes,
    };

    use super::*;

    /// Builds a history one event at a time, a second apart.
    #[derive(Default)]
    struct History(Vec<HistoryEvent>);

    impl History {
        fn push(&mut self, attributes: Attributes) -> i64 {
            let event_id = i64::try_from(self.0.len()).unwrap() + 1;
            self.0.push(HistoryEvent {
                event_id,
                event_time: Some(
                    (std::time::UNIX_EPOCH
                        + std::time::Duration::from_secs(1_800_000_000 + event_id.unsigned_abs()))
                    .into(),
                ),
                attributes: Some(attributes),
                ..Default::default()
            });
            event_id
        }

        fn activity(&mut self, name: &str) -> i64 {
            self.push(Attributes::ActivityTaskScheduledEventAttributes(
                ActivityTaskScheduledEventAttributes {
                    activity_type: Some(ActivityType {
                        name: name.to_owned(),
                    }),
                    ..Default::default()
                },
            ))
        }

        /// A step run as a local activity: its marker, holding the step's timed
        /// result, as `Timed` writes it.
        fn local_activity(&mut self, step: StepId, started: &str, finished: &str, summary: &str) {
            let data = LocalActivityMarkerData {
                activity_type: step.id().to_owned(),
                ..Default::default()
            };
            let result = Payload {
                data: serde_json::to_vec(&serde_json::json!({
                    "value": {"anything": "the step's own type"},
                    "startedAt": started,
                    "finishedAt": finished,
                    "summary": summary,
                }))
                .unwrap(),
                ..Default::default()
            };
            self.push(Attributes::MarkerRecordedEventAttributes(
                MarkerRecordedEventAttributes {
                    marker_name: LOCAL_ACTIVITY_MARKER_NAME.to_owned(),
                    details: build_local_activity_marker_details(data, Some(result)),
                    ..Default::default()
                },
            ));
        }

        fn workflow_task_started(&mut self) {
            self.push(Attributes::WorkflowTaskStartedEventAttributes(
                Default::default(),
            ));
        }

        fn abm_check_scheduled(&mut self) -> i64 {
            self.push(Attributes::NexusOperationScheduledEventAttributes(
                NexusOperationScheduledEventAttributes {
                    service: CHECK_ABM_PROGRAM.service.to_owned(),
                    operation: CHECK_ABM_PROGRAM.name.to_owned(),
                    ..Default::default()
                },
            ))
        }

        fn completed(&mut self, scheduled_event_id: i64) {
            self.push(Attributes::ActivityTaskCompletedEventAttributes(
                ActivityTaskCompletedEventAttributes {
                    scheduled_event_id,
                    ..Default::default()
                },
            ));
        }
    }

    fn failure(message: &str, cause: Option<Failure>) -> Failure {
        Failure {
            message: message.to_owned(),
            cause: cause.map(Box::new),
            ..Default::default()
        }
    }

    #[test]
    fn a_completed_run_has_every_step_completed_with_times_and_its_result() {
        let mut history = History::default();
        for step in STEPS {
            if step == StepId::MarketingAbmCheck {
                let scheduled = history.push(Attributes::NexusOperationScheduledEventAttributes(
                    NexusOperationScheduledEventAttributes {
                        service: CHECK_ABM_PROGRAM.service.to_owned(),
                        operation: CHECK_ABM_PROGRAM.name.to_owned(),
                        ..Default::default()
                    },
                ));
                history.push(Attributes::NexusOperationCompletedEventAttributes(
                    NexusOperationCompletedEventAttributes {
                        scheduled_event_id: scheduled,
                        ..Default::default()
                    },
                ));
            } else {
                let scheduled = history.activity(step.id());
                history.completed(scheduled);
            }
        }
        history.push(Attributes::WorkflowExecutionCompletedEventAttributes(
            WorkflowExecutionCompletedEventAttributes {
                result: Some(Payloads {
                    payloads: vec![Payload {
                        data: br#"{"recommendation":"call"}"#.to_vec(),
                        ..Default::default()
                    }],
                }),
                ..Default::default()
            },
        ));
        let steps = coordinator_steps(&history.0);
        assert_eq!(steps.len(), STEPS.len());
        for (progress, step) in steps.iter().zip(STEPS) {
            assert_eq!(progress.id, step);
            assert_eq!(progress.status, StepStatus::Completed, "{step:?}");
            let (started, completed) =
                (progress.started_at.unwrap(), progress.completed_at.unwrap());
            assert_eq!((completed - started).num_seconds(), 1, "{step:?}");
        }
        let outcome = outcome(&history.0);
        assert_eq!(outcome.result.unwrap()["recommendation"], "call");
        assert_eq!(outcome.failure, None);
    }

    #[test]
    fn a_failed_run_fails_its_step_with_the_innermost_message_and_skips_the_rest() {
        let mut history = History::default();
        let scheduled = history.activity(StepId::LoadAccount.id());
        history.push(Attributes::ActivityTaskFailedEventAttributes(
            ActivityTaskFailedEventAttributes {
                scheduled_event_id: scheduled,
                failure: Some(failure(
                    "activity failed",
                    Some(failure("account \"nobody\" not found", None)),
                )),
                ..Default::default()
            },
        ));
        history.push(Attributes::WorkflowExecutionFailedEventAttributes(
            WorkflowExecutionFailedEventAttributes {
                failure: Some(failure(
                    "step 1 (load_account) failed: account \"nobody\" not found",
                    None,
                )),
                ..Default::default()
            },
        ));
        let steps = coordinator_steps(&history.0);
        assert_eq!(steps[0].status, StepStatus::Failed);
        assert_eq!(
            steps[0].summary.as_deref(),
            Some("account \"nobody\" not found")
        );
        assert!(steps[0].completed_at.is_some());
        assert!(steps[1..].iter().all(|p| p.status == StepStatus::Skipped));
        assert!(
            outcome(&history.0)
                .failure
                .unwrap()
                .starts_with("step 1 (load_account) failed")
        );
    }

    #[test]
    fn a_run_failed_before_any_activity_fails_step_one() {
        let mut history = History::default();
        history.push(Attributes::WorkflowExecutionFailedEventAttributes(
            WorkflowExecutionFailedEventAttributes {
                failure: Some(failure("step 1 (load_account) failed: bad input", None)),
                ..Default::default()
            },
        ));
        let steps = coordinator_steps(&history.0);
        assert_eq!(steps[0].status, StepStatus::Failed);
        assert!(steps[0].summary.as_deref().unwrap().ends_with("bad input"));
        assert!(steps[1..].iter().all(|p| p.status == StepStatus::Skipped));
    }

    /// The steps before step 8 (Marketing's, over Nexus): local activities, each a
    /// millisecond long, in the history's first second.
    fn steps_before_abm() -> impl Iterator<Item = StepId> {
        STEPS
            .into_iter()
            .take_while(|step| *step != StepId::MarketingAbmCheck)
    }

    /// [`steps_before_abm`] as local activities in `history`.
    fn local_activity_steps_before_abm(history: &mut History) {
        for (n, step) in steps_before_abm().enumerate() {
            history.local_activity(
                step,
                &format!("2027-01-15T08:00:00.{:03}Z", 2 * n),
                &format!("2027-01-15T08:00:00.{:03}Z", 2 * n + 1),
                &format!("summary of {}", step.id()),
            );
        }
    }

    #[test]
    fn an_open_run_before_its_first_workflow_task_has_every_step_pending() {
        let steps = coordinator_steps(&History::default().0);
        assert!(steps.iter().all(|p| p.status == StepStatus::Pending));
    }

    #[test]
    fn an_open_run_taken_up_by_a_worker_is_at_step_one() {
        let mut history = History::default();
        history.workflow_task_started();
        let steps = coordinator_steps(&history.0);
        assert_eq!(steps[0].status, StepStatus::Running);
        assert_eq!(
            steps[0].started_at,
            history.0[0]
                .event_time
                .and_then(|t| timestamp(t.seconds, t.nanos))
        );
        assert!(steps[1..].iter().all(|p| p.status == StepStatus::Pending));
    }

    #[test]
    fn an_open_run_at_step_eight_shows_the_steps_before_it_from_their_markers() {
        let mut history = History::default();
        history.workflow_task_started();
        local_activity_steps_before_abm(&mut history);
        history.abm_check_scheduled();
        let steps = coordinator_steps(&history.0);
        for (n, step) in steps_before_abm().enumerate() {
            let progress = &steps[step.index()];
            assert_eq!(progress.status, StepStatus::Completed, "{:?}", progress.id);
            assert_eq!(
                progress.summary.as_deref(),
                Some(format!("summary of {}", progress.id.id()).as_str())
            );
            let at = |ms: usize| {
                format!("2027-01-15T08:00:00.{ms:03}Z")
                    .parse::<DateTime<Utc>>()
                    .ok()
            };
            assert_eq!(progress.started_at, at(2 * n));
            assert_eq!(progress.completed_at, at(2 * n + 1));
        }
        let abm = &steps[StepId::MarketingAbmCheck.index()];
        assert_eq!(abm.status, StepStatus::Running, "{abm:?}");
        assert!(abm.started_at.is_some(), "{abm:?}");
        for after in &steps[StepId::MarketingAbmCheck.index() + 1..] {
            assert_eq!(after.status, StepStatus::Pending, "{after:?}");
        }
    }

    #[test]
    fn an_open_run_whose_abm_check_answered_is_composing_its_brief() {
        let mut history = History::default();
        history.workflow_task_started();
        local_activity_steps_before_abm(&mut history);
        let scheduled = history.abm_check_scheduled();
        let answer = br#"{"accountId":"acme-corp","inABMProgram":true,"programName":"Q3 Enterprise","status":"active","touchesRemaining":4}"#;
        let answered = history.push(Attributes::NexusOperationCompletedEventAttributes(
            NexusOperationCompletedEventAttributes {
                scheduled_event_id: scheduled,
                result: Some(Payload {
                    data: answer.to_vec(),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ));
        history.workflow_task_started();
        let steps = coordinator_steps(&history.0);
        let abm = &steps[StepId::MarketingAbmCheck.index()];
        assert_eq!(abm.status, StepStatus::Completed, "{abm:?}");
        assert_eq!(
            abm.summary.as_deref(),
            Some("Q3 Enterprise · active · 4 touches remaining")
        );
        // The step after it runs from when Marketing answered.
        let next = &steps[StepId::MarketingAbmCheck.index() + 1];
        assert_eq!(next.status, StepStatus::Running, "{next:?}");
        let answered_at = history.0[usize::try_from(answered).unwrap() - 1]
            .event_time
            .and_then(|t| timestamp(t.seconds, t.nanos));
        assert_eq!(next.started_at, answered_at);
    }

    #[test]
    fn a_failed_local_activity_fails_its_step_and_the_run_skips_the_rest() {
        let mut history = History::default();
        history.workflow_task_started();
        history.push(Attributes::MarkerRecordedEventAttributes(
            MarkerRecordedEventAttributes {
                marker_name: LOCAL_ACTIVITY_MARKER_NAME.to_owned(),
                details: build_local_activity_marker_details(
                    LocalActivityMarkerData {
                        activity_type: StepId::LoadAccount.id().to_owned(),
                        ..Default::default()
                    },
                    None,
                ),
                failure: Some(failure(
                    "activity failed",
                    Some(failure("the GTM database is unreachable", None)),
                )),
                ..Default::default()
            },
        ));
        let open = coordinator_steps(&history.0);
        assert_eq!(open[0].status, StepStatus::Failed);
        assert_eq!(
            open[0].summary.as_deref(),
            Some("the GTM database is unreachable")
        );
        assert!(open[1..].iter().all(|p| p.status == StepStatus::Pending));
        history.push(Attributes::WorkflowExecutionFailedEventAttributes(
            WorkflowExecutionFailedEventAttributes {
                failure: Some(failure("step 1 (load_account) failed", None)),
                ..Default::default()
            },
        ));
        let closed = coordinator_steps(&history.0);
        assert_eq!(
            closed[0].summary.as_deref(),
            Some("the GTM database is unreachable")
        );
        assert!(closed[1..].iter().all(|p| p.status == StepStatus::Skipped));
    }
}
