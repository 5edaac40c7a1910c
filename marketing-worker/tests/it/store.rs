//! Campaigns and launch results in the Marketing database, on SQLite and PostgreSQL:
//! a launch reads its campaign in target order, and each account's outcome is
//! recorded once per launch, whatever retries happen around the write.

use chrono::Utc;
use marketing_worker::store::MarketingStore;
use seed_data::model::SeedSet;
use shared_contracts::campaign::{LaunchAccountResult, LaunchAccountStatus};

fn outcome(account: &str, status: LaunchAccountStatus, detail: &str) -> LaunchAccountResult {
    let mut result = LaunchAccountResult::pending(account);
    result.status = status;
    match status {
        LaunchAccountStatus::Completed => {
            result.recommendation = Some(detail.into());
            result.coordinator_workflow_id = Some(format!("drew-{account}-nexus-1"));
        }
        _ => result.error = Some(detail.into()),
    }
    result
}

async fn records_each_outcome_once(url: &str) {
    let store = MarketingStore::open(url).await.unwrap();
    marketing_worker::seed::load(&store, &SeedSet::shipped().unwrap())
        .await
        .unwrap();

    let campaign = store
        .campaign("q1-enterprise-launch")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(campaign.name, "Q1 Enterprise Launch");
    assert_eq!(
        campaign.targets,
        [
            "acme-corp",
            "globex",
            "stark-industries",
            "massive-dynamic",
            "hooli"
        ]
    );
    assert!(store.campaign("no-such-campaign").await.unwrap().is_none());

    let launch = "launch-q1-1";
    let campaign_id = "q1-enterprise-launch";
    // Recorded out of target order, as lanes finish; read back in target order.
    let globex = outcome("globex", LaunchAccountStatus::Failed, "no brief");
    assert!(
        store
            .record_launch_result(launch, campaign_id, &globex, Utc::now())
            .await
            .unwrap()
    );
    let acme = outcome("acme-corp", LaunchAccountStatus::Completed, "Coordinate");
    assert!(
        store
            .record_launch_result(launch, campaign_id, &acme, Utc::now())
            .await
            .unwrap()
    );
    // A retried write changes nothing: the first row stands.
    let retried = outcome(
        "acme-corp",
        LaunchAccountStatus::Completed,
        "Something else",
    );
    assert!(
        !store
            .record_launch_result(launch, campaign_id, &retried, Utc::now())
            .await
            .unwrap()
    );

    let rows = store.launch_results(launch).await.unwrap();
    let summary: Vec<_> = rows
        .iter()
        .map(|r| (r.account_id.as_str(), r.status, r.detail.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("acme-corp", LaunchAccountStatus::Completed, "Coordinate"),
            ("globex", LaunchAccountStatus::Failed, "no brief"),
        ]
    );
    assert_eq!(
        rows[0].coordinator_workflow_id.as_deref(),
        Some("drew-acme-corp-nexus-1")
    );
    assert_eq!(rows[1].coordinator_workflow_id, None);
    assert!(
        rows[0].recorded_at.ends_with('Z'),
        "{}",
        rows[0].recorded_at
    );
    assert!(
        store
            .launch_results("another-launch")
            .await
            .unwrap()
            .is_empty()
    );

    // Only final outcomes are recorded.
    let running = outcome("hooli", LaunchAccountStatus::Running, "");
    let refused = store
        .record_launch_result(launch, campaign_id, &running, Utc::now())
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("still running"), "{refused}");
}

#[tokio::test]
async fn sqlite_records_each_outcome_once() {
    let dir = tempfile::tempdir().unwrap();
    records_each_outcome_once(&format!("sqlite:{}/marketing.db", dir.path().display())).await;
}

#[tokio::test]
async fn postgres_records_each_outcome_once() {
    if let Some(url) = devkit::postgres::test_database().await.unwrap() {
        records_each_outcome_once(&url).await;
    }
}
