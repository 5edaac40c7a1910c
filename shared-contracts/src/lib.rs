//! The wire contract between the GTM, Marketing and Customer Success namespaces.
//!
//! Every worker and the dashboard compile against this crate, so a name or a payload
//! cannot drift between the side that calls and the side that answers. It holds:
//!
//! - [`names`]: every Temporal name fixed by the contract (namespaces, task queues,
//!   Nexus endpoints, services and operations, workflow types, queries, search
//!   attributes).
//! - [`teams`]: the teams, each defined once: namespace, task queue, endpoint, the
//!   services each serves with the namespaces allowed to call them, and its worker's
//!   binary, variables, metrics port and default database.
//! - [`AccountId`]: the account slug, which cannot hold an invalid value.
//! - [`abm`]: the `marketing.abm.v1` payloads (`checkAbmProgram`).
//! - [`accounts`]: the `gtm.accounts.v1` payloads (`getAccountSnapshot`).
//! - [`health`]: the `cs.health.v1` payloads (`getAccountHealth`).
//! - [`monitor`]: Customer Success's `AccountHealthMonitor`: its input, the
//!   cross-team snapshot it takes every cycle, and its `health` query.
//! - [`coordinator`]: the Drew Coordinator's input, progress and brief, which are also
//!   the `gtm.coordinator.v1/runCoordinator` payloads.
//! - [`campaign`]: Marketing's `CampaignLaunch` workflow: its input, and the summary
//!   of its accounts (the `launchProgress` query and the result).
//! - [`steps`]: the catalogue of the coordinator's steps.
//! - [`summary`]: how each step's result reads as one line ([`summary::StepSummary`]),
//!   the same in the live `progress` query and on a closed run's page.
//! - [`operation`]: typed Nexus operation descriptors ([`operation::CHECK_ABM_PROGRAM`],
//!   [`operation::RUN_COORDINATOR`], [`operation::GET_ACCOUNT_SNAPSHOT`],
//!   [`operation::GET_ACCOUNT_HEALTH`]) that callers and handlers are generic over.
//! - [`codec`]: JSON decoding that validates and names the offending field.
//! - [`schema`]: JSON Schema of every payload, for callers in other languages
//!   (checked in under `shared-contracts/schema/`).
//!
//! There is no I/O and no Temporal worker code here: only types, names and rules.

pub mod abm;
mod account_id;
pub mod accounts;
pub mod campaign;
pub mod codec;
pub mod coordinator;
pub mod health;
pub mod monitor;
pub mod names;
pub mod operation;
pub mod schema;
pub mod steps;
pub mod summary;
pub mod teams;

pub use account_id::{
    ACCOUNT_ID_MAX_LEN, ACCOUNT_ID_PATTERN, ACCOUNT_ID_RULE, AccountId, InvalidAccountId,
};
