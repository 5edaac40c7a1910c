//! GTM's seed loader on both backends, a fresh SQLite file and a fresh PostgreSQL
//! database each: it loads everything once, and a second load changes nothing.

use chrono::Utc;
use devkit::table_dump::dump;
use gtm_worker::seed;
use gtm_worker::store::GtmStore;
use seed_data::model::SeedSet;

const TABLES: [(&str, &str); 4] = [
    ("accounts", "id"),
    ("contacts", "id"),
    ("opportunities", "id"),
    ("intent_signals", "id"),
];

async fn loads_everything_once(url: &str) {
    let seed = SeedSet::shipped().unwrap();
    let store = GtmStore::open(url).await.unwrap();

    let first = seed::load(&store, &seed, Utc::now()).await.unwrap();
    assert_eq!(first.rows("accounts"), seed.accounts.len() as u64);
    let contacts: usize = seed.accounts.iter().map(|a| a.contacts.len()).sum();
    assert_eq!(first.rows("contacts"), contacts as u64);
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contacts")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(count, contacts as i64);
    let before = dump(store.pool(), &TABLES).await.unwrap();

    // The second load — even a day later — inserts nothing and changes nothing.
    let later = Utc::now() + chrono::Duration::days(1);
    let second = seed::load(&store, &seed, later).await.unwrap();
    assert_eq!(second.total(), 0, "{second}");
    assert_eq!(dump(store.pool(), &TABLES).await.unwrap(), before);

    // GTM's schema holds none of Marketing's tables: the teams share no database.
    assert!(
        sqlx::query("SELECT 1 FROM abm_programs")
            .fetch_optional(store.pool())
            .await
            .is_err()
    );
    store.close().await;

    // Reopening (migrations already applied) and loading by URL, as `gtm-worker seed`
    // does, is a no-op too.
    let third = seed::load_url(url, &seed, later).await.unwrap();
    assert_eq!(third.total(), 0, "{third}");
}

#[tokio::test]
async fn sqlite_loads_once_and_reloads_as_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    loads_everything_once(&format!("sqlite:{}/gtm.db", dir.path().display())).await;
}

#[tokio::test]
async fn postgres_loads_once_and_reloads_as_a_no_op() {
    if let Some(url) = devkit::postgres::test_database().await.unwrap() {
        loads_everything_once(&url).await;
    }
}

#[tokio::test]
async fn a_bad_url_is_a_clear_error() {
    let seed = SeedSet::shipped().unwrap();
    let err = seed::load_url("postgres://nobody@127.0.0.1:1/none", &seed, Utc::now())
        .await
        .unwrap_err();
    // Each error names its own step once; the causes follow as its source chain.
    let mut chain = vec![err.to_string()];
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        chain.push(cause.to_string());
        source = cause.source();
    }
    assert_eq!(chain[0], "opening the GTM database", "{chain:?}");
    assert_eq!(
        chain[1], "cannot connect to postgres://nobody@127.0.0.1:1/none",
        "{chain:?}"
    );
    assert!(
        chain.len() >= 3,
        "the driver's reason is in the chain: {chain:?}"
    );
}
