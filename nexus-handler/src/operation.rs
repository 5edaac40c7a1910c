//! Typed operation descriptors: the one value both halves of a call share.
//!
//! A descriptor names an operation (service + operation name) and fixes its input and
//! output types. The caller ([`crate::NexusCall`] in a workflow) and the handler
//! ([`crate::NexusServices`] in a worker) are both generic over the same descriptor,
//! so they cannot disagree on a name or a payload shape. Define each operation once,
//! as a `const`, in the crate that holds your contract:
//!
//! ```
//! use nexus_handler::Operation;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! #[serde(rename_all = "camelCase")]
//! pub struct AbmCheckRequest { pub account_id: String }
//!
//! #[derive(Serialize, Deserialize)]
//! #[serde(rename_all = "camelCase")]
//! pub struct AbmCheckResponse { pub in_abm_program: bool }
//!
//! pub const CHECK_ABM_PROGRAM: Operation<AbmCheckRequest, AbmCheckResponse> =
//!     Operation::new("marketing.abm.v1", "checkAbmProgram");
//!
//! assert_eq!(CHECK_ABM_PROGRAM.to_string(), "marketing.abm.v1/checkAbmProgram");
//! let request = CHECK_ABM_PROGRAM.decode_input(br#"{"accountId":"acme-corp"}"#).unwrap();
//! assert_eq!(request.account_id, "acme-corp");
//! ```
//!
//! The Go SDK's `nexus.NewOperationReference[I, O](service, name)` and the Python
//! SDK's `@nexusrpc.service` operation attributes are the same idea.

use std::fmt;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use crate::codec::{self, ContractError};

/// A Nexus operation with input `I` and output `O`.
pub struct Operation<I, O> {
    /// The Nexus service that holds the operation.
    pub service: &'static str,
    /// The operation's name within the service.
    pub name: &'static str,
    types: PhantomData<fn(I) -> O>,
}

impl<I, O> Operation<I, O> {
    /// Describes operation `name` of `service`.
    pub const fn new(service: &'static str, name: &'static str) -> Self {
        Self {
            service,
            name,
            types: PhantomData,
        }
    }
}

impl<I: DeserializeOwned, O> Operation<I, O> {
    /// Decodes and validates an input payload's JSON.
    pub fn decode_input(&self, json: &[u8]) -> Result<I, ContractError> {
        codec::decode_json(json)
    }
}

impl<I, O: DeserializeOwned> Operation<I, O> {
    /// Decodes and validates an output payload's JSON.
    pub fn decode_output(&self, json: &[u8]) -> Result<O, ContractError> {
        codec::decode_json(json)
    }
}

// Manual impls: derives would needlessly require `I: Clone` etc.
impl<I, O> Clone for Operation<I, O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I, O> Copy for Operation<I, O> {}

impl<I, O> fmt::Debug for Operation<I, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.service, self.name)
    }
}

impl<I, O> fmt::Display for Operation<I, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.service, self.name)
    }
}
