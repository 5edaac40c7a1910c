//! A small, typed layer for handling and calling Temporal Nexus operations in Rust.
//!
//! # How a Nexus call works
//!
//! A caller workflow schedules an operation on an **endpoint** (`marketing-abm`). The
//! server looks the endpoint up in its registry, which names a target namespace and
//! task queue, and puts a **Nexus task** on that queue. A worker polling that queue for
//! Nexus tasks takes it, runs the handler, and completes the task with one of:
//!
//! - a **sync result** (the output payload), which the caller receives at once;
//! - an **async start** (an operation token), for operations backed by a workflow:
//!   the caller receives the result later, through a completion callback the server
//!   fires when that workflow closes;
//! - a **handler error** (`BAD_REQUEST`, `NOT_FOUND`, `INTERNAL`, ...), retried by the
//!   server or not according to its retry behaviour;
//! - an **operation failure**, the final "it ran and failed".
//!
//! The request also carries a **request id** (the same on every retry of one start),
//! the **callback** URL and headers, and **links** naming the caller's workflow.
//!
//! The caller's workflow sees two stages: the **start** (the operation failed before
//! it started, or it started with a token, or a sync one already ended), then the
//! **result** (completed, failed, canceled or timed out against the caller's
//! schedule-to-close deadline). Failures arrive as a chain of causes.
//!
//! # This crate: both halves of a call
//!
//! **Handling** (the target namespace's worker):
//!
//! - [`Operation`] is an operation's typed descriptor (service, name, input and output
//!   types), defined once in the contract and shared by handler and caller.
//! - [`NexusServices`] registers operations by their descriptor:
//!   [`NexusServices::sync`] for request/response
//!   operations, [`NexusServices::workflow_run`] for workflow-backed ones. Inputs are
//!   decoded and validated before the handler runs; a bad payload is a `BAD_REQUEST`
//!   naming the field.
//! - [`NexusWorker`] polls a task queue on `temporalio-sdk-core` (the SDK's worker does
//!   not handle Nexus), runs handlers with bounded concurrency, a tracing span per task
//!   (endpoint, service, operation, request id, caller), and a graceful shutdown that
//!   lets in-flight tasks finish.
//! - [`CallerPolicy`] admits callers by namespace, per worker or per service: on a
//!   start, the namespace in the request's workflow link; on a cancel, the namespace
//!   that started the operation (as the server recorded it), which a cancel naming its
//!   caller must match. It is a backstop, not authentication: links are not signed,
//!   and the enforcement that holds is the server's (see [`CallerPolicy`]).
//! - [`HandlerError`] is the one error type handlers return; it knows how each kind
//!   travels to the caller.
//! - [`WorkflowStart`] is what a workflow-backed handler returns: the run to start of
//!   the workflow the operation was registered with, its input typed as that workflow
//!   takes it. The workflow's result type must be the operation's output type, or the
//!   registration does not compile.
//!   Cancel requests for the operation cancel that workflow, once its token is known
//!   to name an operation this handler started: the backing workflow carries the
//!   completion callback registered with that very token. Any other token is refused
//!   as `NOT_FOUND`, and nothing is canceled.
//!
//! ```no_run
//! # use nexus_handler::{CallerPolicy, HandlerError, NexusServices, NexusWorker, NexusWorkerOptions, Operation};
//! # use serde::{Deserialize, Serialize};
//! # #[derive(Serialize, Deserialize)] struct AbmCheckRequest { account_id: String }
//! # #[derive(Serialize, Deserialize)] struct AbmCheckResponse { in_abm_program: bool }
//! # const CHECK_ABM_PROGRAM: Operation<AbmCheckRequest, AbmCheckResponse> =
//! #     Operation::new("marketing.abm.v1", "checkAbmProgram");
//! # #[derive(Clone)] struct Store;
//! # impl Store {
//! #     async fn check_abm_program(&self, _: &str) -> Result<AbmCheckResponse, HandlerError> {
//! #         Ok(AbmCheckResponse { in_abm_program: true })
//! #     }
//! # }
//! # async fn serve(connection: temporalio_client::Connection, store: Store,
//! #     shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
//! let services = NexusServices::new()
//!     .sync(CHECK_ABM_PROGRAM, move |_ctx, request: AbmCheckRequest| {
//!         let store = store.clone();
//!         async move { store.check_abm_program(&request.account_id).await }
//!     });
//! let options = NexusWorkerOptions::new("marketing", "marketing-abm",
//!     CallerPolicy::allow_namespaces(["gtm"]), "marketing-worker");
//! NexusWorker::new(connection, options, services).await?.run(shutdown).await?;
//! # Ok(())
//! # }
//! ```
//!
//! **Calling** (a workflow in the caller's namespace):
//!
//! - [`call()`] calls an operation by the same descriptor, with a typed input and a
//!   deadline, and answers `Result<O, NexusCallError>`: the operation's typed output,
//!   or [`NexusCallError`] `Failed` (the handler's error or the operation's failure,
//!   with its type and most specific message), `TimedOut`, `Canceled` or
//!   `ContractBroken`. The failure chain the SDK hands a workflow is read here, by its
//!   failure infos, so no caller walks it or matches its messages.
//! - [`NexusCall`] adds a Nexus header and the cancellation type, and splits start from
//!   result for a caller that wants the operation token as soon as it starts.
//!
//! ```no_run
//! # use nexus_handler::{NexusCallError, Operation};
//! # use serde::{Deserialize, Serialize};
//! # #[derive(Serialize)] struct AbmCheckRequest { account_id: String }
//! # #[derive(Deserialize)] struct AbmCheckResponse { in_abm_program: bool }
//! # const CHECK_ABM_PROGRAM: Operation<AbmCheckRequest, AbmCheckResponse> =
//! #     Operation::new("marketing.abm.v1", "checkAbmProgram");
//! # enum AbmOutcome { Available(AbmCheckResponse), Unavailable(String) }
//! # impl AbmOutcome { fn unavailable(why: &str) -> Self { Self::Unavailable(why.to_owned()) } }
//! # async fn step<W>(ctx: &temporalio_sdk::WorkflowContext<W>, request: AbmCheckRequest) -> AbmOutcome {
//! # let deadline = std::time::Duration::from_secs(10);
//! let answer = nexus_handler::call(ctx, "marketing-abm", CHECK_ABM_PROGRAM, &request, deadline).await;
//! match answer {
//!     Ok(answer) => AbmOutcome::Available(answer),
//!     Err(NexusCallError::TimedOut { .. }) => AbmOutcome::unavailable("no answer in time"),
//!     Err(err) => AbmOutcome::unavailable(err.message()),
//! }
//! # }
//! ```
//!
//! # Layout
//!
//! Handling: `context` is what a handler knows about its request; `workflow_run` starts
//! and cancels backing workflows from it; `services`, the registry, uses both; `worker`
//! polls and drives the registry. Dependencies run one way, in that order. `error`
//! (the handler's answers), `caller` (admission) and `token` (the operation token of
//! workflow-backed operations) serve them all. Calling: `call`, on its own.

mod call;
mod caller;
mod codec;
mod context;
mod dispatch;
mod error;
mod operation;
mod services;
pub mod testing;
mod token;
pub mod trace;
mod worker;
mod workflow_run;

pub use call::{
    ContractBreach, FailureKind, NexusCall, NexusCallError, NexusFailure, StartedCall, call,
};
pub use caller::{CallerInfo, CallerPolicy};
pub use codec::{ContractError, decode_json};
pub use context::OperationContext;
pub use error::{HandlerError, HandlerErrorKind};
pub use operation::Operation;
pub use services::NexusServices;
pub use token::{InvalidToken, WorkflowRunToken};
pub use worker::{NexusWorker, NexusWorkerOptions};
pub use workflow_run::WorkflowStart;
