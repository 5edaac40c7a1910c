//! The account slug that names an account on both sides of the contract.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize};

/// The rule an account id must follow, as users read it in error messages.
pub const ACCOUNT_ID_RULE: &str =
    "1-64 characters of a-z, 0-9 and '-', not starting or ending with '-'";

/// The same rule as a regular expression, for JSON Schema and other languages.
pub const ACCOUNT_ID_PATTERN: &str = "^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$";

/// Longest allowed account id, in characters.
pub const ACCOUNT_ID_MAX_LEN: usize = 64;

/// An account slug such as `acme-corp`.
///
/// It can only be built through [`AccountId::parse`] (also used by `FromStr`,
/// `TryFrom<String>` and deserialisation), so holding one proves the value is valid.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct AccountId(String);

/// Why a string is not an account id. The message names the field and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("accountId {value:?} is invalid: {problem}; an account id is {ACCOUNT_ID_RULE}")]
pub struct InvalidAccountId {
    /// The rejected input, cut to a readable length.
    pub value: String,
    /// Which part of the rule it broke.
    pub problem: &'static str,
}

impl AccountId {
    /// Checks `value` against the slug rule and wraps it.
    pub fn parse(value: impl Into<String>) -> Result<Self, InvalidAccountId> {
        let value = value.into();
        match slug_problem(&value) {
            None => Ok(Self(value)),
            Some(problem) => Err(InvalidAccountId {
                value: value.chars().take(ACCOUNT_ID_MAX_LEN + 16).collect(),
                problem,
            }),
        }
    }

    /// The slug as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The slug as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// The first rule `value` breaks, if any. Campaign ids follow the same rule.
pub(crate) fn slug_problem(value: &str) -> Option<&'static str> {
    if value.is_empty() {
        return Some("it is empty");
    }
    if value.chars().count() > ACCOUNT_ID_MAX_LEN {
        return Some("it is longer than 64 characters");
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Some("it contains a character other than a-z, 0-9 and '-'");
    }
    if value.starts_with('-') || value.ends_with('-') {
        return Some("it starts or ends with '-'");
    }
    None
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for AccountId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for AccountId {
    type Err = InvalidAccountId;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::parse(value)
    }
}

impl TryFrom<String> for AccountId {
    type Error = InvalidAccountId;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl<'de> Deserialize<'de> for AccountId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        Self::parse(value).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for AccountId {
    fn schema_name() -> Cow<'static, str> {
        "AccountId".into()
    }

    fn json_schema(_generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": format!("Account slug: {ACCOUNT_ID_RULE}."),
            "minLength": 1,
            "maxLength": ACCOUNT_ID_MAX_LEN,
            "pattern": ACCOUNT_ID_PATTERN,
            "examples": ["acme-corp"],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_slugs() {
        for ok in ["acme-corp", "a", "0", "x1-y2-z3", &"a".repeat(64)] {
            assert_eq!(AccountId::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn rejects_each_broken_rule_with_its_reason() {
        let cases = [
            ("", "it is empty"),
            (&"a".repeat(65), "it is longer than 64 characters"),
            (
                "Acme-Corp",
                "it contains a character other than a-z, 0-9 and '-'",
            ),
            (
                "acme_corp",
                "it contains a character other than a-z, 0-9 and '-'",
            ),
            (
                "acme corp",
                "it contains a character other than a-z, 0-9 and '-'",
            ),
            (
                "café",
                "it contains a character other than a-z, 0-9 and '-'",
            ),
            ("-acme", "it starts or ends with '-'"),
            ("acme-", "it starts or ends with '-'"),
        ];
        for (input, problem) in cases {
            let err = AccountId::parse(input).unwrap_err();
            assert_eq!(err.problem, problem, "input {input:?}");
            let message = err.to_string();
            assert!(message.starts_with("accountId "), "{message}");
            assert!(message.contains(ACCOUNT_ID_RULE), "{message}");
        }
    }

    #[test]
    fn the_pattern_agrees_with_the_rule_on_its_edges() {
        // The regex is for other languages; keep it honest about the boundaries
        // without pulling a regex engine into the contract crate.
        assert!(ACCOUNT_ID_PATTERN.contains("{0,62}"));
        assert_eq!(ACCOUNT_ID_MAX_LEN, 1 + 62 + 1);
    }

    #[test]
    fn deserialisation_validates() {
        let ok: AccountId = serde_json::from_str(r#""acme-corp""#).unwrap();
        assert_eq!(ok.as_str(), "acme-corp");
        let err = serde_json::from_str::<AccountId>(r#""ACME""#).unwrap_err();
        assert!(
            err.to_string().contains("accountId \"ACME\" is invalid"),
            "{err}"
        );
    }

    #[test]
    fn long_inputs_are_cut_in_the_message() {
        let err = AccountId::parse("A".repeat(10_000)).unwrap_err();
        assert!(err.to_string().len() < 300);
    }
}
