//! Every Temporal name the contract fixes. These are the defaults; each binary lets
//! its configuration override the deployment names (namespaces, task queues,
//! endpoints), never the service, operation or workflow type names, which are the
//! contract itself.

/// Namespaces: each team owns one, and they share nothing but Nexus endpoints.
pub mod namespaces {
    /// The sales team's namespace, home of the Drew Coordinator.
    pub const GTM: &str = "gtm";
    /// The marketing team's namespace, home of ABM programs and campaigns.
    pub const MARKETING: &str = "marketing";
}

/// Task queues polled by each side's worker.
pub mod task_queues {
    /// Polled by `gtm-worker`: coordinator workflows, activities and the
    /// `gtm.coordinator.v1` Nexus handler.
    pub const GTM_COORDINATOR: &str = "gtm-coordinator";
    /// Polled by `marketing-worker`: the `marketing.abm.v1` Nexus handler and the
    /// campaign-launch workflow.
    pub const MARKETING_ABM: &str = "marketing-abm";
}

/// Nexus endpoints: the server-side routing entries that let one namespace's
/// workflows reach another namespace's task queue.
pub mod endpoints {
    /// GTM → Marketing. Targets namespace `marketing`, task queue `marketing-abm`.
    pub const MARKETING_ABM: &str = "marketing-abm";
    /// Marketing → GTM. Targets namespace `gtm`, task queue `gtm-coordinator`.
    pub const GTM_COORDINATOR: &str = "gtm-coordinator";
}

/// Nexus service names. Versioned: a breaking change is a new service, not an edit.
pub mod services {
    /// Marketing's ABM service (`checkAbmProgram`).
    pub const MARKETING_ABM_V1: &str = "marketing.abm.v1";
    /// GTM's coordinator service (`runCoordinator`).
    pub const GTM_COORDINATOR_V1: &str = "gtm.coordinator.v1";
}

/// Workflow types.
pub mod workflow_types {
    /// The nine-step coordinator, one run per account, in namespace `gtm`.
    pub const DREW_COORDINATOR: &str = "DrewCoordinator";
    /// Marketing's campaign launch, in namespace `marketing`.
    pub const CAMPAIGN_LAUNCH: &str = "CampaignLaunch";
}

/// Workflow query names.
pub mod queries {
    /// The coordinator's nine steps with status, times and summary.
    pub const PROGRESS: &str = "progress";
    /// A campaign launch's accounts with their coordinator runs and outcomes.
    pub const LAUNCH_PROGRESS: &str = "launchProgress";
}

/// Custom search attributes, registered on the `gtm` namespace so runs can be listed
/// and filtered without opening each one.
pub mod search_attributes {
    /// The account a coordinator run is for (`Keyword`).
    pub const ACCOUNT_ID: &str = "AccountId";
    /// The step a coordinator run is on, by step id (`Keyword`).
    pub const COORDINATOR_STEP: &str = "CoordinatorStep";

    /// Every custom search attribute with its Temporal type, as the dev server's
    /// `--search-attribute KEY=TYPE` flag and the operator API expect them.
    pub const ALL: [(&str, &str); 2] = [(ACCOUNT_ID, "Keyword"), (COORDINATOR_STEP, "Keyword")];
}

/// A Nexus endpoint as the server registry holds it: a name and where it routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointSpec {
    /// Endpoint name, as callers address it.
    pub name: &'static str,
    /// Namespace the endpoint routes to.
    pub target_namespace: &'static str,
    /// Task queue in that namespace that handles the endpoint's operations.
    pub target_task_queue: &'static str,
    /// What the endpoint is for, shown by `temporal operator nexus endpoint list`.
    pub description: &'static str,
}

/// Both endpoints of the contract, in the shape the dev server setup creates them.
pub const ENDPOINTS: [EndpointSpec; 2] = [
    EndpointSpec {
        name: endpoints::MARKETING_ABM,
        target_namespace: namespaces::MARKETING,
        target_task_queue: task_queues::MARKETING_ABM,
        description: "GTM -> Marketing: marketing.abm.v1 (checkAbmProgram)",
    },
    EndpointSpec {
        name: endpoints::GTM_COORDINATOR,
        target_namespace: namespaces::GTM,
        target_task_queue: task_queues::GTM_COORDINATOR,
        description: "Marketing -> GTM: gtm.coordinator.v1 (runCoordinator)",
    },
];
