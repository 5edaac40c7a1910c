//! What a handler can answer besides success, and how each answer travels.
//!
//! Nexus separates two kinds of failure:
//!
//! - a **handler error** says the handler could not process the request: the input is
//!   bad (`BAD_REQUEST`), the operation does not exist (`NOT_FOUND`), the caller may not
//!   call it (`UNAUTHORIZED`), or something broke (`INTERNAL`, `UNAVAILABLE`). The
//!   server retries retryable ones with the same request id until the caller's
//!   schedule-to-close timeout; non-retryable ones fail the caller's operation at once.
//! - an **operation failure** says the operation ran and its outcome is failure (or
//!   cancellation). It is final and reaches the caller as an application failure.
//!
//! [`HandlerError`] covers both, so a handler returns one error type, and
//! [`HandlerError::into_failure`] turns it into the protobuf failure the server expects.

use std::fmt;

use temporalio_common::protos::temporal::api::enums::v1::NexusHandlerErrorRetryBehavior;
use temporalio_common::protos::temporal::api::failure::v1::failure::FailureInfo;
use temporalio_common::protos::temporal::api::failure::v1::{
    ApplicationFailureInfo, CanceledFailureInfo, Failure, NexusHandlerFailureInfo,
};

/// The Nexus handler error types this layer uses (the Nexus spec's predefined names),
/// each with the retry behaviour its constructor gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandlerErrorKind {
    /// The request is invalid: malformed input, a field breaking its rule. Not retried.
    BadRequest,
    /// The caller is not allowed to call this operation. Not retried.
    Unauthorized,
    /// The service, the operation, or what the request names does not exist. Not
    /// retried.
    NotFound,
    /// The request conflicts with the state of what it names: a workflow id already
    /// taken by another request. Not retried.
    Conflict,
    /// The handler did not finish before the request's deadline. Retried.
    RequestTimeout,
    /// The handler failed for a reason of its own. Retried or not, as the handler says
    /// ([`HandlerError::retryable_internal`], [`HandlerError::permanent_internal`]).
    Internal,
    /// A dependency of the handler is down for now. Retried.
    Unavailable,
}

impl HandlerErrorKind {
    /// The spec's name for the kind, as sent in `NexusHandlerFailureInfo.type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "BAD_REQUEST",
            Self::Unauthorized => "UNAUTHORIZED",
            Self::NotFound => "NOT_FOUND",
            Self::Conflict => "CONFLICT",
            Self::RequestTimeout => "REQUEST_TIMEOUT",
            Self::Internal => "INTERNAL",
            Self::Unavailable => "UNAVAILABLE",
        }
    }
}

/// Why a Nexus request did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandlerError {
    /// The handler could not process the request (see the module docs).
    Handler {
        /// What kind of handler error.
        kind: HandlerErrorKind,
        /// For the caller: what was wrong, naming the input at fault.
        message: String,
        /// Whether the server should retry the request.
        retryable: bool,
    },
    /// The operation ran and failed. Final: never retried.
    OperationFailed {
        /// For the caller: why.
        message: String,
    },
    /// The operation was canceled.
    OperationCanceled {
        /// For the caller: why.
        message: String,
    },
}

impl HandlerError {
    /// Bad input; not retried.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::handler(HandlerErrorKind::BadRequest, message, false)
    }

    /// Caller refused; not retried.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::handler(HandlerErrorKind::Unauthorized, message, false)
    }

    /// No such service or operation; not retried.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::handler(HandlerErrorKind::NotFound, message, false)
    }

    /// The request conflicts with what exists (a workflow id taken by another
    /// request); not retried.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::handler(HandlerErrorKind::Conflict, message, false)
    }

    /// The handler ran out of the request's time; retried (with the same request id)
    /// until the caller's deadline.
    pub fn request_timeout(message: impl Into<String>) -> Self {
        Self::handler(HandlerErrorKind::RequestTimeout, message, true)
    }

    /// A failure that may pass (a database hiccup): retried until the caller's deadline.
    pub fn retryable_internal(message: impl Into<String>) -> Self {
        Self::handler(HandlerErrorKind::Internal, message, true)
    }

    /// A failure that will not pass by retrying (a bug, a broken invariant).
    pub fn permanent_internal(message: impl Into<String>) -> Self {
        Self::handler(HandlerErrorKind::Internal, message, false)
    }

    /// A dependency is down: retried until the caller's deadline.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::handler(HandlerErrorKind::Unavailable, message, true)
    }

    /// The operation's outcome is failure.
    pub fn operation_failed(message: impl Into<String>) -> Self {
        Self::OperationFailed {
            message: message.into(),
        }
    }

    /// The operation's outcome is cancellation.
    pub fn operation_canceled(message: impl Into<String>) -> Self {
        Self::OperationCanceled {
            message: message.into(),
        }
    }

    fn handler(kind: HandlerErrorKind, message: impl Into<String>, retryable: bool) -> Self {
        Self::Handler {
            kind,
            message: message.into(),
            retryable,
        }
    }

    /// True when the server will retry the request.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Handler {
                retryable: true,
                ..
            }
        )
    }

    /// True for an operation outcome (failed or canceled) rather than a handler error.
    pub fn is_operation_outcome(&self) -> bool {
        !matches!(self, Self::Handler { .. })
    }

    /// The message for the caller.
    pub fn message(&self) -> &str {
        match self {
            Self::Handler { message, .. }
            | Self::OperationFailed { message }
            | Self::OperationCanceled { message } => message,
        }
    }

    /// The failure as the server expects it. Handler errors carry
    /// `NexusHandlerFailureInfo` with an explicit retry behaviour; operation outcomes
    /// carry `ApplicationFailureInfo` (non-retryable) or `CanceledFailureInfo`.
    pub(crate) fn into_failure(self) -> Failure {
        let (message, failure_info) = match self {
            Self::Handler {
                kind,
                message,
                retryable,
            } => {
                let retry_behavior = if retryable {
                    NexusHandlerErrorRetryBehavior::Retryable
                } else {
                    NexusHandlerErrorRetryBehavior::NonRetryable
                };
                (
                    message,
                    FailureInfo::NexusHandlerFailureInfo(NexusHandlerFailureInfo {
                        r#type: kind.as_str().to_owned(),
                        retry_behavior: retry_behavior.into(),
                    }),
                )
            }
            Self::OperationFailed { message } => (
                message,
                FailureInfo::ApplicationFailureInfo(ApplicationFailureInfo {
                    r#type: "OperationFailed".to_owned(),
                    non_retryable: true,
                    ..Default::default()
                }),
            ),
            Self::OperationCanceled { message } => (
                message,
                FailureInfo::CanceledFailureInfo(CanceledFailureInfo::default()),
            ),
        };
        Failure {
            message,
            source: "steadybase-nexus-handler".to_owned(),
            failure_info: Some(failure_info),
            ..Default::default()
        }
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Handler {
                kind,
                message,
                retryable,
            } => {
                let retry = if *retryable {
                    "retryable"
                } else {
                    "non-retryable"
                };
                write!(f, "{} ({retry}): {message}", kind.as_str())
            }
            Self::OperationFailed { message } => write!(f, "operation failed: {message}"),
            Self::OperationCanceled { message } => write!(f, "operation canceled: {message}"),
        }
    }
}

impl std::error::Error for HandlerError {}

impl From<crate::codec::ContractError> for HandlerError {
    /// A payload that breaks the contract is the caller's mistake: `BAD_REQUEST`.
    fn from(err: crate::codec::ContractError) -> Self {
        Self::bad_request(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handler_info(failure: &Failure) -> (&str, NexusHandlerErrorRetryBehavior) {
        match failure.failure_info.as_ref() {
            Some(FailureInfo::NexusHandlerFailureInfo(info)) => {
                (info.r#type.as_str(), info.retry_behavior())
            }
            other => panic!("not a handler failure: {other:?}"),
        }
    }

    #[test]
    fn handler_errors_carry_type_and_explicit_retry_behaviour() {
        use NexusHandlerErrorRetryBehavior::{NonRetryable, Retryable};
        let cases = [
            (
                HandlerError::bad_request("accountId bad"),
                "BAD_REQUEST",
                NonRetryable,
            ),
            (
                HandlerError::unauthorized("no"),
                "UNAUTHORIZED",
                NonRetryable,
            ),
            (HandlerError::not_found("no op"), "NOT_FOUND", NonRetryable),
            (
                HandlerError::retryable_internal("db down"),
                "INTERNAL",
                Retryable,
            ),
            (
                HandlerError::permanent_internal("bug"),
                "INTERNAL",
                NonRetryable,
            ),
            (HandlerError::unavailable("later"), "UNAVAILABLE", Retryable),
            (HandlerError::conflict("taken"), "CONFLICT", NonRetryable),
            (
                HandlerError::request_timeout("too slow"),
                "REQUEST_TIMEOUT",
                Retryable,
            ),
        ];
        for (error, kind, retry) in cases {
            let message = error.message().to_owned();
            assert_eq!(error.is_retryable(), retry == Retryable);
            let failure = error.into_failure();
            assert_eq!(handler_info(&failure), (kind, retry));
            assert_eq!(failure.message, message);
        }
    }

    #[test]
    fn operation_outcomes_are_application_or_canceled_failures() {
        let failed = HandlerError::operation_failed("account sank").into_failure();
        match failed.failure_info {
            Some(FailureInfo::ApplicationFailureInfo(info)) => assert!(info.non_retryable),
            other => panic!("{other:?}"),
        }
        assert_eq!(failed.message, "account sank");
        let canceled = HandlerError::operation_canceled("stop").into_failure();
        assert!(matches!(
            canceled.failure_info,
            Some(FailureInfo::CanceledFailureInfo(_))
        ));
        assert!(HandlerError::operation_canceled("x").is_operation_outcome());
        assert!(!HandlerError::not_found("x").is_operation_outcome());
    }

    #[test]
    fn contract_errors_are_bad_requests_naming_the_field() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct AbmCheckRequest {
            #[allow(dead_code)]
            account_id: String,
        }
        let err = crate::codec::decode_json::<AbmCheckRequest>(br#"{"accountId":7}"#).unwrap_err();
        let handler: HandlerError = err.into();
        assert!(!handler.is_retryable());
        assert!(
            handler
                .to_string()
                .starts_with("BAD_REQUEST (non-retryable): invalid AbmCheckRequest: accountId:"),
            "{handler}"
        );
    }
}
