//! A closed run read from Temporal's history alone, with no worker: how it ended,
//! and its steps.
//!
//! - The outcome (the brief, or why the run stopped) is the close event.
//! - Each step's status and times come from its local activity's marker (the step's
//!   timed result), or, in runs recorded before local-activity steps, its activity's
//!   events (scheduled, then completed, failed, timed out or canceled); step 8's from
//!   its Nexus operation's events. A step is known by its activity type, which is the
//!   step's id in the catalogue; step 8 by its Nexus operation,
//!   `marketing.abm.v1/checkAbmProgram`.
//! - The summaries of completed steps come from the brief, which holds every step's
//!   result but step 2's; a failed step's summary is its failure's message. The
//!   workflow formats the same facts for its `progress` query; the history does not
//!   keep those lines, and reading the activities' own result payloads would tie the
//!   dashboard to gtm-worker's internal types instead of the contract's brief.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use shared_contracts::coordinator::{CoordinatorBrief, StepProgress, StepStatus, initial_progress};
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

/// The steps of a closed coordinator run, from its full history: the same shape as
/// the `progress` query's answer.
pub(super) fn coordinator_steps(events: &[HistoryEvent]) -> Vec<StepProgress> {
    let mut steps = initial_progress();
    let mut scheduled: HashMap<i64, StepId> = HashMap::new();
    let mut closed_at = None;
    let mut run_failure = None;
    for event in events {
        let at = event.event_time.and_then(|t| timestamp(t.seconds, t.nanos));
        let Some(attributes) = &event.attributes else {
            continue;
        };
        let (step, end) = match attributes {
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
                let times = marker
                    .details
                    .get("result")
                    .and_then(|result| result.payloads.first())
                    .and_then(|payload| serde_json::from_slice::<StepTimes>(&payload.data).ok());
                start(
                    &mut steps,
                    step,
                    times.as_ref().map(|t| t.started_at).or(at),
                );
                let end = match &marker.failure {
                    Some(failure) => StepEnd::Failed(innermost_message(Some(failure))),
                    None => StepEnd::Completed,
                };
                finish(&mut steps, step, end, times.map(|t| t.finished_at).or(at));
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
            Attributes::ActivityTaskCompletedEventAttributes(a) => {
                (scheduled.get(&a.scheduled_event_id), StepEnd::Completed)
            }
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
            Attributes::NexusOperationCompletedEventAttributes(a) => {
                (scheduled.get(&a.scheduled_event_id), StepEnd::Completed)
            }
            Attributes::NexusOperationFailedEventAttributes(a) => {
                (scheduled.get(&a.scheduled_event_id), StepEnd::Completed)
            }
            Attributes::NexusOperationTimedOutEventAttributes(a) => {
                (scheduled.get(&a.scheduled_event_id), StepEnd::Completed)
            }
            Attributes::NexusOperationCanceledEventAttributes(a) => {
                (scheduled.get(&a.scheduled_event_id), StepEnd::Completed)
            }
            Attributes::WorkflowExecutionFailedEventAttributes(failed) => {
                closed_at = at;
                run_failure = innermost_message(failed.failure.as_ref());
                continue;
            }
            Attributes::WorkflowExecutionCanceledEventAttributes(_) => {
                closed_at = at;
                run_failure = Some("canceled".to_owned());
                continue;
            }
            Attributes::WorkflowExecutionTerminatedEventAttributes(terminated) => {
                closed_at = at;
                run_failure = Some(format!("terminated: {}", terminated.reason));
                continue;
            }
            Attributes::WorkflowExecutionTimedOutEventAttributes(_) => {
                closed_at = at;
                run_failure = Some("the run ran out of time".to_owned());
                continue;
            }
            _ => continue,
        };
        let Some(step) = step.copied() else {
            continue;
        };
        // Step 8 never fails the run: Marketing failing or not answering is an
        // outcome ("unavailable"), and the step completes with it.
        let end = if step == StepId::MarketingAbmCheck {
            StepEnd::Completed
        } else {
            end
        };
        finish(&mut steps, step, end, at);
    }
    if let Some(message) = run_failure {
        stop_at_first_unfinished_step(&mut steps, &message, closed_at);
    }
    steps
}

/// How a step's activity or operation ended.
enum StepEnd {
    Completed,
    Failed(Option<String>),
}

/// The times a step's timed result carries (`shared_contracts::steps::Timed`), read
/// without its value.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct StepTimes {
    started_at: DateTime<Utc>,
    finished_at: DateTime<Utc>,
}

fn finish(steps: &mut [StepProgress], step: StepId, end: StepEnd, at: Option<DateTime<Utc>>) {
    if let Some(progress) = steps.iter_mut().find(|p| p.id == step) {
        progress.completed_at = at;
        match end {
            StepEnd::Completed => progress.status = StepStatus::Completed,
            StepEnd::Failed(message) => {
                progress.status = StepStatus::Failed;
                progress.summary = message;
            }
        }
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

/// Fills in the summaries of completed steps from the run's brief.
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
    use temporalio_common::protos::temporal::api::common::v1::{ActivityType, Payload, Payloads};
    use temporalio_common::protos::temporal::api::history::v1::{
        ActivityTaskCompletedEventAttributes, ActivityTaskFailedEventAttributes,
        ActivityTaskScheduledEventAttributes, NexusOperationCompletedEventAttributes,
        NexusOperationScheduledEventAttributes, WorkflowExecutionCompletedEventAttributes,
        WorkflowExecutionFailedEventAttributes,
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
}
