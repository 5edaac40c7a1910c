//! The dashboard: an axum app, server-rendered with askama, over Temporal (runs,
//! progress, results) and the GTM database (accounts, stored briefs).
//!
//! The dashboard reads the Marketing database for the campaigns page only; launching a
//! campaign starts Marketing's `CampaignLaunch` workflow, which reaches GTM through Nexus
//! like any other caller would. It reads the Customer Success database for the Health
//! page, and starts and stops Customer Success's health monitors.
//!
//! - [`router`] builds the routes and the middleware: access logs, security headers,
//!   request size and time limits. Tests drive it with `oneshot`.
//! - [`run`] binds (loopback by default), serves and shuts down gracefully.
//! - `pages.rs`: HTML pages and their templates (`templates/`); `campaigns.rs`: the
//!   campaigns page and campaign launches; `health.rs`: the Health page and its
//!   monitors; `api.rs`: the JSON API;
//!   `temporal/`: calls to Temporal, by what they do (listing, one run's view,
//!   starting); `gtm_db.rs`, `marketing_db.rs`, `cs_db.rs`: reads from each team's
//!   database; `views.rs`: what templates
//!   show; `csrf.rs`: the form's CSRF check; `error.rs`: the one error type, as a
//!   page or as JSON (it knows no other module's errors: each maps its own into it).
//!
//! Modules depend one way: handlers (`pages`, `api`, `campaigns`) → `views` →
//! `temporal` → `error`; `error` imports none of them.
//!
//! The run page refreshes its live part by polling a small HTML fragment with a few
//! lines of plain JavaScript (`static/app.js`); there is no front-end build and
//! nothing loads from outside this server.

pub mod api;
pub mod campaigns;
mod config;
pub mod cs_db;
pub mod csrf;
pub mod error;
pub mod gtm_db;
pub mod health;
pub mod marketing_db;
pub mod metrics;
pub mod pages;
pub mod temporal;
pub mod views;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::routing::{get, post};
pub use config::Config;
use temporalio_common::telemetry::metrics::CoreMeter;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultMakeSpan, TraceLayer};
use tracing::Level;

use crate::cs_db::CsReader;
use crate::gtm_db::GtmReader;
use crate::marketing_db::MarketingReader;
use crate::temporal::{Placement, TemporalGateway};

/// Largest request body accepted (the start form and the API's JSON are tiny).
const BODY_LIMIT: usize = 16 * 1024;
/// Longest a request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Shared>,
}

/// The state behind [`AppState`].
pub struct Shared {
    /// Temporal, for runs.
    pub temporal: TemporalGateway,
    /// The GTM database, for accounts and briefs.
    pub gtm: GtmReader,
    /// The Marketing database, for campaigns.
    pub marketing: MarketingReader,
    /// The Customer Success database, for the Health page.
    pub cs: CsReader,
    /// Deep links into the Temporal Web UI.
    pub links: UiLinks,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.inner
    }
}

impl AppState {
    /// State from the configuration and the open pools of each team's database.
    pub fn new(config: &Config, pools: Databases) -> Self {
        Self::with_meter(config, pools, None)
    }

    /// [`AppState::new`], reporting the dashboard's own metrics on `meter` when given.
    pub fn with_meter(
        config: &Config,
        pools: Databases,
        meter: Option<Arc<dyn CoreMeter>>,
    ) -> Self {
        let placement = Placement {
            gtm_namespace: config.temporal.namespace.clone(),
            gtm_task_queue: config.task_queue.clone(),
            marketing_namespace: config.marketing_namespace.clone(),
            marketing_task_queue: config.marketing_task_queue.clone(),
            cs_namespace: config.cs_namespace.clone(),
            cs_task_queue: config.cs_task_queue.clone(),
        };
        Self {
            inner: Arc::new(Shared {
                temporal: TemporalGateway::new(config.temporal.clone(), placement, meter),
                gtm: GtmReader::new(pools.gtm),
                marketing: MarketingReader::new(pools.marketing),
                cs: CsReader::new(pools.customer_success),
                links: UiLinks {
                    base: config.temporal_ui_url.trim_end_matches('/').to_owned(),
                    marketing_namespace: config.marketing_namespace.clone(),
                },
            }),
        }
    }
}

/// The dashboard's read-only pools, one per team's database.
pub struct Databases {
    /// GTM's.
    pub gtm: sqlx::AnyPool,
    /// Marketing's.
    pub marketing: sqlx::AnyPool,
    /// Customer Success's.
    pub customer_success: sqlx::AnyPool,
}

impl Databases {
    /// Opens each team's database read-only, as `config` names them.
    pub async fn open(config: &Config) -> anyhow::Result<Self> {
        let gtm = service_kit::db::connect_read_only(&config.gtm_database_url)
            .await
            .context("opening the GTM database (read-only); has gtm-worker migrated it?")?;
        let marketing = service_kit::db::connect_read_only(&config.marketing_database_url)
            .await
            .context(
                "opening the Marketing database (read-only); has marketing-worker migrated it?",
            )?;
        let customer_success = service_kit::db::connect_read_only(&config.cs_database_url)
            .await
            .context(
                "opening the Customer Success database (read-only); has customer-success-worker migrated it?",
            )?;
        Ok(Self {
            gtm,
            marketing,
            customer_success,
        })
    }

    async fn close(&self) {
        self.gtm.close().await;
        self.marketing.close().await;
        self.customer_success.close().await;
    }
}

/// Deep links into the Temporal Web UI.
pub struct UiLinks {
    base: String,
    marketing_namespace: String,
}

impl UiLinks {
    /// A run's history page.
    pub fn run(&self, namespace: &str, workflow_id: &str, run_id: &str) -> String {
        format!(
            "{}/namespaces/{namespace}/workflows/{}/{}/history",
            self.base,
            url_segment(workflow_id),
            url_segment(run_id)
        )
    }

    /// A workflow's page (its latest run).
    pub fn workflow(&self, namespace: &str, workflow_id: &str) -> String {
        format!(
            "{}/namespaces/{namespace}/workflows/{}",
            self.base,
            url_segment(workflow_id)
        )
    }

    /// Marketing's side of the step-8 call: the task queue its Nexus worker polls.
    pub fn marketing_task_queue(&self) -> String {
        format!(
            "{}/namespaces/{}/task-queues/{}",
            self.base,
            self.marketing_namespace,
            shared_contracts::names::task_queues::MARKETING_ABM
        )
    }
}

/// `value` percent-encoded for a URL path segment or query value: every byte but the
/// unreserved ones (`A-Z a-z 0-9 - _ . ~`) becomes `%XX`.
pub fn url_segment(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The dashboard's routes and middleware.
pub fn router(state: AppState) -> Router {
    let security_headers = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    let mut router = Router::new()
        .route("/", get(pages::runs))
        .route("/runs", post(pages::start_run))
        .route("/runs/{workflow_id}", get(pages::run))
        .route("/runs/{workflow_id}/live", get(pages::run_live))
        .route("/accounts", get(pages::accounts))
        .route("/campaigns", get(campaigns::campaigns))
        .route("/campaigns/{campaign_id}/launch", post(campaigns::launch))
        .route("/launches/{workflow_id}", get(campaigns::launch_page))
        .route("/launches/{workflow_id}/live", get(campaigns::launch_live))
        .route("/health", get(health::health).post(health::start))
        .route("/health/{account_id}/stop", post(health::stop))
        .route("/static/{name}", get(pages::asset))
        .route("/api/accounts", get(api::accounts))
        .route("/api/runs", get(api::runs).post(api::start_run))
        .route("/api/runs/{workflow_id}", get(api::run))
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .fallback(pages::not_found)
        .method_not_allowed_fallback(pages::method_not_allowed)
        .with_state(state);
    for (name, value) in security_headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    router
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        // Request spans at INFO: they start the trace of every run the dashboard starts.
        .layer(TraceLayer::new_for_http().make_span_with(DefaultMakeSpan::new().level(Level::INFO)))
}

/// Serves the dashboard until `shutdown` resolves.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| {
            format!(
                "binding {} (set WEB_BIND to use another address)",
                config.bind
            )
        })?;
    serve(config, listener, shutdown).await
}

/// Serves on an already-bound listener (tests bind `127.0.0.1:0` first).
pub async fn serve(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // The dashboard reads every team's database and writes none: each team's worker
    // owns (creates, migrates, writes) its own.
    let databases = Databases::open(&config).await?;
    let metrics = service_kit::telemetry::start_metrics("web", config.metrics_bind)?;
    let state = AppState::with_meter(
        &config,
        Databases {
            gtm: databases.gtm.clone(),
            marketing: databases.marketing.clone(),
            customer_success: databases.customer_success.clone(),
        },
        metrics.as_ref().map(|metrics| metrics.meter.clone()),
    );
    if !state.temporal.is_reachable().await {
        tracing::warn!(
            "Temporal is unreachable; the dashboard starts anyway and /readyz reports 503"
        );
    }
    let mut app = router(state);
    if let Some(metrics) = metrics {
        app = metrics::track_requests(app, metrics.meter);
    }
    tracing::info!("dashboard on http://{}", listener.local_addr()?);
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving the dashboard");
    databases.close().await;
    result
}
