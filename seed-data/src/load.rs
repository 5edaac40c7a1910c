//! The loader: migrates each side's database and inserts the seed rows it lacks.
//!
//! Every row has a stable key and is inserted with `ON CONFLICT DO NOTHING`, so a
//! second load changes nothing, and a row someone edited by hand stays as edited.
//! Each side loads in one transaction: a failed load leaves no half-seeded database.

use std::fmt;

use chrono::{DateTime, Days, Utc};
use sqlx::{Any, AnyPool, Transaction};

use crate::db::DbError;
use crate::model::SeedSet;
use crate::{GTM_MIGRATOR, MARKETING_MIGRATOR};

/// What one load inserted, table by table.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LoadReport {
    /// `(table, rows inserted)` in load order.
    pub inserted: Vec<(&'static str, u64)>,
}

impl LoadReport {
    /// Rows inserted across all tables.
    pub fn total(&self) -> u64 {
        self.inserted.iter().map(|(_, n)| n).sum()
    }

    fn add(&mut self, table: &'static str, rows: u64) {
        match self.inserted.iter_mut().find(|(t, _)| *t == table) {
            Some((_, n)) => *n += rows,
            None => self.inserted.push((table, rows)),
        }
    }
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<_> = self
            .inserted
            .iter()
            .map(|(table, n)| format!("{table} +{n}"))
            .collect();
        write!(f, "{}", parts.join(", "))
    }
}

/// Why a load failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The database could not be opened.
    #[error("opening the {side} database: {source}")]
    Connect {
        /// `gtm` or `marketing`.
        side: &'static str,
        /// Why.
        source: DbError,
    },
    /// A migration failed.
    #[error("migrating the {side} database: {source}")]
    Migrate {
        /// `gtm` or `marketing`.
        side: &'static str,
        /// Why.
        source: sqlx::migrate::MigrateError,
    },
    /// An insert failed.
    #[error("loading {what} into the {side} database: {source}")]
    Insert {
        /// `gtm` or `marketing`.
        side: &'static str,
        /// The row being inserted.
        what: String,
        /// Why.
        source: sqlx::Error,
    },
}

/// Opens the GTM and Marketing databases at these URLs, migrates both and loads `seed`
/// into each (relative dates resolved against `now`), then closes them again: what
/// `seed-data`, the benchmark and the system tests do before the services start.
pub async fn load_urls(
    gtm_url: &str,
    marketing_url: &str,
    seed: &SeedSet,
    now: DateTime<Utc>,
) -> Result<(LoadReport, LoadReport), LoadError> {
    let gtm = crate::db::connect(gtm_url)
        .await
        .map_err(|source| LoadError::Connect {
            side: "gtm",
            source,
        })?;
    let gtm_report = load_gtm(&gtm, seed, now).await;
    gtm.close().await;
    let marketing =
        crate::db::connect(marketing_url)
            .await
            .map_err(|source| LoadError::Connect {
                side: "marketing",
                source,
            })?;
    let marketing_report = load_marketing(&marketing, seed).await;
    marketing.close().await;
    Ok((gtm_report?, marketing_report?))
}

/// Migrates the GTM database and inserts the seed's accounts, contacts, opportunities
/// and intent signals. Relative dates are resolved against `now`.
pub async fn load_gtm(
    pool: &AnyPool,
    seed: &SeedSet,
    now: DateTime<Utc>,
) -> Result<LoadReport, LoadError> {
    const SIDE: &str = "gtm";
    GTM_MIGRATOR
        .run(pool)
        .await
        .map_err(|source| LoadError::Migrate { side: SIDE, source })?;
    let mut tx = begin(pool, SIDE).await?;
    let mut report = LoadReport::default();
    for account in &seed.accounts {
        let id = account.id.as_str();
        let tech_stack = serde_json::to_string(&account.tech_stack).unwrap_or_default();
        let rows = sqlx::query(
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
        .bind(&account.owner)
        .execute(&mut *tx)
        .await
        .map_err(insert_error(SIDE, format!("account {id}")))?
        .rows_affected();
        report.add("accounts", rows);

        for (n, contact) in account.contacts.iter().enumerate() {
            let contact_id = format!("{id}-contact-{}", n + 1);
            let rows = sqlx::query(
                "INSERT INTO contacts (id, account_id, name, title, email, role) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(&contact_id)
            .bind(id)
            .bind(&contact.name)
            .bind(&contact.title)
            .bind(&contact.email)
            .bind(contact.role.as_str())
            .execute(&mut *tx)
            .await
            .map_err(insert_error(SIDE, format!("contact {contact_id}")))?
            .rows_affected();
            report.add("contacts", rows);
        }

        for opportunity in &account.opportunities {
            let close_date = shift_days(now, opportunity.close_in_days)
                .format("%Y-%m-%d")
                .to_string();
            let rows = sqlx::query(
                "INSERT INTO opportunities (id, account_id, name, stage, amount_usd, close_date) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(&opportunity.id)
            .bind(id)
            .bind(&opportunity.name)
            .bind(opportunity.stage.as_str())
            .bind(opportunity.amount_usd)
            .bind(close_date)
            .execute(&mut *tx)
            .await
            .map_err(insert_error(
                SIDE,
                format!("opportunity {}", opportunity.id),
            ))?
            .rows_affected();
            report.add("opportunities", rows);
        }

        for (n, signal) in account.intent_signals.iter().enumerate() {
            let signal_id = format!("{id}-signal-{}", n + 1);
            let observed_at = shift_days(now, -signal.days_ago)
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string();
            let rows = sqlx::query(
                "INSERT INTO intent_signals (id, account_id, topic, source, strength, observed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(&signal_id)
            .bind(id)
            .bind(&signal.topic)
            .bind(signal.source.as_str())
            .bind(signal.strength)
            .bind(observed_at)
            .execute(&mut *tx)
            .await
            .map_err(insert_error(SIDE, format!("intent signal {signal_id}")))?
            .rows_affected();
            report.add("intent_signals", rows);
        }
    }
    commit(tx, SIDE).await?;
    Ok(report)
}

/// Migrates the Marketing database and inserts the seed's programs, enrolments and
/// campaigns.
pub async fn load_marketing(pool: &AnyPool, seed: &SeedSet) -> Result<LoadReport, LoadError> {
    const SIDE: &str = "marketing";
    MARKETING_MIGRATOR
        .run(pool)
        .await
        .map_err(|source| LoadError::Migrate { side: SIDE, source })?;
    let mut tx = begin(pool, SIDE).await?;
    let mut report = LoadReport::default();
    for program in &seed.programs {
        let rows = sqlx::query(
            "INSERT INTO abm_programs (id, name, status, description, starts_on, ends_on, \
             touches_planned) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(&program.id)
        .bind(&program.name)
        .bind(program.status.as_str())
        .bind(&program.description)
        .bind(&program.starts_on)
        .bind(&program.ends_on)
        .bind(program.touches_planned)
        .execute(&mut *tx)
        .await
        .map_err(insert_error(SIDE, format!("program {}", program.id)))?
        .rows_affected();
        report.add("abm_programs", rows);

        for enrolment in &program.enrolments {
            let rows = sqlx::query(
                "INSERT INTO program_enrolments (program_id, account_id, touches_remaining) \
                 VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(&program.id)
            .bind(enrolment.account_id.as_str())
            .bind(enrolment.touches_remaining)
            .execute(&mut *tx)
            .await
            .map_err(insert_error(
                SIDE,
                format!("enrolment of {} in {}", enrolment.account_id, program.id),
            ))?
            .rows_affected();
            report.add("program_enrolments", rows);
        }
    }
    for campaign in &seed.campaigns {
        let rows = sqlx::query(
            "INSERT INTO campaigns (id, name, program_id, channel, status, description) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(&campaign.id)
        .bind(&campaign.name)
        .bind(campaign.program_id.as_deref())
        .bind(&campaign.channel)
        .bind(&campaign.status)
        .bind(&campaign.description)
        .execute(&mut *tx)
        .await
        .map_err(insert_error(SIDE, format!("campaign {}", campaign.id)))?
        .rows_affected();
        report.add("campaigns", rows);

        for (position, account) in campaign.target_accounts.iter().enumerate() {
            let rows = sqlx::query(
                "INSERT INTO campaign_targets (campaign_id, account_id, position) \
                 VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(&campaign.id)
            .bind(account.as_str())
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await
            .map_err(insert_error(
                SIDE,
                format!("target {account} of campaign {}", campaign.id),
            ))?
            .rows_affected();
            report.add("campaign_targets", rows);
        }
    }
    commit(tx, SIDE).await?;
    Ok(report)
}

fn shift_days(now: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    let magnitude = Days::new(days.unsigned_abs());
    let shifted = if days >= 0 {
        now.checked_add_days(magnitude)
    } else {
        now.checked_sub_days(magnitude)
    };
    shifted.unwrap_or(now)
}

async fn begin(pool: &AnyPool, side: &'static str) -> Result<Transaction<'static, Any>, LoadError> {
    pool.begin()
        .await
        .map_err(insert_error(side, "a transaction".into()))
}

async fn commit(tx: Transaction<'static, Any>, side: &'static str) -> Result<(), LoadError> {
    tx.commit()
        .await
        .map_err(insert_error(side, "the transaction's commit".into()))
}

fn insert_error(side: &'static str, what: String) -> impl FnOnce(sqlx::Error) -> LoadError {
    move |source| LoadError::Insert { side, what, source }
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

    #[test]
    fn report_adds_up_per_table() {
        let mut report = LoadReport::default();
        report.add("accounts", 2);
        report.add("contacts", 3);
        report.add("accounts", 1);
        assert_eq!(report.total(), 6);
        assert_eq!(report.to_string(), "accounts +3, contacts +3");
    }
}
