//! `web`: the dashboard. Reads its configuration from the environment (see
//! `config.rs` and the README's table).
//!
//! - `web`: serves until Ctrl-C / SIGTERM, then stops gracefully.
//! - `web healthcheck`: exits 0 when this container's dashboard answers `/healthz` on
//!   `WEB_BIND`; a container healthcheck.

use anyhow::{Context, bail};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let command = std::env::args().nth(1);
    let config = web::Config::from_env().context("reading web configuration")?;
    match command.as_deref() {
        None => {}
        Some("healthcheck") => return service_kit::health::probe(config.bind, "/healthz"),
        Some(other) => bail!("unknown command {other:?}; usage: web [healthcheck]"),
    }
    let telemetry = service_kit::telemetry::init("web", "info,sqlx=warn")?;
    let result = web::run(config, service_kit::shutdown_signal()).await;
    telemetry.shutdown();
    result
}
