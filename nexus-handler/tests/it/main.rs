//! The handler layer against a real dev server: a workflow-backed operation completes
//! through the Nexus callback, and a cancel request cancels its workflow.

mod workflow_run;
