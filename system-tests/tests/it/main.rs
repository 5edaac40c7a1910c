//! The whole system against a real Temporal dev server: both workers with their own
//! databases, the contract's endpoints, the coordinator run end to end, and Marketing's
//! campaign launch calling GTM through Nexus; and the composed stack in containers
//! (`compose`).

mod allowlist;
mod campaign;
mod compose;
mod coordinator;
mod dashboard;
mod faults;
mod health;
mod interop;
mod observability;
mod processes;
mod runs_list;
mod system;
