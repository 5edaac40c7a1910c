//! GTM's part of the seed set into the GTM database: accounts, contacts,
//! opportunities and intent signals.
//!
//! Every row has a stable key (contacts and signals are numbered within their account)
//! and goes in with `ON CONFLICT DO NOTHING`, all in one transaction
//! ([`LoadTransaction`]): a second load inserts nothing, a row someone edited by hand
//! stays as edited, and a failed load leaves no half-seeded database. The seed's dates
//! are relative; a load resolves them against its `now`.
//!
//! `gtm-worker seed` runs [`load_url`]; so does `cargo xtask seed`, for both teams.

use chrono::{DateTime, Days, Utc};
use seed_data::model::SeedSet;
use service_kit::db::load::{LoadError, LoadReport, LoadTransaction};

use crate::store::GtmStore;

/// The database's name in messages.
const DATABASE: &str = "GTM";

/// Opens (and migrates) the GTM database at `url`, loads `seed` into it with
/// [`load`], and closes it again.
pub async fn load_url(
    url: &str,
    seed: &SeedSet,
    now: DateTime<Utc>,
) -> Result<LoadReport, LoadError> {
    let store = GtmStore::open(url)
        .await
        .map_err(|source| LoadError::Open {
            database: DATABASE,
            source,
        })?;
    let report = load(&store, seed, now).await;
    store.close().await;
    report
}

/// Inserts the seed's accounts, with their contacts, opportunities and intent signals,
/// that the database lacks. Relative dates are resolved against `now`.
pub async fn load(
    store: &GtmStore,
    seed: &SeedSet,
    now: DateTime<Utc>,
) -> Result<LoadReport, LoadError> {
    let mut load = LoadTransaction::begin(store.pool(), DATABASE).await?;
    for account in &seed.accounts {
        let id = account.id.as_str();
        let tech_stack = serde_json::to_string(&account.tech_stack).unwrap_or_default();
        let insert = sqlx::query(
            "INSERT INTO accounts (id, name, domain, industry, employees, annual_revenue_usd, \
             country, region, tech_stack, owner) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(&account.name)
        .bind(&account.domain)
        .bind(&account.industry)
        .bind(account.employees)
        .bind(account.annual_revenue_usd)
        .bind(&account.country)
        .bind(&account.region)
        .bind(tech_stack)
        .bind(&account.owner);
        load.insert("accounts", format!("account {id}"), insert)
            .await?;

        for (n, contact) in account.contacts.iter().enumerate() {
            let contact_id = format!("{id}-contact-{}", n + 1);
            let insert = sqlx::query(
                "INSERT INTO contacts (id, account_id, name, title, email, role) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(&contact_id)
            .bind(id)
            .bind(&contact.name)
            .bind(&contact.title)
            .bind(&contact.email)
            .bind(contact.role.as_str());
            load.insert("contacts", format!("contact {contact_id}"), insert)
                .await?;
        }

        for opportunity in &account.opportunities {
            let close_date = shift_days(now, opportunity.close_in_days)
                .format("%Y-%m-%d")
                .to_string();
            let insert = sqlx::query(
                "INSERT INTO opportunities (id, account_id, name, stage, amount_usd, close_date) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(&opportunity.id)
            .bind(id)
            .bind(&opportunity.name)
            .bind(opportunity.stage.as_str())
            .bind(opportunity.amount_usd)
            .bind(close_date);
            let what = format!("opportunity {}", opportunity.id);
            load.insert("opportunities", what, insert).await?;
        }

        for (n, signal) in account.intent_signals.iter().enumerate() {
            let signal_id = format!("{id}-signal-{}", n + 1);
            let observed_at = shift_days(now, -signal.days_ago)
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string();
            let insert = sqlx::query(
                "INSERT INTO intent_signals (id, account_id, topic, source, strength, observed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(&signal_id)
            .bind(id)
            .bind(&signal.topic)
            .bind(signal.source.as_str())
            .bind(signal.strength)
            .bind(observed_at);
            load.insert(
                "intent_signals",
                format!("intent signal {signal_id}"),
                insert,
            )
            .await?;
        }
    }
    load.commit().await
}

/// `now` moved by `days` (either way); `now` itself if that leaves chrono's range.
fn shift_days(now: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    let magnitude = Days::new(days.unsigned_abs());
    let shifted = if days >= 0 {
        now.checked_add_days(magnitude)
    } else {
        now.checked_sub_days(magnitude)
    };
    shifted.unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_days_resolve_both_ways() {
        let now = DateTime::parse_from_rfc3339("2026-03-10T09:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(shift_days(now, 5).to_rfc3339(), "2026-03-15T09:30:00+00:00");
        assert_eq!(
            shift_days(now, -10).to_rfc3339(),
            "2026-02-28T09:30:00+00:00"
        );
        assert_eq!(shift_days(now, 0), now);
    }
}
