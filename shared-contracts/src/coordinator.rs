//! The Drew Coordinator's payloads: its input, the `progress` query and the brief.
//!
//! `gtm.coordinator.v1/runCoordinator` takes [`CoordinatorInput`] and completes with
//! [`CoordinatorBrief`], so the Nexus operation and the workflow share one shape.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::AccountId;
use crate::abm::AbmCheckResponse;
use crate::steps::{STEPS, StepId};

/// Longest accepted `requestedBy`, in characters.
pub const REQUESTED_BY_MAX_LEN: usize = 128;

/// Input of a `DrewCoordinator` run: `{"accountId":"acme-corp","requestedBy":"dashboard"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CoordinatorInput {
    /// The account to brief.
    pub account_id: AccountId,
    /// Who asked for the run (a user, `dashboard`, `campaign:<id>`); free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 128))]
    pub requested_by: Option<String>,
}

impl CoordinatorInput {
    /// Checks the rules serde cannot express on its own (`requestedBy` length).
    pub fn validate(&self) -> Result<(), String> {
        match &self.requested_by {
            Some(by) if by.chars().count() > REQUESTED_BY_MAX_LEN => Err(format!(
                "requestedBy is longer than {REQUESTED_BY_MAX_LEN} characters"
            )),
            _ => Ok(()),
        }
    }
}

/// Input of `gtm.coordinator.v1/runCoordinator`: the coordinator's own input.
pub type RunCoordinatorRequest = CoordinatorInput;

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Not started yet.
    Pending,
    /// In progress.
    Running,
    /// Finished successfully.
    Completed,
    /// Failed; the run fails with it.
    Failed,
    /// Not run, because an earlier step failed.
    Skipped,
}

/// One step of the `progress` query's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StepProgress {
    /// The step's wire id (`load_account`, ...).
    pub id: StepId,
    /// The step's title (`Load account`, ...).
    pub title: String,
    /// Where the step stands.
    pub status: StepStatus,
    /// When the step started (RFC 3339, UTC), null until it has.
    pub started_at: Option<DateTime<Utc>>,
    /// When the step finished, successfully or not; null until it has.
    pub completed_at: Option<DateTime<Utc>>,
    /// One line on what the step found, or why it failed; null until known.
    pub summary: Option<String>,
}

impl StepProgress {
    /// A step that has not started.
    pub fn pending(id: StepId) -> Self {
        Self {
            id,
            title: id.title().to_owned(),
            status: StepStatus::Pending,
            started_at: None,
            completed_at: None,
            summary: None,
        }
    }
}

/// The answer of the `progress` query: every step of the catalogue, in order.
pub type CoordinatorProgress = Vec<StepProgress>;

/// Every step, all pending: a run's progress before it starts.
pub fn initial_progress() -> CoordinatorProgress {
    STEPS.into_iter().map(StepProgress::pending).collect()
}

/// The ICP fit score of step 3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FitScore {
    /// 0-100, the sum of the factors' points.
    pub score: u32,
    /// `A` (80+), `B` (60-79), `C` (40-59) or `D` (below 40).
    pub tier: String,
    /// How the score was made, factor by factor.
    pub factors: Vec<FitFactor>,
}

/// One factor of the fit score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FitFactor {
    /// Factor name (`industry`, `employees`, ...).
    pub name: String,
    /// Points earned.
    pub points: u32,
    /// Points available.
    pub max_points: u32,
    /// Why these points.
    pub detail: String,
}

/// Intent signals of step 4, aggregated over a time window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntentSummary {
    /// The window, in days back from the run.
    pub window_days: u32,
    /// Signals seen in the window.
    pub signal_count: u32,
    /// Weighted, recency-decayed score of those signals.
    pub score: f64,
    /// `high`, `medium`, `low` or `none`.
    pub level: String,
    /// The most frequent topics, most frequent first.
    pub top_topics: Vec<String>,
    /// The newest signal in the window, if any.
    pub latest_signal_at: Option<DateTime<Utc>>,
}

/// Buying-committee coverage of step 5.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BuyingCommittee {
    /// Committee roles with at least one known contact.
    pub covered_roles: Vec<String>,
    /// Committee roles with none.
    pub missing_roles: Vec<String>,
    /// Covered roles as a share of all roles, 0-100.
    pub coverage_percent: u32,
    /// The known contacts, by role.
    pub members: Vec<CommitteeMember>,
}

/// A known contact on the buying committee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommitteeMember {
    /// Full name.
    pub name: String,
    /// Job title.
    pub title: String,
    /// Committee role (`economic_buyer`, `champion`, ...).
    pub role: String,
}

/// Open pipeline of step 6.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PipelineSummary {
    /// Open opportunities.
    pub open_count: u32,
    /// Their total amount, in whole US dollars.
    pub total_amount_usd: i64,
    /// Their amount weighted by stage probability.
    pub weighted_amount_usd: i64,
    /// The earliest expected close date among them.
    pub next_close_date: Option<String>,
    /// The furthest stage reached among them.
    pub furthest_stage: Option<String>,
}

/// A next-best action of step 7 (and step 9, which may add ABM-aware ones).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NextAction {
    /// 1 is most urgent.
    pub priority: u32,
    /// What to do.
    pub action: String,
    /// Why, in terms of what the run found.
    pub reason: String,
}

/// Step 8's outcome: Marketing's answer, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum AbmOutcome {
    /// Marketing answered.
    Available(AbmCheckResponse),
    /// Marketing did not answer in time, or failed.
    Unavailable(AbmUnavailable),
}

/// `{"status":"unavailable","reason":"..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AbmUnavailable {
    /// Always `unavailable`.
    pub status: UnavailableStatus,
    /// Why Marketing could not answer, in words.
    pub reason: String,
}

/// The single-valued status of [`AbmUnavailable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum UnavailableStatus {
    /// Marketing's answer is unavailable.
    Unavailable,
}

impl AbmOutcome {
    /// The outcome when Marketing could not answer.
    pub fn unavailable(reason: impl Into<String>) -> Self {
        Self::Unavailable(AbmUnavailable {
            status: UnavailableStatus::Unavailable,
            reason: reason.into(),
        })
    }
}

/// The coordinator brief: what sales should do next for one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CoordinatorBrief {
    /// The account briefed.
    pub account_id: AccountId,
    /// Its display name.
    pub account_name: String,
    /// Step 3.
    pub fit_score: FitScore,
    /// Step 4.
    pub intent: IntentSummary,
    /// Step 5.
    pub buying_committee: BuyingCommittee,
    /// Step 6.
    pub open_pipeline: PipelineSummary,
    /// Step 7, refined by step 9 with the ABM outcome.
    pub next_actions: Vec<NextAction>,
    /// Step 8.
    pub abm: AbmOutcome,
    /// Step 9: the one-paragraph recommendation.
    pub recommendation: String,
    /// When the brief was composed.
    pub completed_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_accepts_the_spec_shapes() {
        let plain: CoordinatorInput = serde_json::from_str(r#"{"accountId":"acme-corp"}"#).unwrap();
        assert_eq!(plain.requested_by, None);
        assert_eq!(
            serde_json::to_string(&plain).unwrap(),
            r#"{"accountId":"acme-corp"}"#
        );
        let full: CoordinatorInput =
            serde_json::from_str(r#"{"accountId":"acme-corp","requestedBy":"dashboard"}"#).unwrap();
        assert_eq!(full.requested_by.as_deref(), Some("dashboard"));
        assert!(full.validate().is_ok());
        let long = CoordinatorInput {
            requested_by: Some("x".repeat(200)),
            ..full
        };
        assert!(long.validate().unwrap_err().contains("requestedBy"));
    }

    #[test]
    fn abm_outcome_reads_both_shapes() {
        let unavailable: AbmOutcome =
            serde_json::from_str(r#"{"status":"unavailable","reason":"timed out after 10s"}"#)
                .unwrap();
        assert_eq!(unavailable, AbmOutcome::unavailable("timed out after 10s"));
        let available: AbmOutcome = serde_json::from_str(
            r#"{"accountId":"acme-corp","inABMProgram":true,"programName":"P","status":"active","touchesRemaining":3}"#,
        )
        .unwrap();
        assert!(matches!(available, AbmOutcome::Available(r) if r.in_abm_program));
        assert_eq!(
            serde_json::to_string(&AbmOutcome::unavailable("down")).unwrap(),
            r#"{"status":"unavailable","reason":"down"}"#
        );
    }

    #[test]
    fn progress_starts_with_every_step_pending() {
        let progress = initial_progress();
        assert_eq!(progress.len(), STEPS.len());
        assert!(progress.iter().all(|s| s.status == StepStatus::Pending));
        let json = serde_json::to_value(&progress[0]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"id":"load_account","title":"Load account","status":"pending",
                "startedAt":null,"completedAt":null,"summary":null})
        );
    }
}
