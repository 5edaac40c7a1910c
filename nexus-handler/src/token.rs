//! Operation tokens for workflow-backed operations.
//!
//! An async operation answers its start request with a token; the caller's server
//! hands it back on cancel requests. We use the format Temporal's own SDKs use for
//! workflow-run operations, so the token means the same thing to every tool:
//! base64url (no padding) of `{"t":1,"ns":"<namespace>","wid":"<workflow id>"}`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// Token type 1: the operation is a workflow run.
const WORKFLOW_RUN: u8 = 1;

/// Identifies the workflow backing an async operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowRunToken {
    #[serde(rename = "t")]
    token_type: u8,
    /// Namespace the workflow runs in.
    #[serde(rename = "ns")]
    pub namespace: String,
    /// The workflow's id.
    #[serde(rename = "wid")]
    pub workflow_id: String,
}

/// A token that is not a workflow-run token.
#[derive(Debug, thiserror::Error)]
#[error("invalid operation token: {0}")]
pub struct InvalidToken(String);

impl WorkflowRunToken {
    /// The token for workflow `workflow_id` in `namespace`.
    pub fn new(namespace: impl Into<String>, workflow_id: impl Into<String>) -> Self {
        Self {
            token_type: WORKFLOW_RUN,
            namespace: namespace.into(),
            workflow_id: workflow_id.into(),
        }
    }

    /// The token as sent on the wire.
    pub fn encode(&self) -> String {
        // Serialising a struct of strings and a number cannot fail.
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Reads a token sent back by the server.
    pub fn decode(token: &str) -> Result<Self, InvalidToken> {
        let bytes = URL_SAFE_NO_PAD
            .decode(token.trim_end_matches('='))
            .map_err(|err| InvalidToken(format!("not base64url: {err}")))?;
        let token: Self = serde_json::from_slice(&bytes)
            .map_err(|err| InvalidToken(format!("not a workflow-run token: {err}")))?;
        if token.token_type != WORKFLOW_RUN {
            return Err(InvalidToken(format!(
                "unsupported token type {}",
                token.token_type
            )));
        }
        if token.workflow_id.is_empty() {
            return Err(InvalidToken("empty workflow id".into()));
        }
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_in_the_shared_format() {
        let token = WorkflowRunToken::new("gtm", "drew-acme-corp-nexus-1");
        let encoded = token.encode();
        assert!(!encoded.contains('='));
        let json = URL_SAFE_NO_PAD.decode(&encoded).unwrap();
        assert_eq!(
            String::from_utf8(json).unwrap(),
            r#"{"t":1,"ns":"gtm","wid":"drew-acme-corp-nexus-1"}"#
        );
        assert_eq!(WorkflowRunToken::decode(&encoded).unwrap(), token);
    }

    #[test]
    fn rejects_other_tokens() {
        assert!(WorkflowRunToken::decode("!!").is_err());
        let other = URL_SAFE_NO_PAD.encode(r#"{"t":2,"ns":"x","wid":"y"}"#);
        assert!(
            WorkflowRunToken::decode(&other)
                .unwrap_err()
                .to_string()
                .contains("type 2")
        );
        let empty = URL_SAFE_NO_PAD.encode(r#"{"t":1,"ns":"x","wid":""}"#);
        assert!(WorkflowRunToken::decode(&empty).is_err());
    }
}
