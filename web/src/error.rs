//! One error type for every handler, rendered as an HTML page or a JSON body.
//!
//! Users see what went wrong in words; internals (SQL errors, gRPC statuses) go to the
//! log once, with their cause chain, and never into a response.
//!
//! axum's extractor rejections (a body that is not JSON, the wrong `Content-Type`, a
//! body over the limit, a path segment that is not UTF-8, a malformed query string)
//! convert into [`AppError`] too: handlers take `Result<Json<_>, JsonRejection>` and
//! friends, so those refusals are also a page or JSON naming what was wrong, rather
//! than axum's plain-text defaults. [`shown`] is how a message repeats a user's input.

use askama::Template;
use axum::Json;
use axum::extract::path::ErrorKind;
use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::{Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

/// Longest part of a user's input repeated in a message, in characters.
const SHOWN_MAX_CHARS: usize = 64;

/// What went wrong, from the user's side.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is invalid; `field` names the input at fault.
    #[error("{message}")]
    BadRequest {
        /// For the user.
        message: String,
        /// The offending field, when there is one.
        field: Option<String>,
    },
    /// The body is over the size limit.
    #[error("The request body is too large: the limit is {} KiB.", crate::BODY_LIMIT / 1024)]
    TooLarge,
    /// The body is not in the format the route reads; the value is the media type it
    /// expects.
    #[error("The request body must be sent as {0} (with that Content-Type header).")]
    UnsupportedMediaType(&'static str),
    /// The route exists, but not for this method.
    #[error("This address does not accept {0} requests.")]
    MethodNotAllowed(Method),
    /// The form's CSRF token did not match.
    #[error("This form has expired. Reload the page and try again.")]
    Forbidden,
    /// Nothing here.
    #[error("{0}")]
    NotFound(String),
    /// Temporal cannot be reached right now.
    #[error("Temporal is unreachable right now; the dashboard will recover when it is back.")]
    Unavailable(#[source] anyhow::Error),
    /// Anything else: logged, shown as a generic message.
    #[error("Something went wrong on our side.")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    /// A bad value of `field`.
    pub fn bad_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadRequest {
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// A bad request that no single field is to blame for.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest {
            message: message.into(),
            field: None,
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
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

    /// The error as JSON for the API's paths (`/api/...`), as a page for the rest: for
    /// responses made before any handler runs (no route, wrong method).
    pub fn for_path(self, path: &str) -> Response {
        if path == "/api" || path.starts_with("/api/") {
            self.into_json()
        } else {
            self.into_response()
        }
    }
}

/// `value` as messages repeat it: quoted, with invisible and control characters
/// escaped (`\u{202e}`), cut to 64 characters.
pub fn shown(value: &str) -> String {
    let mut chars = value.chars();
    let head: String = chars.by_ref().take(SHOWN_MAX_CHARS).collect();
    if chars.next().is_some() {
        format!("{head:?}…")
    } else {
        format!("{head:?}")
    }
}

/// The innermost cause's message: the parser's own words, without the layers that
/// wrapped it ("Failed to deserialize ...").
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}

/// A rejection that reading the body failed: over the limit, or cut off.
fn unreadable_body(status: StatusCode) -> AppError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge
    } else {
        AppError::bad_request("The request body could not be read.")
    }
}

/// A path segment that does not decode (`%FF`) is the client's mistake; any other
/// path rejection means a handler reads a parameter its route does not have.
impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> Self {
        if let PathRejection::FailedToDeserializePathParams(err) = &rejection
            && let ErrorKind::InvalidUtf8InPathParam { key } = err.kind()
        {
            let field = camel_case(key);
            return Self::bad_field(
                field.clone(),
                format!("{field} in the address is not UTF-8 text once percent-decoded"),
            );
        }
        if rejection.status().is_client_error() {
            return Self::bad_request(format!(
                "The address is not valid: {}",
                rejection.body_text()
            ));
        }
        Self::Internal(anyhow::anyhow!("{}", rejection.body_text()).context("reading the path"))
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        Self::bad_request(format!(
            "The query string is not valid: {}",
            root_cause(&rejection)
        ))
    }
}

impl From<FormRejection> for AppError {
    fn from(rejection: FormRejection) -> Self {
        match rejection {
            FormRejection::InvalidFormContentType(_) => {
                Self::UnsupportedMediaType("application/x-www-form-urlencoded")
            }
            FormRejection::BytesRejection(err) => unreadable_body(err.status()),
            other => Self::bad_request(format!("The form is not valid: {}", root_cause(&other))),
        }
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => {
                Self::UnsupportedMediaType("application/json")
            }
            JsonRejection::JsonSyntaxError(err) => {
                Self::bad_request(format!("the body is not valid JSON: {}", root_cause(&err)))
            }
            JsonRejection::BytesRejection(err) => unreadable_body(err.status()),
            other => Self::bad_request(format!(
                "the body is not the JSON expected: {}",
                root_cause(&other)
            )),
        }
    }
}

/// `workflow_id` → `workflowId`: route parameters as the API documents them.
fn camel_case(snake: &str) -> String {
    let mut words = snake.split('_');
    let mut camel = words.next().unwrap_or_default().to_owned();
    for word in words {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            camel.extend(first.to_uppercase());
            camel.push_str(chars.as_str());
        }
    }
    camel
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_input_is_quoted_escaped_and_cut() {
        assert_eq!(shown("acme-corp"), "\"acme-corp\"");
        assert_eq!(shown("\u{202e}a\0"), "\"\\u{202e}a\\0\"");
        let long = shown(&"x".repeat(1000));
        assert_eq!(long, format!("\"{}\"…", "x".repeat(64)));
    }

    #[test]
    fn route_parameters_are_named_as_the_api_documents_them() {
        assert_eq!(camel_case("workflow_id"), "workflowId");
        assert_eq!(camel_case("campaign_id"), "campaignId");
        assert_eq!(camel_case("name"), "name");
    }
}
