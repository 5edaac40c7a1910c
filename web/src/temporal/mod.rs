//! The dashboard's view of Temporal, split by what it does:
//!
//! - `gateway.rs`: the connection, made on first use and shared;
//! - `call.rs`: what every call shares: its short timeout, how a status reads, the
//!   count of history reads (a leaf: it uses none of the others);
//! - `runs.rs`: the runs list through visibility (`AccountId`, paging), and launches;
//! - `run.rs`: one run's view, from its history, so a run shows with no worker
//!   running; `live.rs` follows a running run's history as it grows;
//! - `history.rs`: the pure part of that: a run's steps and outcome from its history
//!   events;
//! - `start.rs`: starting coordinator runs and campaign launches;
//! - `monitors.rs`: Customer Success's health monitors: listing, starting, stopping;
//! - `error.rs`: [`TemporalError`], and how it becomes the dashboard's one error type.
//!
//! Calls use the SDK's high-level `Client` where it has them (describe, query,
//! history); listing, starting and the live watch's long poll stay on the raw service,
//! for reasons given there.

mod call;
mod error;
mod gateway;
mod history;
mod live;
mod monitors;
mod run;
mod runs;
mod start;

pub use error::{TemporalError, WORKFLOW_ID_MAX_LEN, check_workflow_id};
pub use gateway::{Placement, TemporalGateway};
pub use run::{LaunchDetail, RunDetail};
pub use runs::{RunFilter, RunPage, RunStatus, RunSummary};

/// A lock that a panic elsewhere does not poison for good: what the dashboard keeps
/// behind one (closed runs, watches) is whole after every statement.
fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
