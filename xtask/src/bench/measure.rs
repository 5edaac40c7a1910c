//! What the bench measures: a run's times from its history, a process's CPU time and
//! memory from `/proc`, and percentiles.

use anyhow::{Context, bail};
use shared_contracts::operation::CHECK_ABM_PROGRAM;
use temporalio_client::{Client, UntypedWorkflow, WorkflowFetchHistoryOptions, WorkflowHandle};
use temporalio_common::protos::temporal::api::enums::v1::EventType;
use temporalio_common::protos::temporal::api::history::v1::HistoryEvent;
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;

/// Linux reports CPU time in clock ticks of `USER_HZ`, 100 on every architecture it
/// runs on.
const TICKS_PER_SECOND: f64 = 100.0;

/// One run's times, from the server's event timestamps, and what it cost the server:
/// its history events and workflow tasks.
pub struct RunTiming {
    /// Workflow started to completed.
    pub run_ms: f64,
    /// Step 8: the Nexus operation (or the baseline's activity) scheduled to completed.
    pub step8_ms: Option<f64>,
    /// Events in the run's history.
    pub events: usize,
    /// Workflow tasks the run took (completed ones).
    pub workflow_tasks: usize,
}

impl RunTiming {
    /// Reads the run's history.
    pub async fn of(handle: &WorkflowHandle<Client, UntypedWorkflow>) -> anyhow::Result<Self> {
        let id = &handle.info().workflow_id;
        let events = handle
            .fetch_history(WorkflowFetchHistoryOptions::default())
            .into_events()
            .await
            .with_context(|| format!("reading the history of {id}"))?;
        let first = |kind: EventType| events.iter().find(|e| e.event_type() == kind);
        let run_ms = match (
            first(EventType::WorkflowExecutionStarted),
            first(EventType::WorkflowExecutionCompleted),
        ) {
            (Some(start), Some(end)) => millis(end) - millis(start),
            _ => bail!("{id}: its history lacks a start or a completion"),
        };
        let step8_ms = match (
            first(EventType::NexusOperationScheduled),
            first(EventType::NexusOperationCompleted),
        ) {
            (Some(scheduled), Some(completed)) => Some(millis(completed) - millis(scheduled)),
            _ => baseline_step8_ms(&events),
        };
        let workflow_tasks = events
            .iter()
            .filter(|e| e.event_type() == EventType::WorkflowTaskCompleted)
            .count();
        Ok(Self {
            run_ms,
            step8_ms,
            events: events.len(),
            workflow_tasks,
        })
    }
}

/// The baseline's step 8: the `checkAbmProgram` activity, scheduled to completed.
fn baseline_step8_ms(events: &[HistoryEvent]) -> Option<f64> {
    let scheduled = events.iter().find(|e| {
        matches!(&e.attributes, Some(Attributes::ActivityTaskScheduledEventAttributes(a))
            if a.activity_type.as_ref().is_some_and(|t| t.name == CHECK_ABM_PROGRAM.name))
    })?;
    let completed = events.iter().find(|e| {
        matches!(&e.attributes, Some(Attributes::ActivityTaskCompletedEventAttributes(a))
            if a.scheduled_event_id == scheduled.event_id)
    })?;
    Some(millis(completed) - millis(scheduled))
}

fn millis(event: &HistoryEvent) -> f64 {
    event
        .event_time
        .map(|t| t.seconds as f64 * 1000.0 + f64::from(t.nanos) / 1e6)
        .unwrap_or(f64::NAN)
}

/// A process's CPU time and memory, or the change in CPU time over an interval.
#[derive(Debug, Clone)]
pub struct ProcessUsage {
    /// Which process.
    pub name: &'static str,
    /// User + system CPU seconds.
    pub cpu_seconds: Option<f64>,
    /// Peak resident memory so far (`VmHWM`), KiB.
    pub peak_kib: Option<u64>,
}

impl ProcessUsage {
    /// Reads `/proc/<pid>/stat` and `/proc/<pid>/status`; `None`s where unreadable
    /// (not Linux, or the process is gone).
    pub fn read(name: &'static str, pid: Option<u32>) -> Self {
        let proc = |file: &str| {
            pid.and_then(|pid| std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok())
        };
        Self {
            name,
            cpu_seconds: proc("stat").as_deref().and_then(cpu_seconds),
            peak_kib: proc("status").as_deref().and_then(|status| {
                status
                    .lines()
                    .find(|line| line.starts_with("VmHWM:"))
                    .and_then(|line| line.split_whitespace().nth(1))
                    .and_then(|kib| kib.parse().ok())
            }),
        }
    }

    /// CPU time spent since `before`; the peak as it is now.
    pub fn since(self, before: &Self) -> Self {
        Self {
            cpu_seconds: self
                .cpu_seconds
                .zip(before.cpu_seconds)
                .map(|(now, then)| now - then),
            ..self
        }
    }
}

/// `utime + stime` from a `/proc/<pid>/stat` line. The fields are counted after the
/// command name, which is in parentheses and may itself hold spaces.
fn cpu_seconds(stat: &str) -> Option<f64> {
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // After the name: state is field 3 of the line, utime 14 and stime 15.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SECOND)
}

/// The `p`th percentile (nearest rank) of `sorted`; NaN when empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_is_read_after_a_command_name_with_spaces() {
        let stat = "4242 (gtm worker) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0";
        assert_eq!(cpu_seconds(stat), Some(3.0));
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&sorted, 50.0), 50.0);
        assert_eq!(percentile(&sorted, 95.0), 95.0);
        assert_eq!(percentile(&sorted, 99.0), 99.0);
        assert_eq!(percentile(&sorted, 100.0), 100.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert!(percentile(&[], 50.0).is_nan());
    }
}
