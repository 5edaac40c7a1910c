//! gtm-worker's own integration tests: determinism (replaying recorded histories),
//! and the brief store and the seed loader on both database backends.
//!
//! End-to-end runs with both workers live in `system-tests`.

mod replay;
mod seed;
mod store;
