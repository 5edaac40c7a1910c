//! Logs, traces and metrics: how every binary reports what it does.
//!
//! - **Logs** go to stderr, filtered by `RUST_LOG`; human-readable by default, one JSON
//!   object a line with `LOG_FORMAT=json`. A line inside a span carries the span's
//!   fields (a Nexus task's `request_id`, an activity's `temporalWorkflowID`).
//! - **Traces**: every `tracing` span is also an OpenTelemetry span, and W3C trace
//!   context is the propagation format, so a trace crosses the Nexus hop (see
//!   [`crate::trace`]). Spans are exported over OTLP/gRPC only when
//!   `OTEL_EXPORTER_OTLP_ENDPOINT` is set (with the other standard `OTEL_*` variables);
//!   otherwise they are dropped where they end.
//! - **Metrics**: [`start_metrics`] serves Prometheus text on `/metrics` from the
//!   Temporal SDK's own meter, which the SDK's worker metrics and the project's share.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use temporalio_common::telemetry::metrics::{
    CoreMeter, Counter, HistogramDuration, MetricKeyValue, MetricParameters, NewAttributes,
};
use temporalio_common::telemetry::{
    HistogramBucketOverrides, PrometheusExporterOptions, start_prometheus_metric_exporter,
};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use temporalio_sdk::opentelemetry::{WorkflowIdGenerator, WorkflowSpanProcessor};

/// The standard variable that turns span export on.
pub const OTLP_ENDPOINT_VAR: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";

/// What [`init`] set up; [`Telemetry::shutdown`] flushes spans not yet exported.
#[derive(Debug)]
pub struct Telemetry {
    tracer_provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Exports the spans still buffered. Call once, at exit.
    pub fn shutdown(self) {
        if let Some(provider) = self.tracer_provider
            && let Err(err) = provider.shutdown()
        {
            tracing::warn!(%err, "flushing spans at exit");
        }
    }
}

/// Sets up logs and traces for `service` (its `service.name` in traces).
/// `RUST_LOG` wins over `default_filter`; `LOG_FORMAT=json` switches logs to JSON.
///
/// Without `OTEL_EXPORTER_OTLP_ENDPOINT` no span is built at all: nothing would read
/// them, and a worker should not pay for them. Workflows still put trace context in
/// their Nexus headers, so handlers' logs still name their caller's trace.
pub fn init(service: &'static str, default_filter: &str) -> anyhow::Result<Telemetry> {
    let json = match crate::env::var_or("LOG_FORMAT", "text").as_str() {
        "text" => false,
        "json" => true,
        other => anyhow::bail!("LOG_FORMAT={other:?} is not `text` or `json`"),
    };
    let tracer_provider = match crate::env::var_opt(OTLP_ENDPOINT_VAR) {
        Some(_) => {
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .build()
                .context("creating the OTLP span exporter")?;
            let batch = opentelemetry_sdk::trace::BatchSpanProcessor::builder(exporter).build();
            Some(tracer_provider(service, batch))
        }
        None => None,
    };
    install_tracing(
        tracer_provider.as_ref(),
        service,
        tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        json,
    );
    Ok(Telemetry { tracer_provider })
}

/// A tracer provider for `service` that sends spans to `processor`, set up as
/// Temporal's plugin needs for workflow code: ids from the workflow's replay-safe
/// random stream (`WorkflowIdGenerator`), and spans begun while a workflow replays
/// never reach `processor` (`WorkflowSpanProcessor`), so each is exported once.
pub fn tracer_provider(
    service: &'static str,
    processor: impl opentelemetry_sdk::trace::SpanProcessor + 'static,
) -> SdkTracerProvider {
    SdkTracerProvider::builder()
        .with_id_generator(WorkflowIdGenerator::default())
        .with_span_processor(WorkflowSpanProcessor::new(processor))
        .with_resource(Resource::builder().with_service_name(service).build())
        .build()
}

/// Installs a `tracing` subscriber: `filter`ed text or JSON lines on stderr and, with
/// a `provider`, spans to it (which also becomes OpenTelemetry's global provider, with
/// W3C trace context as the propagator). A second call (tests starting several
/// services) keeps the first.
pub fn install_tracing(
    provider: Option<&SdkTracerProvider>,
    service: &'static str,
    filter: tracing_subscriber::EnvFilter,
    json: bool,
) {
    let logs = if json {
        tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .with_writer(std::io::stderr)
            .boxed()
    } else {
        // Colours only on a terminal: `cargo xtask up` pipes and prefixes our output.
        tracing_subscriber::fmt::layer()
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr)
            .boxed()
    };
    // `RUST_LOG` filters the logs only: spans at INFO and above always reach the
    // tracer, so a quiet log does not break a trace.
    let spans = provider.map(|provider| {
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        opentelemetry::global::set_tracer_provider(provider.clone());
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer(service))
            .with_filter(tracing_subscriber::filter::LevelFilter::INFO)
    });
    let _ = tracing_subscriber::registry()
        .with(logs.with_filter(filter))
        .with(spans)
        .try_init();
}

/// A running Prometheus endpoint and the meter that feeds it.
#[derive(Debug, Clone)]
pub struct Metrics {
    /// Hand it to the SDK runtime, the Nexus worker and the project's instruments.
    pub meter: Arc<dyn CoreMeter>,
    /// Where `/metrics` is served (the actual port when `:0` was asked for).
    pub address: SocketAddr,
}

/// Serves `/metrics` on `bind` (`None`: no metrics), every series labelled
/// `service="<service>"`. Durations are in seconds, as Prometheus expects.
pub fn start_metrics(service: &str, bind: Option<SocketAddr>) -> anyhow::Result<Option<Metrics>> {
    let Some(bind) = bind else {
        return Ok(None);
    };
    // Request and task latencies here are milliseconds to seconds.
    let buckets = vec![
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ];
    let options = PrometheusExporterOptions::builder()
        .socket_addr(bind)
        .global_tags(HashMap::from([("service".to_owned(), service.to_owned())]))
        .counters_total_suffix(true)
        .unit_suffix(true)
        .use_seconds_for_durations(true)
        .histogram_bucket_overrides(HistogramBucketOverrides {
            overrides: HashMap::from([("duration".to_owned(), buckets)]),
        })
        .build();
    let server = start_prometheus_metric_exporter(options)
        .with_context(|| format!("serving metrics on {bind}"))?;
    tracing::info!(address = %server.bound_addr, "metrics on /metrics");
    Ok(Some(Metrics {
        meter: server.meter,
        address: server.bound_addr,
    }))
}

/// A `*_METRICS_BIND` variable: `default` when unset, `None` when `off`.
pub fn metrics_bind(name: &str, default: &str) -> anyhow::Result<Option<SocketAddr>> {
    match crate::env::var_or(name, default).as_str() {
        "off" => Ok(None),
        value => value
            .parse()
            .map(Some)
            .with_context(|| format!("{name}={value:?} is not `host:port` or `off`")),
    }
}

/// How many, and how long: a counter `<name>_total` and a histogram
/// `<name>_duration_seconds` with the same labels.
#[derive(Clone)]
pub struct Timed {
    meter: Arc<dyn CoreMeter>,
    count: Counter,
    duration: HistogramDuration,
}

impl std::fmt::Debug for Timed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timed").finish_non_exhaustive()
    }
}

impl Timed {
    /// The two instruments, registered on `meter`.
    pub fn new(meter: Arc<dyn CoreMeter>, name: &'static str, description: &'static str) -> Self {
        let count = meter.counter(
            MetricParameters::builder()
                .name(name)
                .description(description)
                .build(),
        );
        let duration = meter.histogram_duration(
            MetricParameters::builder()
                .name(format!("{name}_duration"))
                .description(description)
                .build(),
        );
        Self {
            meter,
            count,
            duration,
        }
    }

    /// Counts one event that took `took`, with `labels`. Use the same label names
    /// every time: each set of names is a series family of its own.
    pub fn record(&self, labels: &[(&'static str, &str)], took: std::time::Duration) {
        let attributes = self.meter.new_attributes(NewAttributes::from(
            labels
                .iter()
                .map(|(key, value)| MetricKeyValue::new(*key, (*value).to_owned()))
                .collect::<Vec<_>>(),
        ));
        self.count.add(1, &attributes);
        self.duration.record(took, &attributes);
    }
}
