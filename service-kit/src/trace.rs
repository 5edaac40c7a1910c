//! W3C trace context across Temporal: in workflow start headers, around workflow code,
//! and in Nexus request headers.
//!
//! One trace follows a coordinator run across the namespace boundary:
//!
//! ```text
//! web: POST /api/runs ─▶ RunWorkflow:DrewCoordinator ─▶ step 1 … step 8 ─▶ marketing: nexus_start checkAbmProgram
//!        (or the GTM handler's nexus_start, when a campaign launch asked for the run)
//! ```
//!
//! - Temporal's own OpenTelemetry plugin ([`temporal_plugin`], on every worker's
//!   client) does what it can: it continues the start header's `_tracer-data` in a
//!   `RunWorkflow` span, makes it the current context while workflow code runs, and
//!   traces activities. Its ids come from the workflow's replay-safe random stream,
//!   and spans begun during replay are not exported (`WorkflowIdGenerator` and
//!   `WorkflowSpanProcessor` in [`crate::telemetry::tracer_provider`]).
//! - What it cannot do, this module does. The plugin neither traces nor propagates a
//!   Nexus operation that a workflow starts, and the Rust SDK has no inbound Nexus
//!   interceptor. So workflow code opens its own span around a Nexus call
//!   ([`workflow_span`]) and passes its context in the request's `traceparent` header
//!   ([`nexus_header`]); the handler continues it ([`parent_from_nexus_header`]). A
//!   handler that starts a workflow through core (not the SDK client) writes
//!   `_tracer-data` itself ([`tracer_data_header`]), in the plugin's format.

use std::borrow::Cow;

use opentelemetry::trace::{Status, TraceContextExt, Tracer};
use opentelemetry::{Context, KeyValue};
use temporalio_sdk::opentelemetry::OpenTelemetryPlugin;

/// Trace context in Nexus headers and workflow start headers: `nexus-handler`'s, so
/// callers and handlers of every team propagate it the same way.
pub use nexus_handler::trace::{
    TRACER_DATA_HEADER, nexus_header, parent_from_nexus_header, tracer_data_header,
};

/// Temporal's OpenTelemetry plugin, for a client (and the workers built on it): spans
/// for workflow starts, workflow runs and activities, continued through `_tracer-data`.
pub fn temporal_plugin() -> temporalio_client::ErasedClientPlugin {
    OpenTelemetryPlugin::builder().build().into()
}

/// Starts a span named `name` in workflow code, under the current context (the run's
/// span, which Temporal's plugin makes current while the workflow runs), and returns
/// the context holding it: pass it to [`nexus_header`], run the work inside it
/// (`future.with_context(context)`), then [`end_span`]. Replay-safe when the tracer
/// provider is [`crate::telemetry::tracer_provider`]'s.
pub fn workflow_span(
    tracer: &'static str,
    name: impl Into<Cow<'static, str>>,
    attributes: Vec<KeyValue>,
) -> Context {
    let parent = Context::current();
    let tracer = opentelemetry::global::tracer(tracer);
    let span = tracer
        .span_builder(name)
        .with_attributes(attributes)
        .start_with_context(&tracer, &parent);
    parent.with_span(span)
}

/// Ends the span of `context` ([`workflow_span`]), with `error` as its status when set.
pub fn end_span(context: &Context, error: Option<&str>) {
    let span = context.span();
    if let Some(error) = error {
        span.set_status(Status::error(error.to_owned()));
    }
    span.end();
}
