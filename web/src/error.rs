//! One error type for every handler, rendered as an HTML page or a JSON body.
//!
//! Users see what went wrong in words; internals (SQL errors, gRPC statuses) go to the
//! log once, with their cause chain, and never into a response.

use askama::Template;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use crate::temporal::TemporalError;

/// What went wrong, from the user's side.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is invalid; `field` names the input at fault.
    #[error("{message}")]
    BadRequest {
        /// For the user.
        message: String,
        /// The offending field, when there is one.
        field: Option<&'static str>,
    },
    /// The body is over the size limit.
    #[error("The request body is too large.")]
    TooLarge,
    /// The form's CSRF token did not match.
    #[error("This form has expired. Reload the page and try again.")]
    Forbidden,
    /// Nothing here.
    #[error("{0}")]
    NotFound(String),
    /// Temporal cannot be reached right now.
    #[error("Temporal is unreachable right now; the dashboard will recover when it is back.")]
    Unavailable(#[source] TemporalError),
    /// Anything else: logged, shown as a generic message.
    #[error("Something went wrong on our side.")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    /// A bad value of `field`.
    pub fn bad_field(field: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            message: message.into(),
            field: Some(field),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn log(&self) {
        match self {
            Self::Internal(err) => tracing::error!(error = format!("{err:#}"), "request failed"),
            Self::Unavailable(err) => tracing::warn!(error = %err, "Temporal unavailable"),
            _ => {}
        }
    }

    /// The error as a JSON body: `{"error": "...", "field": "accountId"}`.
    pub fn into_json(self) -> Response {
        self.log();
        let status = self.status();
        let body = match &self {
            Self::BadRequest {
                field: Some(field), ..
            } => json!({"error": self.to_string(), "field": field}),
            _ => json!({"error": self.to_string()}),
        };
        (status, Json(body)).into_response()
    }
}

impl From<TemporalError> for AppError {
    fn from(err: TemporalError) -> Self {
        match err {
            TemporalError::Unreachable(_) => Self::Unavailable(err),
            TemporalError::Refused { .. } => Self::Internal(err.into()),
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        Self::Internal(anyhow::Error::new(err).context("reading the GTM database"))
    }
}

impl From<askama::Error> for AppError {
    fn from(err: askama::Error) -> Self {
        Self::Internal(anyhow::Error::new(err).context("rendering a page"))
    }
}

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    title: &'static str,
    message: String,
    nav: &'static str,
    temporal_down: bool,
}

/// HTML responses, for page handlers.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let status = self.status();
        let page = ErrorPage {
            status: status.as_u16(),
            title: status.canonical_reason().unwrap_or("Error"),
            message: self.to_string(),
            nav: "",
            temporal_down: matches!(self, Self::Unavailable(_)),
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, self.to_string()).into_response(),
        }
    }
}

/// JSON responses, for API handlers: wrap the error as `ApiError`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(err: E) -> Self {
        Self(err.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.into_json()
    }
}
