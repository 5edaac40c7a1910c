//! `marketing-worker`: runs the Marketing side (namespace `marketing`). Reads its
//! configuration from the environment (see `config.rs` and the README's table).
//!
//! `marketing-worker` polls, `marketing-worker seed` loads the team's seed data, `marketing-worker healthcheck`
//! probes its metrics endpoint: the shared worker `main` (`service_kit::worker_main`).

fn main() -> anyhow::Result<()> {
    service_kit::worker_main::run::<marketing_worker::Worker>()
}
