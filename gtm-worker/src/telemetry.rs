//! What a coordinator run reports about itself, besides its history: one trace per run
//! (a span for the run and one per step, step 8's being the parent of Marketing's
//! handler span) and metrics (`coordinator_runs_*` by outcome, `coordinator_steps_*`
//! by step and outcome).
//!
//! Workflow code is replayed, so it reports only what it does live
//! (`!ctx.is_replaying()`): a step finished before a worker restart was reported by the
//! worker that ran it, and is not reported again. Ids and times come from the run id
//! and workflow time, never from clocks or randomness, so reporting cannot change
//! what the workflow does.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use service_kit::telemetry::Timed;
use service_kit::trace::{Parent, RunTrace};
use shared_contracts::steps::StepId;
use temporalio_common::telemetry::metrics::CoreMeter;

/// The tracer name of the coordinator's spans.
const TRACER: &str = "gtm-worker";

/// Where a run reports; cheap to clone into every run.
#[derive(Debug, Clone, Default)]
pub struct CoordinatorTelemetry {
    metrics: Option<Arc<CoordinatorMetrics>>,
}

#[derive(Debug)]
struct CoordinatorMetrics {
    runs: Timed,
    steps: Timed,
}

/// How a run or a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It did its work.
    Completed,
    /// It failed; the message is on the span.
    Failed,
    /// It was canceled.
    Canceled,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }
}

impl CoordinatorTelemetry {
    /// Reports to `meter` (spans always go to the global tracer provider).
    pub fn new(meter: Option<Arc<dyn CoreMeter>>) -> Self {
        Self {
            metrics: meter.map(|meter| {
                Arc::new(CoordinatorMetrics {
                    runs: Timed::new(
                        meter.clone(),
                        "coordinator_runs",
                        "DrewCoordinator runs finished, by outcome",
                    ),
                    steps: Timed::new(
                        meter,
                        "coordinator_steps",
                        "DrewCoordinator steps finished, by step and outcome",
                    ),
                })
            }),
        }
    }

    /// Reports a finished step: its span under the run's, and its duration.
    pub fn step(
        &self,
        trace: &RunTrace,
        step: StepId,
        times: (DateTime<Utc>, DateTime<Utc>),
        outcome: Outcome,
        message: Option<&str>,
    ) {
        trace.record(
            TRACER,
            format!("step {}: {}", step.number(), step.id()),
            trace.span_id(step.id()),
            Parent::Run,
            (times.0.into(), times.1.into()),
            &[
                ("coordinator.step", step.id().to_owned()),
                ("coordinator.outcome", outcome.as_str().to_owned()),
            ],
            (outcome != Outcome::Completed).then(|| message.unwrap_or_default().to_owned()),
        );
        if let Some(metrics) = &self.metrics {
            metrics.steps.record(
                &[("step", step.id()), ("outcome", outcome.as_str())],
                duration(times),
            );
        }
    }

    /// Reports a finished run: its span under its starter's, and its outcome.
    pub fn run(
        &self,
        trace: &RunTrace,
        workflow_id: &str,
        times: (DateTime<Utc>, DateTime<Utc>),
        outcome: Outcome,
        message: Option<&str>,
    ) {
        trace.record(
            TRACER,
            "DrewCoordinator".to_owned(),
            trace.run_span_id(),
            Parent::Starter,
            (times.0.into(), times.1.into()),
            &[
                ("temporal.workflow_id", workflow_id.to_owned()),
                ("coordinator.outcome", outcome.as_str().to_owned()),
            ],
            (outcome != Outcome::Completed).then(|| message.unwrap_or_default().to_owned()),
        );
        if let Some(metrics) = &self.metrics {
            metrics
                .runs
                .record(&[("outcome", outcome.as_str())], duration(times));
        }
    }
}

fn duration((start, end): (DateTime<Utc>, DateTime<Utc>)) -> std::time::Duration {
    (end - start).to_std().unwrap_or_default()
}
