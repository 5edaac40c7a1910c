//! Calling a Nexus operation from a workflow: the caller's half of this crate.
//!
//! The SDK's `ctx.start_nexus_operation` is untyped and answers in two stages:
//!
//! 1. the **start** resolves to `Err(Failure)` when the operation ended before it
//!    started: the handler refused the request (`BAD_REQUEST`, `NOT_FOUND`, a
//!    non-retryable `INTERNAL`), a sync operation failed, or the deadline passed or the
//!    caller canceled before the handler answered;
//! 2. otherwise `StartedNexusOperation::result()` gives a `NexusOperationResult`
//!    whose status is `Completed(payload)`, `Failed`, `Cancelled` or `TimedOut`.
//!
//! A failure reaches the caller as a chain. The server wraps what happened in a
//! `NexusOperationFailureInfo` level ("nexus operation completed unsuccessfully");
//! the cause below it says what happened (`TimeoutFailureInfo`, `CanceledFailureInfo`,
//! `NexusHandlerFailureInfo` with the handler's error type, `ApplicationFailureInfo`
//! from a failed operation), and the innermost cause carries the most specific
//! message. This module reads the chain once, by its failure infos, never by its
//! message text, and turns both stages into one typed answer:
//! `Result<O, NexusCallError>`, where `O` is the output type of the operation's
//! contract descriptor ([`crate::Operation`]), the same descriptor its
//! handler is registered with.
//!
//! ```no_run
//! # use nexus_handler::{NexusCallError, Operation};
//! # use serde::{Deserialize, Serialize};
//! # #[derive(Serialize)] struct AbmCheckRequest { account_id: String }
//! # #[derive(Deserialize)] struct AbmCheckResponse { in_abm_program: bool }
//! # const CHECK_ABM_PROGRAM: Operation<AbmCheckRequest, AbmCheckResponse> =
//! #     Operation::new("marketing.abm.v1", "checkAbmProgram");
//! # const MARKETING_ABM_ENDPOINT: &str = "marketing-abm";
//! # async fn step<W>(ctx: &temporalio_sdk::WorkflowContext<W>, account_id: String) -> String {
//! # let deadline = std::time::Duration::from_secs(10);
//! let request = AbmCheckRequest { account_id };
//! match nexus_handler::call(ctx, MARKETING_ABM_ENDPOINT, CHECK_ABM_PROGRAM, &request, deadline).await {
//!     Ok(answer) if answer.in_abm_program => "in a program".to_owned(),
//!     Ok(_) => "in no program".to_owned(),
//!     Err(NexusCallError::TimedOut { .. }) => "no answer in time".to_owned(),
//!     Err(err) => format!("failed: {}", err.message()),
//! }
//! # }
//! ```
//!
//! [`NexusCall`] adds the options a call may need (a Nexus header, the cancellation
//! type) and splits the two stages for a caller that wants the operation token as
//! soon as the operation starts ([`NexusCall::start`], [`StartedCall::result`]).

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use crate::operation::Operation;
use serde::Serialize;
use serde::de::DeserializeOwned;
use temporalio_common::protos::coresdk::AsJsonPayloadExt;
use temporalio_common::protos::coresdk::nexus::NexusOperationResult;
use temporalio_common::protos::coresdk::nexus::nexus_operation_result::Status;
use temporalio_common::protos::temporal::api::failure::v1::Failure;
use temporalio_common::protos::temporal::api::failure::v1::failure::FailureInfo;
use temporalio_sdk::{
    NexusOperationCancellationType, NexusOperationOptions, StartedNexusOperation, WorkflowContext,
};

/// Calls `operation` on `endpoint` with `input` and waits for its output, at most
/// `deadline` (the operation's schedule-to-close timeout) from now.
///
/// The same as `NexusCall::new(endpoint, operation, deadline).call(ctx, input)`.
pub async fn call<W, I, O>(
    ctx: &WorkflowContext<W>,
    endpoint: &str,
    operation: Operation<I, O>,
    input: &I,
    deadline: Duration,
) -> Result<O, NexusCallError>
where
    I: Serialize,
    O: DeserializeOwned,
{
    NexusCall::new(endpoint, operation, deadline)
        .call(ctx, input)
        .await
}

/// One call of a Nexus operation, with its options.
#[derive(Debug, Clone)]
pub struct NexusCall<I, O> {
    endpoint: String,
    operation: Operation<I, O>,
    deadline: Duration,
    header: HashMap<String, String>,
    cancellation_type: Option<NexusOperationCancellationType>,
}

impl<I: Serialize, O: DeserializeOwned> NexusCall<I, O> {
    /// A call of `operation` on `endpoint` that may take `deadline` from scheduling to
    /// its outcome; after that it ends as [`NexusCallError::TimedOut`].
    pub fn new(
        endpoint: impl Into<String>,
        operation: Operation<I, O>,
        deadline: Duration,
    ) -> Self {
        Self {
            endpoint: endpoint.into(),
            operation,
            deadline,
            header: HashMap::new(),
            cancellation_type: None,
        }
    }

    /// Nexus headers for the request (a trace context, say). They are stored in the
    /// caller's history and reach the handler as they are: nothing secret.
    pub fn header(mut self, header: HashMap<String, String>) -> Self {
        self.header = header;
        self
    }

    /// What canceling the calling workflow does to the operation. The SDK's default,
    /// `WaitCancellationCompleted`, waits until the handler has canceled it.
    pub fn cancellation_type(mut self, cancellation_type: NexusOperationCancellationType) -> Self {
        self.cancellation_type = Some(cancellation_type);
        self
    }

    /// Calls the operation and waits for its output.
    pub async fn call<W>(self, ctx: &WorkflowContext<W>, input: &I) -> Result<O, NexusCallError> {
        self.start(ctx, input).await?.result().await
    }

    /// Schedules the operation and waits until it has started (an async operation) or
    /// already ended (a sync one, or one that failed to start).
    pub async fn start<W>(
        self,
        ctx: &WorkflowContext<W>,
        input: &I,
    ) -> Result<StartedCall<I, O>, NexusCallError> {
        let payload = input.as_json_payload().map_err(|err| {
            NexusCallError::ContractBroken(ContractBreach::Input(err.to_string()))
        })?;
        let options = NexusOperationOptions::builder()
            .endpoint(self.endpoint)
            .nexus_header(self.header)
            .service(self.operation.service)
            .operation(self.operation.name)
            .input(payload)
            .schedule_to_close_timeout(self.deadline)
            .maybe_cancellation_type(self.cancellation_type)
            .build();
        match ctx.start_nexus_operation(options).await {
            Ok(started) => Ok(StartedCall {
                operation: self.operation,
                started,
            }),
            Err(failure) => Err(NexusCallError::from_start_failure(&failure)),
        }
    }
}

/// An operation that has started; [`StartedCall::result`] waits for its outcome.
pub struct StartedCall<I, O> {
    operation: Operation<I, O>,
    started: StartedNexusOperation,
}

impl<I, O> fmt::Debug for StartedCall<I, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StartedCall")
            .field("operation", &self.operation)
            .field("operation_token", &self.started.operation_token)
            .finish()
    }
}

impl<I, O: DeserializeOwned> StartedCall<I, O> {
    /// The operation token of an async operation (for a workflow-backed one, it names
    /// the backing workflow); `None` for a sync operation.
    pub fn operation_token(&self) -> Option<&str> {
        self.started.operation_token.as_deref()
    }

    /// Asks the handler to cancel the operation; [`StartedCall::result`] then ends as
    /// canceled (when, depends on the call's cancellation type).
    pub fn cancel(&self) {
        self.started.cancel();
    }

    /// Waits for the operation's outcome.
    pub async fn result(&self) -> Result<O, NexusCallError> {
        read_result(&self.operation, self.started.result().await)
    }
}

/// Why a Nexus call did not produce the operation's output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NexusCallError {
    /// The handler refused the request or the operation ran and failed.
    #[error("{0}")]
    Failed(NexusFailure),
    /// The deadline passed before the operation ended.
    #[error("timed out: {message}")]
    TimedOut {
        /// The server's message (`operation timed out`).
        message: String,
    },
    /// The operation was canceled: the caller asked, or the handler ended it so.
    #[error("canceled: {message}")]
    Canceled {
        /// The most specific message of the failure.
        message: String,
    },
    /// A payload does not fit the operation's contract.
    #[error("{0}")]
    ContractBroken(ContractBreach),
}

impl NexusCallError {
    /// The most specific message: the handler's or the operation's own words.
    pub fn message(&self) -> &str {
        match self {
            Self::Failed(failure) => &failure.message,
            Self::TimedOut { message } | Self::Canceled { message } => message,
            Self::ContractBroken(
                ContractBreach::Input(message) | ContractBreach::Output(message),
            ) => message,
        }
    }

    /// Reads the failure a start resolved with: the first cause below the Nexus
    /// wrapper says what happened.
    fn from_start_failure(failure: &Failure) -> Self {
        let message = most_specific_message(failure);
        match what_happened(failure) {
            Some(FailureInfo::TimeoutFailureInfo(_)) => Self::TimedOut { message },
            Some(FailureInfo::CanceledFailureInfo(_)) => Self::Canceled { message },
            _ => Self::Failed(NexusFailure::from_failure(failure)),
        }
    }
}

/// How a failed call failed: the handler's error or the operation's failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct NexusFailure {
    /// What kind of failure, with its type.
    pub kind: FailureKind,
    /// The most specific message of the failure chain, e.g.
    /// `invalid AbmCheckRequest: accountId: ...`.
    pub message: String,
}

impl NexusFailure {
    fn from_failure(failure: &Failure) -> Self {
        let kind = match what_happened(failure) {
            Some(FailureInfo::NexusHandlerFailureInfo(info)) => FailureKind::Handler {
                error_type: info.r#type.clone(),
            },
            Some(FailureInfo::ApplicationFailureInfo(info)) => FailureKind::Application {
                error_type: info.r#type.clone(),
            },
            _ => FailureKind::Other,
        };
        Self {
            kind,
            message: most_specific_message(failure),
        }
    }
}

/// The kind of a [`NexusFailure`]. The contracts declare no error payloads, so a
/// failure is known by its type name and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// The handler could not process the request: `BAD_REQUEST`, `NOT_FOUND`,
    /// `UNAUTHORIZED`, a non-retryable `INTERNAL`, ... (the Nexus error type).
    Handler {
        /// The Nexus handler error type, e.g. `BAD_REQUEST`.
        error_type: String,
    },
    /// The operation ran and failed with an application failure (a workflow-backed
    /// operation's workflow failed, say).
    Application {
        /// The application failure's type; often empty.
        error_type: String,
    },
    /// Any other failure: a server error, a terminated workflow, an operation whose
    /// own work timed out, one without detail.
    Other,
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Handler { error_type } => write!(f, "handler error {error_type}"),
            Self::Application { error_type } if error_type.is_empty() => {
                f.write_str("operation failed")
            }
            Self::Application { error_type } => write!(f, "operation failed ({error_type})"),
            Self::Other => f.write_str("failed"),
        }
    }
}

/// Which payload broke the contract.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractBreach {
    /// The input could not be encoded as `json/plain`; nothing was sent.
    #[error("the input could not be encoded: {0}")]
    Input(String),
    /// The operation completed, but without an output or with one that does not
    /// decode as the operation's output type.
    #[error("the output broke the contract: {0}")]
    Output(String),
}

/// The operation's outcome, as the SDK's status says.
fn read_result<I, O: DeserializeOwned>(
    operation: &Operation<I, O>,
    result: NexusOperationResult,
) -> Result<O, NexusCallError> {
    match result.status {
        Some(Status::Completed(payload)) => operation
            .decode_output(&payload.data)
            .map_err(|err| NexusCallError::ContractBroken(ContractBreach::Output(err.to_string()))),
        Some(Status::Failed(failure)) => {
            Err(NexusCallError::Failed(NexusFailure::from_failure(&failure)))
        }
        Some(Status::TimedOut(failure)) => Err(NexusCallError::TimedOut {
            message: most_specific_message(&failure),
        }),
        Some(Status::Cancelled(failure)) => Err(NexusCallError::Canceled {
            message: most_specific_message(&failure),
        }),
        None => Err(NexusCallError::ContractBroken(ContractBreach::Output(
            "the operation ended without a result".to_owned(),
        ))),
    }
}

/// The failure info of the first level that is not the Nexus operation wrapper (nor a
/// level without info): the one that says what happened.
fn what_happened(failure: &Failure) -> Option<&FailureInfo> {
    chain(failure).find_map(|level| match &level.failure_info {
        Some(FailureInfo::NexusOperationExecutionFailureInfo(_)) | None => None,
        Some(info) => Some(info),
    })
}

/// The innermost non-empty message of the chain: the one that says what went wrong
/// in the words of whoever it went wrong for.
fn most_specific_message(failure: &Failure) -> String {
    chain(failure)
        .filter(|level| !level.message.is_empty())
        .last()
        .map_or_else(String::new, |level| level.message.clone())
}

/// A failure and its causes, outermost first.
fn chain(failure: &Failure) -> impl Iterator<Item = &Failure> {
    std::iter::successors(Some(failure), |level| level.cause.as_deref())
}

#[cfg(test)]
mod tests {
    use temporalio_common::protos::temporal::api::common::v1::Payload;
    use temporalio_common::protos::temporal::api::enums::v1::{
        NexusHandlerErrorRetryBehavior, TimeoutType,
    };
    use temporalio_common::protos::temporal::api::failure::v1::{
        ApplicationFailureInfo, CanceledFailureInfo, NexusHandlerFailureInfo,
        NexusOperationFailureInfo, TimeoutFailureInfo,
    };

    use super::*;

    /// A test operation with the coordinator's shape of output.
    const ECHO: Operation<serde_json::Value, Echo> = Operation::new("test.echo.v1", "echo");

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Echo {
        echo: String,
    }

    /// `cause` wrapped as the server wraps every Nexus failure.
    fn wrapped(cause: Failure) -> Failure {
        Failure {
            message: "nexus operation completed unsuccessfully".into(),
            cause: Some(Box::new(cause)),
            failure_info: Some(FailureInfo::NexusOperationExecutionFailureInfo(
                NexusOperationFailureInfo {
                    endpoint: "marketing-abm".into(),
                    service: "marketing.abm.v1".into(),
                    operation: "checkAbmProgram".into(),
                    ..Default::default()
                },
            )),
            ..Default::default()
        }
    }

    fn level(message: &str, info: FailureInfo) -> Failure {
        Failure {
            message: message.into(),
            failure_info: Some(info),
            ..Default::default()
        }
    }

    fn timeout() -> Failure {
        wrapped(level(
            "operation timed out",
            FailureInfo::TimeoutFailureInfo(TimeoutFailureInfo {
                timeout_type: TimeoutType::ScheduleToClose.into(),
                ..Default::default()
            }),
        ))
    }

    fn canceled() -> Failure {
        wrapped(level(
            "operation canceled",
            FailureInfo::CanceledFailureInfo(CanceledFailureInfo::default()),
        ))
    }

    fn bad_request() -> Failure {
        wrapped(level(
            "invalid AbmCheckRequest: accountId: not a slug",
            FailureInfo::NexusHandlerFailureInfo(NexusHandlerFailureInfo {
                r#type: "BAD_REQUEST".into(),
                retry_behavior: NexusHandlerErrorRetryBehavior::NonRetryable.into(),
            }),
        ))
    }

    fn workflow_failed() -> Failure {
        wrapped(level(
            "step 1 (load_account) failed: account \"ghost-co\" does not exist",
            FailureInfo::ApplicationFailureInfo(ApplicationFailureInfo {
                non_retryable: true,
                ..Default::default()
            }),
        ))
    }

    fn result(status: Status) -> NexusOperationResult {
        NexusOperationResult {
            status: Some(status),
        }
    }

    #[test]
    fn a_start_that_timed_out_is_timed_out() {
        assert_eq!(
            NexusCallError::from_start_failure(&timeout()),
            NexusCallError::TimedOut {
                message: "operation timed out".into()
            }
        );
    }

    #[test]
    fn a_start_that_was_canceled_is_canceled() {
        assert_eq!(
            NexusCallError::from_start_failure(&canceled()),
            NexusCallError::Canceled {
                message: "operation canceled".into()
            }
        );
        // Canceled before it was scheduled: core's own chain, whose cause is silent.
        let before_scheduled = Failure {
            message: "Nexus Operation cancelled before scheduled".into(),
            ..wrapped(Failure {
                failure_info: Some(FailureInfo::CanceledFailureInfo(Default::default())),
                ..Default::default()
            })
        };
        assert_eq!(
            NexusCallError::from_start_failure(&before_scheduled),
            NexusCallError::Canceled {
                message: "Nexus Operation cancelled before scheduled".into()
            }
        );
    }

    #[test]
    fn a_refused_start_is_a_handler_failure_with_its_type() {
        let error = NexusCallError::from_start_failure(&bad_request());
        assert_eq!(
            error,
            NexusCallError::Failed(NexusFailure {
                kind: FailureKind::Handler {
                    error_type: "BAD_REQUEST".into()
                },
                message: "invalid AbmCheckRequest: accountId: not a slug".into(),
            })
        );
        assert_eq!(
            error.to_string(),
            "handler error BAD_REQUEST: invalid AbmCheckRequest: accountId: not a slug"
        );
    }

    #[test]
    fn a_sync_operation_failure_at_start_is_an_application_failure() {
        let failure = wrapped(level(
            "account sank",
            FailureInfo::ApplicationFailureInfo(ApplicationFailureInfo {
                r#type: "OperationFailed".into(),
                non_retryable: true,
                ..Default::default()
            }),
        ));
        let error = NexusCallError::from_start_failure(&failure);
        assert_eq!(
            error,
            NexusCallError::Failed(NexusFailure {
                kind: FailureKind::Application {
                    error_type: "OperationFailed".into()
                },
                message: "account sank".into(),
            })
        );
        assert_eq!(error.message(), "account sank");
    }

    #[test]
    fn the_type_comes_from_the_first_cause_and_the_message_from_the_last() {
        // A handler error caused by an application failure: a handler error, in the
        // application failure's words. A message saying "timed out" is just a message.
        let mut handler = level(
            "INTERNAL",
            FailureInfo::NexusHandlerFailureInfo(NexusHandlerFailureInfo {
                r#type: "INTERNAL".into(),
                ..Default::default()
            }),
        );
        handler.cause = Some(Box::new(level(
            "the database timed out",
            FailureInfo::ApplicationFailureInfo(ApplicationFailureInfo::default()),
        )));
        let error = NexusCallError::from_start_failure(&wrapped(handler));
        assert_eq!(
            error,
            NexusCallError::Failed(NexusFailure {
                kind: FailureKind::Handler {
                    error_type: "INTERNAL".into()
                },
                message: "the database timed out".into(),
            })
        );
    }

    #[test]
    fn a_failure_without_detail_is_other() {
        let bare = Failure {
            message: "Nexus operation failed but failure field was not populated".into(),
            ..Default::default()
        };
        let error = NexusCallError::from_start_failure(&bare);
        assert_eq!(
            error,
            NexusCallError::Failed(NexusFailure {
                kind: FailureKind::Other,
                message: bare.message.clone(),
            })
        );
    }

    #[test]
    fn a_completed_result_decodes_as_the_output_type() {
        let payload = serde_json::json!({"echo": "HI"}).as_json_payload().unwrap();
        assert_eq!(
            read_result(&ECHO, result(Status::Completed(payload))),
            Ok(Echo { echo: "HI".into() })
        );
    }

    #[test]
    fn a_completed_result_that_does_not_decode_broke_the_contract() {
        let payload = serde_json::json!({"answer": 42}).as_json_payload().unwrap();
        let error = read_result(&ECHO, result(Status::Completed(payload))).unwrap_err();
        match &error {
            NexusCallError::ContractBroken(ContractBreach::Output(message)) => {
                assert!(message.contains("echo"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let empty = read_result(&ECHO, result(Status::Completed(Payload::default())));
        assert!(matches!(
            empty,
            Err(NexusCallError::ContractBroken(ContractBreach::Output(_)))
        ));
        assert_eq!(
            read_result(&ECHO, NexusOperationResult { status: None }),
            Err(NexusCallError::ContractBroken(ContractBreach::Output(
                "the operation ended without a result".into()
            )))
        );
    }

    #[test]
    fn result_statuses_map_to_their_variants() {
        assert_eq!(
            read_result(&ECHO, result(Status::TimedOut(timeout()))),
            Err(NexusCallError::TimedOut {
                message: "operation timed out".into()
            })
        );
        assert_eq!(
            read_result(&ECHO, result(Status::Cancelled(canceled()))),
            Err(NexusCallError::Canceled {
                message: "operation canceled".into()
            })
        );
        assert_eq!(
            read_result(&ECHO, result(Status::Failed(workflow_failed()))),
            Err(NexusCallError::Failed(NexusFailure {
                kind: FailureKind::Application {
                    error_type: String::new()
                },
                message: "step 1 (load_account) failed: account \"ghost-co\" does not exist".into(),
            }))
        );
    }

    #[test]
    fn the_status_decides_over_the_chain() {
        // The SDK said failed: an operation that failed because its own workflow timed
        // out is a failure, not the caller's deadline passing.
        let failure = wrapped(level(
            "workflow timed out",
            FailureInfo::TimeoutFailureInfo(TimeoutFailureInfo::default()),
        ));
        assert_eq!(
            read_result(&ECHO, result(Status::Failed(failure))),
            Err(NexusCallError::Failed(NexusFailure {
                kind: FailureKind::Other,
                message: "workflow timed out".into(),
            }))
        );
    }
}
