//! What a coordinator run reports about itself, besides its history: spans and
//! metrics.
//!
//! - **Spans**: Temporal's OpenTelemetry plugin (on the worker's client, see
//!   [`service_kit::trace`]) traces the run (`RunWorkflow:DrewCoordinator`) and every
//!   activity. The step runner adds a span per step ([`step_span`]) around the step's
//!   work, so a step's activity spans, and Marketing's handler span through the Nexus
//!   header, hang under it. Ids come from the workflow's replay-safe random stream, and
//!   spans begun on replay are not exported.
//! - **Metrics**: `coordinator_runs_*` by outcome, `coordinator_steps_*` by step and
//!   outcome, from workflow time, reported only when the workflow runs live
//!   (`!ctx.is_replaying()`): a step finished before a worker restart was reported by
//!   the worker that ran it, and is not reported again.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use opentelemetry::{Context, KeyValue};
use service_kit::telemetry::Timed;
use shared_contracts::steps::StepId;
use temporalio_common::telemetry::metrics::CoreMeter;

/// The tracer name of the coordinator's spans.
const TRACER: &str = "gtm-worker";

/// Opens step `step`'s span (`step 8: marketing_abm_check`) under the run's, from
/// workflow code; the step runner ends it.
pub fn step_span(step: StepId) -> Context {
    service_kit::trace::workflow_span(
        TRACER,
        format!("step {}: {}", step.number(), step.id()),
        vec![KeyValue::new("coordinator.step", step.id())],
    )
}

/// Where a run reports its metrics; cheap to clone into every run.
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
    /// It failed.
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

    /// Reports a finished step's duration.
    pub fn step(&self, step: StepId, times: (DateTime<Utc>, DateTime<Utc>), outcome: Outcome) {
        if let Some(metrics) = &self.metrics {
            metrics.steps.record(
                &[("step", step.id()), ("outcome", outcome.as_str())],
                duration(times),
            );
        }
    }

    /// Reports a finished run's duration and outcome.
    pub fn run(&self, times: (DateTime<Utc>, DateTime<Utc>), outcome: Outcome) {
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
