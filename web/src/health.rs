//! The Health page: Customer Success's account health monitors, each with its band,
//! the three teams' views and its last check, and a form to start and stop
//! monitoring an account.
//!
//! The running monitors come from visibility in namespace `customer-success`; what
//! each last saw comes from the Customer Success database (the snapshot every check
//! stores), so the page makes no call per monitor and needs no worker to render.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use shared_contracts::AccountId;
use shared_contracts::monitor::{HealthSnapshot, TeamView};
use shared_contracts::summary::usd_short;

use crate::AppState;
use crate::csrf;
use crate::error::AppError;
use crate::gtm_db::AccountSummary;
use crate::views::when;

/// `GET /health`.
#[derive(Template)]
#[template(path = "health.html")]
struct HealthPage {
    nav: &'static str,
    temporal_down: bool,
    csrf_token: String,
    /// Accounts not monitored yet, for the start form.
    unmonitored: Vec<AccountSummary>,
    monitors: Vec<MonitorRow>,
}

/// One monitor, ready to show.
pub struct MonitorRow {
    /// The account watched.
    pub account: String,
    /// Its name, when GTM has it.
    pub name: String,
    /// `healthy`, `watch`, `at-risk` or `unknown` (the CSS class).
    pub band: &'static str,
    /// The cross-team score, or a dash.
    pub score: String,
    /// Customer Success's own view, in one line.
    pub customer_success: String,
    /// Marketing's view, in one line.
    pub marketing: String,
    /// GTM's view, in one line.
    pub gtm: String,
    /// The check's drivers.
    pub drivers: Vec<String>,
    /// Teams that did not answer, in words; empty when the snapshot is whole.
    pub missing: String,
    /// When the last check ran, and which one it was.
    pub checked: String,
    /// The monitor's history in the Temporal Web UI.
    pub history_href: String,
}

impl MonitorRow {
    fn new(
        account: &str,
        name: Option<&str>,
        snapshot: Option<&HealthSnapshot>,
        history_href: String,
    ) -> Self {
        let line =
            |available: Option<String>, view_missing: Option<&str>| match (available, view_missing)
            {
                (Some(text), _) => text,
                (None, Some(why)) => format!("unavailable: {why}"),
                (None, None) => "—".to_owned(),
            };
        let Some(snapshot) = snapshot else {
            return Self {
                account: account.to_owned(),
                name: name.unwrap_or(account).to_owned(),
                band: "unknown",
                score: "—".to_owned(),
                customer_success: "—".to_owned(),
                marketing: "—".to_owned(),
                gtm: "—".to_owned(),
                drivers: Vec::new(),
                missing: String::new(),
                checked: "not checked yet".to_owned(),
                history_href,
            };
        };
        Self {
            account: account.to_owned(),
            name: name.unwrap_or(account).to_owned(),
            band: snapshot.band.map_or("unknown", |band| band.as_str()),
            score: snapshot
                .score
                .map_or_else(|| "—".to_owned(), |score| score.to_string()),
            customer_success: line(
                snapshot.customer_success.available().map(|cs| {
                    format!(
                        "{} ({}) · {} open ticket{} · NPS {} · usage {} · renewal {}",
                        cs.health_score,
                        cs.band,
                        cs.open_tickets,
                        if cs.open_tickets == 1 { "" } else { "s" },
                        cs.nps.map_or_else(|| "—".to_owned(), |nps| nps.to_string()),
                        cs.usage_trend.as_str(),
                        cs.renewal_in_days.map_or_else(
                            || "none on record".to_owned(),
                            |d| format!("in {d} days")
                        ),
                    )
                }),
                unavailable(&snapshot.customer_success),
            ),
            marketing: line(
                snapshot
                    .marketing
                    .available()
                    .map(|abm| match &abm.program_name {
                        Some(program) => format!(
                            "{} ABM program {program} · {} touches left",
                            abm.status.as_str(),
                            abm.touches_remaining
                        ),
                        None => "in no ABM program".to_owned(),
                    }),
                unavailable(&snapshot.marketing),
            ),
            gtm: line(
                snapshot.gtm.available().map(|gtm| {
                    let pipeline = match gtm.open_pipeline.open_count {
                        0 => "no open pipeline".to_owned(),
                        1 => format!(
                            "1 open opportunity, {}",
                            usd_short(gtm.open_pipeline.total_amount_usd)
                        ),
                        n => format!(
                            "{n} open opportunities, {}",
                            usd_short(gtm.open_pipeline.total_amount_usd)
                        ),
                    };
                    match &gtm.latest_brief {
                        Some(brief) => format!(
                            "{pipeline} · last brief {}",
                            brief.completed_at.format("%Y-%m-%d")
                        ),
                        None => format!("{pipeline} · no brief yet"),
                    }
                }),
                unavailable(&snapshot.gtm),
            ),
            drivers: snapshot.drivers.clone(),
            missing: snapshot.missing.join(", "),
            checked: format!(
                "{} (check {})",
                when(Some(snapshot.checked_at)),
                snapshot.cycle
            ),
            history_href,
        }
    }
}

fn unavailable<T>(view: &TeamView<T>) -> Option<&str> {
    match view {
        TeamView::Available(_) => None,
        TeamView::Unavailable { unavailable } => Some(unavailable),
    }
}

/// The running monitors with their last snapshots, and the start form.
pub async fn health(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let accounts = state.gtm.accounts().await?;
    let names: HashMap<&str, &str> = accounts
        .iter()
        .map(|a| (a.id.as_str(), a.name.as_str()))
        .collect();
    let snapshots = state.cs.latest_snapshots().await?;
    let (monitored, temporal_down) = match state.temporal.list_monitors().await {
        Ok(monitors) => (monitors, false),
        Err(err) => {
            tracing::warn!(error = %err, "listing health monitors");
            (Vec::new(), true)
        }
    };
    let monitors: Vec<MonitorRow> = monitored
        .iter()
        .filter_map(|monitor| {
            let account = monitor.workflow_id.strip_prefix("health-")?;
            let snapshot = snapshots.iter().find(|s| s.account_id.as_str() == account);
            let href = state
                .links
                .workflow(state.temporal.cs_namespace(), &monitor.workflow_id);
            Some(MonitorRow::new(
                account,
                names.get(account).copied(),
                snapshot,
                href,
            ))
        })
        .collect();
    let unmonitored = accounts
        .into_iter()
        .filter(|a| !monitors.iter().any(|m| m.account == a.id))
        .collect();
    let (csrf_token, cookie) = csrf::token_for(&headers);
    let page = HealthPage {
        nav: "health",
        temporal_down,
        csrf_token,
        unmonitored,
        monitors,
    };
    let mut response = Html(page.render()?).into_response();
    csrf::set_cookie(response.headers_mut(), cookie);
    Ok(response)
}

/// The start and stop forms' fields.
#[derive(Debug, Deserialize)]
pub struct MonitorForm {
    /// The double-submitted CSRF token; empty when missing, which the check refuses.
    #[serde(default)]
    pub csrf_token: String,
    /// The account to start monitoring (the start form only).
    #[serde(default)]
    pub account_id: String,
}

/// `POST /health`: starts monitoring the chosen account.
pub async fn start(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<MonitorForm>, FormRejection>,
) -> Result<Response, AppError> {
    let Form(form) = form?;
    if !csrf::verify(&headers, &form.csrf_token) {
        return Err(AppError::Forbidden);
    }
    let account = seeded_account(&state, &form.account_id).await?;
    state.temporal.start_monitor(&account).await?;
    Ok(Redirect::to("/health").into_response())
}

/// `POST /health/{accountId}/stop`: stops monitoring the account.
pub async fn stop(
    State(state): State<AppState>,
    account_id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    form: Result<Form<MonitorForm>, FormRejection>,
) -> Result<Response, AppError> {
    let Form(form) = form?;
    if !csrf::verify(&headers, &form.csrf_token) {
        return Err(AppError::Forbidden);
    }
    let Path(account_id) = account_id?;
    let account = AccountId::parse(&account_id)
        .map_err(|err| AppError::bad_field("accountId", err.to_string()))?;
    if !state.temporal.stop_monitor(&account).await? {
        return Err(AppError::NotFound(format!(
            "No health monitor is running for {account}."
        )));
    }
    Ok(Redirect::to("/health").into_response())
}

async fn seeded_account(state: &AppState, value: &str) -> Result<AccountId, AppError> {
    let account = AccountId::parse(value)
        .map_err(|err| AppError::bad_field("account_id", err.to_string()))?;
    if !state.gtm.account_exists(account.as_str()).await? {
        return Err(AppError::bad_field(
            "account_id",
            format!("account_id \"{account}\" is not a seeded account"),
        ));
    }
    Ok(account)
}
