//! Marketing's `CampaignLaunch` workflow: its input, and the summary it keeps while it
//! runs (the `launchProgress` query) and returns when it ends.
//!
//! A launch briefs sales on every target account of a campaign: for each account it
//! calls `gtm.coordinator.v1/runCoordinator` through Nexus, which runs a
//! `DrewCoordinator` in `gtm`, and records the outcome per account.
//!
//! Target account ids are plain strings here, not [`AccountId`](crate::AccountId)s:
//! they come from the Marketing database, and one bad row must fail that account's
//! briefing, not the decoding of the whole summary.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::account_id::slug_problem;
use crate::{ACCOUNT_ID_MAX_LEN, ACCOUNT_ID_PATTERN, ACCOUNT_ID_RULE};

/// Coordinators a launch runs at once when the input does not say.
pub const DEFAULT_LAUNCH_CONCURRENCY: u32 = 3;

/// The most coordinators one launch may run at once. The server caps the Nexus
/// operations a workflow may have pending (30 by default); staying well below it leaves
/// room and keeps the GTM side from being flooded by one campaign.
pub const MAX_LAUNCH_CONCURRENCY: u32 = 20;

/// Input of a `CampaignLaunch` run: `{"campaignId":"q1-enterprise-launch"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignLaunchInput {
    /// The campaign to launch: a slug, like account ids.
    #[schemars(length(min = 1, max = ACCOUNT_ID_MAX_LEN), pattern(ACCOUNT_ID_PATTERN))]
    pub campaign_id: String,
    /// Coordinators to run at once, 1-20; 3 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = MAX_LAUNCH_CONCURRENCY))]
    pub max_concurrent: Option<u32>,
}

impl CampaignLaunchInput {
    /// A launch of `campaign_id` with the default concurrency.
    pub fn new(campaign_id: impl Into<String>) -> Self {
        Self {
            campaign_id: campaign_id.into(),
            max_concurrent: None,
        }
    }

    /// Checks the rules serde cannot express on its own; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(problem) = slug_problem(&self.campaign_id) {
            let shown: String = self
                .campaign_id
                .chars()
                .take(ACCOUNT_ID_MAX_LEN + 16)
                .collect();
            return Err(format!(
                "campaignId {shown:?} is invalid: {problem}; a campaign id is {ACCOUNT_ID_RULE}"
            ));
        }
        match self.max_concurrent {
            Some(n) if !(1..=MAX_LAUNCH_CONCURRENCY).contains(&n) => Err(format!(
                "maxConcurrent is {n}; it must be between 1 and {MAX_LAUNCH_CONCURRENCY}"
            )),
            _ => Ok(()),
        }
    }

    /// Coordinators to run at once, with the default applied.
    pub fn concurrency(&self) -> u32 {
        self.max_concurrent.unwrap_or(DEFAULT_LAUNCH_CONCURRENCY)
    }
}

/// Where one target account stands in a launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LaunchAccountStatus {
    /// Waiting for a free coordinator slot.
    Pending,
    /// Its coordinator is being started or is running.
    Running,
    /// Its coordinator finished with a brief.
    Completed,
    /// It could not be briefed: a bad account id, or its coordinator failed.
    Failed,
    /// The launch was canceled before its coordinator finished.
    Canceled,
}

impl LaunchAccountStatus {
    /// The status as on the wire and in the Marketing database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }

    /// Parses a stored status.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "pending" => Some(Self::Pending),
            "running" => Some(Self::Running),
            "completed" => Some(Self::Completed),
            "failed" => Some(Self::Failed),
            "canceled" => Some(Self::Canceled),
            _ => None,
        }
    }

    /// True once the account's outcome cannot change any more.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Canceled)
    }
}

/// One target account of a launch and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LaunchAccountResult {
    /// The target account, as the campaign lists it (it may not be a valid slug).
    pub account_id: String,
    /// Where it stands.
    pub status: LaunchAccountStatus,
    /// The `DrewCoordinator` run in `gtm` briefing it, once the operation has started.
    pub coordinator_workflow_id: Option<String>,
    /// The brief's recommendation, once completed.
    pub recommendation: Option<String>,
    /// Why it failed or was canceled; null otherwise.
    pub error: Option<String>,
    /// When its briefing started (RFC 3339, UTC); null while pending.
    pub started_at: Option<DateTime<Utc>>,
    /// When its outcome was known; null until then.
    pub finished_at: Option<DateTime<Utc>>,
}

impl LaunchAccountResult {
    /// An account waiting for its turn.
    pub fn pending(account_id: impl Into<String>) -> Self {
        Self {
            account_id: account_id.into(),
            status: LaunchAccountStatus::Pending,
            coordinator_workflow_id: None,
            recommendation: None,
            error: None,
            started_at: None,
            finished_at: None,
        }
    }
}

/// A launch's accounts and their outcomes: the answer of the `launchProgress` query
/// while the launch runs, and the `CampaignLaunch` result when it ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignLaunchSummary {
    /// The campaign launched.
    pub campaign_id: String,
    /// Its display name; null until the campaign has been loaded.
    pub campaign_name: Option<String>,
    /// Its target accounts, in the campaign's order.
    pub accounts: Vec<LaunchAccountResult>,
}

impl CampaignLaunchSummary {
    /// A launch of `campaign_id` that has not loaded its campaign yet.
    pub fn new(campaign_id: impl Into<String>) -> Self {
        Self {
            campaign_id: campaign_id.into(),
            campaign_name: None,
            accounts: Vec::new(),
        }
    }

    /// How many accounts have `status`.
    pub fn count(&self, status: LaunchAccountStatus) -> usize {
        self.accounts.iter().filter(|a| a.status == status).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_reads_the_minimal_and_full_shapes() {
        let minimal: CampaignLaunchInput =
            serde_json::from_str(r#"{"campaignId":"q1-enterprise-launch"}"#).unwrap();
        assert_eq!(minimal, CampaignLaunchInput::new("q1-enterprise-launch"));
        assert_eq!(minimal.concurrency(), DEFAULT_LAUNCH_CONCURRENCY);
        assert!(minimal.validate().is_ok());
        assert_eq!(
            serde_json::to_string(&minimal).unwrap(),
            r#"{"campaignId":"q1-enterprise-launch"}"#
        );
        let full: CampaignLaunchInput =
            serde_json::from_str(r#"{"campaignId":"c","maxConcurrent":5}"#).unwrap();
        assert_eq!(full.concurrency(), 5);
    }

    #[test]
    fn validation_names_the_field_and_the_rule() {
        let bad_id = CampaignLaunchInput::new("Q1 Launch")
            .validate()
            .unwrap_err();
        assert!(
            bad_id.starts_with("campaignId \"Q1 Launch\" is invalid"),
            "{bad_id}"
        );
        assert!(bad_id.contains(ACCOUNT_ID_RULE), "{bad_id}");
        assert!(
            CampaignLaunchInput::new("")
                .validate()
                .unwrap_err()
                .contains("empty")
        );
        for n in [0, MAX_LAUNCH_CONCURRENCY + 1] {
            let input = CampaignLaunchInput {
                max_concurrent: Some(n),
                ..CampaignLaunchInput::new("c")
            };
            let err = input.validate().unwrap_err();
            assert!(err.starts_with("maxConcurrent is"), "{err}");
        }
    }

    #[test]
    fn statuses_round_trip() {
        use LaunchAccountStatus::*;
        for status in [Pending, Running, Completed, Failed, Canceled] {
            assert_eq!(LaunchAccountStatus::parse(status.as_str()), Some(status));
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{}\"", status.as_str())
            );
        }
        assert!(!Running.is_final() && Canceled.is_final());
    }

    #[test]
    fn summary_keeps_bad_account_ids_readable() {
        let mut summary = CampaignLaunchSummary::new("c");
        summary
            .accounts
            .push(LaunchAccountResult::pending("Not A Slug"));
        let json = serde_json::to_value(&summary).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"campaignId": "c", "campaignName": null, "accounts": [
                {"accountId": "Not A Slug", "status": "pending", "coordinatorWorkflowId": null,
                 "recommendation": null, "error": null, "startedAt": null, "finishedAt": null}]})
        );
        let back: CampaignLaunchSummary = serde_json::from_value(json).unwrap();
        assert_eq!(back, summary);
        assert_eq!(back.count(LaunchAccountStatus::Pending), 1);
    }
}
