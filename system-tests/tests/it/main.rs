//! The whole system against a real Temporal dev server: both workers with their own
//! databases, the contract's endpoints, the coordinator run end to end, and Marketing's
//! campaign launch calling GTM through Nexus.

mod campaign;
mod coordinator;
mod dashboard;
mod faults;
mod observability;
mod processes;
mod system;
