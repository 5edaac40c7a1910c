//! HTML pages: the runs list with the start form, a run's live timeline, accounts.

use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use serde::Deserialize;
use shared_contracts::AccountId;
use shared_contracts::coordinator::CoordinatorInput;

use crate::AppState;
use crate::csrf;
use crate::error::{AppError, shown};
use crate::gtm_db::{AccountSummary, AccountWithBrief};
use crate::temporal::{RunDetail, RunFilter, RunStatus, TemporalError};
use crate::views::{RunRow, RunView, SelectOption};

/// Runs per page of the list.
pub const PAGE_SIZE: i32 = 25;

/// Longest page token accepted, encoded. Temporal's tokens are a few hundred bytes; a
/// longer one was not handed out by this list, and is not passed on.
const PAGE_TOKEN_MAX_LEN: usize = 4096;

/// Query string of the runs list: `?status=running&account=acme-corp&page=<token>`.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    /// Status filter.
    pub status: Option<String>,
    /// Account filter.
    pub account: Option<String>,
    /// Opaque paging token from the previous page.
    pub page: Option<String>,
}

impl ListParams {
    /// The validated filter and page token; a bad value is a 400 naming the parameter.
    pub fn parse(&self) -> Result<(RunFilter, Option<Vec<u8>>), AppError> {
        let status = match self.status.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(value) => Some(RunStatus::parse(value).ok_or_else(|| {
                AppError::bad_field(
                    "status",
                    format!("status {} is not one of running, completed, failed, canceled, terminated, timed_out", shown(value)),
                )
            })?),
        };
        let account = match self.account.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(value) => Some(
                AccountId::parse(value)
                    .map_err(|err| AppError::bad_field("account", err.to_string()))?,
            ),
        };
        // A token that cannot be one Temporal handed out gets the answer Temporal's own
        // refusal of a token gets, without asking it.
        let page = match self.page.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(token) => Some(
                URL_SAFE_NO_PAD
                    .decode(token)
                    .ok()
                    .filter(|_| token.len() <= PAGE_TOKEN_MAX_LEN)
                    .ok_or(TemporalError::InvalidPageToken)?,
            ),
        };
        Ok((RunFilter { status, account }, page))
    }
}

/// `GET /`.
#[derive(Template)]
#[template(path = "runs.html")]
struct RunsPage {
    nav: &'static str,
    temporal_down: bool,
    csrf_token: String,
    accounts: Vec<AccountSummary>,
    rows: Vec<RunRow>,
    status_options: Vec<SelectOption>,
    account_options: Vec<SelectOption>,
    next_page_query: Option<String>,
    filtered: bool,
    /// How many steps a run has: the catalogue's length.
    step_count: usize,
}

const STATUS_OPTIONS: [(&str, &str); 6] = [
    ("running", "Running"),
    ("completed", "Completed"),
    ("failed", "Failed"),
    ("canceled", "Canceled"),
    ("terminated", "Terminated"),
    ("timed_out", "Timed out"),
];

/// The runs list, newest first, with filters, paging and the start form.
pub async fn runs(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let Query(params) = params?;
    let (filter, page_token) = params.parse()?;
    let accounts = state.gtm.accounts().await?;
    let (rows, next_page, temporal_down) = match state
        .temporal
        .list_runs(&filter, page_token, PAGE_SIZE)
        .await
    {
        Ok((runs, next)) => {
            let now = Utc::now();
            (
                runs.iter().map(|run| RunRow::new(run, now)).collect(),
                next.map(|token| URL_SAFE_NO_PAD.encode(token)),
                false,
            )
        }
        Err(TemporalError::InvalidPageToken) => return Err(TemporalError::InvalidPageToken.into()),
        Err(err) => {
            tracing::warn!(error = %err, "listing runs");
            (Vec::new(), None, true)
        }
    };
    let (csrf_token, cookie) = csrf::token_for(&headers);
    let status_filter = filter.status.map(|s| s.as_str()).unwrap_or_default();
    let account_filter = filter
        .account
        .as_ref()
        .map(|a| a.as_str())
        .unwrap_or_default();
    let status_options = STATUS_OPTIONS
        .iter()
        .map(|(value, label)| SelectOption {
            value: (*value).to_owned(),
            label: (*label).to_owned(),
            selected: *value == status_filter,
        })
        .collect();
    let account_options = accounts
        .iter()
        .map(|account| SelectOption {
            value: account.id.clone(),
            label: account.name.clone(),
            selected: account.id == account_filter,
        })
        .collect();
    // Paging keeps the filters: the token is only valid for the same query.
    let next_page_query = next_page
        .map(|token| format!("status={status_filter}&account={account_filter}&page={token}"));
    let page = RunsPage {
        nav: "runs",
        temporal_down,
        csrf_token,
        accounts,
        rows,
        status_options,
        account_options,
        next_page_query,
        filtered: filter.status.is_some() || filter.account.is_some(),
        step_count: shared_contracts::steps::STEPS.len(),
    };
    let mut response = Html(page.render()?).into_response();
    csrf::set_cookie(response.headers_mut(), cookie);
    Ok(response)
}

/// The start form's fields. Both default to empty, so that a form without a token is
/// refused by the CSRF check and one without an account by the account rule.
#[derive(Debug, Deserialize)]
pub struct StartForm {
    /// The double-submitted CSRF token.
    #[serde(default)]
    pub csrf_token: String,
    /// The account to brief.
    #[serde(default)]
    pub account_id: String,
}

/// `POST /runs`: starts a run from the form and shows it.
pub async fn start_run(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<StartForm>, FormRejection>,
) -> Result<Response, AppError> {
    let Form(form) = form?;
    if !csrf::verify(&headers, &form.csrf_token) {
        return Err(AppError::Forbidden);
    }
    let account = AccountId::parse(form.account_id.trim())
        .map_err(|err| AppError::bad_field("accountId", err.to_string()))?;
    if !state.gtm.account_exists(account.as_str()).await? {
        return Err(AppError::bad_field(
            "accountId",
            format!("accountId \"{account}\" is not a seeded account"),
        ));
    }
    let input = CoordinatorInput {
        account_id: account,
        requested_by: Some("dashboard".to_owned()),
    };
    let (workflow_id, _run_id) = state.temporal.start_run(&input).await?;
    Ok(Redirect::to(&format!("/runs/{workflow_id}")).into_response())
}

/// `GET /runs/{workflowId}`.
#[derive(Template)]
#[template(path = "run.html")]
struct RunPage {
    nav: &'static str,
    temporal_down: bool,
    run: RunView,
    ui_run_url: String,
    ui_marketing_url: String,
}

/// The run named in the path, or a 404 naming the id.
async fn find_run(
    state: &AppState,
    workflow_id: Result<Path<String>, PathRejection>,
) -> Result<RunDetail, AppError> {
    let Path(workflow_id) = workflow_id?;
    state.temporal.run(&workflow_id).await?.ok_or_else(|| {
        AppError::NotFound(format!(
            "No coordinator run with id {}.",
            shown(&workflow_id)
        ))
    })
}

/// The run page: timeline, ABM panel, brief; refreshes itself while running.
pub async fn run(
    State(state): State<AppState>,
    workflow_id: Result<Path<String>, PathRejection>,
) -> Result<Response, AppError> {
    let detail = find_run(&state, workflow_id).await?;
    let run = RunView::new(&detail);
    let page = RunPage {
        nav: "runs",
        temporal_down: false,
        ui_run_url: state
            .links
            .run(state.temporal.namespace(), &run.workflow_id, &run.run_id),
        ui_marketing_url: state.links.marketing_task_queue(),
        run,
    };
    Ok(Html(page.render()?).into_response())
}

/// `GET /runs/{workflowId}/live`: the part of the run page that changes.
#[derive(Template)]
#[template(path = "run_live.html")]
struct RunLive {
    run: RunView,
}

/// The live fragment the run page polls.
pub async fn run_live(
    State(state): State<AppState>,
    workflow_id: Result<Path<String>, PathRejection>,
) -> Result<Response, AppError> {
    let detail = find_run(&state, workflow_id).await?;
    let fragment = RunLive {
        run: RunView::new(&detail),
    };
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Html(fragment.render()?),
    )
        .into_response())
}

/// `GET /accounts`.
#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    nav: &'static str,
    temporal_down: bool,
    accounts: Vec<AccountRow>,
}

/// One account with its latest brief, ready to show.
struct AccountRow {
    id: String,
    name: String,
    industry: String,
    region: String,
    fit: String,
    abm: String,
    recommendation: String,
    workflow_id: Option<String>,
}

impl AccountRow {
    fn new(entry: AccountWithBrief) -> Self {
        let brief = entry.brief.and_then(|value| {
            serde_json::from_value::<shared_contracts::coordinator::CoordinatorBrief>(value).ok()
        });
        let (fit, abm, recommendation) = match &brief {
            Some(brief) => (
                format!("{} ({})", brief.fit_score.score, brief.fit_score.tier),
                match &brief.abm {
                    shared_contracts::coordinator::AbmOutcome::Available(answer) => {
                        match &answer.program_name {
                            Some(program) => format!("{program} · {}", answer.status.as_str()),
                            None => "none".to_owned(),
                        }
                    }
                    shared_contracts::coordinator::AbmOutcome::Unavailable(_) => {
                        "unavailable".to_owned()
                    }
                },
                brief.recommendation.clone(),
            ),
            None => (String::new(), String::new(), String::new()),
        };
        Self {
            id: entry.account.id,
            name: entry.account.name,
            industry: entry.account.industry,
            region: entry.account.region,
            fit,
            abm,
            recommendation,
            workflow_id: entry.workflow_id,
        }
    }
}

/// Accounts with each one's latest brief.
pub async fn accounts(State(state): State<AppState>) -> Result<Response, AppError> {
    let accounts = state
        .gtm
        .accounts_with_latest_brief()
        .await?
        .into_iter()
        .map(AccountRow::new)
        .collect();
    let page = AccountsPage {
        nav: "accounts",
        temporal_down: false,
        accounts,
    };
    Ok(Html(page.render()?).into_response())
}

/// Any address without a route: a page, or JSON under `/api/`.
pub async fn not_found(uri: Uri) -> Response {
    AppError::NotFound("There is nothing at this address.".to_owned()).for_path(uri.path())
}

/// A route called with a method it does not take (`DELETE /api/runs`).
pub async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    AppError::MethodNotAllowed(method).for_path(uri.path())
}

/// `/static/app.css` and `/static/app.js`, compiled in: no CDN, no build step, and no
/// file system behind the name, so no name can reach another file.
pub async fn asset(name: Result<Path<String>, PathRejection>) -> Result<Response, AppError> {
    let Path(name) = name?;
    Ok(match name.as_str() {
        "app.css" => (
            [
                (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            include_str!("../static/app.css"),
        )
            .into_response(),
        "app.js" => (
            [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            include_str!("../static/app.js"),
        )
            .into_response(),
        _ => return Err(AppError::NotFound("There is no such file.".to_owned())),
    })
}
