//! `marketing-worker`: runs the Marketing side (namespace `marketing`). Reads its configuration from the
//! environment (see `config.rs` and the README's table) and stops on Ctrl-C / SIGTERM.

use anyhow::Context;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let telemetry = service_kit::telemetry::init(
        "marketing-worker",
        "info,sqlx=warn,temporalio_sdk_core=warn",
    )?;
    let config =
        marketing_worker::Config::from_env().context("reading marketing-worker configuration")?;
    let result = marketing_worker::run(config, service_kit::shutdown_signal()).await;
    telemetry.shutdown();
    result
}
