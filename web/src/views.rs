//! View models: what the templates show, computed here so templates hold no logic.

use chrono::{DateTime, Utc};
use shared_contracts::coordinator::{AbmOutcome, CoordinatorBrief, StepStatus};
use shared_contracts::steps::{STEPS, StepId};

use crate::temporal::{RunDetail, RunStatus, RunSummary};
use shared_contracts::summary::thousands;

/// `2026-11-21 14:01:13 UTC`, or an em dash.
pub fn when(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(
        || "—".to_owned(),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

/// `42 s`, `3 min 5 s`, `1 h 2 min`.
pub fn seconds(total: i64) -> String {
    match total {
        ..60 => format!("{total} s"),
        60..3600 => format!("{} min {} s", total / 60, total % 60),
        _ => format!("{} h {} min", total / 3600, (total % 3600) / 60),
    }
}

fn millis(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> String {
    match (from, to) {
        (Some(from), Some(to)) => {
            let ms = (to - from).num_milliseconds().max(0);
            if ms == 0 {
                "under 1 ms".to_owned()
            } else if ms < 1000 {
                format!("{ms} ms")
            } else {
                seconds(ms / 1000)
            }
        }
        _ => String::new(),
    }
}

/// Human label for a run status.
pub fn status_label(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Running => "Running",
        RunStatus::Completed => "Completed",
        RunStatus::Failed => "Failed",
        RunStatus::Canceled => "Canceled",
        RunStatus::Terminated => "Terminated",
        RunStatus::TimedOut => "Timed out",
    }
}

/// "4/9 Gather intent signals" (out of the catalogue's step count), "Done", or the raw
/// value.
pub fn step_label(step: Option<&str>) -> String {
    match step {
        None => "—".to_owned(),
        Some("done") => "Done".to_owned(),
        Some(id) => match StepId::from_id(id) {
            Some(step) => format!("{}/{} {}", step.number(), STEPS.len(), step.title()),
            None => id.to_owned(),
        },
    }
}

/// One row of the runs table.
pub struct RunRow {
    /// Workflow id.
    pub workflow_id: String,
    /// Account id, or a dash.
    pub account: String,
    /// `running`, ... (for the CSS class).
    pub status: &'static str,
    /// "Running", ...
    pub status_label: &'static str,
    /// "4/9 Gather intent signals".
    pub step: String,
    /// Start.
    pub started: String,
    /// Close.
    pub finished: String,
    /// Duration so far.
    pub duration: String,
}

impl RunRow {
    /// The row for a run.
    pub fn new(run: &RunSummary, now: DateTime<Utc>) -> Self {
        Self {
            workflow_id: run.workflow_id.clone(),
            account: run.account_id.clone().unwrap_or_else(|| "—".to_owned()),
            status: run.status.as_str(),
            status_label: status_label(run.status),
            step: step_label(run.current_step.as_deref()),
            started: when(run.started_at),
            finished: when(run.closed_at),
            duration: run.duration_secs(now).map(seconds).unwrap_or_default(),
        }
    }
}

/// One step of the timeline.
pub struct StepView {
    /// 1-9.
    pub number: usize,
    /// Wire id.
    pub id: &'static str,
    /// Title.
    pub title: &'static str,
    /// `pending`, ... (for the CSS class).
    pub status: &'static str,
    /// Summary or an empty string.
    pub summary: String,
    /// How long it took.
    pub duration: String,
    /// Start time.
    pub started: String,
}

fn step_status(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Pending => "pending",
        StepStatus::Running => "running",
        StepStatus::Completed => "completed",
        StepStatus::Failed => "failed",
        StepStatus::Skipped => "skipped",
    }
}

/// Step 8's panel.
pub struct AbmView {
    /// `in_program`, `not_in_program`, `unavailable` or `pending`.
    pub kind: &'static str,
    /// The headline.
    pub headline: String,
    /// Program name.
    pub program: Option<String>,
    /// Program status.
    pub status: Option<&'static str>,
    /// Touches remaining.
    pub touches: Option<u32>,
    /// Why Marketing was unavailable.
    pub reason: Option<String>,
}

impl AbmView {
    fn from_outcome(abm: &AbmOutcome) -> Self {
        match abm {
            AbmOutcome::Available(answer) if answer.in_abm_program => Self {
                kind: "in_program",
                headline: "In an active ABM program".to_owned(),
                program: answer.program_name.clone(),
                status: Some(answer.status.as_str()),
                touches: Some(answer.touches_remaining),
                reason: None,
            },
            AbmOutcome::Available(answer) => Self {
                kind: "not_in_program",
                headline: match &answer.program_name {
                    Some(_) => "Not in an active ABM program".to_owned(),
                    None => "In no ABM program".to_owned(),
                },
                program: answer.program_name.clone(),
                status: Some(answer.status.as_str()),
                touches: Some(answer.touches_remaining),
                reason: None,
            },
            AbmOutcome::Unavailable(unavailable) => Self {
                kind: "unavailable",
                headline: "Marketing unavailable".to_owned(),
                program: None,
                status: None,
                touches: None,
                reason: Some(unavailable.reason.clone()),
            },
        }
    }

    fn pending(summary: Option<&str>) -> Self {
        Self {
            kind: "pending",
            headline: summary.map_or_else(|| "Waiting for step 8".to_owned(), str::to_owned),
            program: None,
            status: None,
            touches: None,
            reason: None,
        }
    }
}

/// Everything the run page's live part shows.
pub struct RunView {
    /// Workflow id.
    pub workflow_id: String,
    /// Run id.
    pub run_id: String,
    /// Account id.
    pub account: String,
    /// Who asked for the run, in words, when the starter said.
    pub requested_by: Option<String>,
    /// `running`, ...
    pub status: &'static str,
    /// "Running", ...
    pub status_label: &'static str,
    /// True while the page should keep refreshing.
    pub running: bool,
    /// Start.
    pub started: String,
    /// Close.
    pub finished: String,
    /// The catalogue's steps.
    pub steps: Vec<StepView>,
    /// Step 8.
    pub abm: AbmView,
    /// The brief, once there is one.
    pub brief: Option<BriefView>,
    /// Failure, in words.
    pub failure: Option<String>,
}

impl RunView {
    /// The view of a run.
    pub fn new(run: &RunDetail) -> Self {
        let progress = &run.steps;
        let steps = progress
            .iter()
            .map(|p| StepView {
                number: p.id.number(),
                id: p.id.id(),
                title: p.id.title(),
                status: step_status(p.status),
                summary: p.summary.clone().unwrap_or_default(),
                duration: millis(p.started_at, p.completed_at),
                started: p
                    .started_at
                    .map(|t| t.format("%H:%M:%S").to_string())
                    .unwrap_or_default(),
            })
            .collect();
        let brief: Option<CoordinatorBrief> = run
            .brief
            .clone()
            .and_then(|value| serde_json::from_value(value).ok());
        let abm = match &brief {
            Some(brief) => AbmView::from_outcome(&brief.abm),
            None => AbmView::pending(
                progress
                    .iter()
                    .find(|p| {
                        p.id == StepId::MarketingAbmCheck && p.status == StepStatus::Completed
                    })
                    .and_then(|p| p.summary.as_deref()),
            ),
        };
        Self {
            workflow_id: run.summary.workflow_id.clone(),
            run_id: run.summary.run_id.clone(),
            account: run
                .summary
                .account_id
                .clone()
                .unwrap_or_else(|| "—".to_owned()),
            requested_by: run.summary.requested_by.as_deref().map(requester),
            status: run.summary.status.as_str(),
            status_label: status_label(run.summary.status),
            running: run.summary.status == RunStatus::Running,
            started: when(run.summary.started_at),
            finished: when(run.summary.closed_at),
            steps,
            abm,
            brief: brief.as_ref().map(BriefView::new),
            failure: run.failure.clone(),
        }
    }
}

/// Who asked for a run, in words: the teams' own requesters by name, anyone else as
/// they gave themselves.
pub fn requester(requested_by: &str) -> String {
    match requested_by {
        "customer-success" => {
            "Customer Success: its health monitor found the account at risk".to_owned()
        }
        "dashboard" => "the dashboard".to_owned(),
        other => match other.strip_prefix("campaign:") {
            Some(campaign) => format!("Marketing: campaign {campaign}"),
            None => other.to_owned(),
        },
    }
}

/// The brief, formatted.
pub struct BriefView {
    /// Step 9's recommendation.
    pub recommendation: String,
    /// `priority. action — reason`.
    pub next_actions: Vec<(u32, String, String)>,
    /// `95/100`.
    pub fit: String,
    /// `A`.
    pub tier: String,
    /// `(factor, points/max, detail)`.
    pub factors: Vec<(String, String, String)>,
    /// `high · 5 signals in 30 days`.
    pub intent: String,
    /// Top topics, comma-separated.
    pub topics: String,
    /// `100% (5 of 5 roles)`.
    pub committee: String,
    /// Missing roles, comma-separated, or empty.
    pub missing_roles: String,
    /// `2 open · $325,000 ($128,500 weighted)`.
    pub pipeline: String,
    /// `Next close 2027-01-05 · furthest stage proposal`.
    pub pipeline_detail: String,
    /// When the brief was composed.
    pub completed: String,
}

impl BriefView {
    /// The view of a brief.
    pub fn new(brief: &CoordinatorBrief) -> Self {
        let pipeline = &brief.open_pipeline;
        Self {
            recommendation: brief.recommendation.clone(),
            next_actions: brief
                .next_actions
                .iter()
                .map(|a| (a.priority, a.action.clone(), a.reason.clone()))
                .collect(),
            fit: format!("{}/100", brief.fit_score.score),
            tier: brief.fit_score.tier.clone(),
            factors: brief
                .fit_score
                .factors
                .iter()
                .map(|f| {
                    (
                        f.name.clone(),
                        format!("{}/{}", f.points, f.max_points),
                        f.detail.clone(),
                    )
                })
                .collect(),
            intent: format!(
                "{} · {} signals in {} days",
                brief.intent.level, brief.intent.signal_count, brief.intent.window_days
            ),
            topics: brief.intent.top_topics.join(", "),
            committee: format!(
                "{}% ({} of 5 roles)",
                brief.buying_committee.coverage_percent,
                brief.buying_committee.covered_roles.len()
            ),
            missing_roles: brief
                .buying_committee
                .missing_roles
                .join(", ")
                .replace('_', " "),
            pipeline: format!(
                "{} open · ${} (${} weighted)",
                pipeline.open_count,
                thousands(pipeline.total_amount_usd),
                thousands(pipeline.weighted_amount_usd)
            ),
            pipeline_detail: match (&pipeline.next_close_date, &pipeline.furthest_stage) {
                (Some(date), Some(stage)) => format!("Next close {date} · furthest stage {stage}"),
                _ => "No open opportunity".to_owned(),
            },
            completed: when(Some(brief.completed_at)),
        }
    }
}

/// A `<select>` option.
pub struct SelectOption {
    /// Value sent.
    pub value: String,
    /// Text shown.
    pub label: String,
    /// Pre-selected.
    pub selected: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(seconds(5), "5 s");
        assert_eq!(seconds(185), "3 min 5 s");
        assert_eq!(seconds(3720), "1 h 2 min");
        let at = |ms: i64| Some(DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::milliseconds(ms));
        assert_eq!(millis(at(0), at(0)), "under 1 ms");
        assert_eq!(millis(at(0), at(42)), "42 ms");
        assert_eq!(millis(at(0), at(65_000)), "1 min 5 s");
        assert_eq!(millis(at(0), None), "");
        assert_eq!(
            step_label(Some("gather_intent")),
            format!("4/{} Gather intent signals", STEPS.len())
        );
        assert_eq!(step_label(Some("done")), "Done");
        assert_eq!(step_label(None), "—");
    }
}
