//! gtm-worker's own integration tests: determinism (replaying recorded histories),
//! its Nexus handlers with no server, and the brief store and the seed loader on both
//! database backends.
//!
//! End-to-end runs with both workers live in `system-tests`.

mod handlers;
mod replay;
mod seed;
mod store;
