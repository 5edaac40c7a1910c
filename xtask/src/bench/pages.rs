//! The run page under load: `GET /runs/<id>` from the release `web` binary at a fixed
//! rate, for a completed run and for a running one, with latency percentiles.
//!
//! The load is open-loop: request `i` is due at `start + i / rate`, whether or not
//! earlier ones have answered, and its latency counts from when it was due. A server
//! that falls behind therefore shows its queueing in the figures instead of slowing
//! the client down (no "coordinated omission"). Each request opens its own connection,
//! as a browser's first view of a page does.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::measure::percentile;

/// How long a single request may take before it counts as failed.
const REQUEST_LIMIT: Duration = Duration::from_secs(5);

/// One page's figures.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageLatency {
    /// Which run the page shows: `completed` or `running`.
    pub run: String,
    /// Requests measured (the warm-up excluded).
    pub requests: usize,
    /// Requests per second asked for.
    pub rate: u32,
    /// Latency, due to answered, in ms.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
    /// The web process's CPU per request, in ms.
    pub web_cpu_ms_per_request: Option<f64>,
}

/// The load: a rate, held for a warm-up and then for the measured time.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// Requests per second.
    pub rate: u32,
    /// Sent first and not measured: the connections and caches warm up.
    pub warm_up: Duration,
    /// Measured.
    pub duration: Duration,
}

/// Loads `path` on `address` with `load`; every answer must be a 200 whose body holds
/// `expect`. `run` names the run for the report; `web_pid` is the server, for its CPU.
pub async fn measure(
    run: &str,
    address: SocketAddr,
    path: &str,
    expect: &str,
    load: Load,
    web_pid: Option<u32>,
) -> anyhow::Result<PageLatency> {
    let rate = load.rate;
    send(address, path, expect, rate, load.warm_up).await?;
    let before = super::measure::ProcessUsage::read("web", web_pid);
    let mut latencies = send(address, path, expect, rate, load.duration).await?;
    let cpu = super::measure::ProcessUsage::read("web", web_pid)
        .since(&before)
        .cpu_seconds;
    latencies.sort_by(f64::total_cmp);
    Ok(PageLatency {
        run: run.to_owned(),
        requests: latencies.len(),
        rate,
        p50_ms: percentile(&latencies, 50.0),
        p95_ms: percentile(&latencies, 95.0),
        p99_ms: percentile(&latencies, 99.0),
        max_ms: latencies.last().copied().unwrap_or(f64::NAN),
        web_cpu_ms_per_request: cpu.map(|s| s * 1000.0 / latencies.len() as f64),
    })
}

/// `rate × duration` requests, each due on its own tick; their latencies in ms.
async fn send(
    address: SocketAddr,
    path: &str,
    expect: &str,
    rate: u32,
    duration: Duration,
) -> anyhow::Result<Vec<f64>> {
    let count = (duration.as_secs_f64() * f64::from(rate)).round() as u32;
    let interval = Duration::from_secs(1) / rate;
    let start = tokio::time::Instant::now() + Duration::from_millis(10);
    let mut requests = tokio::task::JoinSet::new();
    for i in 0..count {
        let due = start + interval * i;
        let (path, expect) = (path.to_owned(), expect.to_owned());
        requests.spawn(async move {
            tokio::time::sleep_until(due).await;
            let due = due.into_std();
            let body = tokio::time::timeout(REQUEST_LIMIT, get(address, &path))
                .await
                .with_context(|| format!("GET {path} took over {REQUEST_LIMIT:?}"))??;
            let latency = Instant::now().duration_since(due);
            ensure!(body.contains(&expect), "GET {path} did not show {expect:?}");
            anyhow::Ok(latency.as_secs_f64() * 1000.0)
        });
    }
    let mut latencies = Vec::with_capacity(count as usize);
    while let Some(done) = requests.join_next().await {
        latencies.push(done??);
    }
    Ok(latencies)
}

/// One `GET` on a connection of its own; the body of a 200, an error otherwise.
pub async fn get(address: SocketAddr, path: &str) -> anyhow::Result<String> {
    let mut stream = TcpStream::connect(address).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let response = String::from_utf8_lossy(&response);
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head.split_whitespace().nth(1).unwrap_or("none");
    ensure!(status == "200", "GET {path} answered {status}");
    Ok(body.to_owned())
}
