//! Without Temporal: pages still render, with a banner; nothing is a 500.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use crate::app::{TestApp, assert_status, json, select, text};

#[tokio::test]
async fn health_is_up_and_readiness_reports_temporal_down() {
    let app = TestApp::without_temporal().await;
    assert_status(&app.get("/healthz").await, StatusCode::OK);
    let ready = app.get("/readyz").await;
    assert_status(&ready, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(text(ready).await, "Temporal is unreachable");
}

#[tokio::test]
async fn the_runs_page_renders_the_start_form_and_a_banner_when_temporal_is_down() {
    let app = TestApp::without_temporal().await;
    let response = app.get("/").await;
    assert_status(&response, StatusCode::OK);
    let cookie = response
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.starts_with("sb_csrf=") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let html = text(response).await;
    let steps = shared_contracts::steps::STEPS.len();
    assert!(
        html.contains(&format!("Runs the {steps}-step Drew Coordinator")),
        "the lead counts the catalogue's steps: {html}"
    );
    assert_eq!(
        select(&html, ".banner strong"),
        ["Temporal is unreachable."]
    );
    let options = select(&html, "#start-form select[name=account_id] option");
    assert_eq!(options.len(), 44);
    assert!(
        options.iter().any(|o| o.starts_with("Acme Corp")),
        "{options:?}"
    );
    assert_eq!(select(&html, "#start-form input[name=csrf_token]").len(), 1);
    assert_eq!(select(&html, "table.runs").len(), 0);
    assert_eq!(
        select(&html, "p.empty"),
        ["No runs yet: start one above, or from the Temporal CLI."]
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::without_temporal().await;
    for uri in ["/", "/accounts", "/api/accounts", "/nowhere"] {
        let response = app.get(uri).await;
        let headers = response.headers();
        assert!(
            headers[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("default-src 'self'"),
            "{uri}"
        );
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{uri}");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY", "{uri}");
    }
}

#[tokio::test]
async fn bad_input_is_a_400_naming_the_field() {
    let app = TestApp::without_temporal().await;
    let bad = app
        .post_json("/api/runs", r#"{"accountId":"Acme Corp"}"#)
        .await;
    assert_status(&bad, StatusCode::BAD_REQUEST);
    let body = json(bad).await;
    assert_eq!(body["field"], "accountId");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("accountId \"Acme Corp\" is invalid"),
        "{body}"
    );

    let unknown = json(
        app.post_json("/api/runs", r#"{"accountId":"ghost-co"}"#)
            .await,
    )
    .await;
    assert_eq!(
        unknown["error"],
        "accountId \"ghost-co\" is not a seeded account"
    );

    let missing = app.post_json("/api/runs", r#"{}"#).await;
    assert_status(&missing, StatusCode::BAD_REQUEST);
    assert_eq!(json(missing).await["error"], "accountId is required");

    let not_json = app.post_json("/api/runs", "accountId=acme-corp").await;
    assert_status(&not_json, StatusCode::BAD_REQUEST);

    let bad_filter = app.get("/api/runs?status=sleeping").await;
    assert_status(&bad_filter, StatusCode::BAD_REQUEST);
    assert_eq!(json(bad_filter).await["field"], "status");
}

#[tokio::test]
async fn temporal_down_is_a_503_with_a_clear_message_never_a_500() {
    let app = TestApp::without_temporal().await;
    let start = app
        .post_json("/api/runs", r#"{"accountId":"acme-corp"}"#)
        .await;
    assert_status(&start, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        json(start).await["error"],
        "Temporal is unreachable right now; the dashboard will recover when it is back."
    );
    let page = app.get("/runs/drew-acme-corp-1").await;
    assert_status(&page, StatusCode::SERVICE_UNAVAILABLE);
    let html = text(page).await;
    assert_eq!(
        select(&html, ".banner strong"),
        ["Temporal is unreachable."]
    );
    assert!(
        !html.contains("tonic") && !html.contains("transport error"),
        "{html}"
    );
}

#[tokio::test]
async fn the_form_needs_its_csrf_token() {
    let app = TestApp::without_temporal().await;
    let forged = app
        .send(
            Request::post("/runs")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, "sb_csrf=0123456789abcdef0123456789abcdef")
                .body(Body::from(
                    "csrf_token=ffffffffffffffffffffffffffffffff&account_id=acme-corp",
                ))
                .unwrap(),
        )
        .await;
    assert_status(&forged, StatusCode::FORBIDDEN);
    assert_eq!(
        select(&text(forged).await, ".error-page p:not(.code)")[0],
        "This form has expired. Reload the page and try again."
    );
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let app = TestApp::without_temporal().await;
    let huge = format!(
        r#"{{"accountId":"acme-corp","requestedBy":"{}"}}"#,
        "x".repeat(64 * 1024)
    );
    let response = app.post_json("/api/runs", &huge).await;
    assert_status(&response, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn accounts_are_listed_as_json_and_as_a_page() {
    let app = TestApp::without_temporal().await;
    let accounts = json(app.get("/api/accounts").await).await;
    assert_eq!(accounts.as_array().unwrap().len(), 44);
    let acme = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "acme-corp")
        .unwrap();
    assert_eq!(acme["name"], "Acme Corp");

    let html = text(app.get("/accounts").await).await;
    assert_eq!(select(&html, "table.accounts tbody tr").len(), 44);
    assert_eq!(
        select(&html, "tr[data-account=acme-corp] .recommendation .sub"),
        ["No brief yet"]
    );
}

#[tokio::test]
async fn unknown_pages_are_a_friendly_404() {
    let app = TestApp::without_temporal().await;
    let response = app.get("/nowhere").await;
    assert_status(&response, StatusCode::NOT_FOUND);
    assert_eq!(
        select(&text(response).await, ".error-page h1"),
        ["Not Found"]
    );
}

#[tokio::test]
async fn campaigns_are_listed_with_their_targets_and_a_launch_form() {
    let app = TestApp::without_temporal().await;
    let response = app.get("/campaigns").await;
    assert_status(&response, StatusCode::OK);
    let html = text(response).await;
    assert_eq!(select(&html, ".campaign").len(), 4);
    assert_eq!(
        select(
            &html,
            ".campaign[data-campaign=q1-enterprise-launch] .targets code"
        ),
        [
            "acme-corp",
            "globex",
            "stark-industries",
            "massive-dynamic",
            "hooli"
        ]
    );
    assert_eq!(
        select(
            &html,
            ".campaign[data-campaign=q1-enterprise-launch] button"
        ),
        ["Launch · brief 5 accounts"]
    );
    assert_eq!(
        select(&html, ".banner strong"),
        ["Temporal is unreachable."]
    );

    let forged = app
        .send(
            Request::post("/campaigns/q1-enterprise-launch/launch")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("csrf_token=nope"))
                .unwrap(),
        )
        .await;
    assert_status(&forged, StatusCode::FORBIDDEN);
}
