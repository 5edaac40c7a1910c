//! Payloads of Customer Success's `cs.health.v1` Nexus service (`getAccountHealth`):
//! how healthy an account is, in Customer Success's own view, and why.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use crate::AccountId;

/// Input of `cs.health.v1/getAccountHealth`: `{"accountId":"acme-corp"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountHealthRequest {
    /// The account to assess.
    pub account_id: AccountId,
}

/// How an account's health reads at a glance. Ordered from best to worst, so
/// `band > previous` means "got worse".
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum HealthBand {
    /// Score 70 and above.
    Healthy,
    /// Score 40 to 69: worth a look.
    Watch,
    /// Score below 40: at risk of churn.
    AtRisk,
}

impl HealthBand {
    /// Lowest score of the `healthy` band.
    pub const HEALTHY_FROM: u8 = 70;
    /// Lowest score of the `watch` band; below it is `at-risk`.
    pub const WATCH_FROM: u8 = 40;

    /// The band of a score (0–100).
    pub fn of_score(score: u8) -> Self {
        if score >= Self::HEALTHY_FROM {
            Self::Healthy
        } else if score >= Self::WATCH_FROM {
            Self::Watch
        } else {
            Self::AtRisk
        }
    }

    /// The wire name: `healthy`, `watch`, `at-risk`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::Watch => "watch",
            Self::AtRisk => "at-risk",
        }
    }

    /// Parses a wire name.
    pub fn parse(value: &str) -> Option<Self> {
        [Self::Healthy, Self::Watch, Self::AtRisk]
            .into_iter()
            .find(|band| band.as_str() == value)
    }
}

impl std::fmt::Display for HealthBand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which way product usage is going: active users now against about 90 days before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum UsageTrend {
    /// Up by 10 % or more.
    Growing,
    /// Between -15 % and +10 %.
    Flat,
    /// Down by 15 % or more.
    Declining,
    /// Too few usage readings: no trend to read.
    Unknown,
}

impl UsageTrend {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Growing => "growing",
            Self::Flat => "flat",
            Self::Declining => "declining",
            Self::Unknown => "unknown",
        }
    }
}

/// Output of `getAccountHealth`: Customer Success's view of one account.
///
/// Fields may be added in later versions, never renamed or removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountHealth {
    /// The account assessed.
    pub account_id: AccountId,
    /// 0 (lost) to 100 (thriving).
    #[serde(deserialize_with = "score")]
    #[schemars(range(max = 100))]
    pub health_score: u8,
    /// The score's band.
    pub band: HealthBand,
    /// Support tickets not yet closed.
    pub open_tickets: u32,
    /// Net Promoter Score of the last 180 days' responses (-100 to 100), or null when
    /// the account gave none.
    #[schemars(range(min = -100, max = 100))]
    pub nps: Option<i32>,
    /// Which way usage is going.
    pub usage_trend: UsageTrend,
    /// Days until the contract renews (negative: overdue), or null when no renewal is
    /// on record.
    pub renewal_in_days: Option<i64>,
    /// Why the score is what it is, most important first, in words.
    pub drivers: Vec<String>,
}

/// Scores above 100 are refused when a payload is read, so a caller can rely on the
/// range.
fn score<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u8, D::Error> {
    let value = u8::deserialize(deserializer)?;
    if value > 100 {
        return Err(serde::de::Error::custom(format!(
            "healthScore is {value}, above 100"
        )));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_follow_the_score_thresholds() {
        assert_eq!(HealthBand::of_score(100), HealthBand::Healthy);
        assert_eq!(HealthBand::of_score(70), HealthBand::Healthy);
        assert_eq!(HealthBand::of_score(69), HealthBand::Watch);
        assert_eq!(HealthBand::of_score(40), HealthBand::Watch);
        assert_eq!(HealthBand::of_score(39), HealthBand::AtRisk);
        assert_eq!(HealthBand::of_score(0), HealthBand::AtRisk);
        assert!(
            HealthBand::AtRisk > HealthBand::Watch,
            "worse bands sort later"
        );
    }

    #[test]
    fn bands_use_the_spec_spelling() {
        for band in [HealthBand::Healthy, HealthBand::Watch, HealthBand::AtRisk] {
            let json = serde_json::to_string(&band).unwrap();
            assert_eq!(json, format!("\"{}\"", band.as_str()));
            assert_eq!(HealthBand::parse(band.as_str()), Some(band));
        }
        assert_eq!(HealthBand::AtRisk.as_str(), "at-risk");
    }

    #[test]
    fn a_health_answer_round_trips_and_refuses_scores_above_100() {
        let json = r#"{"accountId":"acme-corp","healthScore":82,"band":"healthy","openTickets":1,"nps":40,"usageTrend":"growing","renewalInDays":120,"drivers":["1 open ticket"]}"#;
        let health: AccountHealth = serde_json::from_str(json).unwrap();
        assert_eq!(health.health_score, 82);
        assert_eq!(serde_json::to_string(&health).unwrap(), json);
        let too_high = json.replace("82", "101");
        let err = serde_json::from_str::<AccountHealth>(&too_high).unwrap_err();
        assert!(err.to_string().contains("above 100"), "{err}");
    }
}
