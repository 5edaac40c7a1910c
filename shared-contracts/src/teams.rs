//! The teams, each defined once.
//!
//! A team is a namespace, a worker, the Nexus services it serves and the endpoint
//! that routes to them. Everything that lists teams reads [`TEAMS`]: the dev server's
//! namespaces and endpoints (devkit), `cargo xtask up`, `seed` and `docker-images`,
//! each worker's defaults (service-kit's `HostConfig`), and the dashboard's. The
//! compose files are plain files a user reads; a test fails when they disagree with
//! this table.
//!
//! Who may call whom is stated here, next to the service it guards
//! ([`ServiceSpec::callers`]); a worker admits exactly those namespaces unless its
//! environment says otherwise (`<PREFIX>_ALLOWED_CALLER_NAMESPACES`, and
//! `<PREFIX>_ALLOWED_CALLER_NAMESPACES_<SERVICE>` for one service).

use crate::names::{endpoints, namespaces, services, task_queues};
use crate::operation::{
    CHECK_ABM_PROGRAM, CHECK_NOW, GET_ACCOUNT_HEALTH, GET_ACCOUNT_SNAPSHOT, RUN_COORDINATOR,
};

/// A Nexus service a team serves, and the namespaces whose workflows may call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceSpec {
    /// The service's name (`marketing.abm.v1`).
    pub name: &'static str,
    /// Its operations' names.
    pub operations: &'static [&'static str],
    /// Namespaces whose workflows may call it.
    pub callers: &'static [&'static str],
}

/// One team: where it lives, what it serves, who may call it, how its worker runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TeamSpec {
    /// The team's name as people say it (`Customer Success`).
    pub title: &'static str,
    /// Its namespace, which is also its short name (`customer-success`).
    pub namespace: &'static str,
    /// The task queue its worker polls: workflows, activities and Nexus tasks.
    pub task_queue: &'static str,
    /// The Nexus endpoint that routes to that task queue.
    pub endpoint: &'static str,
    /// The Nexus services it serves, each with its callers.
    pub services: &'static [ServiceSpec],
    /// Its worker's binary, crate and container image name (`customer-success-worker`).
    pub worker: &'static str,
    /// Prefix of its worker's variables (`CS`: `CS_DATABASE_URL`, `CS_TASK_QUEUE`, ...).
    pub env_prefix: &'static str,
    /// Where its worker serves `/metrics` locally (127.0.0.1).
    pub metrics_port: u16,
    /// Its database when `<PREFIX>_DATABASE_URL` is unset: an SQLite file in the
    /// project's `.data/`.
    pub default_database_url: &'static str,
}

impl TeamSpec {
    /// `<PREFIX>_<name>`: the name of one of the team's variables.
    pub fn var(&self, name: &str) -> String {
        format!("{}_{name}", self.env_prefix)
    }

    /// The variable that names the team's database (`GTM_DATABASE_URL`).
    pub fn database_url_var(&self) -> String {
        self.var("DATABASE_URL")
    }

    /// The namespaces that may call any of the team's services, in table order.
    pub fn callers(&self) -> Vec<&'static str> {
        let mut callers: Vec<&'static str> = Vec::new();
        for service in self.services {
            for caller in service.callers {
                if !callers.contains(caller) {
                    callers.push(caller);
                }
            }
        }
        callers
    }

    /// The team's endpoint as the server's registry holds it.
    pub fn endpoint_spec(&self) -> EndpointSpec {
        let callers: Vec<&str> = self
            .callers()
            .into_iter()
            .map(|namespace| team(namespace).map_or(namespace, |team| team.title))
            .collect();
        let services: Vec<String> = self
            .services
            .iter()
            .map(|service| format!("{} ({})", service.name, service.operations.join(", ")))
            .collect();
        EndpointSpec {
            name: self.endpoint,
            target_namespace: self.namespace,
            target_task_queue: self.task_queue,
            description: format!(
                "{} -> {}: {}",
                callers.join(", "),
                self.title,
                services.join(", ")
            ),
        }
    }
}

/// A Nexus endpoint as the server registry holds it: a name and where it routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointSpec {
    /// Endpoint name, as callers address it.
    pub name: &'static str,
    /// Namespace the endpoint routes to.
    pub target_namespace: &'static str,
    /// Task queue in that namespace that handles the endpoint's operations.
    pub target_task_queue: &'static str,
    /// What the endpoint is for, shown by `temporal operator nexus endpoint list`.
    pub description: String,
}

/// Sales: the Drew Coordinator and the accounts' pipeline.
pub const GTM: TeamSpec = TeamSpec {
    title: "GTM",
    namespace: namespaces::GTM,
    task_queue: task_queues::GTM_COORDINATOR,
    endpoint: endpoints::GTM_COORDINATOR,
    services: &[
        ServiceSpec {
            name: services::GTM_COORDINATOR_V1,
            operations: &[RUN_COORDINATOR.name],
            callers: &[namespaces::MARKETING, namespaces::CUSTOMER_SUCCESS],
        },
        ServiceSpec {
            name: services::GTM_ACCOUNTS_V1,
            operations: &[GET_ACCOUNT_SNAPSHOT.name],
            callers: &[namespaces::MARKETING, namespaces::CUSTOMER_SUCCESS],
        },
    ],
    worker: "gtm-worker",
    env_prefix: "GTM",
    metrics_port: 9101,
    default_database_url: "sqlite:.data/gtm.db",
};

/// Marketing: ABM programs and campaign launches.
pub const MARKETING: TeamSpec = TeamSpec {
    title: "Marketing",
    namespace: namespaces::MARKETING,
    task_queue: task_queues::MARKETING_ABM,
    endpoint: endpoints::MARKETING_ABM,
    services: &[ServiceSpec {
        name: services::MARKETING_ABM_V1,
        operations: &[CHECK_ABM_PROGRAM.name],
        callers: &[namespaces::GTM, namespaces::CUSTOMER_SUCCESS],
    }],
    worker: "marketing-worker",
    env_prefix: "MARKETING",
    metrics_port: 9102,
    default_database_url: "sqlite:.data/marketing.db",
};

/// Customer Success: account health and its monitors.
pub const CUSTOMER_SUCCESS: TeamSpec = TeamSpec {
    title: "Customer Success",
    namespace: namespaces::CUSTOMER_SUCCESS,
    task_queue: task_queues::CS_HEALTH,
    endpoint: endpoints::CS_HEALTH,
    services: &[ServiceSpec {
        name: services::CS_HEALTH_V1,
        operations: &[GET_ACCOUNT_HEALTH.name, CHECK_NOW.name],
        callers: &[namespaces::GTM, namespaces::MARKETING],
    }],
    worker: "customer-success-worker",
    env_prefix: "CS",
    metrics_port: 9104,
    default_database_url: "sqlite:.data/customer-success.db",
};

/// Every team, in the order the stack starts them.
pub const TEAMS: &[TeamSpec] = &[MARKETING, GTM, CUSTOMER_SUCCESS];

/// The team whose namespace is `namespace`.
pub fn team(namespace: &str) -> Option<&'static TeamSpec> {
    TEAMS.iter().find(|team| team.namespace == namespace)
}

/// Every team's namespace, as a dev server creates them.
pub fn namespaces() -> Vec<&'static str> {
    TEAMS.iter().map(|team| team.namespace).collect()
}

/// Every team's endpoint, as the dev server set-up creates them.
pub fn endpoint_specs() -> Vec<EndpointSpec> {
    TEAMS.iter().map(TeamSpec::endpoint_spec).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_two_teams_share_a_name_a_port_a_variable_or_a_service() {
        type Field = fn(&TeamSpec) -> String;
        let fields: [(&str, Field); 8] = [
            ("title", |team| team.title.to_owned()),
            ("namespace", |team| team.namespace.to_owned()),
            ("task queue", |team| team.task_queue.to_owned()),
            ("endpoint", |team| team.endpoint.to_owned()),
            ("worker", |team| team.worker.to_owned()),
            ("variable prefix", |team| team.env_prefix.to_owned()),
            ("metrics port", |team| team.metrics_port.to_string()),
            ("database", |team| team.default_database_url.to_owned()),
        ];
        for (field, value) in fields {
            let mut seen = std::collections::HashSet::new();
            for team in TEAMS {
                assert!(
                    seen.insert(value(team)),
                    "two teams have {field} {}",
                    value(team)
                );
            }
        }
        let mut services = std::collections::HashSet::new();
        for service in TEAMS.iter().flat_map(|team| team.services) {
            assert!(
                services.insert(service.name),
                "{} is served twice",
                service.name
            );
        }
    }

    #[test]
    fn every_caller_is_a_team_and_no_team_calls_itself() {
        for team in TEAMS {
            for caller in team.callers() {
                assert!(super::team(caller).is_some(), "{caller} is no team");
                assert_ne!(caller, team.namespace, "{} calls itself", team.title);
            }
        }
    }

    #[test]
    fn the_spec_s_allowed_callers() {
        // SPEC: `cs.health.v1`: gtm, marketing; `gtm.*`: marketing, customer-success;
        // `marketing.abm.v1`: gtm, customer-success.
        assert_eq!(CUSTOMER_SUCCESS.callers(), ["gtm", "marketing"]);
        assert_eq!(GTM.callers(), ["marketing", "customer-success"]);
        assert_eq!(MARKETING.callers(), ["gtm", "customer-success"]);
    }

    #[test]
    fn an_endpoint_says_who_calls_it_and_what_it_serves() {
        assert_eq!(
            GTM.endpoint_spec().description,
            "Marketing, Customer Success -> GTM: gtm.coordinator.v1 (runCoordinator), gtm.accounts.v1 (getAccountSnapshot)"
        );
        assert_eq!(
            CUSTOMER_SUCCESS.endpoint_spec().description,
            "GTM, Marketing -> Customer Success: cs.health.v1 (getAccountHealth, checkNow)"
        );
    }
}
