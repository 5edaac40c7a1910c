//! The handler layer against a real dev server, with nothing from outside the crate but
//! the Temporal CLI (`TEMPORAL_CLI`, or `temporal` on `PATH`): a workflow-backed
//! operation completes through the Nexus callback, and a cancel request cancels its
//! workflow; a cancel with a forged token or from a namespace outside the allowlist
//! cancels nothing. The typed call, from a workflow, sees each outcome as its own
//! `NexusCallError` variant.

mod call;
mod caller;
mod cancel;
mod server;
mod workflow_run;
