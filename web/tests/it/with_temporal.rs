//! With a real dev server (no workers): starting, listing, finding and not finding runs.

use std::time::Duration;

use axum::http::StatusCode;
use devkit::dev_server::DevServer;
use shared_contracts::steps::STEPS;

use crate::app::{TestApp, assert_status, json, select, text};

#[tokio::test]
async fn runs_are_started_listed_filtered_and_shown() {
    let server = DevServer::start_for_tests().await.unwrap();
    let app = TestApp::new(&server.address()).await;
    assert_status(&app.get("/readyz").await, StatusCode::OK);

    let started = app
        .post_json(
            "/api/runs",
            r#"{"accountId":"acme-corp","requestedBy":"web-tests"}"#,
        )
        .await;
    assert_status(&started, StatusCode::ACCEPTED);
    let started = json(started).await;
    let workflow_id = started["workflowId"].as_str().unwrap().to_owned();
    assert!(workflow_id.starts_with("drew-acme-corp-"), "{workflow_id}");
    assert!(!started["runId"].as_str().unwrap().is_empty());

    // Visibility is eventually consistent: wait for the list to show the run (two
    // minutes at most: a bound for a loaded machine, not a measure of speed).
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let listed = loop {
        let listed = json(app.get("/api/runs").await).await;
        if !listed["runs"].as_array().unwrap().is_empty() {
            break listed;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the run is not listed after two minutes"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let runs = listed["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "{listed}");
    assert_eq!(runs[0]["workflowId"], workflow_id.as_str());
    assert_eq!(runs[0]["status"], "running");

    // No worker runs it, so it stays running; the filters see it or not.
    let running = json(app.get("/api/runs?status=running&account=acme-corp").await).await;
    assert_eq!(running["runs"].as_array().unwrap().len(), 1);
    let completed = json(app.get("/api/runs?status=completed").await).await;
    assert!(completed["runs"].as_array().unwrap().is_empty());
    let other = json(app.get("/api/runs?account=globex").await).await;
    assert!(other["runs"].as_array().unwrap().is_empty());

    let detail = json(app.get(&format!("/api/runs/{workflow_id}")).await).await;
    assert_eq!(detail["status"], "running");
    assert_eq!(detail["brief"], serde_json::Value::Null);
    assert_eq!(detail["failure"], serde_json::Value::Null);

    let html = text(app.get("/").await).await;
    assert_eq!(select(&html, "table.runs tbody tr").len(), 1);
    assert_eq!(select(&html, "table.runs .badge.running"), ["Running"]);

    let page = app.get(&format!("/runs/{workflow_id}")).await;
    assert_status(&page, StatusCode::OK);
    let html = text(page).await;
    assert_eq!(select(&html, "ol.steps li.step").len(), STEPS.len());
    assert_eq!(select(&html, "#run-status"), ["Running"]);
    assert_eq!(select(&html, ".live-state[data-running=true]").len(), 1);
    // No gtm-worker has taken the run up: its history shows every step still to come.
    assert_eq!(select(&html, "ol.steps li.step.pending").len(), STEPS.len());
    assert_eq!(detail["steps"].as_array().map(Vec::len), Some(STEPS.len()));
    assert!(select(&html, ".run-head .links a")[0].contains("Temporal Web UI"));

    let fragment = text(app.get(&format!("/runs/{workflow_id}/live")).await).await;
    assert_eq!(select(&fragment, "li.step").len(), STEPS.len());
}

#[tokio::test]
async fn unknown_runs_are_404() {
    let server = DevServer::start_for_tests().await.unwrap();
    let app = TestApp::new(&server.address()).await;
    let api = app.get("/api/runs/drew-nobody-1").await;
    assert_status(&api, StatusCode::NOT_FOUND);
    assert_eq!(
        json(api).await["error"],
        "no coordinator run with id \"drew-nobody-1\""
    );
    let page = app.get("/runs/drew-nobody-1").await;
    assert_status(&page, StatusCode::NOT_FOUND);
    assert_eq!(select(&text(page).await, ".error-page h1"), ["Not Found"]);
}
