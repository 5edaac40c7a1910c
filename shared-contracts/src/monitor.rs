//! Customer Success's `AccountHealthMonitor` workflow: its input, the cross-team
//! health snapshot it takes every cycle (the three teams' views side by side), and
//! its `health` query's answer.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::AccountId;
use crate::abm::AbmCheckResponse;
use crate::accounts::AccountSnapshot;
use crate::health::{AccountHealth, HealthBand};

/// Default time between checks: a day.
pub const DEFAULT_INTERVAL_SECS: u64 = 24 * 60 * 60;
/// Longest interval accepted: thirty days.
pub const MAX_INTERVAL_SECS: u64 = 30 * 24 * 60 * 60;
/// Default checks per workflow run before it continues as new.
pub const DEFAULT_CYCLES_PER_RUN: u32 = 50;
/// Most checks per run accepted: a run's history stays well under Temporal's limits.
pub const MAX_CYCLES_PER_RUN: u32 = 500;
/// Escalations kept in the monitor's state (and carried over), newest last.
pub const ESCALATIONS_KEPT: usize = 10;

/// Input of `AccountHealthMonitor` (workflow id `health-<accountId>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MonitorInput {
    /// The account watched.
    pub account_id: AccountId,
    /// Seconds between checks (default a day, at most 30 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_secs: Option<u64>,
    /// Checks per workflow run before it continues as new (default 50, at most 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycles_per_run: Option<u32>,
    /// What the previous run handed over when it continued as new; absent at the first
    /// start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carried: Option<MonitorCarry>,
}

impl MonitorInput {
    /// A first start for `account_id` with the defaults.
    pub fn new(account_id: AccountId) -> Self {
        Self {
            account_id,
            interval_secs: None,
            cycles_per_run: None,
            carried: None,
        }
    }

    /// The interval, defaulted.
    pub fn interval_secs(&self) -> u64 {
        self.interval_secs.unwrap_or(DEFAULT_INTERVAL_SECS)
    }

    /// Checks per run, defaulted.
    pub fn cycles_per_run(&self) -> u32 {
        self.cycles_per_run.unwrap_or(DEFAULT_CYCLES_PER_RUN)
    }

    /// Checks the ranges; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        let interval = self.interval_secs();
        if !(1..=MAX_INTERVAL_SECS).contains(&interval) {
            return Err(format!(
                "intervalSecs is {interval}; it must be 1 to {MAX_INTERVAL_SECS}"
            ));
        }
        let cycles = self.cycles_per_run();
        if !(1..=MAX_CYCLES_PER_RUN).contains(&cycles) {
            return Err(format!(
                "cyclesPerRun is {cycles}; it must be 1 to {MAX_CYCLES_PER_RUN}"
            ));
        }
        Ok(())
    }
}

/// The state one monitor run hands to the next when it continues as new.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MonitorCarry {
    /// Checks done by every run so far.
    pub cycles: u64,
    /// Runs so far, this one included (1 for the first).
    pub runs: u64,
    /// Whether checks are paused.
    pub paused: bool,
    /// The last band known.
    pub band: Option<HealthBand>,
    /// The latest snapshot.
    pub latest: Option<HealthSnapshot>,
    /// The newest escalations, at most [`ESCALATIONS_KEPT`].
    pub escalations: Vec<Escalation>,
}

/// One team's view in a snapshot: its answer, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TeamView<T> {
    /// The team answered.
    Available(T),
    /// The team did not answer in time, or failed: `{"unavailable": "why"}`.
    Unavailable {
        /// Why, in words.
        unavailable: String,
    },
}

impl<T> TeamView<T> {
    /// The answer, if the team gave one.
    pub fn available(&self) -> Option<&T> {
        match self {
            Self::Available(value) => Some(value),
            Self::Unavailable { .. } => None,
        }
    }

    /// The view when the team did not answer.
    pub fn unavailable(why: impl Into<String>) -> Self {
        Self::Unavailable {
            unavailable: why.into(),
        }
    }
}

/// One check: the three teams' views of the account and what they add up to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthSnapshot {
    /// The account.
    pub account_id: AccountId,
    /// The check's number, counted across continue-as-new (1 for the first).
    pub cycle: u64,
    /// When the check was taken (workflow time).
    pub checked_at: DateTime<Utc>,
    /// The cross-team score (0–100), or null when Customer Success's own view is
    /// missing (the other two only adjust it).
    pub score: Option<u8>,
    /// The cross-team band, or null with the score.
    pub band: Option<HealthBand>,
    /// Customer Success's own view (`cs.health.v1/getAccountHealth`'s rules).
    pub customer_success: TeamView<AccountHealth>,
    /// Marketing's view (`marketing.abm.v1/checkAbmProgram`, over Nexus).
    pub marketing: TeamView<AbmCheckResponse>,
    /// GTM's view (`gtm.accounts.v1/getAccountSnapshot`, over Nexus).
    pub gtm: TeamView<AccountSnapshot>,
    /// The views that are missing, by team (`marketing`, `gtm`, `customer-success`);
    /// empty when the snapshot is whole.
    pub missing: Vec<String>,
    /// Why the score is what it is, in words: Customer Success's drivers, then what the
    /// other teams' views changed.
    pub drivers: Vec<String>,
}

/// A fresh coordinator brief asked of GTM when the band fell to `at-risk`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Escalation {
    /// The check that found the account at risk.
    pub cycle: u64,
    /// The band before it (null when it was the first check).
    pub from_band: Option<HealthBand>,
    /// When GTM was asked.
    pub requested_at: DateTime<Utc>,
    /// The coordinator run GTM started, once known.
    pub coordinator_workflow_id: Option<String>,
    /// Its recommendation, once it finished.
    pub recommendation: Option<String>,
    /// Why there is no recommendation, when the coordinator failed or timed out.
    pub error: Option<String>,
}

/// The `health` query's answer, and the monitor's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MonitorStatus {
    /// The account watched.
    pub account_id: AccountId,
    /// Whether checks are paused (`pause` / `resume` signals).
    pub paused: bool,
    /// Seconds between checks.
    pub interval_secs: u64,
    /// Checks done by every run so far.
    pub cycles: u64,
    /// Workflow runs so far (continue-as-new starts a new one).
    pub runs: u64,
    /// The last band known: the latest snapshot's, or the one before when the latest
    /// lacked Customer Success's own view. A fall into `at-risk` is measured from it.
    pub band: Option<HealthBand>,
    /// The latest snapshot, null before the first check.
    pub latest: Option<HealthSnapshot>,
    /// The newest escalations to GTM, oldest first.
    pub escalations: Vec<Escalation>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_defaults_and_ranges() {
        let input: MonitorInput = serde_json::from_str(r#"{"accountId":"acme-corp"}"#).unwrap();
        assert_eq!(input.interval_secs(), DEFAULT_INTERVAL_SECS);
        assert_eq!(input.cycles_per_run(), DEFAULT_CYCLES_PER_RUN);
        assert!(input.validate().is_ok());
        let zero = MonitorInput {
            interval_secs: Some(0),
            ..input.clone()
        };
        assert!(zero.validate().unwrap_err().contains("intervalSecs"));
        let many = MonitorInput {
            cycles_per_run: Some(10_000),
            ..input
        };
        assert!(many.validate().unwrap_err().contains("cyclesPerRun"));
        assert!(
            serde_json::from_str::<MonitorInput>(r#"{"accountId":"a","every":5}"#).is_err(),
            "unknown fields are refused"
        );
    }

    #[test]
    fn a_missing_view_says_why() {
        let view: TeamView<AbmCheckResponse> = TeamView::unavailable("no answer within 10s");
        assert_eq!(
            serde_json::to_string(&view).unwrap(),
            r#"{"unavailable":"no answer within 10s"}"#
        );
        let back: TeamView<AbmCheckResponse> =
            serde_json::from_str(r#"{"unavailable":"down"}"#).unwrap();
        assert_eq!(back.available(), None);
        let answered: TeamView<AbmCheckResponse> = serde_json::from_str(
            r#"{"accountId":"acme-corp","inABMProgram":true,"programName":"P","status":"active","touchesRemaining":3}"#,
        )
        .unwrap();
        assert!(answered.available().is_some_and(|abm| abm.in_abm_program));
    }
}
