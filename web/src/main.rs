//! `web`: the dashboard. Reads its configuration from the environment (see
//! `config.rs` and the README's table) and stops gracefully on Ctrl-C / SIGTERM.

use anyhow::Context;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let telemetry = service_kit::telemetry::init("web", "info,sqlx=warn")?;
    let config = web::Config::from_env().context("reading web configuration")?;
    let result = web::run(config, service_kit::shutdown_signal()).await;
    telemetry.shutdown();
    result
}
