//! Marketing's seed loader on both backends, a fresh SQLite file and a fresh PostgreSQL
//! database each: it loads everything once, a second load changes nothing, and the
//! contract's example (`acme-corp`) holds.

use devkit::table_dump::dump;
use marketing_worker::seed;
use marketing_worker::store::MarketingStore;
use seed_data::model::SeedSet;
use sqlx::Row;

const TABLES: [(&str, &str); 4] = [
    ("abm_programs", "id"),
    ("program_enrolments", "program_id, account_id"),
    ("campaigns", "id"),
    ("campaign_targets", "campaign_id, account_id"),
];

async fn loads_everything_once(url: &str) {
    let seed = SeedSet::shipped().unwrap();
    let store = MarketingStore::open(url).await.unwrap();

    let first = seed::load(&store, &seed).await.unwrap();
    assert_eq!(first.rows("abm_programs"), seed.programs.len() as u64);
    assert_eq!(first.rows("campaigns"), seed.campaigns.len() as u64);
    let enrolments: usize = seed.programs.iter().map(|p| p.enrolments.len()).sum();
    assert_eq!(first.rows("program_enrolments"), enrolments as u64);
    let before = dump(store.pool(), &TABLES).await.unwrap();

    // The second load inserts nothing and changes nothing.
    let second = seed::load(&store, &seed).await.unwrap();
    assert_eq!(second.total(), 0, "{second}");
    assert_eq!(dump(store.pool(), &TABLES).await.unwrap(), before);

    // acme-corp's enrolment is the contract's example.
    let row = sqlx::query(
        "SELECT p.name, p.status, e.touches_remaining FROM program_enrolments e \
         JOIN abm_programs p ON p.id = e.program_id WHERE e.account_id = $1",
    )
    .bind("acme-corp")
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(row.get::<String, _>(0), "Enterprise Expansion Q1");
    assert_eq!(row.get::<String, _>(1), "active");
    assert_eq!(row.get::<i64, _>(2), 3);

    // Marketing's schema holds none of GTM's tables: the teams share no database.
    assert!(
        sqlx::query("SELECT 1 FROM accounts")
            .fetch_optional(store.pool())
            .await
            .is_err()
    );
    store.close().await;

    // Reopening (migrations already applied) and loading by URL, as
    // `marketing-worker seed` does, is a no-op too.
    let third = seed::load_url(url, &seed).await.unwrap();
    assert_eq!(third.total(), 0, "{third}");
}

#[tokio::test]
async fn sqlite_loads_once_and_reloads_as_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    loads_everything_once(&format!("sqlite:{}/marketing.db", dir.path().display())).await;
}

#[tokio::test]
async fn postgres_loads_once_and_reloads_as_a_no_op() {
    if let Some(url) = devkit::postgres::test_database().await.unwrap() {
        loads_everything_once(&url).await;
    }
}
