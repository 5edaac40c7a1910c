//! customer-success-worker's own integration tests:
//!
//! - against a real Temporal dev server, a test caller workflow calls
//!   `cs.health.v1/getAccountHealth` through the `cs-health` endpoint, from `gtm`,
//!   `marketing`, and a namespace the team does not serve;
//! - determinism: recorded monitor histories replay through today's code;
//! - the store and the seed loader on a fresh database.
//!
//! The monitor end to end, with GTM and Marketing answering, lives in `system-tests`.

mod get_account_health;
mod handlers;
mod harness;
mod replay;
mod store;
