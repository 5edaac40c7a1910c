//! The handler layer against a real dev server: a workflow-backed operation completes
//! through the Nexus callback, and a cancel request cancels its workflow; a cancel
//! with a forged token or from a namespace outside the allowlist cancels nothing. The
//! typed call, from a workflow, sees each outcome as its own `NexusCallError` variant.

mod call;
mod cancel;
mod workflow_run;
