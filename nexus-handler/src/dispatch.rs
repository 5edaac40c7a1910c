//! What a request goes through between the wire and a handler, the same for the worker
//! and for the test harness: the caller policy on both verbs, then the registry.

use std::sync::Arc;

use temporalio_common::protos::temporal::api::common::v1::Payload;

use crate::caller::{CallerInfo, CallerPolicy};
use crate::context::OperationContext;
use crate::error::HandlerError;
use crate::services::{CancelAuthorization, NexusServices, StartOutcome};
use crate::workflow_run::WorkflowStarter;

/// The registry, the policy in front of it, and where workflow-run operations start
/// and cancel their workflows.
pub(crate) struct Dispatch {
    pub(crate) services: NexusServices,
    pub(crate) policy: CallerPolicy,
    pub(crate) starter: Arc<WorkflowStarter>,
}

impl Dispatch {
    /// A start: the caller must be admitted, then the operation's handler runs.
    pub(crate) async fn start(
        &self,
        context: OperationContext,
        payload: Option<Payload>,
    ) -> Result<StartOutcome, HandlerError> {
        self.policy.check(
            context.caller.as_ref(),
            &context.service,
            &context.operation,
        )?;
        self.services
            .start(context, payload, Arc::clone(&self.starter))
            .await
    }

    /// A cancel: the caller it names (if any) must be admitted; then the caller that
    /// started the operation must be, and be that same namespace.
    pub(crate) async fn cancel(
        &self,
        service: &str,
        operation: &str,
        token: String,
        asking: Option<CallerInfo>,
    ) -> Result<(), HandlerError> {
        if let Some(asking) = &asking {
            self.policy.check(Some(asking), service, operation)?;
        }
        let authorize = cancel_authorization(
            self.policy.clone(),
            asking,
            service.to_owned(),
            operation.to_owned(),
        );
        self.services
            .cancel(
                service,
                operation,
                token,
                Arc::clone(&self.starter),
                authorize,
            )
            .await
    }
}

/// Admits a cancel of `service/operation` when the caller that started the operation
/// is admitted by `policy`, and the caller asking (if the request names one) is that
/// same namespace.
fn cancel_authorization(
    policy: CallerPolicy,
    asking: Option<CallerInfo>,
    service: String,
    operation: String,
) -> CancelAuthorization {
    Box::new(move |started_by: Option<&CallerInfo>| {
        policy.check(started_by, &service, &operation)?;
        match (asking, started_by) {
            (Some(asking), Some(started_by)) if asking.namespace != started_by.namespace => {
                Err(HandlerError::unauthorized(format!(
                    "caller namespace {:?} did not start this {service}/{operation} operation",
                    asking.namespace
                )))
            }
            _ => Ok(()),
        }
    })
}
