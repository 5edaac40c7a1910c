//! The campaigns page and campaign launches.
//!
//! Launching a campaign starts Marketing's `CampaignLaunch` workflow in namespace
//! `marketing`; it briefs every target account by calling GTM's
//! `gtm.coordinator.v1/runCoordinator` through Nexus. The launch page follows it live,
//! account by account, with links to each account's coordinator run.

use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use shared_contracts::campaign::{CampaignLaunchInput, LaunchAccountStatus};

use crate::AppState;
use crate::csrf;
use crate::error::{AppError, shown};
use crate::marketing_db::CampaignSummary;
use crate::temporal::{LaunchDetail, RunStatus};
use crate::views::{RunRow, status_label, when};

/// `GET /campaigns`.
#[derive(Template)]
#[template(path = "campaigns.html")]
struct CampaignsPage {
    nav: &'static str,
    temporal_down: bool,
    csrf_token: String,
    campaigns: Vec<CampaignSummary>,
    launches: Vec<RunRow>,
}

/// Campaigns with their targets and a launch button, and the newest launches.
pub async fn campaigns(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let campaigns = state.marketing.campaigns().await?;
    let (launches, temporal_down) = match state.temporal.list_launches(20).await {
        Ok(launches) => {
            let now = Utc::now();
            (
                launches.iter().map(|l| RunRow::new(l, now)).collect(),
                false,
            )
        }
        Err(err) => {
            tracing::warn!(error = %err, "listing launches");
            (Vec::new(), true)
        }
    };
    let (csrf_token, cookie) = csrf::token_for(&headers);
    let page = CampaignsPage {
        nav: "campaigns",
        temporal_down,
        csrf_token,
        campaigns,
        launches,
    };
    let mut response = Html(page.render()?).into_response();
    csrf::set_cookie(response.headers_mut(), cookie);
    Ok(response)
}

/// The launch form's fields.
#[derive(Debug, Deserialize)]
pub struct LaunchForm {
    /// The double-submitted CSRF token; empty when missing, which the check refuses.
    #[serde(default)]
    pub csrf_token: String,
}

/// `POST /campaigns/{campaignId}/launch`: starts a launch and shows it.
pub async fn launch(
    State(state): State<AppState>,
    campaign_id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    form: Result<Form<LaunchForm>, FormRejection>,
) -> Result<Response, AppError> {
    let Form(form) = form?;
    if !csrf::verify(&headers, &form.csrf_token) {
        return Err(AppError::Forbidden);
    }
    let Path(campaign_id) = campaign_id?;
    let input = CampaignLaunchInput::new(campaign_id);
    input
        .validate()
        .map_err(|message| AppError::bad_field("campaignId", message))?;
    if !state.marketing.campaign_exists(&input.campaign_id).await? {
        return Err(AppError::NotFound(format!(
            "No campaign with id {}.",
            shown(&input.campaign_id)
        )));
    }
    let workflow_id = state.temporal.start_launch(&input).await?;
    Ok(Redirect::to(&format!("/launches/{workflow_id}")).into_response())
}

/// One target account of a launch, ready to show.
pub struct LaunchAccountView {
    /// The target account.
    pub account: String,
    /// `pending`, `running`, ... (for the CSS class).
    pub status: &'static str,
    /// The account's coordinator run, once started.
    pub run_href: Option<String>,
    /// The recommendation, or why it failed.
    pub detail: String,
}

/// Everything the launch page's live part shows.
pub struct LaunchView {
    /// Workflow id.
    pub workflow_id: String,
    /// Campaign name (or id).
    pub campaign: String,
    /// `running`, ...
    pub status: &'static str,
    /// "Running", ...
    pub status_label: &'static str,
    /// True while the page should keep refreshing.
    pub running: bool,
    /// Start.
    pub started: String,
    /// Close.
    pub finished: String,
    /// "3 of 5 accounts briefed".
    pub tally: String,
    /// The target accounts.
    pub accounts: Vec<LaunchAccountView>,
    /// True when neither the query nor the result could be read.
    pub progress_unknown: bool,
    /// Why the launch stopped, in words.
    pub failure: Option<String>,
}

impl LaunchView {
    fn new(launch: &LaunchDetail) -> Self {
        let accounts: Vec<LaunchAccountView> = launch
            .progress
            .as_ref()
            .map(|progress| {
                progress
                    .accounts
                    .iter()
                    .map(|account| LaunchAccountView {
                        account: account.account_id.clone(),
                        status: account.status.as_str(),
                        run_href: account
                            .coordinator_workflow_id
                            .as_ref()
                            .map(|id| format!("/runs/{id}")),
                        detail: account
                            .recommendation
                            .clone()
                            .or_else(|| account.error.clone())
                            .unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let done = launch.progress.as_ref().map_or(0, |p| {
            p.accounts
                .iter()
                .filter(|a| a.status == LaunchAccountStatus::Completed)
                .count()
        });
        let campaign = launch
            .progress
            .as_ref()
            .map(|p| {
                p.campaign_name
                    .clone()
                    .unwrap_or_else(|| p.campaign_id.clone())
            })
            .unwrap_or_else(|| launch.summary.workflow_id.clone());
        Self {
            workflow_id: launch.summary.workflow_id.clone(),
            campaign,
            status: launch.summary.status.as_str(),
            status_label: status_label(launch.summary.status),
            running: launch.summary.status == RunStatus::Running,
            started: when(launch.summary.started_at),
            finished: when(launch.summary.closed_at),
            tally: format!("{done} of {} accounts briefed", accounts.len()),
            progress_unknown: launch.progress.is_none(),
            accounts,
            failure: launch.failure.clone(),
        }
    }
}

/// `GET /launches/{workflowId}`.
#[derive(Template)]
#[template(path = "launch.html")]
struct LaunchPage {
    nav: &'static str,
    temporal_down: bool,
    launch: LaunchView,
    ui_launch_url: String,
}

/// A launch, account by account; refreshes itself while it runs.
pub async fn launch_page(
    State(state): State<AppState>,
    workflow_id: Result<Path<String>, PathRejection>,
) -> Result<Response, AppError> {
    let Path(workflow_id) = workflow_id?;
    let launch = find(&state, &workflow_id).await?;
    let page = LaunchPage {
        nav: "campaigns",
        temporal_down: false,
        ui_launch_url: state.links.run(
            state.temporal.marketing_namespace(),
            &launch.summary.workflow_id,
            &launch.summary.run_id,
        ),
        launch: LaunchView::new(&launch),
    };
    Ok(Html(page.render()?).into_response())
}

/// `GET /launches/{workflowId}/live`.
#[derive(Template)]
#[template(path = "launch_live.html")]
struct LaunchLive {
    launch: LaunchView,
}

/// The live fragment the launch page polls.
pub async fn launch_live(
    State(state): State<AppState>,
    workflow_id: Result<Path<String>, PathRejection>,
) -> Result<Response, AppError> {
    let Path(workflow_id) = workflow_id?;
    let launch = find(&state, &workflow_id).await?;
    let fragment = LaunchLive {
        launch: LaunchView::new(&launch),
    };
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Html(fragment.render()?),
    )
        .into_response())
}

async fn find(state: &AppState, workflow_id: &str) -> Result<LaunchDetail, AppError> {
    let mut launch = state.temporal.launch(workflow_id).await?.ok_or_else(|| {
        AppError::NotFound(format!(
            "No campaign launch with id {}.",
            shown(workflow_id)
        ))
    })?;
    // A launch learns its campaign's name from its first activity; until then, the
    // dashboard reads it from the Marketing database itself.
    if let Some(progress) = launch.progress.as_mut()
        && progress.campaign_name.is_none()
    {
        progress.campaign_name = state.marketing.campaign_name(&progress.campaign_id).await?;
    }
    Ok(launch)
}
