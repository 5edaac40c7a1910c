use chrono::Utc;
use seed_data::model::SeedSet;
use seed_data::{db, load};
use sqlx::{AnyPool, Row};

/// Every row of every seeded table, as text, in a stable order: two equal dumps mean
/// two equal databases.
async fn dump(pool: &AnyPool, tables: &[(&str, &str)]) -> Vec<String> {
    let mut rows = Vec::new();
    for (table, key) in tables {
        let query = format!("SELECT * FROM {table} ORDER BY {key}");
        for row in sqlx::query(&query).fetch_all(pool).await.unwrap() {
            let mut cells = vec![(*table).to_owned()];
            for index in 0..row.len() {
                let text: Option<String> = row.try_get(index).ok();
                let number: Option<i64> = row.try_get(index).ok();
                cells.push(format!("{text:?}/{number:?}"));
            }
            rows.push(cells.join("|"));
        }
    }
    rows
}

const GTM_TABLES: [(&str, &str); 4] = [
    ("accounts", "id"),
    ("contacts", "id"),
    ("opportunities", "id"),
    ("intent_signals", "id"),
];
const MARKETING_TABLES: [(&str, &str); 4] = [
    ("abm_programs", "id"),
    ("program_enrolments", "program_id, account_id"),
    ("campaigns", "id"),
    ("campaign_targets", "campaign_id, account_id"),
];

async fn loads_everything_once(gtm_url: &str, marketing_url: &str) {
    let seed = SeedSet::shipped().unwrap();
    let gtm = db::connect(gtm_url).await.unwrap();
    let marketing = db::connect(marketing_url).await.unwrap();

    let first = load::load_gtm(&gtm, &seed, Utc::now()).await.unwrap();
    let accounts = first
        .inserted
        .iter()
        .find(|(t, _)| *t == "accounts")
        .unwrap()
        .1;
    assert_eq!(accounts, seed.accounts.len() as u64);
    let contacts: usize = seed.accounts.iter().map(|a| a.contacts.len()).sum();
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contacts")
        .fetch_one(&gtm)
        .await
        .unwrap();
    assert_eq!(count, contacts as i64);
    let first_marketing = load::load_marketing(&marketing, &seed).await.unwrap();
    assert!(first_marketing.total() > 0);

    let gtm_before = dump(&gtm, &GTM_TABLES).await;
    let marketing_before = dump(&marketing, &MARKETING_TABLES).await;

    // The second load — even a day later — inserts nothing and changes nothing.
    let later = Utc::now() + chrono::Duration::days(1);
    assert_eq!(load::load_gtm(&gtm, &seed, later).await.unwrap().total(), 0);
    assert_eq!(
        load::load_marketing(&marketing, &seed)
            .await
            .unwrap()
            .total(),
        0
    );
    assert_eq!(dump(&gtm, &GTM_TABLES).await, gtm_before);
    assert_eq!(dump(&marketing, &MARKETING_TABLES).await, marketing_before);

    // acme-corp's enrolment is the contract's example.
    let row = sqlx::query(
        "SELECT p.name, p.status, e.touches_remaining FROM program_enrolments e \
         JOIN abm_programs p ON p.id = e.program_id WHERE e.account_id = $1",
    )
    .bind("acme-corp")
    .fetch_one(&marketing)
    .await
    .unwrap();
    assert_eq!(row.get::<String, _>(0), "Enterprise Expansion Q1");
    assert_eq!(row.get::<String, _>(1), "active");
    assert_eq!(row.get::<i64, _>(2), 3);

    // The two sides share nothing: no GTM table in the Marketing database.
    assert!(
        sqlx::query("SELECT 1 FROM accounts")
            .fetch_optional(&marketing)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn sqlite_loads_once_and_reloads_as_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    let gtm = format!("sqlite:{}/gtm.db", dir.path().display());
    let marketing = format!("sqlite:{}/marketing.db", dir.path().display());
    loads_everything_once(&gtm, &marketing).await;
}

#[tokio::test]
async fn postgres_loads_once_and_reloads_as_a_no_op() {
    let Some(gtm) = devkit::postgres::test_database().await.unwrap() else {
        return;
    };
    let marketing = devkit::postgres::test_database().await.unwrap().unwrap();
    loads_everything_once(&gtm, &marketing).await;
}

#[tokio::test]
async fn a_bad_url_is_a_clear_error() {
    let err = db::connect("postgres://nobody@127.0.0.1:1/none")
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot connect to postgres://nobody@127.0.0.1:1/none"),
        "{err}"
    );
}
