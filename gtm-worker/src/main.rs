//! `gtm-worker`: runs the GTM side (namespace `gtm`). Reads its configuration from the
//! environment (see `config.rs` and the README's table) and stops on Ctrl-C / SIGTERM.

use anyhow::Context;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    service_kit::init_tracing("info,sqlx=warn,temporalio_sdk_core=warn");
    let config = gtm_worker::Config::from_env().context("reading gtm-worker configuration")?;
    gtm_worker::run(config, service_kit::shutdown_signal()).await
}
