//! `gtm-worker`: runs the GTM side (namespace `gtm`). Reads its configuration from the
//! environment (see `config.rs` and the README's table) and stops on Ctrl-C / SIGTERM.

use anyhow::Context;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let telemetry =
        service_kit::telemetry::init("gtm-worker", "info,sqlx=warn,temporalio_sdk_core=warn")?;
    let config = gtm_worker::Config::from_env().context("reading gtm-worker configuration")?;
    let result = gtm_worker::run(config, service_kit::shutdown_signal()).await;
    telemetry.shutdown();
    result
}
