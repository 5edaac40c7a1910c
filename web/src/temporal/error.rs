//! Why a call to Temporal gave no answer, and how that reaches a user: this module
//! maps [`TemporalError`] into the dashboard's one [`AppError`], so `error.rs` needs
//! to know nothing about Temporal.

use crate::error::{AppError, shown};

/// Longest workflow id Temporal accepts (its `limit.maxIDLength` default), in bytes.
pub const WORKFLOW_ID_MAX_LEN: usize = 1000;

/// Why a call to Temporal did not give an answer.
#[derive(Debug, thiserror::Error)]
pub enum TemporalError {
    /// Temporal could not be reached (or did not answer in time).
    #[error("Temporal is unreachable: {0}")]
    Unreachable(String),
    /// The workflow id could not name any workflow; checked before Temporal is asked.
    #[error("{0}")]
    InvalidWorkflowId(String),
    /// Temporal did not accept the page token: it is not one it handed out.
    #[error("the page token is not one Temporal handed out")]
    InvalidPageToken,
    /// Temporal answered with an error.
    #[error("Temporal refused {doing}: {status}")]
    Refused {
        /// What we asked for.
        doing: &'static str,
        /// What it said.
        status: temporalio_client::tonic::Status,
    },
}

impl From<TemporalError> for AppError {
    fn from(err: TemporalError) -> Self {
        match err {
            TemporalError::Unreachable(_) => Self::Unavailable(err.into()),
            TemporalError::InvalidWorkflowId(message) => Self::bad_field("workflowId", message),
            TemporalError::InvalidPageToken => {
                Self::bad_field("page", "page is not a paging token from this list")
            }
            TemporalError::Refused { .. } => Self::Internal(err.into()),
        }
    }
}

/// Checks a workflow id read from an address before Temporal is asked about it: one
/// that Temporal would refuse, or that no tool could have typed, names no run.
///
/// Any other text is a possible id (ids are free text, and may hold `/` or `..`):
/// Temporal answers whether a run has it.
pub fn check_workflow_id(workflow_id: &str) -> Result<(), TemporalError> {
    let problem = if workflow_id.is_empty() {
        "it is empty".to_owned()
    } else if workflow_id.len() > WORKFLOW_ID_MAX_LEN {
        format!("it is longer than {WORKFLOW_ID_MAX_LEN} bytes")
    } else if workflow_id.chars().any(char::is_control) {
        "it contains a control character".to_owned()
    } else {
        return Ok(());
    };
    Err(TemporalError::InvalidWorkflowId(format!(
        "workflowId {} is invalid: {problem}",
        shown(workflow_id)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_ids_are_free_text_within_temporals_limits() {
        for ok in [
            "drew-acme-corp-1",
            "../../etc/passwd",
            "a/b",
            "\u{202e}x",
            &"a".repeat(1000),
        ] {
            assert!(check_workflow_id(ok).is_ok(), "{ok:?}");
        }
        for (bad, problem) in [
            ("", "it is empty"),
            (&"a".repeat(1001), "it is longer than 1000 bytes"),
            ("drew\0acme", "it contains a control character"),
            ("a\nb", "it contains a control character"),
        ] {
            let message = check_workflow_id(bad).unwrap_err().to_string();
            assert!(message.starts_with("workflowId \""), "{message}");
            assert!(message.ends_with(problem), "{message}");
            assert!(message.len() < 200, "{message}");
        }
    }
}
