//! Request metrics: `http_server_requests_total` and
//! `http_server_requests_duration_seconds`, by method, route (the matched pattern, such
//! as `/runs/{workflow_id}`, so ids do not explode the series) and status.

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use service_kit::telemetry::Timed;
use temporalio_common::telemetry::metrics::CoreMeter;

/// `router`, with every request counted and timed on `meter`.
pub fn track_requests(router: Router, meter: std::sync::Arc<dyn CoreMeter>) -> Router {
    let requests = Timed::new(
        meter,
        "http_server_requests",
        "HTTP requests served, by method, route and status",
    );
    router.layer(middleware::from_fn_with_state(requests, track))
}

async fn track(State(requests): State<Timed>, request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    requests.record(
        &[
            ("method", &method),
            ("route", &route),
            ("status", response.status().as_str()),
        ],
        started.elapsed(),
    );
    response
}
