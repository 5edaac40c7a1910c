//! Customer Success's part of the seed set into its database: every account's support
//! tickets, usage readings, NPS responses and renewal date.
//!
//! Every row has a stable key (usage readings and NPS responses are numbered within
//! their account) and goes in with `ON CONFLICT DO NOTHING`, all in one
//! transaction ([`LoadTransaction`]): a second load inserts nothing, a row someone
//! edited by hand stays as edited, and a failed load leaves no half-seeded database.
//! The seed's dates are relative; a load resolves them against its `now`, so a fresh
//! database always looks current.
//!
//! `customer-success-worker seed` runs [`load_url`]; so does `cargo xtask seed`.

use chrono::{DateTime, Duration, Utc};
use seed_data::model::SeedSet;
use service_kit::db::load::{LoadError, LoadReport, LoadTransaction};

use crate::store::{CsStore, stored_time};

/// The database's name in messages.
const DATABASE: &str = "Customer Success";

/// Opens (and migrates) the database at `url`, loads `seed` into it with [`load`], and
/// closes it again.
pub async fn load_url(
    url: &str,
    seed: &SeedSet,
    now: DateTime<Utc>,
) -> Result<LoadReport, LoadError> {
    let store = CsStore::open(url).await.map_err(|source| LoadError::Open {
        database: DATABASE,
        source,
    })?;
    let report = load(&store, seed, now).await;
    store.close().await;
    report
}

/// Inserts the seed's Customer Success records that the database lacks, with relative
/// dates resolved against `now`.
pub async fn load(
    store: &CsStore,
    seed: &SeedSet,
    now: DateTime<Utc>,
) -> Result<LoadReport, LoadError> {
    let ago = |days: i64| stored_time(now - Duration::days(days));
    let mut load = LoadTransaction::begin(store.pool(), DATABASE).await?;
    for record in &seed.customer_success {
        let account = record.account_id.as_str();
        for ticket in &record.tickets {
            let insert = sqlx::query(
                "INSERT INTO support_tickets (id, account_id, subject, severity, status, \
                 opened_at, closed_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            )
            .bind(&ticket.id)
            .bind(account)
            .bind(&ticket.subject)
            .bind(ticket.severity.as_str())
            .bind(ticket.status.as_str())
            .bind(ago(ticket.opened_days_ago))
            .bind(ticket.closed_days_ago.map(ago));
            load.insert("support_tickets", format!("ticket {}", ticket.id), insert)
                .await?;
        }
        for (n, reading) in record.usage.iter().enumerate() {
            let id = format!("{account}-usage-{}", n + 1);
            let insert = sqlx::query(
                "INSERT INTO usage_snapshots (id, account_id, taken_on, active_users, seats) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(&id)
            .bind(account)
            .bind(ago(reading.days_ago))
            .bind(reading.active_users)
            .bind(reading.seats);
            load.insert("usage_snapshots", format!("usage reading {id}"), insert)
                .await?;
        }
        for (n, response) in record.nps.iter().enumerate() {
            let id = format!("{account}-nps-{}", n + 1);
            let insert = sqlx::query(
                "INSERT INTO nps_responses (id, account_id, responded_at, score, respondent) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(&id)
            .bind(account)
            .bind(ago(response.days_ago))
            .bind(response.score)
            .bind(&response.respondent);
            load.insert("nps_responses", format!("NPS response {id}"), insert)
                .await?;
        }
        if let Some(days) = record.renewal_in_days {
            let insert = sqlx::query(
                "INSERT INTO renewals (account_id, renews_on) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(account)
            .bind(ago(-days));
            load.insert("renewals", format!("renewal of {account}"), insert)
                .await?;
        }
    }
    load.commit().await
}
