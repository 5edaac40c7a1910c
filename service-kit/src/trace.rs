//! W3C trace context across Temporal: in Nexus request headers, in workflow start
//! headers, and in spans that workflow code records.
//!
//! One trace follows a coordinator run across the namespace boundary:
//!
//! ```text
//! web: POST /api/runs ─▶ DrewCoordinator run ─▶ step 1 … step 8 ─▶ marketing: nexus_start checkAbmProgram
//!        (or the GTM handler's nexus_start, when a campaign launch asked for the run)
//! ```
//!
//! - Whoever starts a workflow puts its current span's context in the start request's
//!   `_tracer-data` header ([`tracer_data_header`]), as Temporal's SDKs do.
//! - Workflow code must be deterministic, and may be replayed on another worker, so it
//!   cannot hold live spans. Its spans' ids are derived from the run id
//!   ([`RunTrace`]); it puts a step's context in the Nexus request header
//!   (`traceparent`) and records the span once the step is done, and only when not
//!   replaying, so each span is recorded once.
//! - A Nexus handler continues the caller's context from the request header
//!   ([`parent_from_nexus_header`]).

use std::cell::Cell;
use std::collections::HashMap;
use std::time::SystemTime;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{
    SpanBuilder, SpanContext, SpanId, SpanKind, Status, TraceContextExt, TraceFlags, TraceId,
    TraceState, Tracer,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator};
use temporalio_common::protos::coresdk::AsJsonPayloadExt;
use temporalio_common::protos::temporal::api::common::v1::{Header, Payload};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The start-header key Temporal's SDKs carry trace context in: a JSON object with
/// `traceparent` (and `tracestate`).
pub const TRACER_DATA_HEADER: &str = "_tracer-data";

thread_local! {
    /// Ids for the span being built on this thread, set by [`RunTrace::record`] only.
    static NEXT_IDS: Cell<Option<(TraceId, SpanId)>> = const { Cell::new(None) };
}

/// The tracer provider's id generator: random ids, except for a span recorded by
/// [`RunTrace::record`], which gets the ids the workflow decided.
#[derive(Debug, Default)]
pub struct RecordedIds {
    random: RandomIdGenerator,
}

impl IdGenerator for RecordedIds {
    fn new_trace_id(&self) -> TraceId {
        match NEXT_IDS.get() {
            Some((trace_id, _)) => trace_id,
            None => self.random.new_trace_id(),
        }
    }

    fn new_span_id(&self) -> SpanId {
        match NEXT_IDS.get() {
            Some((_, span_id)) => span_id,
            None => self.random.new_span_id(),
        }
    }
}

/// The current `tracing` span's context as a start request's header (`_tracer-data`),
/// for a workflow started from inside it; `None` when there is no span to continue.
pub fn tracer_data_header() -> Option<Header> {
    let context = tracing::Span::current().context();
    let mut fields = HashMap::new();
    TraceContextPropagator::new().inject_context(&context, &mut fields);
    if !fields.contains_key("traceparent") {
        return None;
    }
    let payload = fields.as_json_payload().ok()?;
    Some(Header {
        fields: HashMap::from([(TRACER_DATA_HEADER.to_owned(), payload)]),
    })
}

/// The caller's context from a Nexus request's headers (`traceparent`), to make the
/// handler's span its child. Empty when the caller sent none.
pub fn parent_from_nexus_header(headers: &HashMap<String, String>) -> Context {
    TraceContextPropagator::new().extract(headers)
}

/// A workflow run's trace: where its spans hang and which ids they get. Everything is
/// derived from the run id and the start headers, so every replay derives the same.
#[derive(Debug, Clone)]
pub struct RunTrace {
    run_id: String,
    trace_id: TraceId,
    /// The starter's span, when the start carried one.
    starter: Option<SpanId>,
}

/// Where a recorded span hangs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parent {
    /// Under the workflow run's span (a step).
    Run,
    /// Under whoever started the run (the run's own span), or at the root.
    Starter,
}

impl RunTrace {
    /// The trace of run `run_id`, continuing the start headers' `_tracer-data` when
    /// present; otherwise a trace of its own, whose id is the run id's 128 bits.
    pub fn of_run(start_headers: &HashMap<String, Payload>, run_id: &str) -> Self {
        let starter = start_headers
            .get(TRACER_DATA_HEADER)
            .and_then(|payload| {
                serde_json::from_slice::<HashMap<String, String>>(&payload.data).ok()
            })
            .map(|fields| TraceContextPropagator::new().extract(&fields))
            .map(|context| context.span().span_context().clone())
            .filter(SpanContext::is_valid);
        let trace_id = match &starter {
            Some(starter) => starter.trace_id(),
            None => trace_id_of(run_id),
        };
        Self {
            run_id: run_id.to_owned(),
            trace_id,
            starter: starter.map(|context| context.span_id()),
        }
    }

    /// The trace id, as backends show it.
    pub fn trace_id(&self) -> TraceId {
        self.trace_id
    }

    /// The id of the run's own span.
    pub fn run_span_id(&self) -> SpanId {
        self.span_id("run")
    }

    /// The id of the run's span called `name` (a step id, say): the same on every
    /// replay, different for every run.
    pub fn span_id(&self, name: &str) -> SpanId {
        let id = fnv1a(&[self.run_id.as_bytes(), b"/", name.as_bytes()]);
        SpanId::from_bytes(id.max(1).to_be_bytes())
    }

    /// Request headers that make a Nexus handler's span a child of span `span_id`.
    pub fn nexus_header(&self, span_id: SpanId) -> HashMap<String, String> {
        let parent = SpanContext::new(
            self.trace_id,
            span_id,
            TraceFlags::SAMPLED,
            true,
            TraceState::default(),
        );
        let mut headers = HashMap::new();
        TraceContextPropagator::new().inject_context(
            &Context::new().with_remote_span_context(parent),
            &mut headers,
        );
        headers
    }

    /// Records the finished span `span_id` (named `name`) with its times, attributes
    /// and error. Call it from workflow code only when not replaying.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &self,
        tracer: &'static str,
        name: String,
        span_id: SpanId,
        parent: Parent,
        times: (SystemTime, SystemTime),
        attributes: &[(&'static str, String)],
        error: Option<String>,
    ) {
        let parent_id = match parent {
            Parent::Run => Some(self.run_span_id()),
            Parent::Starter => self.starter,
        };
        let context = match parent_id {
            Some(parent_id) => Context::new().with_remote_span_context(SpanContext::new(
                self.trace_id,
                parent_id,
                TraceFlags::SAMPLED,
                true,
                TraceState::default(),
            )),
            None => Context::new(),
        };
        let builder = SpanBuilder {
            name: name.into(),
            span_kind: Some(SpanKind::Internal),
            start_time: Some(times.0),
            attributes: Some(
                attributes
                    .iter()
                    .map(|(key, value)| KeyValue::new(*key, value.clone()))
                    .collect(),
            ),
            ..SpanBuilder::default()
        };
        NEXT_IDS.set(Some((self.trace_id, span_id)));
        let mut span = opentelemetry::global::tracer(tracer).build_with_context(builder, &context);
        NEXT_IDS.set(None);
        use opentelemetry::trace::Span as _;
        if let Some(error) = error {
            span.set_status(Status::error(error));
        }
        span.end_with_timestamp(times.1);
    }
}

/// A run id is a UUID: its 128 bits make a trace id that is easy to find again.
fn trace_id_of(run_id: &str) -> TraceId {
    let hex: String = run_id.chars().filter(|c| *c != '-').collect();
    match u128::from_str_radix(&hex, 16) {
        Ok(id) if hex.len() == 32 && id != 0 => TraceId::from(id),
        _ => {
            let high = fnv1a(&[run_id.as_bytes(), b"/trace-high"]);
            let low = fnv1a(&[run_id.as_bytes(), b"/trace-low"]);
            TraceId::from((u128::from(high) << 64 | u128::from(low)).max(1))
        }
    }
}

/// FNV-1a, 64 bits: small, stable across platforms and releases (unlike std's
/// `DefaultHasher`), which ids derived in workflow code need.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in parts.iter().flat_map(|part| part.iter()) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN_ID: &str = "0198c7a2-5a4e-7f3b-9c1d-2e3f4a5b6c7d";

    #[test]
    fn a_run_without_a_starter_is_a_trace_named_after_its_run_id() {
        let trace = RunTrace::of_run(&HashMap::new(), RUN_ID);
        assert_eq!(
            trace.trace_id().to_string(),
            "0198c7a25a4e7f3b9c1d2e3f4a5b6c7d"
        );
        assert_eq!(trace.starter, None);
    }

    #[test]
    fn span_ids_are_stable_and_distinct_per_run_and_name() {
        let trace = RunTrace::of_run(&HashMap::new(), RUN_ID);
        let again = RunTrace::of_run(&HashMap::new(), RUN_ID);
        let other = RunTrace::of_run(&HashMap::new(), "another-run");
        assert_eq!(
            trace.span_id("marketing_abm_check"),
            again.span_id("marketing_abm_check")
        );
        assert_ne!(
            trace.span_id("marketing_abm_check"),
            trace.span_id("load_account")
        );
        assert_ne!(trace.span_id("run"), other.span_id("run"));
        assert_eq!(trace.run_span_id(), trace.span_id("run"));
    }

    #[test]
    fn a_start_header_continues_the_starters_trace() {
        let fields = HashMap::from([(
            "traceparent".to_owned(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
        )]);
        let headers = HashMap::from([(
            TRACER_DATA_HEADER.to_owned(),
            fields.as_json_payload().unwrap(),
        )]);
        let trace = RunTrace::of_run(&headers, RUN_ID);
        assert_eq!(
            trace.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(trace.starter.unwrap().to_string(), "00f067aa0ba902b7");
    }

    #[test]
    fn the_nexus_header_names_the_step_span_as_parent() {
        let trace = RunTrace::of_run(&HashMap::new(), RUN_ID);
        let step = trace.span_id("marketing_abm_check");
        let header = trace.nexus_header(step);
        assert_eq!(
            header["traceparent"],
            format!("00-{}-{}-01", trace.trace_id(), step)
        );
        let parent = parent_from_nexus_header(&header);
        assert_eq!(parent.span().span_context().span_id(), step);
    }

    #[test]
    fn a_malformed_start_header_is_ignored() {
        let headers = HashMap::from([(
            TRACER_DATA_HEADER.to_owned(),
            "not a trace".as_json_payload().unwrap(),
        )]);
        let trace = RunTrace::of_run(&headers, RUN_ID);
        assert_eq!(trace.starter, None);
    }
}
