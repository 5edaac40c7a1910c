use devkit::probe::{ProbeRequest, ProbeRun};
use devkit::team_stack::TeamStack;
use shared_contracts::names::namespaces;
use shared_contracts::operation::CHECK_ABM_PROGRAM;

/// A dev server with every endpoint, a seeded Marketing database, and the real
/// marketing-worker serving them ([`TeamStack`]).
pub struct MarketingStack(TeamStack<marketing_worker::Worker>);

impl std::ops::Deref for MarketingStack {
    type Target = TeamStack<marketing_worker::Worker>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for MarketingStack {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl MarketingStack {
    pub async fn start() -> Self {
        Self(TeamStack::start().await.unwrap())
    }

    /// Calls `checkAbmProgram` from a workflow in `caller_namespace`.
    pub async fn check_from(&self, caller_namespace: &str, input: serde_json::Value) -> ProbeRun {
        self.0
            .call(caller_namespace, CHECK_ABM_PROGRAM, input)
            .await
            .unwrap()
    }

    /// Calls `checkAbmProgram` from a workflow in `gtm`.
    pub async fn check(&self, input: serde_json::Value) -> ProbeRun {
        self.check_from(namespaces::GTM, input).await
    }

    pub async fn call(&self, caller_namespace: &str, request: ProbeRequest) -> ProbeRun {
        self.0.probe(caller_namespace, request).await.unwrap()
    }
}
