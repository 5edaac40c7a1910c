//! `gtm-worker`: runs the GTM side (namespace `gtm`). Reads its configuration from the
//! environment (see `config.rs` and the README's table).
//!
//! `gtm-worker` polls, `gtm-worker seed` loads the team's seed data, `gtm-worker healthcheck`
//! probes its metrics endpoint: the shared worker `main` (`service_kit::worker_main`).

fn main() -> anyhow::Result<()> {
    service_kit::worker_main::run::<gtm_worker::Worker>()
}
