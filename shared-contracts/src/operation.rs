//! Typed Nexus operation descriptors.
//!
//! A descriptor names an operation (service + operation name) and fixes its input and
//! output types. The caller (`ctx.start_nexus_operation` in a workflow) and the
//! handler (registered in a worker's Nexus router) are both generic over the same
//! descriptor, so they cannot disagree on a name or a payload shape.

use crate::abm::{AbmCheckRequest, AbmCheckResponse};
use crate::accounts::{AccountSnapshot, AccountSnapshotRequest};
use crate::coordinator::{CoordinatorBrief, RunCoordinatorRequest};
use crate::health::{AccountHealth, AccountHealthRequest};
use crate::monitor::HealthSnapshot;
use crate::names::services;

pub use nexus_handler::Operation;

/// `marketing.abm.v1/checkAbmProgram`: synchronous; is the account in an active ABM
/// program?
pub const CHECK_ABM_PROGRAM: Operation<AbmCheckRequest, AbmCheckResponse> =
    Operation::new(services::MARKETING_ABM_V1, "checkAbmProgram");

/// `gtm.coordinator.v1/runCoordinator`: asynchronous, workflow-backed; runs a
/// `DrewCoordinator` and completes with its brief.
pub const RUN_COORDINATOR: Operation<RunCoordinatorRequest, CoordinatorBrief> =
    Operation::new(services::GTM_COORDINATOR_V1, "runCoordinator");

/// `gtm.accounts.v1/getAccountSnapshot`: synchronous; the account's open pipeline and
/// its latest stored brief.
pub const GET_ACCOUNT_SNAPSHOT: Operation<AccountSnapshotRequest, AccountSnapshot> =
    Operation::new(services::GTM_ACCOUNTS_V1, "getAccountSnapshot");

/// `cs.health.v1/getAccountHealth`: synchronous; Customer Success's health score,
/// band and drivers for the account.
pub const GET_ACCOUNT_HEALTH: Operation<AccountHealthRequest, AccountHealth> =
    Operation::new(services::CS_HEALTH_V1, "getAccountHealth");

/// `cs.health.v1/checkNow`: synchronous, messaging over Nexus; makes the running
/// health monitor of the account check at once (its `checkNow` update) and answers
/// with that fresh snapshot. No running monitor: `NOT_FOUND`, naming the account.
pub const CHECK_NOW: Operation<AccountHealthRequest, HealthSnapshot> =
    Operation::new(services::CS_HEALTH_V1, "checkNow");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptors_carry_the_contract_names() {
        assert_eq!(
            CHECK_ABM_PROGRAM.to_string(),
            "marketing.abm.v1/checkAbmProgram"
        );
        assert_eq!(
            RUN_COORDINATOR.to_string(),
            "gtm.coordinator.v1/runCoordinator"
        );
        assert_eq!(
            GET_ACCOUNT_SNAPSHOT.to_string(),
            "gtm.accounts.v1/getAccountSnapshot"
        );
        assert_eq!(
            GET_ACCOUNT_HEALTH.to_string(),
            "cs.health.v1/getAccountHealth"
        );
        assert_eq!(CHECK_NOW.to_string(), "cs.health.v1/checkNow");
    }

    #[test]
    fn decode_input_validates_and_names_the_field() {
        let ok = CHECK_ABM_PROGRAM
            .decode_input(br#"{"accountId":"acme-corp"}"#)
            .unwrap();
        assert_eq!(ok.account_id.as_str(), "acme-corp");
        let err = CHECK_ABM_PROGRAM
            .decode_input(br#"{"accountId":"Not A Slug"}"#)
            .unwrap_err();
        assert!(err.to_string().contains("accountId"), "{err}");
    }
}
