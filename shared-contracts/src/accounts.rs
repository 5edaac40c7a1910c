//! Payloads of GTM's `gtm.accounts.v1` Nexus service (`getAccountSnapshot`): what
//! sales has on an account right now, without running a coordinator.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::AccountId;
use crate::coordinator::PipelineSummary;

/// Input of `gtm.accounts.v1/getAccountSnapshot`: `{"accountId":"acme-corp"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountSnapshotRequest {
    /// The account to describe.
    pub account_id: AccountId,
}

/// Output of `getAccountSnapshot`. An account GTM does not know is not an error: it
/// is `known: false`, with no pipeline and no brief.
///
/// Fields may be added in later versions, never renamed or removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountSnapshot {
    /// The account described.
    pub account_id: AccountId,
    /// Whether GTM has the account.
    pub known: bool,
    /// Its display name, when known.
    pub account_name: Option<String>,
    /// Its open opportunities, as the coordinator's step 6 sums them.
    pub open_pipeline: PipelineSummary,
    /// The newest coordinator brief stored for it, if any.
    pub latest_brief: Option<LatestBrief>,
}

/// The newest stored coordinator brief, in short.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LatestBrief {
    /// The coordinator run that wrote it.
    pub workflow_id: String,
    /// Its one-paragraph recommendation.
    pub recommendation: String,
    /// When it was composed.
    pub completed_at: DateTime<Utc>,
}

impl AccountSnapshot {
    /// The answer for an account GTM does not have.
    pub fn unknown(account_id: AccountId) -> Self {
        Self {
            account_id,
            known: false,
            account_name: None,
            open_pipeline: PipelineSummary {
                open_count: 0,
                total_amount_usd: 0,
                weighted_amount_usd: 0,
                next_close_date: None,
                furthest_stage: None,
            },
            latest_brief: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_account_has_nothing_open_and_no_brief() {
        let snapshot = AccountSnapshot::unknown(AccountId::parse("ghost-co").unwrap());
        let json = serde_json::to_value(&snapshot).unwrap();
        assert_eq!(json["known"], false);
        assert_eq!(json["openPipeline"]["openCount"], 0);
        assert_eq!(json["latestBrief"], serde_json::Value::Null);
        let back: AccountSnapshot = serde_json::from_value(json).unwrap();
        assert_eq!(back, snapshot);
    }
}
