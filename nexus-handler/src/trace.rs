//! W3C trace context across a Nexus call, in the headers Nexus and Temporal carry.
//!
//! Nexus requests carry string headers, so a caller's span context travels as
//! `traceparent` (and `tracestate`): the caller puts it in ([`nexus_header`]), the
//! handler's span continues it ([`parent_from_nexus_header`]; the worker does this for
//! every task). A handler that starts a workflow through the gRPC API, as a
//! workflow-run operation does, writes Temporal's own start header, `_tracer-data`
//! ([`tracer_data_header`]), in the format Temporal's OpenTelemetry plugin reads, so
//! the run continues the same trace.

use std::collections::HashMap;

use opentelemetry::Context;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use temporalio_common::protos::coresdk::AsJsonPayloadExt;
use temporalio_common::protos::temporal::api::common::v1::Header;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The start-header key Temporal's SDKs carry trace context in: a JSON object with
/// `traceparent` (and `tracestate`).
pub const TRACER_DATA_HEADER: &str = temporalio_sdk::opentelemetry::TRACE_HEADER_KEY;

/// Request headers (`traceparent`, `tracestate`) that make a Nexus handler's span a
/// child of `context`'s span; empty when it has none to continue.
///
/// ```
/// let header = nexus_handler::trace::nexus_header(&opentelemetry::Context::new());
/// assert!(header.is_empty(), "no span, nothing to continue");
/// ```
pub fn nexus_header(context: &Context) -> HashMap<String, String> {
    w3c_fields(context)
}

/// The caller's context from a Nexus request's headers (`traceparent`), to make the
/// handler's span its child. Empty when the caller sent none.
pub fn parent_from_nexus_header(headers: &HashMap<String, String>) -> Context {
    TraceContextPropagator::new().extract(headers)
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

fn w3c_fields(context: &Context) -> HashMap<String, String> {
    let mut fields = HashMap::new();
    TraceContextPropagator::new().inject_context(context, &mut fields);
    fields
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::{
        SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState,
    };

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
        assert!(tracer_data_header().is_none(), "no current span");
    }

    #[test]
    fn the_start_header_key_is_the_sdks() {
        assert_eq!(TRACER_DATA_HEADER, "_tracer-data");
    }
}
