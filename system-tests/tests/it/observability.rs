//! Observability across the namespace boundary: one trace per run that crosses the
//! Nexus hop, and the metrics each process serves.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use opentelemetry::trace::{
    FutureExt as _, SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState,
};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SimpleSpanProcessor, SpanData, SpanExporter};
use serde_json::json;

use crate::processes::WorkerProcess;
use crate::system::{System, result};

/// Every span the process ends, kept in memory: the test's span collector.
#[derive(Debug, Clone, Default)]
struct Collector(Arc<Mutex<Vec<SpanData>>>);

impl SpanExporter for Collector {
    fn export(
        &self,
        batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        self.0.lock().unwrap().extend(batch);
        std::future::ready(Ok(()))
    }
}

impl Collector {
    /// The process-wide collector, installed as the workers' tracer on first use.
    fn installed() -> &'static Self {
        static COLLECTOR: OnceLock<Collector> = OnceLock::new();
        COLLECTOR.get_or_init(|| {
            let collector = Collector::default();
            let provider = service_kit::telemetry::tracer_provider(
                "system-tests",
                SimpleSpanProcessor::new(collector.clone()),
            );
            let logs = if std::env::var_os("TEST_LOG").is_some() {
                "info"
            } else {
                "off"
            };
            service_kit::telemetry::install_tracing(
                Some(&provider),
                "system-tests",
                tracing_subscriber::EnvFilter::new(logs),
                false,
            );
            collector
        })
    }

    /// Waits (two minutes at most) for a span of `trace` that `matches`.
    async fn span(
        &self,
        trace: TraceId,
        what: &str,
        matches: impl Fn(&SpanData) -> bool,
    ) -> SpanData {
        self.find(what, |span| {
            span.span_context.trace_id() == trace && matches(span)
        })
        .await
    }

    /// Waits (two minutes at most: a bound for a loaded machine, not a measure of
    /// speed) for a span that `matches`.
    async fn find(&self, what: &str, matches: impl Fn(&SpanData) -> bool) -> SpanData {
        for _ in 0..600 {
            let found = self.0.lock().unwrap().iter().find(|s| matches(s)).cloned();
            if let Some(span) = found {
                return span;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let names: Vec<String> = self
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|span| format!("{} ({})", span.name, span.span_context.trace_id()))
            .collect();
        panic!("no span {what}; the spans: {names:?}");
    }
}

fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.to_string())
}

#[tokio::test]
async fn step_8_and_marketings_handler_share_one_trace_as_parent_and_child() {
    let spans = Collector::installed();
    let system = System::start().await;
    let handle = system
        .with_gtm_worker(system.gtm_config(), async {
            let handle = system
                .start_coordinator(json!({"accountId": "acme-corp"}))
                .await;
            result(&handle).await.unwrap();
            handle
        })
        .await;

    // A run started without trace context is a trace of its own: Temporal's plugin
    // opens the start's and the run's spans, and the step runner a span per step
    // under the run's.
    let workflow_id = handle.info().workflow_id.clone();
    let run = spans
        .find("RunWorkflow:DrewCoordinator", |s| {
            s.name == "RunWorkflow:DrewCoordinator"
                && attribute(s, "temporalWorkflowID").as_deref() == Some(workflow_id.as_str())
        })
        .await;
    let trace = run.span_context.trace_id();
    let step8 = spans
        .span(trace, "step 8", |s| s.name == "step 8: marketing_abm_check")
        .await;
    let handler = spans
        .span(trace, "Marketing's nexus_start", |s| {
            s.name == "nexus_start"
                && attribute(s, "operation").as_deref() == Some("checkAbmProgram")
        })
        .await;
    // The SDK's own activity span hangs under its step's span.
    let step1 = spans
        .span(trace, "step 1", |s| s.name == "step 1: load_account")
        .await;
    let activity = spans
        .span(trace, "StartActivity:load_account", |s| {
            s.name == "StartActivity:load_account"
        })
        .await;
    assert_eq!(activity.parent_span_id, step1.span_context.span_id());

    // The test's client carries the plugin too: the start is the trace's root, the
    // run its child.
    let start = spans
        .span(trace, "StartWorkflow:DrewCoordinator", |s| {
            s.span_context.span_id() == run.parent_span_id
        })
        .await;
    assert_eq!(start.name, "StartWorkflow:DrewCoordinator");
    assert_eq!(
        start.parent_span_id,
        SpanId::INVALID,
        "the start is the trace's root"
    );
    assert_eq!(step8.parent_span_id, run.span_context.span_id());
    assert_eq!(
        handler.parent_span_id,
        step8.span_context.span_id(),
        "Marketing's handler span is a child of GTM's step-8 span"
    );
    assert_eq!(
        handler.span_context.trace_id(),
        step8.span_context.trace_id()
    );
    assert!(
        handler.parent_span_is_remote,
        "the parent came over the wire"
    );
    assert_eq!(
        attribute(&handler, "service").as_deref(),
        Some("marketing.abm.v1")
    );
    // The span covers the handler's work, inside step 8's.
    assert!(handler.start_time >= step8.start_time && handler.end_time <= step8.end_time);
}

/// Sends one HTTP/1.0 request (the server closes when done): the status code and
/// the body.
async fn http(address: &str, request: String) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {head}"));
    (status, body.to_owned())
}

pub async fn http_get(address: &str, path: &str) -> (u16, String) {
    http(
        address,
        format!("GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n"),
    )
    .await
}

async fn http_post_json(address: &str, path: &str, json: &str) -> (u16, String) {
    let request = format!(
        "POST {path} HTTP/1.0\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{json}",
        json.len()
    );
    http(address, request).await
}

pub async fn scrape(address: SocketAddr) -> String {
    let (status, body) = http_get(&address.to_string(), "/metrics").await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The value of the series `name` whose labels include every one of `labels`.
pub fn series(metrics: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    metrics
        .lines()
        .filter(|line| {
            line.starts_with(&format!("{name}{{")) || line.starts_with(&format!("{name} "))
        })
        .find(|line| {
            labels
                .iter()
                .all(|(key, value)| line.contains(&format!("{key}=\"{value}\"")))
        })
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

pub fn free_address() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], devkit::ports::free_port().unwrap()))
}

#[tokio::test]
async fn each_process_serves_its_metrics_after_a_run() {
    let system = System::start_without_marketing().await;
    let (gtm_metrics, marketing_metrics, web_metrics) =
        (free_address(), free_address(), free_address());
    let _marketing = WorkerProcess::marketing(&system)
        .env("MARKETING_METRICS_BIND", &marketing_metrics.to_string())
        .started()
        .await;
    let _gtm = WorkerProcess::gtm(&system)
        .env("GTM_METRICS_BIND", &gtm_metrics.to_string())
        .started()
        .await;
    let web = system
        .start_web_with(|config| config.metrics_bind = Some(web_metrics))
        .await;

    let handle = system
        .start_coordinator(json!({"accountId": "acme-corp"}))
        .await;
    result(&handle).await.unwrap();
    let (status, _) = http_get(web.address(), "/api/accounts").await;
    assert_eq!(status, 200);

    let gtm = scrape(gtm_metrics).await;
    let completed = series(&gtm, "coordinator_runs_total", &[("outcome", "completed")]);
    assert!(
        completed >= Some(1.0),
        "coordinator_runs_total: {completed:?}\n{gtm}"
    );
    let step8 = series(
        &gtm,
        "coordinator_steps_duration_seconds_count",
        &[("step", "marketing_abm_check"), ("outcome", "completed")],
    );
    assert!(step8 >= Some(1.0), "step 8 duration count: {step8:?}");
    assert!(
        gtm.lines()
            .any(|line| line.starts_with("temporal_") && !line.ends_with(" 0")),
        "the SDK's own worker metrics are served too"
    );

    let marketing = scrape(marketing_metrics).await;
    let answered = series(
        &marketing,
        "nexus_operations_total",
        &[
            ("nexus_service", "marketing.abm.v1"),
            ("nexus_operation", "checkAbmProgram"),
            ("outcome", "answered"),
        ],
    );
    assert!(
        answered >= Some(1.0),
        "nexus_operations_total: {answered:?}\n{marketing}"
    );
    let latency = series(
        &marketing,
        "nexus_operations_duration_seconds_count",
        &[("nexus_operation", "checkAbmProgram")],
    );
    assert!(latency >= Some(1.0), "Nexus latency histogram: {latency:?}");

    let web = scrape(web_metrics).await;
    let requests = series(
        &web,
        "http_server_requests_total",
        &[
            ("route", "/api/accounts"),
            ("method", "GET"),
            ("status", "200"),
        ],
    );
    assert!(
        requests >= Some(1.0),
        "http_server_requests_total: {requests:?}\n{web}"
    );
}

#[tokio::test]
async fn a_run_started_from_the_dashboard_continues_the_requests_trace() {
    let spans = Collector::installed();
    let system = System::start().await;
    let web = system.start_web().await;
    let workflow_id = system
        .with_gtm_worker(system.gtm_config(), async {
            let (status, body) =
                http_post_json(web.address(), "/api/runs", r#"{"accountId":"acme-corp"}"#).await;
            assert_eq!(status, 202, "{body}");
            let started: serde_json::Value = serde_json::from_str(&body).unwrap();
            let workflow_id = started["workflowId"].as_str().unwrap().to_owned();
            let handle = system
                .gtm
                .get_workflow_handle::<temporalio_client::UntypedWorkflow>(workflow_id.clone());
            result(&handle).await.unwrap();
            workflow_id
        })
        .await;

    // The run span is found by its workflow id; its trace is the request's.
    let run = spans
        .find("the run's span", |s| {
            s.name == "RunWorkflow:DrewCoordinator"
                && attribute(s, "temporalWorkflowID").as_deref() == Some(workflow_id.as_str())
        })
        .await;
    let trace = run.span_context.trace_id();
    let request = spans
        .span(trace, "the dashboard's request span", |s| {
            s.span_context.span_id() == run.parent_span_id
        })
        .await;
    assert_eq!(
        request.name, "request",
        "the run hangs under the HTTP request's span"
    );
    assert_eq!(attribute(&request, "uri").as_deref(), Some("/api/runs"));
    spans
        .span(trace, "Marketing's nexus_start", |s| {
            s.name == "nexus_start"
        })
        .await;
}

/// The JSON log lines of `log` whose message is `message`.
fn json_lines(log: &str, message: &str) -> Vec<serde_json::Value> {
    log.lines()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line)
                .unwrap_or_else(|err| panic!("not a JSON line ({err}): {line}"))
        })
        .filter(|line| line["fields"]["message"] == message)
        .collect()
}

#[tokio::test]
async fn json_logs_name_the_request_or_run_each_line_belongs_to() {
    let system = System::start_without_marketing().await;
    let marketing = WorkerProcess::marketing(&system)
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .started()
        .await;
    let gtm = WorkerProcess::gtm(&system)
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .started()
        .await;
    // Started inside a known trace, as from a traced caller: Temporal's plugin puts it
    // in the start's `_tracer-data` header.
    let caller = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
    let starter = opentelemetry::Context::new().with_remote_span_context(SpanContext::new(
        caller,
        SpanId::from_hex("00f067aa0ba902b7").unwrap(),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    ));
    let handle = system
        .start_coordinator(json!({"accountId": "acme-corp"}))
        .with_context(starter)
        .await;
    result(&handle).await.unwrap();
    let workflow_id = handle.info().workflow_id.clone();

    // The Nexus task's line carries its request id, its operation and its caller's
    // trace context: the starter's trace, through the run and step 8 (the workers
    // export no spans here, and the context still travels).
    let answered = json_lines(&marketing.log(), "Nexus operation answered");
    let line = answered.first().expect("a line for the Nexus task");
    let span = &line["span"];
    assert_eq!(span["operation"], "checkAbmProgram", "{line}");
    assert!(
        span["request_id"].as_str().is_some_and(|id| !id.is_empty()),
        "{line}"
    );
    assert!(
        span["traceparent"]
            .as_str()
            .is_some_and(|t| t.contains(&caller.to_string())),
        "{line}"
    );

    // A coordinator step's line carries the run's workflow id.
    let stored = json_lines(&gtm.log(), "coordinator brief stored");
    let line = stored.first().expect("a line for step 9");
    assert_eq!(
        line["span"]["temporalWorkflowID"],
        workflow_id.as_str(),
        "{line}"
    );
    assert_eq!(line["fields"]["account_id"], "acme-corp", "{line}");
}
