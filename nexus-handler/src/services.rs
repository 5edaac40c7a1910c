//! The registry of operations a Nexus worker serves, keyed by service and operation
//! name, each registered through its contract descriptor.
//!
//! Two shapes of operation exist:
//!
//! - **sync** ([`NexusServices::sync`]): the handler answers within the request
//!   (Nexus gives it about ten seconds), and the result goes straight back to the
//!   caller's workflow. Right for lookups such as `checkAbmProgram`.
//! - **workflow-backed async** ([`NexusServices::workflow_run`]): the handler names a
//!   workflow to start; this layer starts it with the Nexus request id (so a retried
//!   request finds the same run) and a completion callback, and answers with an
//!   operation token at once. When the workflow closes, the server delivers its result
//!   to the caller through the callback. Right for long work such as a coordinator run.

use std::collections::BTreeMap;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use crate::operation::Operation;
use serde::Serialize;
use serde::de::DeserializeOwned;
use temporalio_common::WorkflowDefinition;
use temporalio_common::protos::coresdk::AsJsonPayloadExt;
use temporalio_common::protos::temporal::api::common::v1::Payload;
use temporalio_common::protos::temporal::api::nexus::v1::Link;

use crate::caller::CallerInfo;
use crate::context::OperationContext;
use crate::error::HandlerError;
use crate::workflow_run::{WorkflowStart, WorkflowStarter};

/// How a start request ended well.
#[derive(Debug, Clone)]
pub(crate) enum StartOutcome {
    /// A sync result.
    Sync(Payload),
    /// An async operation is under way.
    Async {
        /// The token the caller will use to refer to it.
        token: String,
        /// Links to what backs it (the started workflow).
        links: Vec<Link>,
    },
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Admits or refuses a cancel, given the caller that started the operation as its
/// start recorded it (`None`: the start named no caller).
pub(crate) type CancelAuthorization =
    Box<dyn FnOnce(Option<&CallerInfo>) -> Result<(), HandlerError> + Send>;

/// An operation with its types erased, as the worker's dispatch sees it.
trait ErasedOperation: Send + Sync {
    fn start(
        &self,
        context: OperationContext,
        payload: Option<Payload>,
        starter: Arc<WorkflowStarter>,
    ) -> BoxFuture<Result<StartOutcome, HandlerError>>;

    fn cancel(
        &self,
        token: String,
        starter: Arc<WorkflowStarter>,
        authorize: CancelAuthorization,
    ) -> BoxFuture<Result<(), HandlerError>>;
}

/// The operations a worker serves.
#[derive(Default, Clone)]
pub struct NexusServices {
    operations: BTreeMap<(String, String), Arc<dyn ErasedOperation>>,
}

impl std::fmt::Debug for NexusServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.operations.keys().map(|(s, o)| format!("{s}/{o}")))
            .finish()
    }
}

impl NexusServices {
    /// No operations yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a synchronous operation: `handler` turns the decoded, validated input
    /// into the output, which goes back to the caller as `json/plain`.
    pub fn sync<I, O, F, Fut>(mut self, operation: Operation<I, O>, handler: F) -> Self
    where
        I: DeserializeOwned + Send + 'static,
        O: Serialize + DeserializeOwned + Send + 'static,
        F: Fn(OperationContext, I) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, HandlerError>> + Send + 'static,
    {
        self.insert(operation, SyncOperation { operation, handler });
        self
    }

    /// Registers a workflow-backed asynchronous operation: `handler` turns the input into
    /// the run of `workflow` to start. The caller receives that workflow's result, so
    /// its output type must be the operation's `O`, and the start's input must be the
    /// workflow's input type: a mismatch does not compile.
    ///
    /// ```
    /// use nexus_handler::{NexusServices, Operation, WorkflowStart};
    /// use serde::{Deserialize, Serialize};
    /// use temporalio_macros::{workflow, workflow_methods};
    /// use temporalio_sdk::{WorkflowContext, WorkflowResult};
    ///
    /// #[derive(Serialize, Deserialize)]
    /// pub struct Greet { name: String }
    ///
    /// #[workflow]
    /// #[derive(Default)]
    /// pub struct Greeter;
    ///
    /// #[workflow_methods]
    /// impl Greeter {
    ///     #[run]
    ///     pub async fn run(_ctx: &mut WorkflowContext<Self>, input: Greet) -> WorkflowResult<String> {
    ///         Ok(format!("hello {}", input.name))
    ///     }
    /// }
    ///
    /// const GREET: Operation<Greet, String> = Operation::new("greetings.v1", "greet");
    ///
    /// let services = NexusServices::new().workflow_run(GREET, Greeter::run, |context, input: Greet| async move {
    ///     Ok(WorkflowStart::new(format!("greet-{}", context.request_id), "greetings", input))
    /// });
    /// assert_eq!(services.names(), ["greetings.v1/greet"]);
    /// ```
    ///
    /// An operation whose output is not the workflow's result is refused by the
    /// compiler:
    ///
    /// ```compile_fail
    /// # use nexus_handler::{NexusServices, Operation, WorkflowStart};
    /// # use temporalio_macros::{workflow, workflow_methods};
    /// # use temporalio_sdk::{WorkflowContext, WorkflowResult};
    /// # #[workflow]
    /// # #[derive(Default)]
    /// # pub struct Greeter;
    /// # #[workflow_methods]
    /// # impl Greeter {
    /// #     #[run]
    /// #     pub async fn run(_ctx: &mut WorkflowContext<Self>, name: String) -> WorkflowResult<String> {
    /// #         Ok(format!("hello {name}"))
    /// #     }
    /// # }
    /// // The workflow answers a String; the operation promises a number.
    /// const COUNT: Operation<String, u32> = Operation::new("greetings.v1", "count");
    /// let services = NexusServices::new().workflow_run(COUNT, Greeter::run, |_context, name: String| async move {
    ///     Ok(WorkflowStart::new("count-1", "greetings", name))
    /// });
    /// ```
    pub fn workflow_run<I, O, W, F, Fut>(
        mut self,
        operation: Operation<I, O>,
        workflow: W,
        handler: F,
    ) -> Self
    where
        I: DeserializeOwned + Send + 'static,
        O: Serialize + DeserializeOwned + Send + 'static,
        W: WorkflowDefinition<Output = O>,
        W::Input: Serialize + Send,
        F: Fn(OperationContext, I) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<WorkflowStart<W::Input>, HandlerError>> + Send + 'static,
    {
        self.insert(
            operation,
            WorkflowRunOperation {
                operation,
                workflow_type: workflow.name().to_owned(),
                handler,
                workflow_input: PhantomData::<fn() -> W::Input>,
            },
        );
        self
    }

    fn insert<I, O>(&mut self, operation: Operation<I, O>, erased: impl ErasedOperation + 'static) {
        self.operations.insert(
            (operation.service.to_owned(), operation.name.to_owned()),
            Arc::new(erased),
        );
    }

    /// `service/operation` of everything registered, sorted.
    pub fn names(&self) -> Vec<String> {
        self.operations
            .keys()
            .map(|(service, operation)| format!("{service}/{operation}"))
            .collect()
    }

    /// The services with at least one registered operation, sorted.
    pub fn services(&self) -> Vec<String> {
        let mut services: Vec<String> = self
            .operations
            .keys()
            .map(|(service, _)| service.clone())
            .collect();
        services.dedup();
        services
    }

    pub(crate) async fn start(
        &self,
        context: OperationContext,
        payload: Option<Payload>,
        starter: Arc<WorkflowStarter>,
    ) -> Result<StartOutcome, HandlerError> {
        let operation = self.lookup(&context.service, &context.operation)?;
        operation.start(context, payload, starter).await
    }

    pub(crate) async fn cancel(
        &self,
        service: &str,
        operation: &str,
        token: String,
        starter: Arc<WorkflowStarter>,
        authorize: CancelAuthorization,
    ) -> Result<(), HandlerError> {
        self.lookup(service, operation)?
            .cancel(token, starter, authorize)
            .await
    }

    fn lookup(
        &self,
        service: &str,
        operation: &str,
    ) -> Result<Arc<dyn ErasedOperation>, HandlerError> {
        self.operations
            .get(&(service.to_owned(), operation.to_owned()))
            .cloned()
            .ok_or_else(|| {
                // What else is served is not the caller's business.
                HandlerError::not_found(format!(
                    "no operation {service}/{operation} on this endpoint"
                ))
            })
    }
}

/// Decodes a request payload as the operation's input. Only JSON is accepted: the
/// contract is plain `json/plain`, the same for callers in every language.
fn decode_input<I: DeserializeOwned, O>(
    operation: &Operation<I, O>,
    payload: Option<&Payload>,
) -> Result<I, HandlerError> {
    let Some(payload) = payload else {
        return Err(HandlerError::bad_request(format!(
            "{operation} needs an input payload"
        )));
    };
    if let Some(encoding) = payload.metadata.get("encoding")
        && encoding.as_slice() != b"json/plain"
    {
        return Err(HandlerError::bad_request(format!(
            "{operation} takes json/plain input, not {:?}",
            String::from_utf8_lossy(encoding)
        )));
    }
    Ok(operation.decode_input(&payload.data)?)
}

struct SyncOperation<I, O, F> {
    operation: Operation<I, O>,
    handler: F,
}

impl<I, O, F, Fut> ErasedOperation for SyncOperation<I, O, F>
where
    I: DeserializeOwned + Send + 'static,
    O: Serialize + DeserializeOwned + Send + 'static,
    F: Fn(OperationContext, I) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<O, HandlerError>> + Send + 'static,
{
    fn start(
        &self,
        context: OperationContext,
        payload: Option<Payload>,
        _starter: Arc<WorkflowStarter>,
    ) -> BoxFuture<Result<StartOutcome, HandlerError>> {
        let input = match decode_input(&self.operation, payload.as_ref()) {
            Ok(input) => input,
            Err(err) => return Box::pin(async move { Err(err) }),
        };
        let future = (self.handler)(context, input);
        Box::pin(async move {
            let output = future.await?;
            let payload = output.as_json_payload().map_err(|err| {
                HandlerError::permanent_internal(format!("encoding the result: {err}"))
            })?;
            Ok(StartOutcome::Sync(payload))
        })
    }

    fn cancel(
        &self,
        _token: String,
        _starter: Arc<WorkflowStarter>,
        _authorize: CancelAuthorization,
    ) -> BoxFuture<Result<(), HandlerError>> {
        let operation = self.operation.to_string();
        Box::pin(async move {
            Err(HandlerError::bad_request(format!(
                "{operation} is synchronous: there is nothing to cancel"
            )))
        })
    }
}

struct WorkflowRunOperation<I, O, F, WI> {
    operation: Operation<I, O>,
    workflow_type: String,
    handler: F,
    workflow_input: PhantomData<fn() -> WI>,
}

impl<I, O, F, Fut, WI> ErasedOperation for WorkflowRunOperation<I, O, F, WI>
where
    I: DeserializeOwned + Send + 'static,
    O: Serialize + DeserializeOwned + Send + 'static,
    WI: Serialize + Send + 'static,
    F: Fn(OperationContext, I) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<WorkflowStart<WI>, HandlerError>> + Send + 'static,
{
    fn start(
        &self,
        context: OperationContext,
        payload: Option<Payload>,
        starter: Arc<WorkflowStarter>,
    ) -> BoxFuture<Result<StartOutcome, HandlerError>> {
        let input = match decode_input(&self.operation, payload.as_ref()) {
            Ok(input) => input,
            Err(err) => return Box::pin(async move { Err(err) }),
        };
        let future = (self.handler)(context.clone(), input);
        let workflow_type = self.workflow_type.clone();
        Box::pin(async move {
            let start = future.await?.into_json()?;
            let (token, links) = starter.start(&context, &workflow_type, start).await?;
            Ok(StartOutcome::Async { token, links })
        })
    }

    fn cancel(
        &self,
        token: String,
        starter: Arc<WorkflowStarter>,
        authorize: CancelAuthorization,
    ) -> BoxFuture<Result<(), HandlerError>> {
        Box::pin(async move { starter.cancel(&token, authorize).await })
    }
}
