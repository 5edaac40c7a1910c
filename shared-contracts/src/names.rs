//! Every Temporal name the contract fixes (which team owns which is in
//! [`crate::teams`]). These are the defaults; each binary lets
//! its configuration override the deployment names (namespaces, task queues,
//! endpoints), never the service, operation or workflow type names, which are the
//! contract itself.

/// Namespaces: each team owns one, and they share nothing but Nexus endpoints.
pub mod namespaces {
    /// The sales team's namespace, home of the Drew Coordinator.
    pub const GTM: &str = "gtm";
    /// The marketing team's namespace, home of ABM programs and campaigns.
    pub const MARKETING: &str = "marketing";
    /// The customer success team's namespace, home of account health monitoring.
    pub const CUSTOMER_SUCCESS: &str = "customer-success";
}

/// Task queues polled by each side's worker.
pub mod task_queues {
    /// Polled by `gtm-worker`: coordinator workflows, activities and the
    /// `gtm.coordinator.v1` Nexus handler.
    pub const GTM_COORDINATOR: &str = "gtm-coordinator";
    /// Polled by `marketing-worker`: the `marketing.abm.v1` Nexus handler and the
    /// campaign-launch workflow.
    pub const MARKETING_ABM: &str = "marketing-abm";
    /// Polled by `customer-success-worker`: the `cs.health.v1` Nexus handler and the
    /// account health monitors.
    pub const CS_HEALTH: &str = "cs-health";
}

/// Nexus endpoints: the server-side routing entries that let one namespace's
/// workflows reach another namespace's task queue.
pub mod endpoints {
    /// GTM → Marketing. Targets namespace `marketing`, task queue `marketing-abm`.
    pub const MARKETING_ABM: &str = "marketing-abm";
    /// Marketing and Customer Success → GTM. Targets namespace `gtm`, task queue
    /// `gtm-coordinator`; serves `gtm.coordinator.v1` and `gtm.accounts.v1`.
    pub const GTM_COORDINATOR: &str = "gtm-coordinator";
    /// GTM and Marketing → Customer Success. Targets namespace `customer-success`, task
    /// queue `cs-health`.
    pub const CS_HEALTH: &str = "cs-health";
}

/// Nexus service names. Versioned: a breaking change is a new service, not an edit.
pub mod services {
    /// Marketing's ABM service (`checkAbmProgram`).
    pub const MARKETING_ABM_V1: &str = "marketing.abm.v1";
    /// GTM's coordinator service (`runCoordinator`).
    pub const GTM_COORDINATOR_V1: &str = "gtm.coordinator.v1";
    /// GTM's accounts service (`getAccountSnapshot`), on the same endpoint.
    pub const GTM_ACCOUNTS_V1: &str = "gtm.accounts.v1";
    /// Customer Success's health service (`getAccountHealth`).
    pub const CS_HEALTH_V1: &str = "cs.health.v1";
}

/// Workflow types.
pub mod workflow_types {
    /// The Drew Coordinator, one run per account, in namespace `gtm`.
    pub const DREW_COORDINATOR: &str = "DrewCoordinator";
    /// Marketing's campaign launch, in namespace `marketing`.
    pub const CAMPAIGN_LAUNCH: &str = "CampaignLaunch";
    /// Customer Success's long-running monitor, one per watched account
    /// (`health-<accountId>`), in namespace `customer-success`.
    pub const ACCOUNT_HEALTH_MONITOR: &str = "AccountHealthMonitor";
}

/// Workflow query names.
pub mod queries {
    /// The coordinator's steps with status, times and summary.
    pub const PROGRESS: &str = "progress";
    /// A campaign launch's accounts with their coordinator runs and outcomes.
    pub const LAUNCH_PROGRESS: &str = "launchProgress";
    /// A health monitor's state and latest snapshot.
    pub const HEALTH: &str = "health";
}

/// Workflow update names.
pub mod updates {
    /// Asks a health monitor to check now; answers with the new snapshot.
    pub const CHECK_NOW: &str = "checkNow";
}

/// Workflow signal names.
pub mod signals {
    /// Pauses a health monitor's checks.
    pub const PAUSE: &str = "pause";
    /// Resumes them.
    pub const RESUME: &str = "resume";
}

/// The workflow id of the health monitor of `account_id`: `health-<accountId>`.
pub fn health_monitor_id(account_id: &crate::AccountId) -> String {
    format!("health-{account_id}")
}

/// Custom search attributes, registered on the `gtm` namespace so runs can be listed
/// and filtered without opening each one.
pub mod search_attributes {
    /// The account a coordinator run is for (`Keyword`).
    pub const ACCOUNT_ID: &str = "AccountId";
    /// The step a coordinator run is on, by step id (`Keyword`).
    pub const COORDINATOR_STEP: &str = "CoordinatorStep";
    /// Who asked for a coordinator run (its input's `requestedBy`: `dashboard`,
    /// `campaign:<id>`, `customer-success`, ...), set at start (`Keyword`).
    pub const REQUESTED_BY: &str = "RequestedBy";

    /// Every custom search attribute with its Temporal type, as the dev server's
    /// `--search-attribute KEY=TYPE` flag and the operator API expect them.
    pub const ALL: [(&str, &str); 3] = [
        (ACCOUNT_ID, "Keyword"),
        (COORDINATOR_STEP, "Keyword"),
        (REQUESTED_BY, "Keyword"),
    ];
}
