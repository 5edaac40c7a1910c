//! The dashboard in a real headless Chromium: start a run from the form and watch the
//! nine steps complete live, with the ABM panel showing acme-corp's program. A running
//! run followed live from its history, and still shown with no gtm-worker running. And
//! a finished run served with no gtm-worker running, read from its history.
//!
//! With `UPDATE_SCREENSHOTS=1`, the screenshots are written to `docs/screenshots/`
//! (for the README); otherwise to a temporary folder.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use devkit::browser::ChromeDriver;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use shared_contracts::steps::{STEPS, StepId};

use crate::observability::{free_address, http_get, scrape, series};
use crate::system::{self, System};

/// How long [`eventually`] waits before it fails the test: a bound for a loaded
/// machine, not a measure of speed.
const PATIENCE: Duration = Duration::from_secs(120);

/// Polls `probe` until it returns `Some`; fails the test after [`PATIENCE`].
async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(started.elapsed() < PATIENCE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn texts(browser: &Client, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for element in browser
        .find_all(Locator::Css(css))
        .await
        .unwrap_or_default()
    {
        out.push(element.text().await.unwrap_or_default());
    }
    out
}

/// A browser window of 1280×1100 on `driver`.
async fn open_browser(driver: &ChromeDriver) -> Client {
    let mut capabilities = fantoccini::wd::Capabilities::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        driver.chrome_options(1280, 1100),
    );
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url())
        .await
        .unwrap()
}

fn screenshot_dir() -> (PathBuf, Option<tempfile::TempDir>) {
    if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        let dir: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "docs", "screenshots"]
            .iter()
            .collect();
        std::fs::create_dir_all(&dir).unwrap();
        (dir, None)
    } else {
        let temp = tempfile::tempdir().unwrap();
        (temp.path().to_path_buf(), Some(temp))
    }
}

#[tokio::test]
async fn a_run_started_from_the_form_completes_live_in_the_browser() {
    let Some(driver) = ChromeDriver::start().await.unwrap() else {
        return;
    };
    let system = System::start().await;
    let web = system.start_web().await;

    system
        .with_gtm_worker(system.gtm_config(), async {
            let browser = open_browser(&driver).await;

            browser.goto(&web.url("/")).await.unwrap();
            let heading = browser
                .find(Locator::Css("h1"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert_eq!(heading, "Brief an account");
            browser
                .find(Locator::Css("#account_id"))
                .await
                .unwrap()
                .select_by_value("acme-corp")
                .await
                .unwrap();
            browser
                .find(Locator::Css("#start-form button[type=submit]"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();

            // The form redirects to the run's page, which then updates itself.
            let url = eventually("the run page", || async {
                let url = browser.current_url().await.ok()?;
                url.path()
                    .starts_with("/runs/drew-acme-corp-")
                    .then_some(url)
            })
            .await;
            let completed = eventually("every step completed", || async {
                let steps = browser
                    .find_all(Locator::Css("li.step[data-status=completed]"))
                    .await
                    .ok()?;
                (steps.len() == STEPS.len()).then_some(steps.len())
            })
            .await;
            assert_eq!(completed, STEPS.len());
            // The page updated in place: still the same URL, no reload needed.
            assert_eq!(browser.current_url().await.unwrap(), url);

            assert_eq!(texts(&browser, "#run-status").await, ["Completed"]);
            assert_eq!(
                texts(&browser, "#abm .headline").await,
                ["In an active ABM program"]
            );
            assert_eq!(
                texts(&browser, "#abm .program").await,
                ["Enterprise Expansion Q1"]
            );
            assert_eq!(texts(&browser, "#abm .touches").await, ["3"]);
            let recommendation = texts(&browser, "#brief .recommendation").await.join("");
            assert!(
                recommendation.contains("3 touches remaining"),
                "{recommendation}"
            );

            let (dir, _keep) = screenshot_dir();
            std::fs::write(dir.join("run.png"), browser.screenshot().await.unwrap()).unwrap();
            browser.goto(&web.url("/")).await.unwrap();
            let rows = texts(&browser, "table.runs tbody tr .badge").await;
            assert_eq!(rows, ["Completed"]);
            std::fs::write(dir.join("runs.png"), browser.screenshot().await.unwrap()).unwrap();
            browser.goto(&web.url("/accounts")).await.unwrap();
            std::fs::write(
                dir.join("accounts.png"),
                browser.screenshot().await.unwrap(),
            )
            .unwrap();

            // Launch a campaign from the dashboard: Marketing briefs each target account
            // through Nexus, and the launch page links every account's coordinator run.
            browser.goto(&web.url("/campaigns")).await.unwrap();
            browser
                .find(Locator::Css(
                    ".campaign[data-campaign=q1-enterprise-launch] button",
                ))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            eventually("the launch page", || async {
                let url = browser.current_url().await.ok()?;
                url.path()
                    .starts_with("/launches/launch-q1-enterprise-launch-")
                    .then_some(())
            })
            .await;
            let briefed = eventually("five briefed accounts", || async {
                let rows = browser
                    .find_all(Locator::Css(
                        "table.launch-accounts tr[data-status=completed]",
                    ))
                    .await
                    .ok()?;
                (rows.len() == 5).then_some(rows.len())
            })
            .await;
            assert_eq!(briefed, 5);
            assert_eq!(
                texts(&browser, "#launch-tally").await,
                ["5 of 5 accounts briefed"]
            );
            assert_eq!(
                texts(&browser, ".run-head h1").await,
                ["Q1 Enterprise Launch"]
            );
            assert_eq!(
                texts(&browser, "table.launch-accounts a.run-link")
                    .await
                    .len(),
                5
            );
            std::fs::write(dir.join("launch.png"), browser.screenshot().await.unwrap()).unwrap();
            // Each link opens that account's completed coordinator run.
            let first = browser
                .find(Locator::Css("table.launch-accounts a.run-link"))
                .await
                .unwrap();
            first.click().await.unwrap();
            eventually("a coordinator run page", || async {
                let status = texts(&browser, "#run-status").await;
                (status == ["Completed"]).then_some(())
            })
            .await;

            // A phone-sized window still shows the whole timeline.
            browser.set_window_size(390, 844).await.unwrap();
            browser.goto(url.as_str()).await.unwrap();
            assert_eq!(texts(&browser, "li.step").await.len(), STEPS.len());
            std::fs::write(
                dir.join("run-phone.png"),
                browser.screenshot().await.unwrap(),
            )
            .unwrap();
            browser.close().await.unwrap();
        })
        .await;
}

#[tokio::test]
async fn a_completed_run_is_shown_with_no_gtm_worker_running() {
    let system = System::start().await;
    let web = system.start_web().await;
    let workflow_id = system
        .with_gtm_worker(system.gtm_config(), async {
            let run = system
                .start_coordinator(serde_json::json!({"accountId": "acme-corp"}))
                .await;
            system::result(&run).await.unwrap();
            run.info().workflow_id.clone()
        })
        .await;
    // The worker has stopped: nothing can answer a query or replay the run.

    let (status, body) = http_get(web.address(), &format!("/api/runs/{workflow_id}")).await;
    assert_eq!(status, 200, "{body}");
    let run: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(run["workflowId"], workflow_id.as_str());
    assert!(!run["runId"].as_str().unwrap().is_empty());
    assert_eq!(run["accountId"], "acme-corp");
    assert_eq!(run["status"], "completed");
    assert_eq!(run["failure"], serde_json::Value::Null);
    let steps = run["steps"].as_array().unwrap();
    let ids: Vec<&str> = steps.iter().map(|s| s["id"].as_str().unwrap()).collect();
    let catalogue: Vec<&str> = shared_contracts::steps::STEPS
        .iter()
        .map(|s| s.id())
        .collect();
    assert_eq!(ids, catalogue);
    for step in steps {
        assert_eq!(step["status"], "completed", "{step}");
        let started = step["startedAt"].as_str().unwrap();
        let completed = step["completedAt"].as_str().unwrap();
        assert!(started <= completed, "{step}");
    }
    assert_eq!(steps[0]["title"], "Load account");
    assert_eq!(
        steps[0]["summary"],
        "Acme Corp · Manufacturing · North America"
    );
    assert_eq!(
        steps[StepId::MarketingAbmCheck.index()]["summary"],
        "Enterprise Expansion Q1 · active · 3 touches remaining"
    );
    assert_eq!(run["abm"]["inABMProgram"], true);
    assert_eq!(run["abm"]["programName"], "Enterprise Expansion Q1");
    assert_eq!(run["abm"]["touchesRemaining"], 3);
    assert_eq!(run["brief"]["accountId"], "acme-corp");
    let recommendation = run["brief"]["recommendation"].as_str().unwrap();
    assert!(
        recommendation.contains("3 touches remaining"),
        "{recommendation}"
    );

    let (status, html) = http_get(web.address(), &format!("/runs/{workflow_id}")).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(r#"id="run-status">Completed<"#), "{html}");
    assert_eq!(
        html.matches(r#"<li class="step completed""#).count(),
        STEPS.len(),
        "{html}"
    );
    assert!(!html.contains(r#"class="note""#), "{html}");
    assert!(html.contains(r#"data-kind="in_program""#), "{html}");
    assert!(
        html.contains(r#"class="program">Enterprise Expansion Q1<"#),
        "{html}"
    );
    assert!(html.contains(r#"class="touches">3<"#), "{html}");
    let shown_recommendation = html
        .split_once(r#"class="recommendation">"#)
        .and_then(|(_, rest)| rest.split_once("</p>"))
        .map(|(text, _)| text)
        .unwrap_or_default();
    assert!(
        shown_recommendation.contains("3 touches remaining"),
        "{html}"
    );
}

/// The run's JSON from the dashboard's API once `shows` holds for it.
async fn run_json_when(
    web: &system::WebHandle,
    workflow_id: &str,
    what: &str,
    shows: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    eventually(what, || async {
        let (status, body) = http_get(web.address(), &format!("/api/runs/{workflow_id}")).await;
        let run: serde_json::Value = serde_json::from_str(&body).ok()?;
        (status == 200 && shows(&run)).then_some(run)
    })
    .await
}

/// Each step's status when the run is at `at`: the steps before it `before`, `at`
/// itself `now`, the steps after it `after`. From the catalogue, not by position.
fn around(
    at: StepId,
    before: &'static str,
    now: &'static str,
    after: &'static str,
) -> Vec<&'static str> {
    STEPS
        .iter()
        .map(|step| match step.cmp(&at) {
            std::cmp::Ordering::Less => before,
            std::cmp::Ordering::Equal => now,
            std::cmp::Ordering::Greater => after,
        })
        .collect()
}

fn statuses(run: &serde_json::Value) -> Vec<&str> {
    run["steps"]
        .as_array()
        .map(|steps| steps.iter().filter_map(|s| s["status"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_running_run_is_followed_from_its_history_and_shown_with_no_worker() {
    // No Marketing: step 8 waits for its (long) deadline, so the run stays live.
    let system = System::start_without_marketing().await;
    let web_metrics = free_address();
    let web = system
        .start_web_with(|config| config.metrics_bind = Some(web_metrics))
        .await;
    let run = system
        .start_coordinator(serde_json::json!({"accountId": "acme-corp"}))
        .await;
    let workflow_id = run.info().workflow_id.clone();

    // Before any worker: running, nothing started. This view starts following it.
    let before = run_json_when(&web, &workflow_id, "the run, running", |run| {
        run["status"] == "running"
    })
    .await;
    assert_eq!(statuses(&before), vec!["pending"; STEPS.len()], "{before}");

    let mut config = system.gtm_config();
    config.abm_timeout = Duration::from_secs(600);
    let at_step_8 = |run: &serde_json::Value| {
        statuses(run).get(StepId::MarketingAbmCheck.index()) == Some(&"running")
    };
    let live = system
        .with_gtm_worker(config, async {
            run_json_when(&web, &workflow_id, "step 8 running", at_step_8).await
        })
        .await;
    // The worker has stopped: what follows comes from the history alone.

    let abm = StepId::MarketingAbmCheck;
    let expected = around(abm, "completed", "running", "pending");
    assert_eq!(statuses(&live), expected, "{live}");
    assert_eq!(live["status"], "running");
    let steps = live["steps"].as_array().unwrap();
    assert_eq!(
        steps[0]["summary"],
        "Acme Corp · Manufacturing · North America"
    );
    assert!(
        steps[2]["summary"].as_str().unwrap().starts_with("Fit "),
        "{live}"
    );
    // Each step before step 8 has its own times, in order, though all of them ran in
    // one workflow task.
    let times: Vec<(&str, &str)> = steps[..abm.index()]
        .iter()
        .map(|s| {
            (
                s["startedAt"].as_str().unwrap(),
                s["completedAt"].as_str().unwrap(),
            )
        })
        .collect();
    for (n, (started, completed)) in times.iter().enumerate() {
        assert!(started <= completed, "step {}: {live}", n + 1);
        if let Some((next_started, _)) = times.get(n + 1) {
            assert!(completed <= next_started, "step {}: {live}", n + 1);
        }
    }
    let step_8_started = steps[abm.index()]["startedAt"].as_str().unwrap();
    assert!(times.last().unwrap().1 <= step_8_started, "{live}");
    assert_eq!(live["abm"], serde_json::Value::Null);

    let (status, html) = http_get(web.address(), &format!("/runs/{workflow_id}")).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(r#"id="run-status">Running<"#), "{html}");
    assert_eq!(
        html.matches(r#"<li class="step completed""#).count(),
        abm.index()
    );
    assert!(
        html.contains(r#"data-step="marketing_abm_check" data-status="running""#),
        "{html}"
    );
    assert!(html.contains("Acme Corp"), "{html}");

    if let Some(driver) = ChromeDriver::start().await.unwrap() {
        let browser = open_browser(&driver).await;
        browser
            .goto(&web.url(&format!("/runs/{workflow_id}")))
            .await
            .unwrap();
        assert_eq!(texts(&browser, "#run-status").await, ["Running"]);
        let running = texts(&browser, "li.step[data-status=running] .title").await;
        assert!(
            matches!(running.as_slice(), [only] if only.starts_with("Marketing ABM check")),
            "{running:?}"
        );
        let (dir, _keep) = screenshot_dir();
        std::fs::write(
            dir.join("run-live.png"),
            browser.screenshot().await.unwrap(),
        )
        .unwrap();
        browser.close().await.unwrap();
    }

    // Stopping the run shows at once: step 8 stopped there, step 9 never ran.
    run.terminate(Default::default()).await.unwrap();
    let ended = run_json_when(&web, &workflow_id, "the run, terminated", |run| {
        run["status"] == "terminated"
    })
    .await;
    let expected = around(abm, "completed", "failed", "skipped");
    assert_eq!(statuses(&ended), expected, "{ended}");
    assert!(
        ended["failure"].as_str().unwrap().contains("terminated"),
        "{ended}"
    );

    // However many views, the dashboard read the history once, on the first: the watch
    // followed it from there, and left the closed run's history behind when it ended.
    let metrics = scrape(web_metrics).await;
    let views = series(
        &metrics,
        "http_server_requests_total",
        &[("route", "/api/runs/{workflow_id}")],
    )
    .unwrap();
    assert!(views >= 3.0, "{metrics}");
    let reads = |read| series(&metrics, "dashboard_history_reads_total", &[("read", read)]);
    assert_eq!(reads("running"), Some(1.0), "{metrics}");
    assert_eq!(reads("closed"), None, "{metrics}");
    assert!(reads("watch").unwrap() >= 2.0, "{metrics}");
}
