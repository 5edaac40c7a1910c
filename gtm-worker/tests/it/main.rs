//! gtm-worker's own integration tests: determinism (replaying recorded histories) and
//! the brief store on both database backends.
//!
//! End-to-end runs with both workers live in `system-tests`.

mod replay;
mod store;
