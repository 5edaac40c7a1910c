//! Payloads of the `marketing.abm.v1` Nexus service.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::AccountId;

/// Input of `marketing.abm.v1/checkAbmProgram`: `{"accountId":"acme-corp"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AbmCheckRequest {
    /// The account to look up.
    pub account_id: AccountId,
}

/// Where an account stands in account-based marketing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AbmStatus {
    /// Enrolled in a running program: the only status that counts as "in a program".
    Active,
    /// Enrolled in a program that is on hold.
    Paused,
    /// Enrolled in a program that has finished.
    Completed,
    /// Not enrolled in any program.
    None,
}

impl AbmStatus {
    /// The status as it appears on the wire and in the Marketing database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Paused => "paused",
            Self::Completed => "completed",
            Self::None => "none",
        }
    }

    /// Parses a stored program status (`active`, `paused`, `completed`, `none`).
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "active" => Some(Self::Active),
            "paused" => Some(Self::Paused),
            "completed" => Some(Self::Completed),
            "none" => Some(Self::None),
            _ => None,
        }
    }
}

/// Output of `checkAbmProgram`.
///
/// Field order is the wire order: `accountId`, `inABMProgram`, `programName`,
/// `status`, `touchesRemaining`. Fields may be added in later versions, never renamed
/// or removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AbmCheckResponse {
    /// The account that was looked up.
    pub account_id: AccountId,
    /// True only when the account's program is `active`.
    #[serde(rename = "inABMProgram")]
    pub in_abm_program: bool,
    /// The program the account is enrolled in, or null when it is in none.
    pub program_name: Option<String>,
    /// The enrolment's program status, `none` when not enrolled.
    pub status: AbmStatus,
    /// Marketing touches still planned for this account in the program.
    pub touches_remaining: u32,
}

impl AbmCheckResponse {
    /// The answer for an account that is in no program.
    pub fn not_enrolled(account_id: AccountId) -> Self {
        Self {
            account_id,
            in_abm_program: false,
            program_name: None,
            status: AbmStatus::None,
            touches_remaining: 0,
        }
    }

    /// The answer for an account enrolled in `program_name` with that program's
    /// `status`. Only an active program counts as "in a program".
    pub fn enrolled(
        account_id: AccountId,
        program_name: String,
        status: AbmStatus,
        touches_remaining: u32,
    ) -> Self {
        Self {
            account_id,
            in_abm_program: status == AbmStatus::Active,
            program_name: Some(program_name),
            status,
            touches_remaining,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPEC's own example, byte for byte.
    const ACME: &str = r#"{"accountId":"acme-corp","inABMProgram":true,"programName":"Enterprise Expansion Q1","status":"active","touchesRemaining":3}"#;

    #[test]
    fn spec_example_round_trips_byte_for_byte() {
        let response: AbmCheckResponse = serde_json::from_str(ACME).unwrap();
        assert!(response.in_abm_program);
        assert_eq!(response.touches_remaining, 3);
        assert_eq!(serde_json::to_string(&response).unwrap(), ACME);
    }

    #[test]
    fn not_enrolled_matches_spec() {
        let response = AbmCheckResponse::not_enrolled(AccountId::parse("nobody").unwrap());
        assert_eq!(
            serde_json::to_string(&response).unwrap(),
            r#"{"accountId":"nobody","inABMProgram":false,"programName":null,"status":"none","touchesRemaining":0}"#
        );
    }

    #[test]
    fn only_active_counts_as_in_program() {
        let id = AccountId::parse("x").unwrap();
        for (status, expected) in [
            (AbmStatus::Active, true),
            (AbmStatus::Paused, false),
            (AbmStatus::Completed, false),
        ] {
            let response = AbmCheckResponse::enrolled(id.clone(), "P".into(), status, 1);
            assert_eq!(response.in_abm_program, expected, "{status:?}");
        }
    }

    #[test]
    fn status_strings_round_trip() {
        for status in [
            AbmStatus::Active,
            AbmStatus::Paused,
            AbmStatus::Completed,
            AbmStatus::None,
        ] {
            assert_eq!(AbmStatus::parse(status.as_str()), Some(status));
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{}\"", status.as_str())
            );
        }
        assert_eq!(AbmStatus::parse("archived"), None);
    }

    #[test]
    fn request_needs_a_valid_account_id() {
        let ok: AbmCheckRequest = serde_json::from_str(r#"{"accountId":"acme-corp"}"#).unwrap();
        assert_eq!(ok.account_id.as_str(), "acme-corp");
        assert!(serde_json::from_str::<AbmCheckRequest>(r#"{"accountId":"Acme"}"#).is_err());
        assert!(serde_json::from_str::<AbmCheckRequest>(r#"{"account":"acme"}"#).is_err());
    }
}
