//! `customer-success-worker`: runs the Customer Success side (namespace
//! `customer-success`). Reads its configuration from the environment (see `config.rs`
//! and the README's table).
//!
//! `customer-success-worker` polls, `customer-success-worker seed` loads the team's seed data, `customer-success-worker healthcheck`
//! probes its metrics endpoint: the shared worker `main` (`service_kit::worker_main`).

fn main() -> anyhow::Result<()> {
    service_kit::worker_main::run::<customer_success_worker::Worker>()
}
