//! `web`: the dashboard. Reads its configuration from the environment (see
//! `config.rs` and the README's table) and stops gracefully on Ctrl-C / SIGTERM.

use anyhow::Context;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    service_kit::init_tracing("info,sqlx=warn");
    let config = web::Config::from_env().context("reading web configuration")?;
    web::run(config, service_kit::shutdown_signal()).await
}
