//! The brief is stored once per run, whatever retries or crashes happen around the
//! write, on SQLite and PostgreSQL.

use chrono::Utc;
use gtm_worker::store::GtmStore;
use seed_data::model::SeedSet;
use shared_contracts::AccountId;
use shared_contracts::coordinator::{
    AbmOutcome, BuyingCommittee, CoordinatorBrief, FitScore, IntentSummary, PipelineSummary,
};

fn brief(recommendation: &str) -> CoordinatorBrief {
    CoordinatorBrief {
        account_id: AccountId::parse("acme-corp").unwrap(),
        account_name: "Acme Corp".into(),
        fit_score: FitScore {
            score: 90,
            tier: "A".into(),
            factors: vec![],
        },
        intent: IntentSummary {
            window_days: 30,
            signal_count: 0,
            score: 0.0,
            level: "none".into(),
            top_topics: vec![],
            latest_signal_at: None,
        },
        buying_committee: BuyingCommittee {
            covered_roles: vec![],
            missing_roles: vec![],
            coverage_percent: 0,
            members: vec![],
        },
        open_pipeline: PipelineSummary {
            open_count: 0,
            total_amount_usd: 0,
            weighted_amount_usd: 0,
            next_close_date: None,
            furthest_stage: None,
        },
        next_actions: vec![],
        abm: AbmOutcome::unavailable("test"),
        recommendation: recommendation.into(),
        completed_at: Utc::now(),
    }
}

async fn stores_once(url: &str) {
    let store = GtmStore::open(url).await.unwrap();
    gtm_worker::seed::load(&store, &SeedSet::shipped().unwrap(), Utc::now())
        .await
        .unwrap();

    let first = store
        .save_brief("drew-acme-corp-1", "run-a", &brief("first"))
        .await
        .unwrap();
    assert_eq!(first.recommendation, "first");
    // A retry (or a restarted worker) writing again: the first write stands.
    let again = store
        .save_brief("drew-acme-corp-1", "run-a", &brief("second"))
        .await
        .unwrap();
    assert_eq!(again.recommendation, "first");
    assert_eq!(store.brief_count("drew-acme-corp-1").await.unwrap(), 1);
    // Another run of the same workflow id is another brief.
    store
        .save_brief("drew-acme-corp-1", "run-b", &brief("next run"))
        .await
        .unwrap();
    assert_eq!(store.brief_count("drew-acme-corp-1").await.unwrap(), 2);

    let acme = store.account("acme-corp").await.unwrap().unwrap();
    assert_eq!(acme.name, "Acme Corp");
    assert_eq!(store.contacts("acme-corp").await.unwrap().len(), 5);
    assert!(store.account("ghost-co").await.unwrap().is_none());
}

#[tokio::test]
async fn sqlite_stores_a_brief_once_per_run() {
    let dir = tempfile::tempdir().unwrap();
    stores_once(&format!("sqlite:{}/gtm.db", dir.path().display())).await;
}

#[tokio::test]
async fn postgres_stores_a_brief_once_per_run() {
    if let Some(url) = devkit::postgres::test_database().await.unwrap() {
        stores_once(&url).await;
    }
}
