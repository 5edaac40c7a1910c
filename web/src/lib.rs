//! The dashboard: an axum app over the GTM database and Temporal.
//!
//! [`run`] binds, serves [`router`] and shuts down gracefully when the shutdown future
//! resolves. [`router`] is separate so tests drive it with `oneshot`.

mod config;

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
pub use config::Config;
use serde::Serialize;
use sqlx::{AnyPool, Row};
use temporalio_client::Connection;
use temporalio_client::tonic::Request;
use temporalio_common::protos::temporal::api::workflowservice::v1::GetSystemInfoRequest;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    gtm_db: AnyPool,
    temporal: Option<Connection>,
}

impl AppState {
    /// State over the GTM database and, when reachable, Temporal.
    pub fn new(gtm_db: AnyPool, temporal: Option<Connection>) -> Self {
        Self {
            inner: Arc::new(Inner { gtm_db, temporal }),
        }
    }
}

/// The dashboard's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/api/accounts", get(list_accounts))
        .with_state(state)
}

/// Serves the dashboard until `shutdown` resolves.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let gtm_db = seed_data::db::connect(&config.gtm_database_url).await?;
    seed_data::GTM_MIGRATOR
        .run(&gtm_db)
        .await
        .context("migrating the GTM database")?;
    let temporal = match config.temporal.connect().await {
        Ok(connection) => Some(connection),
        Err(err) => {
            tracing::warn!("{err:#}; the dashboard starts anyway and /readyz reports 503");
            None
        }
    };
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("binding {}", config.bind))?;
    tracing::info!("dashboard on http://{}", listener.local_addr()?);
    axum::serve(listener, router(AppState::new(gtm_db, temporal)))
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving the dashboard")
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    let Some(connection) = state.inner.temporal.clone() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "Temporal is not connected").into_response();
    };
    match connection
        .workflow_service()
        .get_system_info(Request::new(GetSystemInfoRequest::default()))
        .await
    {
        Ok(_) => "ready".into_response(),
        Err(status) => {
            tracing::warn!(%status, "readiness check: Temporal unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "Temporal is unreachable").into_response()
        }
    }
}

/// A seeded account, as `GET /api/accounts` lists it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AccountSummary {
    id: String,
    name: String,
    industry: String,
    region: String,
    employees: i64,
}

async fn list_accounts(State(state): State<AppState>) -> Response {
    let rows =
        sqlx::query("SELECT id, name, industry, region, employees FROM accounts ORDER BY name")
            .fetch_all(&state.inner.gtm_db)
            .await;
    match rows {
        Ok(rows) => Json(
            rows.iter()
                .map(|row| AccountSummary {
                    id: row.get(0),
                    name: row.get(1),
                    industry: row.get(2),
                    region: row.get(3),
                    employees: row.get(4),
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(err) => {
            tracing::error!(error = %err, "listing accounts");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(serde_json::json!({"error": "could not read accounts"})),
            )
                .into_response()
        }
    }
}
