//! Customer Success's database on SQLite and PostgreSQL: the seed loads once, every
//! seeded account has a health and every band is seeded, a new ticket moves the score,
//! and a monitor's snapshot is stored once per check.

use chrono::{Duration, Utc};
use customer_success_worker::rules::Severity;
use customer_success_worker::store::CsStore;
use seed_data::model::SeedSet;
use shared_contracts::AccountId;
use shared_contracts::health::HealthBand;
use shared_contracts::monitor::{HealthSnapshot, TeamView};

/// Seeds the database at `url` twice (the second load inserts nothing) and opens it.
async fn seeded(url: &str) -> CsStore {
    let seed = SeedSet::shipped().unwrap();
    let first = customer_success_worker::seed::load_url(url, &seed, Utc::now())
        .await
        .unwrap();
    assert_eq!(first.rows("support_tickets"), 153, "{first}");
    assert_eq!(first.rows("renewals"), 41, "{first}");
    // A second load, a day later, inserts nothing: every row has a stable key.
    let second =
        customer_success_worker::seed::load_url(url, &seed, Utc::now() + Duration::days(1))
            .await
            .unwrap();
    assert_eq!(second.total(), 0, "{second}");
    CsStore::open(url).await.unwrap()
}

async fn every_seeded_account_has_a_health_and_every_band_is_seeded(store: &CsStore) {
    let seed = SeedSet::shipped().unwrap();
    let mut bands = std::collections::BTreeSet::new();
    for account in &seed.accounts {
        let health = store.account_health(&account.id, Utc::now()).await.unwrap();
        assert!(health.health_score <= 100);
        assert!(!health.drivers.is_empty(), "{}: no drivers", account.id);
        bands.insert(health.band);
    }
    assert_eq!(bands.len(), 3, "seeded bands: {bands:?}");
}

async fn a_new_critical_ticket_lowers_the_score_and_snapshots_are_stored_once(store: &CsStore) {
    let acme = AccountId::parse("acme-corp").unwrap();
    let before = store.account_health(&acme, Utc::now()).await.unwrap();
    store
        .open_ticket(
            "tkt-test-1",
            &acme,
            "Outage",
            Severity::Critical,
            Utc::now(),
        )
        .await
        .unwrap();
    let after = store.account_health(&acme, Utc::now()).await.unwrap();
    assert_eq!(after.health_score, before.health_score - 20);
    assert_eq!(after.open_tickets, before.open_tickets + 1);

    let snapshot = HealthSnapshot {
        account_id: acme.clone(),
        cycle: 1,
        checked_at: Utc::now(),
        score: Some(after.health_score),
        band: Some(HealthBand::of_score(after.health_score)),
        customer_success: TeamView::Available(after),
        marketing: TeamView::unavailable("down"),
        gtm: TeamView::unavailable("down"),
        missing: vec!["marketing".into(), "gtm".into()],
        drivers: vec![],
    };
    assert!(store.record_snapshot(&snapshot).await.unwrap());
    assert!(
        !store.record_snapshot(&snapshot).await.unwrap(),
        "kept the first"
    );
    assert_eq!(store.snapshots(&acme).await.unwrap(), [snapshot]);
}

async fn holds_every_account_and_each_snapshot_once(url: &str) {
    let store = seeded(url).await;
    every_seeded_account_has_a_health_and_every_band_is_seeded(&store).await;
    a_new_critical_ticket_lowers_the_score_and_snapshots_are_stored_once(&store).await;
    store.close().await;
}

#[tokio::test]
async fn sqlite_holds_every_account_and_each_snapshot_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}/customer-success.db", dir.path().display());
    holds_every_account_and_each_snapshot_once(&url).await;
}

#[tokio::test]
async fn postgres_holds_every_account_and_each_snapshot_once() {
    if let Some(url) = devkit::postgres::test_database().await.unwrap() {
        holds_every_account_and_each_snapshot_once(&url).await;
    }
}
