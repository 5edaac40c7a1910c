//! `AccountHealthMonitor`: one long-running workflow per watched account
//! (`health-<accountId>`), checking the account's health across the three teams.
//!
//! Every interval (a day by default), and whenever a `checkNow` update asks, a check:
//!
//! 1. reads three views at once: Customer Success's own (the `account_health` local
//!    activity over this team's database), Marketing's (`marketing.abm.v1/
//!    checkAbmProgram` through the `marketing-abm` endpoint) and GTM's
//!    (`gtm.accounts.v1/getAccountSnapshot` through the `gtm-coordinator` endpoint);
//! 2. folds them into one snapshot ([`crate::rules::cross_team`]), kept in the
//!    workflow's state (the `health` query) and stored in the database (the
//!    `record_snapshot` local activity);
//! 3. when the band has just fallen to `at-risk`, asks GTM for a fresh coordinator
//!    brief through the asynchronous `gtm.coordinator.v1/runCoordinator`
//!    (`requestedBy: "customer-success"`) and records its recommendation. Only a fall
//!    into `at-risk` does ([`crate::rules::escalates`]): an account that stays at risk
//!    is not briefed again every cycle.
//!
//! A team that does not answer makes a degraded snapshot that names the missing view
//! (`missing`), never a failed monitor. The `pause` and `resume` signals stop and
//! restart the interval checks (`checkNow` still checks while paused).
//!
//! # Bounded history
//!
//! A check adds about a dozen events. After `cyclesPerRun` checks (50 by default) the
//! monitor continues as new, handing its state (check count, paused, latest
//! snapshot, band, recent escalations) to the next run in its input (`carried`), so a
//! monitor can run for years. It first lets any `checkNow` in flight finish.
//!
//! # `checkNow`
//!
//! The update takes a ticket and waits until a check that started after it has
//! finished; the main loop runs that check at once. Several updates that arrive
//! during one check are all answered by the next.

// The SDK macros add undocumented marker consts (`AccountHealthMonitor::run`, ...).
#![allow(missing_docs)]

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use nexus_handler::WorkflowRunToken;
use nexus_handler::{NexusCall, NexusCallError};
use service_kit::failure::activity_message;
use shared_contracts::abm::{AbmCheckRequest, AbmCheckResponse};
use shared_contracts::accounts::{AccountSnapshot, AccountSnapshotRequest};
use shared_contracts::coordinator::RunCoordinatorRequest;
use shared_contracts::health::{AccountHealth, HealthBand};
use shared_contracts::monitor::{
    ESCALATIONS_KEPT, Escalation, HealthSnapshot, MonitorCarry, MonitorInput, MonitorStatus,
    TeamView,
};
use shared_contracts::operation::{CHECK_ABM_PROGRAM, GET_ACCOUNT_SNAPSHOT, RUN_COORDINATOR};
use shared_contracts::{AccountId, codec};
use temporalio_common::RetryPolicy;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ApplicationFailure, ContinueAsNewOptions, LocalActivityOptions, SyncWorkflowContext,
    WorkflowContext, WorkflowContextView, WorkflowResult, WorkflowTermination,
};

use crate::activities::HealthActivities;
use crate::rules;

/// Who the coordinator runs the monitor asks for say they came from.
pub const REQUESTED_BY: &str = "customer-success";

/// The team names a snapshot's `missing` lists.
pub mod teams {
    /// Customer Success's own view.
    pub const CUSTOMER_SUCCESS: &str = "customer-success";
    /// Marketing's view.
    pub const MARKETING: &str = "marketing";
    /// GTM's view.
    pub const GTM: &str = "gtm";
}

/// Worker-level settings the workflow reads (through its factory, not its input).
#[derive(Debug, Clone)]
pub struct MonitorSettings {
    /// Nexus endpoint of Marketing's ABM service.
    pub marketing_endpoint: String,
    /// Nexus endpoint of GTM's services.
    pub gtm_endpoint: String,
    /// How long a check waits for each other team's view.
    pub view_timeout: Duration,
    /// How long an escalation waits for GTM's coordinator brief.
    pub coordinator_timeout: Duration,
}

/// The monitor of one account. Registered with a factory that hands it the worker's
/// [`MonitorSettings`].
#[workflow]
pub struct AccountHealthMonitor {
    settings: MonitorSettings,
    /// `None` only until the run has read its input, before its first task completes.
    status: Option<MonitorStatus>,
    /// `checkNow` tickets handed out, and the last one a finished check answered.
    checks_requested: u64,
    checks_done: u64,
    /// `checkNow` handlers that have not returned yet.
    updates_in_flight: u32,
}

impl AccountHealthMonitor {
    /// A monitor that has not read its input yet.
    pub fn new(settings: MonitorSettings) -> Self {
        Self {
            settings,
            status: None,
            checks_requested: 0,
            checks_done: 0,
            updates_in_flight: 0,
        }
    }

    fn paused(&self) -> bool {
        self.status.as_ref().is_some_and(|s| s.paused)
    }

    fn check_requested(&self) -> bool {
        self.checks_requested > self.checks_done
    }
}

#[workflow_methods(factory_only)]
impl AccountHealthMonitor {
    /// Watches the account until terminated, continuing as new every `cyclesPerRun`
    /// checks. The input is taken as raw JSON and validated here, so a malformed one
    /// fails the run with a message naming the field.
    #[run(name = "AccountHealthMonitor")]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        input: serde_json::Value,
    ) -> WorkflowResult<MonitorStatus> {
        monitor(ctx, input).await
    }

    /// The monitor's state and latest snapshot.
    #[query(name = "health")]
    pub fn health(&self, _ctx: &WorkflowContextView) -> Option<MonitorStatus> {
        self.status.clone()
    }

    /// Checks now, and answers with the new snapshot.
    #[update(name = "checkNow")]
    pub async fn check_now(
        ctx: &mut WorkflowContext<Self>,
    ) -> Result<HealthSnapshot, Box<dyn std::error::Error + Send + Sync>> {
        let ticket = ctx.state_mut(|s| {
            s.updates_in_flight += 1;
            s.checks_requested += 1;
            s.checks_requested
        });
        let waited = ctx.wait_condition(|s: &Self| s.checks_done >= ticket).await;
        let latest = ctx.state_mut(|s| {
            s.updates_in_flight -= 1;
            s.status.as_ref().and_then(|status| status.latest.clone())
        });
        if waited.is_err() {
            return Err("the monitor was canceled before the check".into());
        }
        latest.ok_or_else(|| "the check finished without a snapshot".into())
    }

    /// Stops the interval checks until `resume`.
    #[signal(name = "pause")]
    pub fn pause(&mut self, _ctx: &mut SyncWorkflowContext<Self>) {
        if let Some(status) = &mut self.status {
            status.paused = true;
        }
    }

    /// Restarts the interval checks; the next one is an interval away.
    #[signal(name = "resume")]
    pub fn resume(&mut self, _ctx: &mut SyncWorkflowContext<Self>) {
        if let Some(status) = &mut self.status {
            status.paused = false;
        }
    }
}

/// The monitor's loop: check, wait an interval (or for `checkNow`), check again, and
/// continue as new after `cyclesPerRun` checks.
async fn monitor(
    ctx: &mut WorkflowContext<AccountHealthMonitor>,
    input: serde_json::Value,
) -> WorkflowResult<MonitorStatus> {
    let input = decode_input(&input).map_err(ApplicationFailure::non_retryable)?;
    let interval = Duration::from_secs(input.interval_secs());
    let cycles_per_run = input.cycles_per_run();
    // A fresh monitor checks at once; a continued one just did, and waits.
    let mut check_due = input.carried.is_none();
    ctx.state_mut(|s| s.status = Some(initial_status(&input)));

    let mut cycles_this_run = 0;
    loop {
        if !check_due && wait_for_next_check(ctx, interval).await.is_err() {
            // Canceled (`temporal workflow cancel`): the monitor ends as canceled.
            return Err(WorkflowTermination::cancelled());
        }
        check_due = false;
        check(ctx).await;
        cycles_this_run += 1;

        if cycles_this_run >= cycles_per_run {
            // Let every `checkNow` answered so far return before this run ends; one
            // that arrives meanwhile gets its check in this run first.
            ctx.wait_condition(|s: &AccountHealthMonitor| {
                s.updates_in_flight == 0 || s.check_requested()
            })
            .await
            .map_err(|_| WorkflowTermination::cancelled())?;
            if ctx.state(|s| s.check_requested()) {
                check_due = true;
                continue;
            }
            let next = ctx.state(|s| next_input(&input, s.status.as_ref()));
            let next = serde_json::to_value(next).map_err(|err| {
                ApplicationFailure::non_retryable(format!("encoding the next run's input: {err}"))
            })?;
            ctx.continue_as_new(next, ContinueAsNewOptions::default())?;
        }
    }
}

/// The monitor was canceled while it waited.
struct Canceled;

/// Waits until the next check is due: `interval` has passed while not paused, or a
/// `checkNow` asked. An error when the monitor is canceled.
async fn wait_for_next_check(
    ctx: &mut WorkflowContext<AccountHealthMonitor>,
    interval: Duration,
) -> Result<(), Canceled> {
    loop {
        if ctx.cancellation_token().is_cancelled() {
            return Err(Canceled);
        }
        if ctx.state(|s| s.check_requested()) {
            return Ok(());
        }
        if ctx.state(|s| s.paused()) {
            ctx.wait_condition(|s: &AccountHealthMonitor| !s.paused() || s.check_requested())
                .await
                .map_err(|_| Canceled)?;
            continue;
        }
        let interrupted = temporalio_sdk::workflows::select! {
            _ = ctx.timer(interval) => false,
            _ = ctx.wait_condition(|s: &AccountHealthMonitor| s.check_requested() || s.paused()) => true,
        };
        if !interrupted {
            return Ok(());
        }
        // A `checkNow` returns at the top of the loop; a pause waits for `resume`; a
        // cancel ends the wait with an error there.
    }
}

/// One check: the three views, the snapshot, its record, and an escalation when the
/// band has just fallen to `at-risk`.
async fn check(ctx: &mut WorkflowContext<AccountHealthMonitor>) {
    let ctx: &WorkflowContext<AccountHealthMonitor> = ctx;
    // The tickets this check answers: those handed out before it started.
    let serving = ctx.state(|s| s.checks_requested);
    let Some((account_id, cycle, previous_band)) = ctx.state(|s| {
        s.status
            .as_ref()
            .map(|st| (st.account_id.clone(), st.cycles + 1, st.band))
    }) else {
        return;
    };
    let settings = ctx.state(|s| s.settings.clone());
    let checked_at = now(ctx);

    let (customer_success, marketing, gtm) = temporalio_sdk::workflows::join!(
        own_view(ctx, &account_id),
        abm_view(ctx, &settings, &account_id),
        gtm_view(ctx, &settings, &account_id),
    );
    let snapshot = snapshot(
        account_id,
        cycle,
        checked_at,
        customer_success,
        marketing,
        gtm,
    );
    // Stored with retries; if the database stays down the snapshot is still the
    // monitor's state, and the next check stores its own.
    let _ = ctx
        .execute_local_activity(
            HealthActivities::record_snapshot,
            snapshot.clone(),
            local_activity_options(),
        )
        .await;

    let escalate = rules::escalates(previous_band, snapshot.band);
    ctx.state_mut(|s| {
        if let Some(status) = &mut s.status {
            status.cycles = cycle;
            status.band = snapshot.band.or(status.band);
            status.latest = Some(snapshot.clone());
        }
        s.checks_done = s.checks_done.max(serving);
    });
    if escalate {
        ask_gtm_for_a_brief(ctx, &snapshot, previous_band).await;
    }
}

/// Customer Success's own view, from its database.
async fn own_view(
    ctx: &WorkflowContext<AccountHealthMonitor>,
    account_id: &AccountId,
) -> TeamView<AccountHealth> {
    let result = ctx
        .execute_local_activity(
            HealthActivities::account_health,
            account_id.clone(),
            local_activity_options(),
        )
        .await;
    match result {
        Ok(health) => TeamView::Available(health),
        Err(err) => TeamView::unavailable(format!(
            "Customer Success's records could not be read: {}",
            activity_message(&err)
        )),
    }
}

/// Marketing's view, over Nexus.
async fn abm_view(
    ctx: &WorkflowContext<AccountHealthMonitor>,
    settings: &MonitorSettings,
    account_id: &AccountId,
) -> TeamView<AbmCheckResponse> {
    let request = AbmCheckRequest {
        account_id: account_id.clone(),
    };
    let result = NexusCall::new(
        settings.marketing_endpoint.clone(),
        CHECK_ABM_PROGRAM,
        settings.view_timeout,
    )
    .call(ctx, &request)
    .await;
    view("Marketing", settings.view_timeout, result)
}

/// GTM's view, over Nexus.
async fn gtm_view(
    ctx: &WorkflowContext<AccountHealthMonitor>,
    settings: &MonitorSettings,
    account_id: &AccountId,
) -> TeamView<AccountSnapshot> {
    let request = AccountSnapshotRequest {
        account_id: account_id.clone(),
    };
    let result = NexusCall::new(
        settings.gtm_endpoint.clone(),
        GET_ACCOUNT_SNAPSHOT,
        settings.view_timeout,
    )
    .call(ctx, &request)
    .await;
    view("GTM", settings.view_timeout, result)
}

/// A Nexus answer as a view; any failure is the view's absence, in words.
fn view<T>(team: &str, timeout: Duration, result: Result<T, NexusCallError>) -> TeamView<T> {
    match result {
        Ok(answer) => TeamView::Available(answer),
        Err(NexusCallError::TimedOut { .. }) => TeamView::unavailable(format!(
            "{team} did not answer within {}s",
            timeout.as_secs()
        )),
        Err(err) => TeamView::unavailable(format!("{team} could not answer: {}", err.message())),
    }
}

/// The snapshot of one check from the three views.
fn snapshot(
    account_id: AccountId,
    cycle: u64,
    checked_at: DateTime<Utc>,
    customer_success: TeamView<AccountHealth>,
    marketing: TeamView<AbmCheckResponse>,
    gtm: TeamView<AccountSnapshot>,
) -> HealthSnapshot {
    let missing: Vec<String> = [
        (
            teams::CUSTOMER_SUCCESS,
            customer_success.available().is_none(),
        ),
        (teams::MARKETING, marketing.available().is_none()),
        (teams::GTM, gtm.available().is_none()),
    ]
    .into_iter()
    .filter(|(_, missing)| *missing)
    .map(|(team, _)| team.to_owned())
    .collect();
    let (score, band, drivers) = match customer_success.available() {
        Some(health) => {
            let (score, band, drivers) =
                rules::cross_team(health, gtm.available(), marketing.available());
            (Some(score), Some(band), drivers)
        }
        None => (None, None, Vec::new()),
    };
    HealthSnapshot {
        account_id,
        cycle,
        checked_at,
        score,
        band,
        customer_success,
        marketing,
        gtm,
        missing,
        drivers,
    }
}

/// Asks GTM for a fresh coordinator brief and records how that went.
async fn ask_gtm_for_a_brief(
    ctx: &WorkflowContext<AccountHealthMonitor>,
    snapshot: &HealthSnapshot,
    from_band: Option<HealthBand>,
) {
    let escalation = Escalation {
        cycle: snapshot.cycle,
        from_band,
        requested_at: now(ctx),
        coordinator_workflow_id: None,
        recommendation: None,
        error: None,
    };
    record_escalation(ctx, |escalations| {
        escalations.push(escalation);
        let excess = escalations.len().saturating_sub(ESCALATIONS_KEPT);
        escalations.drain(..excess);
    });
    let settings = ctx.state(|s| s.settings.clone());
    let request = RunCoordinatorRequest {
        account_id: snapshot.account_id.clone(),
        requested_by: Some(REQUESTED_BY.to_owned()),
    };
    let started = NexusCall::new(
        settings.gtm_endpoint,
        RUN_COORDINATOR,
        settings.coordinator_timeout,
    )
    .start(ctx, &request)
    .await;
    let started = match started {
        Ok(started) => started,
        Err(err) => {
            let error = format!("GTM could not start a coordinator: {}", err.message());
            record_escalation(ctx, |e| set_last(e, |last| last.error = Some(error)));
            return;
        }
    };
    // The token names the coordinator run: GTM's handler chose its workflow id.
    if let Some(token) = started
        .operation_token()
        .and_then(|t| WorkflowRunToken::decode(t).ok())
    {
        record_escalation(ctx, |e| {
            set_last(e, |last| {
                last.coordinator_workflow_id = Some(token.workflow_id)
            });
        });
    }
    let outcome = started.result().await;
    record_escalation(ctx, |e| {
        set_last(e, |last| match outcome {
            Ok(brief) => last.recommendation = Some(brief.recommendation),
            Err(NexusCallError::TimedOut { .. }) => {
                last.error = Some(format!(
                    "the coordinator did not finish within {}s",
                    settings.coordinator_timeout.as_secs()
                ));
            }
            Err(err) => last.error = Some(format!("the coordinator failed: {}", err.message())),
        });
    });
}

fn record_escalation(
    ctx: &WorkflowContext<AccountHealthMonitor>,
    change: impl FnOnce(&mut Vec<Escalation>),
) {
    ctx.state_mut(|s| {
        if let Some(status) = &mut s.status {
            change(&mut status.escalations);
        }
    });
}

fn set_last(escalations: &mut [Escalation], change: impl FnOnce(&mut Escalation)) {
    if let Some(last) = escalations.last_mut() {
        change(last);
    }
}

/// Decodes and validates the monitor's input; the message names the field at fault.
fn decode_input(input: &serde_json::Value) -> Result<MonitorInput, String> {
    let bytes = serde_json::to_vec(input).map_err(|err| err.to_string())?;
    let input: MonitorInput = codec::decode(&bytes).map_err(|err| err.to_string())?;
    input.validate()?;
    Ok(input)
}

/// The state a run starts from: fresh, or what the previous run carried over.
fn initial_status(input: &MonitorInput) -> MonitorStatus {
    let carried = input.carried.clone();
    MonitorStatus {
        account_id: input.account_id.clone(),
        paused: carried.as_ref().is_some_and(|c| c.paused),
        interval_secs: input.interval_secs(),
        cycles: carried.as_ref().map_or(0, |c| c.cycles),
        runs: carried.as_ref().map_or(1, |c| c.runs + 1),
        band: carried.as_ref().and_then(|c| c.band),
        latest: carried.as_ref().and_then(|c| c.latest.clone()),
        escalations: carried.map(|c| c.escalations).unwrap_or_default(),
    }
}

/// The next run's input: the same settings, and the state to carry over.
fn next_input(input: &MonitorInput, status: Option<&MonitorStatus>) -> MonitorInput {
    MonitorInput {
        carried: status.map(|status| MonitorCarry {
            cycles: status.cycles,
            runs: status.runs,
            paused: status.paused,
            band: status.band,
            latest: status.latest.clone(),
            escalations: status.escalations.clone(),
        }),
        ..input.clone()
    }
}

/// The monitor's own reads and writes: short, on this team's database, safe to
/// repeat; retried by the worker for up to a minute.
fn local_activity_options() -> LocalActivityOptions {
    LocalActivityOptions::builder()
        .start_to_close_timeout(Duration::from_secs(10))
        .schedule_to_close_timeout(Duration::from_secs(60))
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_millis(500))
                .backoff_coefficient(2.0)
                .maximum_interval(Duration::from_secs(10))
                .maximum_attempts(5)
                .build(),
        )
        .build()
}

fn now(ctx: &WorkflowContext<AccountHealthMonitor>) -> DateTime<Utc> {
    DateTime::<Utc>::from(ctx.workflow_time().unwrap_or(SystemTime::UNIX_EPOCH))
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_contracts::abm::AbmStatus;
    use shared_contracts::health::UsageTrend;

    fn id() -> AccountId {
        AccountId::parse("acme-corp").unwrap()
    }

    fn health(score: u8) -> AccountHealth {
        AccountHealth {
            account_id: id(),
            health_score: score,
            band: HealthBand::of_score(score),
            open_tickets: 0,
            nps: Some(50),
            usage_trend: UsageTrend::Flat,
            renewal_in_days: Some(200),
            drivers: vec!["NPS 50 from 2 responses".into()],
        }
    }

    #[test]
    fn input_errors_name_the_field() {
        let ok = decode_input(&serde_json::json!({"accountId": "acme-corp", "intervalSecs": 2}));
        assert_eq!(ok.unwrap().interval_secs(), 2);
        for (input, expected) in [
            (serde_json::json!({}), "missing field `accountId`"),
            (serde_json::json!({"accountId": "Acme!"}), "accountId"),
            (
                serde_json::json!({"accountId": "acme-corp", "intervalSecs": 0}),
                "intervalSecs",
            ),
        ] {
            let err = decode_input(&input).unwrap_err();
            assert!(err.contains(expected), "{input}: {err}");
        }
    }

    #[test]
    fn a_whole_snapshot_folds_the_three_views() {
        let abm = AbmCheckResponse::enrolled(
            id(),
            "Enterprise Expansion Q1".into(),
            AbmStatus::Active,
            3,
        );
        let snapshot = snapshot(
            id(),
            4,
            DateTime::<Utc>::from(SystemTime::UNIX_EPOCH),
            TeamView::Available(health(80)),
            TeamView::Available(abm),
            TeamView::unavailable("GTM did not answer within 10s"),
        );
        assert_eq!(snapshot.score, Some(85));
        assert_eq!(snapshot.band, Some(HealthBand::Healthy));
        assert_eq!(snapshot.missing, ["gtm"]);
        assert_eq!(snapshot.drivers.len(), 2);
    }

    #[test]
    fn without_customer_successs_own_view_there_is_no_band() {
        let snapshot = snapshot(
            id(),
            1,
            DateTime::<Utc>::from(SystemTime::UNIX_EPOCH),
            TeamView::unavailable("database down"),
            TeamView::unavailable("Marketing did not answer within 10s"),
            TeamView::unavailable("GTM did not answer within 10s"),
        );
        assert_eq!((snapshot.score, snapshot.band), (None, None));
        assert_eq!(snapshot.missing, ["customer-success", "marketing", "gtm"]);
    }

    #[test]
    fn continue_as_new_carries_the_state() {
        let input = MonitorInput {
            interval_secs: Some(5),
            ..MonitorInput::new(id())
        };
        let mut status = initial_status(&input);
        assert_eq!((status.runs, status.cycles, status.paused), (1, 0, false));
        status.cycles = 7;
        status.paused = true;
        status.band = Some(HealthBand::AtRisk);
        status.latest = Some(snapshot(
            id(),
            7,
            DateTime::<Utc>::from(SystemTime::UNIX_EPOCH),
            TeamView::Available(health(30)),
            TeamView::unavailable("down"),
            TeamView::Available(AccountSnapshot::unknown(id())),
        ));
        let next = next_input(&input, Some(&status));
        assert_eq!(next.interval_secs, Some(5));
        // What the next run reads: the input as JSON, decoded and validated.
        let decoded = decode_input(&serde_json::to_value(&next).unwrap()).unwrap();
        assert_eq!(decoded, next);
        let carried = initial_status(&next);
        assert_eq!((carried.runs, carried.cycles), (2, 7));
        assert!(carried.paused);
        assert_eq!(carried.band, Some(HealthBand::AtRisk));
    }
}
