//! The JSON API (`/api/...`) and health checks, as the contract lists them.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use shared_contracts::AccountId;
use shared_contracts::coordinator::CoordinatorInput;

use crate::AppState;
use crate::error::{ApiError, AppError, shown};
use crate::pages::{ListParams, PAGE_SIZE};
use crate::temporal::RunPage;

/// `GET /api/accounts`.
pub async fn accounts(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(Json(state.gtm.accounts().await?).into_response())
}

/// `POST /api/runs` body: `{"accountId": "acme-corp", "requestedBy": "me"}`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartRequest {
    /// The account to brief.
    pub account_id: AccountId,
    /// Who asks; `api` when the body does not say.
    pub requested_by: String,
}

/// The fields `POST /api/runs` reads; any other is refused, so a misspelt
/// `requestedBy` is an error rather than silently ignored.
const START_FIELDS: [&str; 2] = ["accountId", "requestedBy"];

impl StartRequest {
    /// Checks the body field by field; an error names the field at fault.
    ///
    /// This reads a [`serde_json::Value`] rather than deriving `Deserialize`, so that
    /// each mistake gets a message in the API's words ("accountId must be a string")
    /// instead of serde's ("invalid type: integer `5`, expected a string").
    pub fn from_json(body: serde_json::Value) -> Result<Self, AppError> {
        let serde_json::Value::Object(mut fields) = body else {
            return Err(AppError::bad_request(format!(
                "the body must be a JSON object like {{\"accountId\": \"acme-corp\"}}, not {}",
                json_kind(&body)
            )));
        };
        if let Some(unknown) = fields
            .keys()
            .find(|key| !START_FIELDS.contains(&key.as_str()))
        {
            return Err(AppError::bad_field(
                unknown.chars().take(64).collect::<String>(),
                format!(
                    "unknown field {}: the body takes accountId and, optionally, requestedBy",
                    shown(unknown)
                ),
            ));
        }
        let account_id = match fields.remove("accountId") {
            Some(serde_json::Value::String(value)) => AccountId::parse(value)
                .map_err(|err| AppError::bad_field("accountId", err.to_string()))?,
            None | Some(serde_json::Value::Null) => {
                return Err(AppError::bad_field("accountId", "accountId is required"));
            }
            Some(other) => {
                return Err(AppError::bad_field(
                    "accountId",
                    format!("accountId must be a string, not {}", json_kind(&other)),
                ));
            }
        };
        let requested_by = match fields.remove("requestedBy") {
            None | Some(serde_json::Value::Null) => "api".to_owned(),
            Some(serde_json::Value::String(value)) => value,
            Some(other) => {
                return Err(AppError::bad_field(
                    "requestedBy",
                    format!("requestedBy must be a string, not {}", json_kind(&other)),
                ));
            }
        };
        // Free text, but shown in logs and in the Temporal UI: no control characters.
        if requested_by.chars().any(char::is_control) {
            return Err(AppError::bad_field(
                "requestedBy",
                "requestedBy must not contain control characters",
            ));
        }
        Ok(Self {
            account_id,
            requested_by,
        })
    }
}

/// "an array", "a number", ...: what a JSON value is, for messages.
fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// `POST /api/runs`: `202 {"workflowId","runId"}`, or `400` naming the bad field.
///
/// Everything that can be checked without Temporal is checked first (the body, then
/// the account in the GTM database), so bad input is a 4xx even while Temporal is down.
pub async fn start_run(
    State(state): State<AppState>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let request = StartRequest::from_json(body)?;
    let input = CoordinatorInput {
        account_id: request.account_id,
        requested_by: Some(request.requested_by),
    };
    input
        .validate()
        .map_err(|message| AppError::bad_field("requestedBy", message))?;
    if !state.gtm.account_exists(input.account_id.as_str()).await? {
        return Err(AppError::bad_field(
            "accountId",
            format!("accountId \"{}\" is not a seeded account", input.account_id),
        )
        .into());
    }
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
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params?;
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
    workflow_id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(workflow_id) = workflow_id?;
    let detail = state.temporal.run(&workflow_id).await?.ok_or_else(|| {
        AppError::NotFound(format!(
            "no coordinator run with id {}",
            shown(&workflow_id)
        ))
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
