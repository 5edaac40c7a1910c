//! What a handler knows about the request it serves.
//!
//! Its own module because both halves of dispatch read it: [`crate::services`] hands it
//! to handlers, and [`crate::workflow_run`] starts a backing workflow from it (request
//! id, callback, links). Both depend on this module; neither on the other.

use std::collections::HashMap;
use std::time::SystemTime;

use temporalio_client::Client;
use temporalio_common::protos::temporal::api::nexus::v1::Link;

use crate::caller::CallerInfo;

/// What a handler knows about the request it serves.
#[derive(Debug, Clone)]
pub struct OperationContext {
    /// The endpoint the caller addressed.
    pub endpoint: String,
    /// Service name.
    pub service: String,
    /// Operation name.
    pub operation: String,
    /// The Nexus request id: stable across the server's retries of one request.
    pub request_id: String,
    /// The calling workflow, when the server said who it is.
    pub caller: Option<CallerInfo>,
    /// Nexus request headers (lower-case names).
    pub headers: HashMap<String, String>,
    /// When the server stops waiting for this request.
    pub deadline: Option<SystemTime>,
    /// Links the server attached (the caller's scheduled event).
    pub links: Vec<Link>,
    /// Where to deliver an async operation's completion.
    pub callback_url: String,
    /// Headers to send with that completion.
    pub callback_headers: HashMap<String, String>,
    /// The worker's client for its own namespace, so a handler can signal, query or
    /// update a workflow there (messaging over Nexus). `None` only in a context a test
    /// builds without a server.
    pub client: Option<Client>,
}
