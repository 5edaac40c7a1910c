//! The Customer Success database: support tickets, product usage readings, NPS
//! responses and renewals (what the health rules read), and the health snapshots the
//! monitors take.
//!
//! Customer Success owns this schema: its migrations live in
//! `customer-success-worker/migrations/` (portable SQL that runs unchanged on SQLite
//! and PostgreSQL), embedded as [`MIGRATOR`], and [`CsStore::open`] applies them. Times
//! are stored as RFC 3339 UTC text.

use chrono::{DateTime, SecondsFormat, Utc};
use service_kit::db::{self, DbError};
use shared_contracts::AccountId;
use shared_contracts::health::AccountHealth;
use shared_contracts::monitor::HealthSnapshot;
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Row};

use crate::rules::{self, AccountRecords, Severity, UsageReading};

/// Migrations of the Customer Success database.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Access to the Customer Success database.
#[derive(Debug, Clone)]
pub struct CsStore {
    pool: AnyPool,
}

/// Errors reading or writing the Customer Success database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("Customer Success database: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored value breaks a rule the schema relies on.
    #[error("Customer Success database: invalid {what}: {detail}")]
    Invalid {
        /// Which value.
        what: &'static str,
        /// What is wrong with it.
        detail: String,
    },
}

/// A time as the database stores it.
pub fn stored_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_time(what: &'static str, value: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(value)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|err| StoreError::Invalid {
            what,
            detail: format!("{value:?}: {err}"),
        })
}

impl CsStore {
    /// Opens the database at `url` (an SQLite file, created when missing, or a
    /// `postgres://` URL) and applies the migrations it lacks.
    pub async fn open(url: &str) -> Result<Self, DbError> {
        Ok(Self::new(db::connect_and_migrate(url, &MIGRATOR).await?))
    }

    /// A store over an open, migrated pool.
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// The underlying pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// What the rules read about `account`: an account with no rows has empty records.
    pub async fn records(&self, account: &AccountId) -> Result<AccountRecords, StoreError> {
        let id = account.as_str();
        let severities: Vec<String> = sqlx::query_scalar(
            "SELECT severity FROM support_tickets WHERE account_id = $1 AND status = 'open' \
             ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let open_tickets = severities
            .iter()
            .map(|s| {
                Severity::parse(s).ok_or_else(|| StoreError::Invalid {
                    what: "ticket severity",
                    detail: s.clone(),
                })
            })
            .collect::<Result<_, _>>()?;

        let usage = sqlx::query(
            "SELECT taken_on, active_users, seats FROM usage_snapshots WHERE account_id = $1 \
             ORDER BY taken_on",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            let taken_on: String = row.try_get(0)?;
            let active: i64 = row.try_get(1)?;
            let seats: i64 = row.try_get(2)?;
            Ok(UsageReading {
                taken_on: parse_time("usage reading time", &taken_on)?,
                active_users: u32::try_from(active).unwrap_or(0),
                seats: u32::try_from(seats).unwrap_or(0),
            })
        })
        .collect::<Result<_, StoreError>>()?;

        let nps = sqlx::query(
            "SELECT responded_at, score FROM nps_responses WHERE account_id = $1 \
             ORDER BY responded_at",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            let at: String = row.try_get(0)?;
            let score: i64 = row.try_get(1)?;
            Ok((
                parse_time("NPS response time", &at)?,
                u8::try_from(score.clamp(0, 10)).unwrap_or(0),
            ))
        })
        .collect::<Result<_, StoreError>>()?;

        let renews_on: Option<String> =
            sqlx::query_scalar("SELECT renews_on FROM renewals WHERE account_id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(AccountRecords {
            open_tickets,
            usage,
            nps,
            renews_on: renews_on
                .map(|on| parse_time("renewal date", &on))
                .transpose()?,
        })
    }

    /// Customer Success's health of `account` as of `now` ([`rules::account_health`]).
    pub async fn account_health(
        &self,
        account: &AccountId,
        now: DateTime<Utc>,
    ) -> Result<AccountHealth, StoreError> {
        let records = self.records(account).await?;
        Ok(rules::account_health(account.clone(), &records, now))
    }

    /// Stores a monitor's snapshot, once: the key is the account and the check's
    /// number, so a retried write leaves the first row as it is. Returns whether this
    /// call wrote it.
    pub async fn record_snapshot(&self, snapshot: &HealthSnapshot) -> Result<bool, StoreError> {
        let json = serde_json::to_string(snapshot).map_err(|err| StoreError::Invalid {
            what: "health snapshot",
            detail: err.to_string(),
        })?;
        let written = sqlx::query(
            "INSERT INTO health_snapshots (account_id, cycle, checked_at, score, band, missing, \
             snapshot) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(snapshot.account_id.as_str())
        .bind(i64::try_from(snapshot.cycle).unwrap_or(i64::MAX))
        .bind(stored_time(snapshot.checked_at))
        .bind(snapshot.score.map(i64::from))
        .bind(snapshot.band.map(|band| band.as_str()))
        .bind(snapshot.missing.join(","))
        .bind(json)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(written > 0)
    }

    /// Every stored snapshot of `account`, oldest first.
    pub async fn snapshots(&self, account: &AccountId) -> Result<Vec<HealthSnapshot>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT snapshot FROM health_snapshots WHERE account_id = $1 ORDER BY cycle",
        )
        .bind(account.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|json| {
                serde_json::from_str(json).map_err(|err| StoreError::Invalid {
                    what: "stored health snapshot",
                    detail: err.to_string(),
                })
            })
            .collect()
    }

    /// Opens a support ticket: what a support agent's tool would write.
    pub async fn open_ticket(
        &self,
        id: &str,
        account: &AccountId,
        subject: &str,
        severity: Severity,
        opened_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO support_tickets (id, account_id, subject, severity, status, opened_at) \
             VALUES ($1, $2, $3, $4, 'open', $5)",
        )
        .bind(id)
        .bind(account.as_str())
        .bind(subject)
        .bind(severity.as_str())
        .bind(stored_time(opened_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_read_back() {
        let at = DateTime::parse_from_rfc3339("2026-03-04T05:06:07.891Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(stored_time(at), "2026-03-04T05:06:07.891Z");
        assert_eq!(parse_time("t", &stored_time(at)).unwrap(), at);
        assert!(parse_time("t", "yesterday").is_err());
    }
}
