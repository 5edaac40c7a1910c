//! The GTM database: accounts and what sales knows about them, and stored briefs.
//!
//! GTM owns this schema: its migrations live in `gtm-worker/migrations/` (portable SQL
//! that runs unchanged on SQLite and PostgreSQL), embedded as [`MIGRATOR`], and
//! [`GtmStore::open`] applies them whenever the worker (or its `seed` command) opens
//! the database. Released migration files are never edited: sqlx checksums them.

use chrono::{DateTime, NaiveDate, Utc};
use seed_data::model::{ContactRole, OpportunityStage};
use serde::{Deserialize, Serialize};
use service_kit::db::{self, DbError};
use shared_contracts::coordinator::CoordinatorBrief;
use sqlx::any::AnyRow;
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Row};

/// Migrations of the GTM database (accounts, contacts, opportunities, intent signals,
/// coordinator briefs).
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// An account row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountRecord {
    /// Slug.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Web domain.
    pub domain: String,
    /// Industry.
    pub industry: String,
    /// Head count.
    pub employees: i64,
    /// Annual revenue, whole US dollars.
    pub annual_revenue_usd: i64,
    /// ISO country code.
    pub country: String,
    /// Sales region.
    pub region: String,
    /// Known technologies.
    pub tech_stack: Vec<String>,
    /// Account executive.
    pub owner: String,
}

/// A contact row.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactRecord {
    /// Full name.
    pub name: String,
    /// Job title.
    pub title: String,
    /// Buying-committee role.
    pub role: ContactRole,
}

/// An opportunity row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpportunityRecord {
    /// Stable id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Sales stage.
    pub stage: OpportunityStage,
    /// Amount, whole US dollars.
    pub amount_usd: i64,
    /// Expected close date.
    pub close_date: NaiveDate,
}

/// An intent signal row.
#[derive(Debug, Clone, PartialEq)]
pub struct IntentSignalRecord {
    /// Topic researched.
    pub topic: String,
    /// Where it came from.
    pub source: String,
    /// 1-5.
    pub strength: i64,
    /// When.
    pub observed_at: DateTime<Utc>,
}

/// A stored brief with the run that wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredBrief {
    /// The run's workflow id.
    pub workflow_id: String,
    /// The run's id.
    pub run_id: String,
    /// The brief.
    pub brief: CoordinatorBrief,
    /// When it was stored.
    pub created_at: String,
}

/// Errors reading or writing the GTM database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("GTM database: {0}")]
    Database(#[from] sqlx::Error),
    /// A row holds something the schema should not allow.
    #[error("GTM database holds an invalid {what}: {detail}")]
    Invalid {
        /// Which value.
        what: &'static str,
        /// What is wrong with it.
        detail: String,
    },
}

/// Access to the GTM database.
#[derive(Debug, Clone)]
pub struct GtmStore {
    pool: AnyPool,
}

impl GtmStore {
    /// Opens the GTM database at `url` (an SQLite file, created when missing, or a
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

    /// Closes the pool, waiting for connections in use to be returned: the last thing
    /// a worker does, so SQLite checkpoints and removes its WAL files.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The account, if it exists.
    pub async fn account(&self, id: &str) -> Result<Option<AccountRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, domain, industry, employees, annual_revenue_usd, country, region, \
             tech_stack, owner FROM accounts WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| account_from_row(&row)).transpose()
    }

    /// The account's contacts.
    pub async fn contacts(&self, account_id: &str) -> Result<Vec<ContactRecord>, StoreError> {
        let rows =
            sqlx::query("SELECT name, title, role FROM contacts WHERE account_id = $1 ORDER BY id")
                .bind(account_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                let role: String = row.try_get(2)?;
                Ok(ContactRecord {
                    name: row.try_get(0)?,
                    title: row.try_get(1)?,
                    role: ContactRole::parse(&role).ok_or(StoreError::Invalid {
                        what: "contact role",
                        detail: role,
                    })?,
                })
            })
            .collect()
    }

    /// The account's opportunities, open and closed.
    pub async fn opportunities(
        &self,
        account_id: &str,
    ) -> Result<Vec<OpportunityRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, stage, amount_usd, close_date FROM opportunities \
             WHERE account_id = $1 ORDER BY close_date, id",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let stage: String = row.try_get(2)?;
                let close: String = row.try_get(4)?;
                Ok(OpportunityRecord {
                    id: row.try_get(0)?,
                    name: row.try_get(1)?,
                    stage: OpportunityStage::parse(&stage).ok_or(StoreError::Invalid {
                        what: "opportunity stage",
                        detail: stage,
                    })?,
                    amount_usd: row.try_get(3)?,
                    close_date: NaiveDate::parse_from_str(&close, "%Y-%m-%d").map_err(|err| {
                        StoreError::Invalid {
                            what: "close date",
                            detail: format!("{close}: {err}"),
                        }
                    })?,
                })
            })
            .collect()
    }

    /// The account's intent signals, newest first.
    pub async fn intent_signals(
        &self,
        account_id: &str,
    ) -> Result<Vec<IntentSignalRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT topic, source, strength, observed_at FROM intent_signals \
             WHERE account_id = $1 ORDER BY observed_at DESC",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let observed: String = row.try_get(3)?;
                Ok(IntentSignalRecord {
                    topic: row.try_get(0)?,
                    source: row.try_get(1)?,
                    strength: row.try_get(2)?,
                    observed_at: DateTime::parse_from_rfc3339(&observed)
                        .map_err(|err| StoreError::Invalid {
                            what: "signal time",
                            detail: format!("{observed}: {err}"),
                        })?
                        .with_timezone(&Utc),
                })
            })
            .collect()
    }

    /// Stores a run's brief once: the key is the run, so a retried or repeated write
    /// leaves the first row as it is. Returns the stored brief (the first one written).
    pub async fn save_brief(
        &self,
        workflow_id: &str,
        run_id: &str,
        brief: &CoordinatorBrief,
    ) -> Result<CoordinatorBrief, StoreError> {
        let json = serde_json::to_string(brief).map_err(|err| StoreError::Invalid {
            what: "brief",
            detail: err.to_string(),
        })?;
        sqlx::query(
            "INSERT INTO coordinator_briefs (workflow_id, run_id, account_id, brief, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(workflow_id)
        .bind(run_id)
        .bind(brief.account_id.as_str())
        .bind(json)
        .bind(
            brief
                .completed_at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        )
        .execute(&self.pool)
        .await?;
        let stored = self
            .brief(workflow_id, run_id)
            .await?
            .ok_or(StoreError::Invalid {
                what: "brief",
                detail: format!("row for {workflow_id}/{run_id} missing right after insert"),
            })?;
        Ok(stored.brief)
    }

    /// The brief a run stored, if any.
    pub async fn brief(
        &self,
        workflow_id: &str,
        run_id: &str,
    ) -> Result<Option<StoredBrief>, StoreError> {
        let row = sqlx::query(
            "SELECT workflow_id, run_id, brief, created_at FROM coordinator_briefs \
             WHERE workflow_id = $1 AND run_id = $2",
        )
        .bind(workflow_id)
        .bind(run_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| stored_brief_from_row(&row)).transpose()
    }

    /// The newest brief stored for an account, if any.
    pub async fn latest_brief(&self, account_id: &str) -> Result<Option<StoredBrief>, StoreError> {
        let row = sqlx::query(
            "SELECT workflow_id, run_id, brief, created_at FROM coordinator_briefs \
             WHERE account_id = $1 ORDER BY created_at DESC, workflow_id DESC LIMIT 1",
        )
        .bind(account_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| stored_brief_from_row(&row)).transpose()
    }

    /// How many briefs are stored for a workflow id (all its runs).
    pub async fn brief_count(&self, workflow_id: &str) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM coordinator_briefs WHERE workflow_id = $1")
                .bind(workflow_id)
                .fetch_one(&self.pool)
                .await?,
        )
    }
}

fn account_from_row(row: &AnyRow) -> Result<AccountRecord, StoreError> {
    let tech: String = row.try_get(8)?;
    Ok(AccountRecord {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        domain: row.try_get(2)?,
        industry: row.try_get(3)?,
        employees: row.try_get(4)?,
        annual_revenue_usd: row.try_get(5)?,
        country: row.try_get(6)?,
        region: row.try_get(7)?,
        tech_stack: serde_json::from_str(&tech).map_err(|err| StoreError::Invalid {
            what: "tech stack",
            detail: err.to_string(),
        })?,
        owner: row.try_get(9)?,
    })
}

fn stored_brief_from_row(row: &AnyRow) -> Result<StoredBrief, StoreError> {
    let json: String = row.try_get(2)?;
    Ok(StoredBrief {
        workflow_id: row.try_get(0)?,
        run_id: row.try_get(1)?,
        brief: serde_json::from_str(&json).map_err(|err| StoreError::Invalid {
            what: "stored brief",
            detail: err.to_string(),
        })?,
        created_at: row.try_get(3)?,
    })
}
