//! Bad input, thoroughly: malformed, mistyped, oversized, disguised and hostile requests
//! to the API and the pages.
//!
//! Every one must be refused with a 4xx that says what was wrong (a JSON `error` under
//! `/api/`, an error page elsewhere), never a 5xx or a panic, and without a word from
//! inside the server. Bad input is refused before Temporal is asked, so these run with
//! Temporal down; the few requests that only Temporal can judge (does a run with this
//! odd id exist?) may answer 503 there, and are checked against a real dev server at
//! the end.

use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use devkit::dev_server::DevServer;
use serde_json::Value;
use web::url_segment;

use crate::app::{TestApp, select, text};

/// A CSRF token, sent both as the cookie and in the form: a valid double submission.
const CSRF: &str = "0123456789abcdef0123456789abcdef";

/// Words that would mean an internal detail reached the client.
const INTERNALS: &[&str] = &[
    "tonic",
    "grpc",
    "transport error",
    "sqlx",
    "sqlite",
    "SELECT ",
    "panicked",
    "RUST_BACKTRACE",
    "axum::",
    "serde_json",
    "StartRequest",
    "ListParams",
    "Failed to deserialize",
    "/src/",
];

/// The message the app gives while Temporal is down.
const TEMPORAL_DOWN: &str =
    "Temporal is unreachable right now; the dashboard will recover when it is back.";

/// Characters that hide or reorder text; a message must show them escaped.
fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}'
        )
}

fn assert_no_internals(body: &str) {
    for word in INTERNALS {
        assert!(
            !body.to_lowercase().contains(&word.to_lowercase()),
            "{word:?} leaked: {body}"
        );
    }
}

fn content_type(response: &Response<Body>) -> String {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// An API refusal: a 4xx with a JSON body `{"error": "...", "field"?: "..."}`.
struct ApiRefusal {
    status: StatusCode,
    error: String,
    field: Option<String>,
}

async fn api_refusal(response: Response<Body>) -> ApiRefusal {
    let status = response.status();
    let json_body = content_type(&response).starts_with("application/json");
    let body = text(response).await;
    assert!(status.is_client_error(), "not a 4xx: {status} {body}");
    assert!(json_body, "not JSON: {status} {body}");
    assert_no_internals(&body);
    let json: Value = serde_json::from_str(&body).unwrap();
    let error = json["error"].as_str().unwrap_or_default().to_owned();
    assert!(!error.is_empty(), "{body}");
    assert!(!error.chars().any(is_invisible), "{error:?}");
    ApiRefusal {
        status,
        error,
        field: json["field"].as_str().map(str::to_owned),
    }
}

/// A page refusal: a 4xx error page; returns the status and the page's message.
async fn page_refusal(response: Response<Body>) -> (StatusCode, String) {
    let status = response.status();
    let html_body = content_type(&response).starts_with("text/html");
    let html = text(response).await;
    assert!(status.is_client_error(), "not a 4xx: {status} {html}");
    assert!(html_body, "not HTML: {status} {html}");
    assert_no_internals(&html);
    assert_eq!(
        select(&html, ".error-page .code"),
        [status.as_str()],
        "{html}"
    );
    let message = select(&html, ".error-page p:not(.code)")
        .into_iter()
        .next()
        .unwrap_or_default();
    assert!(!message.is_empty(), "{html}");
    assert!(!message.chars().any(is_invisible), "{message:?}");
    (status, message)
}

/// A request only Temporal can judge: refused (4xx), or Temporal is down (503) with the
/// usual message; never a 500.
async fn refused_or_temporal_down(response: Response<Body>) {
    let status = response.status();
    assert!(
        status.is_client_error() || status == StatusCode::SERVICE_UNAVAILABLE,
        "{response:?}"
    );
    let body = text(response).await;
    assert_no_internals(&body);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        assert!(body.contains(TEMPORAL_DOWN), "{body}");
    }
}

fn post(uri: &str, content_type: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut request = Request::post(uri);
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    request.body(body.into()).unwrap()
}

/// A form post with a valid CSRF cookie and field.
fn post_form(uri: &str, fields: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("sb_csrf={CSRF}"))
        .body(Body::from(format!("csrf_token={CSRF}&{fields}")))
        .unwrap()
}

/// Account ids that look right, or hide something: homoglyphs, invisible and
/// direction-changing characters, NUL, encodings, case and padding.
const TRICKY_ACCOUNT_IDS: &[&str] = &[
    "\u{0430}cme-corp",         // Cyrillic a
    "\u{ff41}cme-corp",         // fullwidth a
    "acme\u{2010}corp",         // Unicode hyphen
    "acme\u{2212}corp",         // minus sign
    "acme\u{200d}-corp",        // zero-width joiner
    "acme-\u{200b}corp",        // zero-width space
    "\u{feff}acme-corp",        // byte-order mark
    "\u{202e}proc-emca",        // right-to-left override
    "acme-corp\u{2066}",        // left-to-right isolate
    "acme\u{0}corp",            // NUL
    "acme-corp\u{0}",           // trailing NUL
    "acme-cor\u{0070}\u{0301}", // combining accent
    "acme%2Dcorp",              // percent-encoded hyphen
    "acme%252Dcorp",            // double-encoded
    "ACME-CORP",
    "acme_corp",
    "../acme-corp",
    "acme-corp\n",
    " acme-corp",
];

#[tokio::test]
async fn malformed_json_is_a_400_that_says_it_is_not_json() {
    let app = TestApp::without_temporal().await;
    // Deeper than the parser's recursion limit (128), within the body limit.
    let nested = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", b"".to_vec()),
        ("truncated", br#"{"accountId": "acme-corp""#.to_vec()),
        ("cut in a string", br#"{"accountId": "acme-co"#.to_vec()),
        ("unquoted key", br#"{accountId: "acme-corp"}"#.to_vec()),
        ("single quotes", br#"{'accountId': 'acme-corp'}"#.to_vec()),
        ("trailing comma", br#"{"accountId": "acme-corp",}"#.to_vec()),
        (
            "trailing data",
            br#"{"accountId": "acme-corp"} {}"#.to_vec(),
        ),
        (
            "byte-order mark",
            b"\xef\xbb\xbf{\"accountId\":\"acme-corp\"}".to_vec(),
        ),
        ("invalid UTF-8", b"{\"accountId\":\"acme\xff\"}".to_vec()),
        ("lone surrogate", br#"{"accountId":"\ud800"}"#.to_vec()),
        ("NUL byte", b"{\"accountId\":\"acme\0\"}".to_vec()),
        ("form body", b"accountId=acme-corp".to_vec()),
        ("deep nesting", nested.into_bytes()),
        ("number out of range", b"1e999".to_vec()),
    ];
    for (case, body) in cases {
        let response = app
            .send(post("/api/runs", Some("application/json"), body))
            .await;
        let refusal = api_refusal(response).await;
        assert_eq!(refusal.status, StatusCode::BAD_REQUEST, "{case}");
        assert!(
            refusal.error.starts_with("the body is not valid JSON: "),
            "{case}: {}",
            refusal.error
        );
        assert_eq!(refusal.field, None, "{case}");
    }
}

#[tokio::test]
async fn wrong_shapes_and_types_name_the_field() {
    let app = TestApp::without_temporal().await;
    let cases: &[(&str, Option<&str>, &str)] = &[
        ("[]", None, "the body must be a JSON object"),
        (r#"["acme-corp"]"#, None, "not an array"),
        (r#""acme-corp""#, None, "not a string"),
        ("null", None, "not null"),
        ("42", None, "not a number"),
        ("true", None, "not a boolean"),
        ("{}", Some("accountId"), "accountId is required"),
        (
            r#"{"accountId": null}"#,
            Some("accountId"),
            "accountId is required",
        ),
        (
            r#"{"accountId": 42}"#,
            Some("accountId"),
            "accountId must be a string, not a number",
        ),
        (
            r#"{"accountId": ["acme-corp"]}"#,
            Some("accountId"),
            "not an array",
        ),
        (
            r#"{"accountId": {"id": "acme-corp"}}"#,
            Some("accountId"),
            "not an object",
        ),
        (r#"{"accountId": true}"#, Some("accountId"), "not a boolean"),
        (r#"{"accountId": ""}"#, Some("accountId"), "it is empty"),
        (
            r#"{"account_id": "acme-corp"}"#,
            Some("account_id"),
            "unknown field \"account_id\"",
        ),
        (
            r#"{"accountID": "acme-corp"}"#,
            Some("accountID"),
            "unknown field \"accountID\"",
        ),
        (
            r#"{"accountId": "acme-corp", "requestBy": "me"}"#,
            Some("requestBy"),
            "the body takes accountId and, optionally, requestedBy",
        ),
        (
            r#"{"accountId": "acme-corp", "requestedBy": 5}"#,
            Some("requestedBy"),
            "requestedBy must be a string",
        ),
        (
            r#"{"accountId": "acme-corp", "requestedBy": ["me"]}"#,
            Some("requestedBy"),
            "not an array",
        ),
        (
            r#"{"accountId": "acme-corp", "requestedBy": "me\u0000"}"#,
            Some("requestedBy"),
            "control characters",
        ),
        (
            r#"{"accountId": "acme-corp", "requestedBy": "a\u202e\nb"}"#,
            Some("requestedBy"),
            "control characters",
        ),
        (
            r#"{"accountId": "ghost-co"}"#,
            Some("accountId"),
            "is not a seeded account",
        ),
    ];
    for (body, field, words) in cases {
        let refusal = api_refusal(app.post_json("/api/runs", body).await).await;
        assert_eq!(refusal.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(refusal.field.as_deref(), *field, "{body}");
        assert!(refusal.error.contains(words), "{body}: {}", refusal.error);
    }

    let long = format!(
        r#"{{"accountId": "acme-corp", "requestedBy": "{}"}}"#,
        "x".repeat(200)
    );
    let refusal = api_refusal(app.post_json("/api/runs", &long).await).await;
    assert_eq!(refusal.field.as_deref(), Some("requestedBy"));
    assert!(
        refusal.error.contains("longer than 128"),
        "{}",
        refusal.error
    );

    // A huge unknown field name is named, but not repeated in full.
    let key = "k".repeat(10_000);
    let refusal = api_refusal(
        app.post_json("/api/runs", &format!(r#"{{"{key}": 1}}"#))
            .await,
    )
    .await;
    assert!(refusal.error.len() < 300, "{}", refusal.error);
    assert!(refusal.field.unwrap().len() <= 64);
}

#[tokio::test]
async fn bodies_in_the_wrong_format_are_415() {
    let app = TestApp::without_temporal().await;
    let json = r#"{"accountId":"acme-corp"}"#;
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/xml"),
        Some("json"),
        Some("application/jsonp"),
    ] {
        let refusal = api_refusal(app.send(post("/api/runs", content_type, json)).await).await;
        assert_eq!(
            refusal.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        assert!(
            refusal.error.contains("application/json"),
            "{content_type:?}: {}",
            refusal.error
        );
    }
    // A JSON media type with parameters or a +json suffix is JSON.
    for content_type in [
        "application/json; charset=utf-8",
        "application/problem+json",
    ] {
        let response = app
            .send(post(
                "/api/runs",
                Some(content_type),
                r#"{"accountId":"Nope"}"#,
            ))
            .await;
        assert_eq!(
            api_refusal(response).await.field.as_deref(),
            Some("accountId")
        );
    }

    // The forms take form bodies only; the refusal is a page.
    for (uri, content_type) in [
        ("/runs", Some("application/json")),
        ("/runs", None),
        ("/runs", Some("text/plain")),
        (
            "/campaigns/q1-enterprise-launch/launch",
            Some("application/json"),
        ),
    ] {
        let request = Request::post(uri).header(header::COOKIE, format!("sb_csrf={CSRF}"));
        let request = match content_type {
            Some(value) => request.header(header::CONTENT_TYPE, value),
            None => request,
        };
        let body = format!(r#"{{"csrf_token":"{CSRF}","account_id":"acme-corp"}}"#);
        let response = app.send(request.body(Body::from(body)).unwrap()).await;
        let (status, message) = page_refusal(response).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{uri}");
        assert!(
            message.contains("application/x-www-form-urlencoded"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let app = TestApp::without_temporal().await;
    let big = "x".repeat(17 * 1024);
    let refusal = api_refusal(
        app.post_json(
            "/api/runs",
            &format!(r#"{{"accountId":"acme-corp","requestedBy":"{big}"}}"#),
        )
        .await,
    )
    .await;
    assert_eq!(refusal.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        refusal.error,
        "The request body is too large: the limit is 16 KiB."
    );

    // Just under the limit is read, and judged on its content.
    let under = format!(
        r#"{{"accountId":"acme-corp","requestedBy":"{}"}}"#,
        "x".repeat(15 * 1024)
    );
    let refusal = api_refusal(app.post_json("/api/runs", &under).await).await;
    assert_eq!(refusal.status, StatusCode::BAD_REQUEST);
    assert_eq!(refusal.field.as_deref(), Some("requestedBy"));

    for uri in ["/runs", "/campaigns/q1-enterprise-launch/launch"] {
        let response = app
            .send(post_form(uri, &format!("account_id=acme-corp&pad={big}")))
            .await;
        let (status, message) = page_refusal(response).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{uri}");
        assert!(message.contains("too large"), "{message}");
    }
}

#[tokio::test]
async fn unicode_tricks_in_account_ids_are_refused_before_temporal() {
    let app = TestApp::without_temporal().await;
    for &tricky in TRICKY_ACCOUNT_IDS {
        let body = serde_json::json!({ "accountId": tricky }).to_string();
        let refusal = api_refusal(app.post_json("/api/runs", &body).await).await;
        assert_eq!(refusal.status, StatusCode::BAD_REQUEST, "{tricky:?}");
        assert_eq!(refusal.field.as_deref(), Some("accountId"), "{tricky:?}");
        assert!(
            refusal.error.starts_with("accountId \"") && refusal.error.contains("is invalid"),
            "{tricky:?}: {}",
            refusal.error
        );

        let query = format!("/api/runs?account={}", url_segment(tricky));
        let refusal = api_refusal(app.get(&query).await).await;
        assert_eq!(refusal.status, StatusCode::BAD_REQUEST, "{tricky:?}");
        assert_eq!(refusal.field.as_deref(), Some("account"), "{tricky:?}");

        let (status, message) =
            page_refusal(app.get(&format!("/?account={}", url_segment(tricky))).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{tricky:?}");
        assert!(message.starts_with("accountId \""), "{tricky:?}: {message}");

        // The form trims the space around a choice; what is left must be a slug.
        if tricky.trim() != tricky {
            continue;
        }
        let response = app
            .send(post_form(
                "/runs",
                &format!("account_id={}", url_segment(tricky)),
            ))
            .await;
        let (status, message) = page_refusal(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{tricky:?}");
        assert!(message.contains("is invalid"), "{tricky:?}: {message}");
    }
}

#[tokio::test]
async fn traversal_in_paths_reaches_no_file_and_no_500() {
    let app = TestApp::without_temporal().await;
    for uri in [
        "/static/../Cargo.toml",
        "/static/..%2FCargo.toml",
        "/static/%2e%2e%2fCargo.toml",
        "/static/..%5CCargo.toml",
        "/static/%2e%2e",
        "/static/app.css%00",
        "/static/app.css%2F..%2F..%2FCargo.toml",
        "/static/..%2F..%2F..%2Fetc%2Fpasswd",
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/runs/../../etc/passwd",
    ] {
        let response = app.get(uri).await;
        let (status, _) = page_refusal(response).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
    }
    // The real assets are still there.
    assert_eq!(app.get("/static/app.css").await.status(), StatusCode::OK);

    // A workflow id may hold '/' or '..' (ids are free text): Temporal says whether a
    // run has it. Never a file, never a 500.
    for uri in [
        "/runs/..%2F..%2Fetc%2Fpasswd",
        "/runs/%2e%2e",
        "/runs/..%2F..%2FCargo.toml/live",
        "/launches/..%2F..%2Fetc%2Fpasswd",
        "/api/runs/%2e%2e",
        "/api/runs/..%2F..%2Fetc%2Fpasswd",
    ] {
        let response = app.get(uri).await;
        refused_or_temporal_down(response).await;
    }

    // A segment that is not UTF-8 once decoded names the part of the address.
    for uri in ["/runs/%FF", "/runs/%C0%AE%C0%AE/live", "/launches/%FF"] {
        let (status, message) = page_refusal(app.get(uri).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(
            message, "workflowId in the address is not UTF-8 text once percent-decoded",
            "{uri}"
        );
    }
    let refusal = api_refusal(app.get("/api/runs/%FF%FE").await).await;
    assert_eq!(refusal.status, StatusCode::BAD_REQUEST);
    assert_eq!(refusal.field.as_deref(), Some("workflowId"));

    // Control characters cannot be in an id any tool could type: refused at once.
    for uri in [
        "/api/runs/drew%00acme",
        "/api/runs/%0A",
        "/api/runs/a%0D%0Ab",
    ] {
        let refusal = api_refusal(app.get(uri).await).await;
        assert_eq!(refusal.status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(refusal.field.as_deref(), Some("workflowId"), "{uri}");
        assert!(
            refusal.error.ends_with("it contains a control character"),
            "{}",
            refusal.error
        );
    }
    let (status, _) = page_refusal(app.get("/launches/a%00b/live").await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_routes_format() {
    let app = TestApp::without_temporal().await;
    for uri in [
        "/api",
        "/api/nothing",
        "/api/runs/a/b",
        "/api/runs/",
        "/api/accounts/acme-corp",
    ] {
        let refusal = api_refusal(app.get(uri).await).await;
        assert_eq!(refusal.status, StatusCode::NOT_FOUND, "{uri}");
    }
    for uri in [
        "/nothing",
        "/runs/",
        "/static/",
        "/static/nothing.js",
        "/accounts/x",
    ] {
        let (status, _) = page_refusal(app.get(uri).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
    }

    for (method, uri) in [
        ("DELETE", "/api/runs"),
        ("PUT", "/api/runs/drew-1"),
        ("POST", "/api/accounts"),
    ] {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
            .unwrap();
        let response = app.send(request).await;
        assert!(response.headers().contains_key(header::ALLOW), "{uri}");
        let refusal = api_refusal(response).await;
        assert_eq!(refusal.status, StatusCode::METHOD_NOT_ALLOWED, "{uri}");
        assert_eq!(
            refusal.error,
            format!("This address does not accept {method} requests.")
        );
    }
    for (method, uri) in [
        ("DELETE", "/"),
        ("PUT", "/runs"),
        ("GET", "/campaigns/x/launch"),
    ] {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
            .unwrap();
        let (status, _) = page_refusal(app.send(request).await).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
    }
}

#[tokio::test]
async fn very_long_paths_and_query_strings_are_refused_with_short_messages() {
    let app = TestApp::without_temporal().await;
    let long = "a".repeat(20_000);

    let refusal = api_refusal(app.get(&format!("/api/runs/{long}")).await).await;
    assert_eq!(refusal.status, StatusCode::BAD_REQUEST);
    assert_eq!(refusal.field.as_deref(), Some("workflowId"));
    assert!(refusal.error.ends_with("it is longer than 1000 bytes"));
    assert!(refusal.error.len() < 200, "{}", refusal.error);

    for uri in [format!("/runs/{long}"), format!("/launches/{long}/live")] {
        let (status, message) = page_refusal(app.get(&uri).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(message.len() < 200, "{message}");
    }

    for (query, field) in [
        (format!("status={long}"), "status"),
        (format!("account={long}"), "account"),
        (format!("page={long}"), "page"),
        (format!("status=running&account={long}"), "account"),
    ] {
        let refusal = api_refusal(app.get(&format!("/api/runs?{query}")).await).await;
        assert_eq!(refusal.status, StatusCode::BAD_REQUEST, "{field}");
        assert_eq!(refusal.field.as_deref(), Some(field));
        assert!(refusal.error.len() < 300, "{}", refusal.error);
        let (status, message) = page_refusal(app.get(&format!("/?{query}")).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(message.len() < 300, "{message}");
    }

    // Unknown addresses are not repeated back at all.
    let response = app.get(&format!("/{long}")).await;
    let (status, message) = page_refusal(response).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!message.contains(&long[..100]));
}

#[tokio::test]
async fn bad_paging_tokens_and_filters_are_400s_naming_the_parameter() {
    let app = TestApp::without_temporal().await;
    let cases = [
        ("status=sleeping", "status"),
        ("status=RUNNING", "status"),
        ("status=running%00", "status"),
        ("status=%E2%80%AErunning", "status"),
        ("status=running&status=failed", "query"),
        ("account=Acme", "account"),
        ("account=acme-corp&account=globex", "query"),
        ("page=!!!", "page"),
        ("page=%FF", "page"),
        ("page=a", "page"),
        ("page=AAAA%3D", "page"),
        ("page=abc%2B%2F", "page"),
        ("page=a&page=b", "query"),
    ];
    for (query, field) in cases {
        let refusal = api_refusal(app.get(&format!("/api/runs?{query}")).await).await;
        assert_eq!(refusal.status, StatusCode::BAD_REQUEST, "{query}");
        if field == "query" {
            assert!(
                refusal.error.starts_with("The query string is not valid: "),
                "{query}: {}",
                refusal.error
            );
        } else {
            assert_eq!(refusal.field.as_deref(), Some(field), "{query}");
            assert!(refusal.error.starts_with(field), "{}", refusal.error);
        }
        let (status, message) = page_refusal(app.get(&format!("/?{query}")).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(!message.is_empty());
    }
    // A token longer than any Temporal hands out is not passed on.
    let refusal = api_refusal(
        app.get(&format!("/api/runs?page={}", "A".repeat(5000)))
            .await,
    )
    .await;
    assert_eq!(refusal.field.as_deref(), Some("page"));
    // Unknown parameters are ignored, as links with tracking parameters expect.
    let response = app.get("/api/runs?utm_source=mail").await;
    refused_or_temporal_down(response).await;
}

#[tokio::test]
async fn html_and_script_in_input_is_shown_as_text_never_as_markup() {
    let app = TestApp::without_temporal().await;
    let script = "<script>alert(1)</script>";
    let image = "\"><img src=x onerror=alert(1)>";
    for payload in [script, image] {
        let encoded = url_segment(payload);
        for uri in [
            format!("/?status={encoded}"),
            format!("/?account={encoded}"),
            format!("/runs/{encoded}"),
            format!("/launches/{encoded}/live"),
            format!("/nothing/{encoded}"),
        ] {
            let response = app.get(&uri).await;
            let status = response.status();
            assert!(
                status.is_client_error() || status == StatusCode::SERVICE_UNAVAILABLE,
                "{uri}: {status}"
            );
            let html = text(response).await;
            assert!(!html.contains("<script>alert"), "{uri}: {html}");
            assert!(!html.contains("<img"), "{uri}: {html}");
            assert_no_internals(&html);
        }

        // Forms: the refusal repeats the value as text.
        let response = app
            .send(post_form("/runs", &format!("account_id={encoded}")))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let html = text(response).await;
        assert!(
            !html.contains("<script>alert") && !html.contains("<img"),
            "{html}"
        );
        let message = &select(&html, ".error-page p:not(.code)")[0];
        assert!(message.contains("alert(1)"), "{message}");
        let response = app
            .send(post_form(&format!("/campaigns/{encoded}/launch"), ""))
            .await;
        let (status, message) = page_refusal(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(message.starts_with("campaignId \""), "{message}");

        // The API answers JSON, never HTML, and the browser may not sniff it.
        let body = serde_json::json!({ "accountId": payload }).to_string();
        let response = app.post_json("/api/runs", &body).await;
        assert_eq!(
            response.headers()[header::X_CONTENT_TYPE_OPTIONS],
            "nosniff"
        );
        assert_eq!(
            api_refusal(response).await.field.as_deref(),
            Some("accountId")
        );
        let body = serde_json::json!({ payload: 1 }).to_string();
        let refusal = api_refusal(app.post_json("/api/runs", &body).await).await;
        assert!(
            refusal.error.starts_with("unknown field"),
            "{}",
            refusal.error
        );
    }

    // `requestedBy` is free text: accepted and kept as data (Temporal is needed next).
    let body = serde_json::json!({ "accountId": "acme-corp", "requestedBy": script }).to_string();
    let response = app.post_json("/api/runs", &body).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(!text(response).await.contains("<script>"));
}

#[tokio::test]
async fn csrf_protected_forms_check_the_token_first_and_then_the_input() {
    let app = TestApp::without_temporal().await;
    let forged_cases = [
        (None, "account_id=Acme%20Corp"),
        (
            Some("sb_csrf=<script>".to_owned()),
            "csrf_token=%3Cscript%3E&account_id=acme-corp",
        ),
        (Some(format!("sb_csrf={CSRF}")), "account_id=acme-corp"),
        (
            Some(format!("sb_csrf={CSRF}")),
            "csrf_token=&account_id=acme-corp",
        ),
        (
            Some(format!("sb_csrf={CSRF}")),
            "csrf_token=0123456789abcdef0123456789abcdeF&account_id=x",
        ),
        (
            Some(format!("sb_csrf={CSRF}")),
            &format!("csrf_token={CSRF}%00&account_id=x"),
        ),
        (
            Some("sb_csrf=".to_owned()),
            "csrf_token=&account_id=acme-corp",
        ),
        (Some(format!("sb_csrf={CSRF}")), ""),
    ];
    for uri in ["/runs", "/campaigns/q1-enterprise-launch/launch"] {
        for (cookie, body) in &forged_cases {
            let mut request = Request::post(uri)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            if let Some(cookie) = cookie {
                request = request.header(header::COOKIE, cookie);
            }
            let response = app
                .send(request.body(Body::from(body.to_string())).unwrap())
                .await;
            let (status, message) = page_refusal(response).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{uri} {cookie:?} {body}");
            assert_eq!(
                message,
                "This form has expired. Reload the page and try again."
            );
        }
    }

    // With a valid token, the input is judged, still before Temporal.
    let cases = [
        ("", "accountId \"\" is invalid: it is empty"),
        ("account_id=", "it is empty"),
        ("account_id=Acme%20Corp", "is invalid"),
        ("account_id=%ZZ", "is invalid"),
        ("account_id=acme%00corp", "is invalid"),
        ("account_id=ghost-co", "is not a seeded account"),
        (
            "account_id=acme-corp&account_id=globex",
            "The form is not valid: duplicate field",
        ),
        (
            "account_id=acme-corp&csrf_token=x",
            "The form is not valid: duplicate field",
        ),
    ];
    for (fields, words) in cases {
        let (status, message) = page_refusal(app.send(post_form("/runs", fields)).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{fields}");
        assert!(message.contains(words), "{fields}: {message}");
    }

    for (campaign, status, words) in [
        (
            "Q1%20Launch",
            StatusCode::BAD_REQUEST,
            "campaignId \"Q1 Launch\" is invalid",
        ),
        (
            "..%2F..%2Fetc%2Fpasswd",
            StatusCode::BAD_REQUEST,
            "campaignId \"../../etc/passwd\" is invalid",
        ),
        (
            "%E2%80%AEq1",
            StatusCode::BAD_REQUEST,
            "campaignId \"\\u{202e}q1\" is invalid",
        ),
        (
            "%FF",
            StatusCode::BAD_REQUEST,
            "campaignId in the address is not UTF-8",
        ),
        (
            &"c".repeat(5000),
            StatusCode::BAD_REQUEST,
            "it is longer than 64 characters",
        ),
        (
            "no-such-campaign",
            StatusCode::NOT_FOUND,
            "No campaign with id \"no-such-campaign\".",
        ),
    ] {
        let uri = format!("/campaigns/{campaign}/launch");
        let (got, message) = page_refusal(app.send(post_form(&uri, "")).await).await;
        assert_eq!(got, status, "{campaign}");
        assert!(message.contains(words), "{campaign}: {message}");
        assert!(message.len() < 300, "{message}");
    }
}

/// What only Temporal can judge, judged by a real one: odd ids are 404s, a token it
/// never handed out is a 400; nothing is a 500.
#[tokio::test]
async fn against_a_real_temporal_odd_ids_are_404_and_bad_tokens_400() {
    let server = DevServer::start_for_tests().await.unwrap();
    let app = TestApp::new(&server.address()).await;

    for id in [
        "drew-nobody-1",
        "..%2F..%2Fetc%2Fpasswd",
        "%2e%2e",
        "%E2%80%AEdrew-acme-corp-1",
        "drew-%D0%B0cme-corp-1",
        "drew-acme%E2%80%8D-corp-1",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        &"a".repeat(1000),
    ] {
        let refusal = api_refusal(app.get(&format!("/api/runs/{id}")).await).await;
        assert_eq!(
            refusal.status,
            StatusCode::NOT_FOUND,
            "{id}: {}",
            refusal.error
        );
        assert!(
            refusal.error.starts_with("no coordinator run with id \""),
            "{}",
            refusal.error
        );
        for page in [
            format!("/runs/{id}"),
            format!("/runs/{id}/live"),
            format!("/launches/{id}"),
        ] {
            let (status, message) = page_refusal(app.get(&page).await).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{page}");
            assert!(message.starts_with("No "), "{message}");
        }
    }
    // The right-to-left override is shown escaped, so the id cannot pass for another.
    let refusal = api_refusal(app.get("/api/runs/%E2%80%AEdrew-1").await).await;
    assert_eq!(
        refusal.error,
        "no coordinator run with id \"\\u{202e}drew-1\""
    );

    // Well-formed base64 of text, bytes, zeros, cut JSON and the wrong JSON. (`{}`
    // happens to be a token Temporal accepts: the first page.)
    for token in [
        "Z2FyYmFnZQ",
        "3q2-7w",
        "AAAAAAAAAAAAAAAAAAAAAA",
        "eyJ4Ijox",
        "W10",
    ] {
        let refusal = api_refusal(app.get(&format!("/api/runs?page={token}")).await).await;
        assert_eq!(refusal.status, StatusCode::BAD_REQUEST, "{token}");
        assert_eq!(refusal.field.as_deref(), Some("page"), "{token}");
        let (status, message) = page_refusal(app.get(&format!("/?page={token}")).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{token}");
        assert_eq!(message, "page is not a paging token from this list");
    }
}
