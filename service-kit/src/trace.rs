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
use std::collections::HashMap;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{Status, TraceContextExt, Tracer};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use temporalio_common::protos::coresdk::AsJsonPayloadExt;
use temporalio_common::protos::temporal::api::common::v1::Header;
use temporalio_sdk::opentelemetry::OpenTelemetryPlugin;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The start-header key Temporal's SDKs carry trace context in: a JSON object with
/// `traceparent` (and `tracestate`).
pub const TRACER_DATA_HEADER: &str = temporalio_sdk::opentelemetry::TRACE_HEADER_KEY;

/// Temporal's OpenTelemetry plugin, for a client (and the workers built on it): spans
/// for workflow starts, workflow runs and activities, continued through `_tracer-data`.
pub fn temporal_plugin() -> temporalio_client::ErasedClientPlugin {
    OpenTelemetryPlugin::builder().build().into()
}

/// The current `tracing` span's context as a start request's header (`_tracer-data`),
/// for a workflow started from inside it; `None` when there is no span to continue.
pub fn tracer_data_header() -> Option<Header> {
    let fields = w3c_fields(&tracing::Span::current().context());
    if !fields.contains_key("traceparent") {
        return None;
    }
    let payload = fields.as_json_payload().ok()?;
    Some(Header {
        fields: HashMap::from([(TRACER_DATA_HEADER.to_owned(), payload)]),
    })
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

/// Request headers (`traceparent`, `tracestate`) that make a Nexus handler's span a
/// child of `context`'s span; empty when it has none to continue.
pub fn nexus_header(context: &Context) -> HashMap<String, String> {
    w3c_fields(context)
}

/// The caller's context from a Nexus request's headers (`traceparent`), to make the
/// handler's span its child. Empty when the caller sent none.
pub fn parent_from_nexus_header(headers: &HashMap<String, String>) -> Context {
    TraceContextPropagator::new().extract(headers)
}

fn w3c_fields(context: &Context) -> HashMap<String, String> {
    let mut fields = HashMap::new();
    TraceContextPropagator::new().inject_context(context, &mut fields);
    fields
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};

    use super::*;

    fn remote(trace: &str, span: &str) -> Context {
        Context::new().with_remote_span_context(SpanContext::new(
            TraceId::from_hex(trace).unwrap(),
            SpanId::from_hex(span).unwrap(),
            TraceFlags::SAMPLED,
            true,
            TraceState::default(),
        ))
    }

    #[test]
    fn the_nexus_header_carries_the_context_and_the_handler_reads_it_back() {
        let context = remote("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
        let header = nexus_header(&context);
        assert_eq!(
            header["traceparent"],
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        );
        let parent = parent_from_nexus_header(&header);
        assert_eq!(
            parent.span().span_context().span_id().to_string(),
            "00f067aa0ba902b7"
        );
    }

    #[test]
    fn no_context_means_no_header() {
        assert!(nexus_header(&Context::new()).is_empty());
        assert!(
            !parent_from_nexus_header(&HashMap::new())
                .span()
                .span_context()
                .is_valid()
        );
    }

    #[test]
    fn the_start_header_key_is_the_sdks() {
        assert_eq!(TRACER_DATA_HEADER, "_tracer-data");
    }
}
