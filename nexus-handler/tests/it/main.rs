//! The handler layer against a real dev server: a workflow-backed operation completes
//! through the Nexus callback, and a cancel request cancels its workflow. The typed
//! call, from a workflow, sees each outcome as its own `NexusCallError` variant.

mod call;
mod workflow_run;
