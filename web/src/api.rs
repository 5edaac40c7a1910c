//! The JSON API (`/api/...`) and health checks, as the contract lists them.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::json;
use shared_contracts::AccountId;
use shared_contracts::coordinator::CoordinatorInput;

use crate::AppState;
use crate::error::{ApiError, AppError};
use crate::pages::{ListParams, PAGE_SIZE};
use crate::temporal::RunPage;

/// `GET /api/accounts`.
pub async fn accounts(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(Json(state.gtm.accounts().await?).into_response())
}

/// `POST /api/runs` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartRequest {
    /// The account to brief (validated here, so the error names the field).
    pub account_id: Option<serde_json::Value>,
    /// Who asks.
    pub requested_by: Option<String>,
}

/// `POST /api/runs`: `202 {"workflowId","runId"}`, or `400` naming the bad field.
pub async fn start_run(
    State(state): State<AppState>,
    body: Result<Json<StartRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(request) = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return AppError::TooLarge;
        }
        AppError::BadRequest {
            message: format!(
                "the body must be JSON like {{\"accountId\": \"acme-corp\"}}: {}",
                rejection.body_text()
            ),
            field: None,
        }
    })?;
    let account_id = match request.account_id {
        Some(serde_json::Value::String(value)) => AccountId::parse(value)
            .map_err(|err| AppError::bad_field("accountId", err.to_string()))?,
        Some(_) => {
            return Err(AppError::bad_field("accountId", "accountId must be a string").into());
        }
        None => return Err(AppError::bad_field("accountId", "accountId is required").into()),
    };
    if !state.gtm.account_exists(account_id.as_str()).await? {
        return Err(AppError::bad_field(
            "accountId",
            format!("accountId \"{account_id}\" is not a seeded account"),
        )
        .into());
    }
    let input = CoordinatorInput {
        account_id,
        requested_by: Some(request.requested_by.unwrap_or_else(|| "api".to_owned())),
    };
    input
        .validate()
        .map_err(|message| AppError::bad_field("requestedBy", message))?;
    let (workflow_id, run_id) = state.temporal.start_run(&input).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"workflowId": workflow_id, "runId": run_id})),
    )
        .into_response())
}

/// `GET /api/runs?status=&account=&page=`: one page of runs, newest first.
pub async fn runs(
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<Response, ApiError> {
    let (filter, token) = params.parse()?;
    let (runs, next) = state.temporal.list_runs(&filter, token, PAGE_SIZE).await?;
    Ok(Json(RunPage {
        runs,
        next_page_token: next.map(|t| URL_SAFE_NO_PAD.encode(t)),
    })
    .into_response())
}

/// `GET /api/runs/{workflowId}`.
pub async fn run(
    State(state): State<AppState>,
    Path(workflow_id): Path<String>,
) -> Result<Response, ApiError> {
    let detail =
        state.temporal.run(&workflow_id).await?.ok_or_else(|| {
            AppError::NotFound(format!("no coordinator run with id {workflow_id}"))
        })?;
    let abm = detail.brief.as_ref().map(|b| b["abm"].clone());
    Ok(Json(json!({
        "workflowId": detail.summary.workflow_id,
        "runId": detail.summary.run_id,
        "accountId": detail.summary.account_id,
        "status": detail.summary.status,
        "currentStep": detail.summary.current_step,
        "startedAt": detail.summary.started_at,
        "closedAt": detail.summary.closed_at,
        "steps": detail.steps,
        "abm": abm,
        "brief": detail.brief,
        "failure": detail.failure,
    }))
    .into_response())
}

/// `GET /healthz`: the process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: Temporal answers.
pub async fn readyz(State(state): State<AppState>) -> Response {
    if state.temporal.is_reachable().await {
        "ready".into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "Temporal is unreachable").into_response()
    }
}
