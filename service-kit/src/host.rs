//! One worker process for one team: what every team's worker shares, configured once.
//!
//! A team's worker serves one task queue in its namespace with two workers on one
//! connection: the SDK's worker for its workflows and activities, and a
//! [`NexusWorker`] for its Nexus services (the SDK's worker does not take Nexus
//! tasks). Around them: `/metrics`, the SDK runtime, and one graceful shutdown that
//! stops both, and stops the other when either fails.
//!
//! A team writes only its own choices:
//!
//! ```ignore
//! let mut host = WorkerHost::connect(config.host).await?;
//! host.worker()
//!     .register_workflow_with_factory(move || CampaignLaunch::new(settings.clone()))?
//!     .register_activities(LaunchActivities::new(store.clone()));
//! host.serve_nexus(nexus::services(store));
//! host.run(shutdown).await
//! ```

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use nexus_handler::{CallerPolicy, NexusServices, NexusWorker, NexusWorkerOptions};
use temporalio_client::{Client, ClientOptions, Connection};
use temporalio_common::telemetry::TelemetryOptions;
use temporalio_common::telemetry::metrics::CoreMeter;
use temporalio_sdk::runtime::RuntimeOptions;
use temporalio_sdk::{Runtime, Worker, WorkerOptions};

use shared_contracts::teams::TeamSpec;

use crate::{Shutdown, TemporalSettings, env};

/// The settings every team's worker has, read from `<PREFIX>_*` variables.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// The binary's name (identity, metrics label, logs).
    pub service: &'static str,
    /// Temporal connection and namespace (`TEMPORAL_*`, profiles).
    pub temporal: TemporalSettings,
    /// Task queue of both of the team's workers, SDK and Nexus (`<PREFIX>_TASK_QUEUE`).
    pub task_queue: String,
    /// The team's database (`<PREFIX>_DATABASE_URL`, the table's SQLite file under
    /// `.data/` by default): an `sqlite:` path or a `postgres://` URL.
    pub database_url: String,
    /// Namespaces whose workflows may call this team's Nexus services
    /// (`<PREFIX>_ALLOWED_CALLER_NAMESPACES`, comma-separated).
    pub allowed_caller_namespaces: Vec<String>,
    /// A service's own allowlist, in place of the worker's (the table's, and those
    /// set in the environment), keyed by the service's variable suffix (`<PREFIX>_ALLOWED_CALLER_NAMESPACES_GTM_ACCOUNTS_V1` for
    /// `gtm.accounts.v1`; see [`service_variable_suffix`]).
    pub service_caller_namespaces: Vec<(String, Vec<String>)>,
    /// Serve Nexus requests that carry no caller namespace
    /// (`<PREFIX>_ALLOW_UNIDENTIFIED_CALLERS`, default `false`).
    pub allow_unidentified_callers: bool,
    /// Nexus handlers running at once (`<PREFIX>_MAX_CONCURRENT_NEXUS_TASKS`, default 32).
    pub max_concurrent_nexus_tasks: usize,
    /// Where `/metrics` is served (`<PREFIX>_METRICS_BIND`; `off` for none).
    pub metrics_bind: Option<SocketAddr>,
}

impl HostConfig {
    /// Reads the team's settings from the environment, the team table's defaults
    /// where unset. Callers: the table's, per service, unless
    /// `<PREFIX>_ALLOWED_CALLER_NAMESPACES` sets one allowlist for all of the worker's
    /// services; `<PREFIX>_ALLOWED_CALLER_NAMESPACES_<SERVICE>` sets one service's.
    pub fn from_env(team: &'static TeamSpec) -> anyhow::Result<Self> {
        let var = |name: &str| team.var(name);
        let worker_wide = env::var_opt(&var("ALLOWED_CALLER_NAMESPACES"));
        let mut service_caller_namespaces = match worker_wide {
            Some(_) => Vec::new(),
            None => table_callers(team),
        };
        for (suffix, value) in env::with_prefix(&var("ALLOWED_CALLER_NAMESPACES_")) {
            service_caller_namespaces.retain(|(known, _)| *known != suffix);
            service_caller_namespaces.push((suffix, env::split_list(&value)));
        }
        Ok(Self {
            service: team.worker,
            temporal: TemporalSettings::from_env(team.namespace, team.worker)?,
            task_queue: env::var_or(&var("TASK_QUEUE"), team.task_queue),
            database_url: env::var_or(&team.database_url_var(), team.default_database_url),
            allowed_caller_namespaces: match worker_wide {
                Some(list) => env::split_list(&list),
                None => owned(&team.callers()),
            },
            service_caller_namespaces,
            allow_unidentified_callers: env::bool_or(&var("ALLOW_UNIDENTIFIED_CALLERS"), false)?,
            max_concurrent_nexus_tasks: env::parse_or(
                &var("MAX_CONCURRENT_NEXUS_TASKS"),
                32,
                "a positive number",
            )?,
            metrics_bind: crate::telemetry::metrics_bind(
                &var("METRICS_BIND"),
                &format!("127.0.0.1:{}", team.metrics_port),
            )?,
        })
    }

    /// `team`'s defaults against a server at `address` (`host:port`) and the
    /// database at `database_url`, without metrics: for tests.
    pub fn local(
        team: &'static TeamSpec,
        address: &str,
        database_url: &str,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            service: team.worker,
            temporal: TemporalSettings::local(address, team.namespace, team.worker)?,
            task_queue: team.task_queue.to_owned(),
            database_url: database_url.to_owned(),
            allowed_caller_namespaces: owned(&team.callers()),
            service_caller_namespaces: table_callers(team),
            allow_unidentified_callers: false,
            max_concurrent_nexus_tasks: 32,
            metrics_bind: None,
        })
    }

    /// The Nexus worker shares the SDK worker's namespace, task queue and identity.
    /// Its caller policy admits the worker's allowlist, or a service's own where one is
    /// set; one set for a service the worker does not serve is an error that names it.
    fn nexus_options(
        &self,
        services: &NexusServices,
        metrics: Option<Arc<dyn CoreMeter>>,
    ) -> anyhow::Result<NexusWorkerOptions> {
        let mut policy = CallerPolicy::allow_namespaces(self.allowed_caller_namespaces.clone())
            .with_unidentified_callers(self.allow_unidentified_callers);
        let served = services.services();
        for (suffix, namespaces) in &self.service_caller_namespaces {
            let Some(service) = served
                .iter()
                .find(|service| service_variable_suffix(service) == *suffix)
            else {
                let known: Vec<String> = served
                    .iter()
                    .map(|service| format!("{service} (…_{})", service_variable_suffix(service)))
                    .collect();
                anyhow::bail!(
                    "…_ALLOWED_CALLER_NAMESPACES_{suffix} is set, but {} serves no service named so; it serves {}",
                    self.service,
                    known.join(", ")
                );
            };
            policy = policy.for_service(service.clone(), namespaces.clone());
        }
        let mut options = NexusWorkerOptions::new(
            self.temporal.namespace.clone(),
            self.task_queue.clone(),
            policy,
            self.temporal.connection.identity.clone(),
        );
        options.max_concurrent_tasks = self.max_concurrent_nexus_tasks;
        options.metrics = metrics;
        Ok(options)
    }
}

/// The caller policy the team table gives `team`'s worker: each service admits the
/// callers stated next to it (what a worker runs with when its environment sets no
/// allowlist).
pub fn caller_policy(team: &TeamSpec) -> CallerPolicy {
    team.services.iter().fold(
        CallerPolicy::allow_namespaces(team.callers()),
        |policy, service| policy.for_service(service.name, service.callers.iter().copied()),
    )
}

/// Each of the team's services with the callers the table gives it, keyed as
/// [`HostConfig::service_caller_namespaces`] is.
fn table_callers(team: &TeamSpec) -> Vec<(String, Vec<String>)> {
    team.services
        .iter()
        .map(|service| {
            (
                service_variable_suffix(service.name),
                owned(service.callers),
            )
        })
        .collect()
}

fn owned(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

/// How a service is named in a variable: upper case, every character that is not a
/// letter or a digit an underscore (`gtm.accounts.v1` → `GTM_ACCOUNTS_V1`).
pub fn service_variable_suffix(service: &str) -> String {
    service
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// A team's worker process, connected and serving metrics, waiting for its
/// registrations: [`WorkerHost::worker`] for workflows and activities,
/// [`WorkerHost::serve_nexus`] for Nexus services. [`WorkerHost::run`] runs it.
pub struct WorkerHost {
    config: HostConfig,
    meter: Option<Arc<dyn CoreMeter>>,
    connection: Connection,
    worker: WorkerOptions,
    nexus: Option<NexusServices>,
}

impl WorkerHost {
    /// Serves `/metrics` (when configured) and connects to Temporal. Must be called
    /// inside a Tokio runtime.
    pub async fn connect(config: HostConfig) -> anyhow::Result<Self> {
        let metrics = crate::telemetry::start_metrics(config.service, config.metrics_bind)?;
        let connection = config.temporal.connect().await?;
        let worker = WorkerOptions::new(config.task_queue.clone()).build();
        Ok(Self {
            meter: metrics.map(|metrics| metrics.meter),
            connection,
            worker,
            nexus: None,
            config,
        })
    }

    /// Where the team's own instruments go (`None` when metrics are off).
    pub fn meter(&self) -> Option<Arc<dyn CoreMeter>> {
        self.meter.clone()
    }

    /// The SDK worker's options: register the team's workflows and activities here.
    pub fn worker(&mut self) -> &mut WorkerOptions {
        &mut self.worker
    }

    /// Serves `services` on the task queue, beside the SDK worker.
    pub fn serve_nexus(&mut self, services: NexusServices) -> &mut Self {
        self.nexus = Some(services);
        self
    }

    /// Runs until `shutdown` resolves, then lets in-flight tasks finish. When either
    /// worker stops on an error, the other is stopped too, and the first error is
    /// returned.
    ///
    /// The SDK worker's future is not `Send` (workflow code runs on a local task
    /// set), so `run` is awaited on the caller's task, never spawned. The Nexus worker
    /// runs on a task of its own.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Self {
            config,
            meter,
            connection,
            worker,
            nexus,
        } = self;
        let service = config.service;
        let nexus = match nexus {
            Some(services) => {
                let options = config.nexus_options(&services, meter.clone())?;
                Some(NexusWorker::new(connection.clone(), options, services).await?)
            }
            None => None,
        };
        let telemetry = TelemetryOptions::builder().maybe_metrics(meter).build();
        let runtime_options = RuntimeOptions::builder()
            .telemetry_options(telemetry)
            .build()
            .map_err(anyhow::Error::msg)?;
        let runtime =
            Runtime::from_current_tokio(runtime_options).context("creating the SDK runtime")?;
        let client = Client::new(
            connection,
            // Temporal's OpenTelemetry plugin: spans for the run and its activities,
            // continued from the starter's `_tracer-data` header.
            ClientOptions::new(config.temporal.namespace.clone())
                .plugin(crate::trace::temporal_plugin())
                .build(),
        )
        .context("creating the Temporal client")?;
        let mut worker = Worker::new(&runtime, client, worker)
            .with_context(|| format!("creating {service}'s SDK worker"))?;

        let shutdown = Shutdown::on(shutdown);
        let nexus = nexus.map(|nexus| {
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                let result = nexus.run(shutdown.triggered()).await;
                shutdown.trigger();
                result
            })
        });
        let stop_workflows = worker.shutdown_handle();
        let stopper = tokio::spawn({
            let triggered = shutdown.triggered();
            async move {
                triggered.await;
                stop_workflows();
            }
        });
        tracing::info!(
            namespace = %config.temporal.namespace,
            task_queue = %config.task_queue,
            "{service} polling"
        );
        let workflows = worker
            .run()
            .await
            .with_context(|| format!("running {service}'s SDK worker"));
        stopper.abort();
        // The SDK worker may have stopped on its own (an error): stop the Nexus one.
        shutdown.trigger();
        let nexus = match nexus {
            Some(task) => task
                .await
                .context("the Nexus worker's task panicked")
                .and_then(|result| {
                    result.with_context(|| format!("running {service}'s Nexus worker"))
                }),
            None => Ok(()),
        };
        tracing::info!("{service} stopped");
        crate::first_error(workflows, nexus)
    }
}

#[cfg(test)]
mod tests {
    use nexus_handler::{HandlerError, Operation};
    use shared_contracts::teams::GTM;

    use super::*;

    fn services() -> NexusServices {
        let answer = |_, text: String| async move { Ok::<_, HandlerError>(text) };
        NexusServices::new()
            .sync(
                Operation::<String, String>::new("gtm.accounts.v1", "get"),
                answer,
            )
            .sync(
                Operation::<String, String>::new("gtm.coordinator.v1", "run"),
                answer,
            )
    }

    #[test]
    fn a_service_is_named_in_a_variable_in_upper_case_with_underscores() {
        assert_eq!(
            service_variable_suffix("gtm.accounts.v1"),
            "GTM_ACCOUNTS_V1"
        );
        assert_eq!(service_variable_suffix("cs-health.v2"), "CS_HEALTH_V2");
    }

    #[test]
    fn each_service_admits_the_callers_the_team_table_gives_it() {
        let config = HostConfig::local(&GTM, "127.0.0.1:7233", "sqlite::memory:").unwrap();
        let options = config.nexus_options(&services(), None).unwrap();
        for service in GTM.services {
            assert_eq!(
                options.caller_policy.allowed_namespaces(service.name),
                service.callers,
                "{}",
                service.name
            );
        }
    }

    #[test]
    fn a_service_can_have_its_own_allowlist_and_the_others_keep_theirs() {
        let mut config = HostConfig::local(&GTM, "127.0.0.1:7233", "sqlite::memory:").unwrap();
        config
            .service_caller_namespaces
            .retain(|(suffix, _)| suffix != "GTM_ACCOUNTS_V1");
        config.service_caller_namespaces.push((
            "GTM_ACCOUNTS_V1".to_owned(),
            vec!["customer-success".to_owned()],
        ));
        let options = config.nexus_options(&services(), None).unwrap();
        let policy = &options.caller_policy;
        assert_eq!(
            policy.allowed_namespaces("gtm.accounts.v1"),
            ["customer-success"]
        );
        assert_eq!(
            policy.allowed_namespaces("gtm.coordinator.v1"),
            ["marketing", "customer-success"]
        );
    }

    #[test]
    fn an_allowlist_for_a_service_the_worker_does_not_serve_is_an_error_naming_it() {
        let mut config = HostConfig::local(&GTM, "127.0.0.1:7233", "sqlite::memory:").unwrap();
        config
            .service_caller_namespaces
            .push(("GTM_ACOUNTS_V1".to_owned(), vec!["gtm".to_owned()]));
        let err = config
            .nexus_options(&services(), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("_ALLOWED_CALLER_NAMESPACES_GTM_ACOUNTS_V1"),
            "{err}"
        );
        assert!(err.contains("gtm.accounts.v1 (…_GTM_ACCOUNTS_V1)"), "{err}");
    }
}
