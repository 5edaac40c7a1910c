//! The whole system against a real Temporal dev server: both workers with their own
//! databases, the contract's endpoints, and the coordinator run end to end.

mod coordinator;
mod system;
