//! marketing-worker's own integration tests:
//!
//! - against a real Temporal dev server, a test caller workflow in `gtm` calls
//!   `marketing.abm.v1` through the `marketing-abm` endpoint, exactly as the
//!   coordinator's step 8 does;
//! - determinism: recorded campaign-launch histories replay through today's code;
//! - the campaign and launch-result store, and the seed loader, on a fresh database
//!   of each backend.
//!
//! Campaign launches end to end, with the GTM side, live in `system-tests`.

mod check_abm_program;
mod handlers;
mod harness;
mod replay;
mod seed;
mod store;
