//! The runs list at scale: 2,000 coordinator runs in visibility, paged through the
//! JSON API and the HTML page, unfiltered and filtered, each run listed exactly once
//! and in order.
//!
//! The runs are started on a task queue no worker polls, so they stay running without
//! costing a worker anything; every tenth is then terminated, which gives the status
//! filter two populations. The order is the one Temporal's visibility gives a list
//! query with no `ORDER BY`: running runs first, newest started first, then closed runs,
//! most recently closed first.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use seed_data::model::SeedSet;
use shared_contracts::names::{search_attributes, workflow_types};
use temporalio_client::{
    UntypedWorkflow, WorkflowCountOptions, WorkflowStartOptions, WorkflowTerminateOptions,
};
use temporalio_common::data_converters::RawValue;
use temporalio_common::protos::coresdk::AsJsonPayloadExt;
use temporalio_common::search_attributes::{SearchAttributeKey, SearchAttributes};

use crate::observability::http_get;
use crate::system::{System, WebHandle, wait_until};

/// Runs started.
const RUNS: usize = 2_000;

/// One run as the API lists it.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    workflow_id: String,
    account_id: Option<String>,
    status: String,
    started_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
}

/// What the runs were started with: workflow id → (account, terminated).
type Started = BTreeMap<String, (String, bool)>;

#[tokio::test]
async fn the_runs_list_pages_through_2000_runs_in_order_unfiltered_and_filtered() {
    let system = System::start_without_marketing().await;
    let web = system.start_web().await;
    let accounts: Vec<String> = SeedSet::shipped()
        .unwrap()
        .accounts
        .iter()
        .map(|a| a.id.to_string())
        .collect();

    // Started 32 at a time, as a busy dashboard would; nothing polls the queue.
    let queue = format!("runs-list-{}", devkit::probe::unique_suffix());
    let started: Started = futures::stream::iter(0..RUNS)
        .map(|i| {
            let account = accounts[i % accounts.len()].clone();
            let workflow_id = format!("drew-{account}-list-{i}-{}", devkit::probe::unique_suffix());
            let options = WorkflowStartOptions::new(queue.clone(), workflow_id.clone())
                .search_attributes(SearchAttributes::new([
                    SearchAttributeKey::<String>::keyword(search_attributes::ACCOUNT_ID)
                        .value_set(account.clone()),
                ]))
                .build();
            let input = serde_json::json!({"accountId": account});
            let gtm = &system.gtm;
            async move {
                let handle = gtm
                    .start_workflow(
                        UntypedWorkflow::new(workflow_types::DREW_COORDINATOR),
                        RawValue::new(vec![input.as_json_payload().unwrap()]),
                        options,
                    )
                    .await?;
                if i % 10 == 0 {
                    handle
                        .terminate(
                            WorkflowTerminateOptions::builder()
                                .reason("runs list test")
                                .build(),
                        )
                        .await
                        .map_err(|err| anyhow::anyhow!("terminating {workflow_id}: {err}"))?;
                }
                anyhow::Ok((workflow_id, (account, i % 10 == 0)))
            }
        })
        .buffer_unordered(32)
        .try_collect()
        .await
        .unwrap();
    let terminated = started.values().filter(|(_, t)| *t).count();
    assert_eq!((started.len(), terminated), (RUNS, RUNS / 10));

    // Visibility is written after the fact: wait until it holds every run.
    let count = |query: String| {
        let gtm = system.gtm.clone();
        async move {
            gtm.count_workflows(query, WorkflowCountOptions::default())
                .await
                .map(|c| c.count())
                .unwrap_or(0)
        }
    };
    let all = format!("WorkflowType = '{}'", workflow_types::DREW_COORDINATOR);
    wait_until("visibility to hold every run and every termination", || {
        let (all, closed) = (
            all.clone(),
            format!("{all} AND ExecutionStatus = 'Terminated'"),
        );
        async move { count(all).await == RUNS && count(closed).await == RUNS / 10 }
    })
    .await;

    // Unfiltered, through the API: every run once, in visibility's order.
    let rows = api_pages(&web, "").await;
    assert_listed_once_in_order(&rows, &started, |_, _| true);
    assert_eq!(rows.len().div_ceil(25), 80, "25 runs a page");

    // Filtered by account, by status, and by both.
    let acme = "acme-corp";
    let by_account = api_pages(&web, &format!("account={acme}")).await;
    assert_listed_once_in_order(&by_account, &started, |account, _| account == acme);
    assert!(
        by_account
            .iter()
            .all(|r| r.account_id.as_deref() == Some(acme))
    );
    let by_status = api_pages(&web, "status=terminated").await;
    assert_listed_once_in_order(&by_status, &started, |_, terminated| terminated);
    assert!(
        by_status
            .iter()
            .all(|r| r.status == "terminated" && r.closed_at.is_some())
    );
    let both = api_pages(&web, &format!("status=running&account={acme}")).await;
    assert_listed_once_in_order(&both, &started, |account, terminated| {
        account == acme && !terminated
    });
    assert!(both.iter().all(|r| r.status == "running"));

    // The HTML page pages the same way, following its own "Older runs" links: the
    // first five pages of the whole list, and the whole terminated list.
    let html = html_pages(&web, "/", 5).await;
    let api_ids: Vec<&str> = rows
        .iter()
        .take(125)
        .map(|r| r.workflow_id.as_str())
        .collect();
    assert_eq!(
        html, api_ids,
        "the page lists what the API lists, in the same order"
    );
    let html = html_pages(&web, "/?status=terminated", usize::MAX).await;
    let api_ids: Vec<&str> = by_status.iter().map(|r| r.workflow_id.as_str()).collect();
    assert_eq!(html, api_ids);
}

/// Every page of `GET /api/runs?<filter>`, following `nextPageToken`.
async fn api_pages(web: &WebHandle, filter: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut query = filter.to_owned();
        if let Some(token) = &token {
            query.push_str(&format!("&page={token}"));
        }
        let (status, body) = http_get(web.address(), &format!("/api/runs?{query}")).await;
        assert_eq!(status, 200, "GET /api/runs?{query}: {body}");
        let page: serde_json::Value = serde_json::from_str(&body).unwrap();
        let runs: Vec<Row> = serde_json::from_value(page["runs"].clone()).unwrap();
        assert!(runs.len() <= 25, "a page holds at most 25 runs");
        rows.extend(runs);
        match page["nextPageToken"].as_str() {
            Some(next) => token = Some(next.to_owned()),
            None => return rows,
        }
    }
}

/// The workflow ids of up to `pages` pages of the HTML list from `path`, following
/// each page's "Older runs" link.
async fn html_pages(web: &WebHandle, path: &str, pages: usize) -> Vec<String> {
    let mut ids = Vec::new();
    let mut path = path.to_owned();
    for _ in 0..pages {
        let (status, body) = http_get(web.address(), &path).await;
        assert_eq!(status, 200, "GET {path}");
        let marker = "class=\"run-row\" data-workflow-id=\"";
        let page: Vec<String> = body
            .split(marker)
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap().to_owned())
            .collect();
        assert!(page.len() <= 25);
        ids.extend(page);
        let Some(link) = body.split("<a class=\"more\" href=\"").nth(1) else {
            break;
        };
        // The href as a browser reads it: askama writes `&` as a character reference.
        path = link
            .split('"')
            .next()
            .unwrap()
            .replace("&#38;", "&")
            .replace("&amp;", "&");
    }
    ids
}

/// `rows` hold exactly the started runs `expected` selects (by account and whether it
/// was terminated), each once, running first by start time, then closed by close time,
/// newest first.
fn assert_listed_once_in_order(
    rows: &[Row],
    started: &Started,
    expected: impl Fn(&str, bool) -> bool,
) {
    let listed: BTreeSet<&str> = rows.iter().map(|r| r.workflow_id.as_str()).collect();
    assert_eq!(listed.len(), rows.len(), "a run is listed twice");
    let wanted: BTreeSet<&str> = started
        .iter()
        .filter(|(_, (account, terminated))| expected(account, *terminated))
        .map(|(id, _)| id.as_str())
        .collect();
    assert!(!wanted.is_empty());
    assert_eq!(
        listed, wanted,
        "the listed runs are the ones the filter selects"
    );
    let key = |row: &Row| {
        (
            row.closed_at.unwrap_or(DateTime::<Utc>::MAX_UTC),
            row.started_at,
        )
    };
    for pair in rows.windows(2) {
        assert!(
            key(&pair[0]) >= key(&pair[1]),
            "{} is listed before {}, which is newer",
            pair[0].workflow_id,
            pair[1].workflow_id
        );
    }
}
