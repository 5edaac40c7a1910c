//! The Marketing database: ABM programs and who is enrolled in them, campaigns and
//! their target accounts, and what each campaign launch did for each account.
//!
//! Marketing owns this schema: its migrations live in `marketing-worker/migrations/`
//! (portable SQL that runs unchanged on SQLite and PostgreSQL), embedded as
//! [`MIGRATOR`], and [`MarketingStore::open`] applies them whenever the worker (or its
//! `seed` command) opens the database. Released migration files are never edited:
//! sqlx checksums them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use service_kit::db::{self, DbError};
use shared_contracts::AccountId;
use shared_contracts::abm::{AbmCheckResponse, AbmStatus};
use shared_contracts::campaign::{LaunchAccountResult, LaunchAccountStatus};
use sqlx::any::AnyRow;
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Row};

/// Migrations of the Marketing database (ABM programs, enrolments, campaigns, campaign
/// launch results).
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Access to the Marketing database.
#[derive(Debug, Clone)]
pub struct MarketingStore {
    pool: AnyPool,
}

/// Errors reading or writing the Marketing database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("Marketing database: {0}")]
    Database(#[from] sqlx::Error),
    /// A value breaks a rule the schema relies on.
    #[error("Marketing database: invalid {what}: {detail}")]
    Invalid {
        /// Which value.
        what: &'static str,
        /// What is wrong with it.
        detail: String,
    },
}

/// A campaign with its target accounts, as a launch reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CampaignPlan {
    /// The campaign's slug.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Target account ids in the campaign's order, as stored: not validated here, so a
    /// bad one fails only its own briefing.
    pub targets: Vec<String>,
}

/// One account's recorded outcome in one launch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchResultRecord {
    /// The `CampaignLaunch` run's workflow id.
    pub launch_workflow_id: String,
    /// The campaign launched.
    pub campaign_id: String,
    /// The target account, as the campaign lists it.
    pub account_id: String,
    /// `completed`, `failed` or `canceled`.
    pub status: LaunchAccountStatus,
    /// The `DrewCoordinator` run in `gtm`, if one started.
    pub coordinator_workflow_id: Option<String>,
    /// The brief's recommendation, or why the account failed or was canceled.
    pub detail: String,
    /// When the row was written (RFC 3339, UTC).
    pub recorded_at: String,
}

/// One enrolment of an account, with its program's name and status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    /// Program display name.
    pub program_name: String,
    /// Program status.
    pub status: AbmStatus,
    /// Touches still planned for the account.
    pub touches_remaining: u32,
}

impl MarketingStore {
    /// Opens the Marketing database at `url` (an SQLite file, created when missing, or
    /// a `postgres://` URL) and applies the migrations it lacks.
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

    /// Every program the account is enrolled in.
    pub async fn enrolments(&self, account: &AccountId) -> Result<Vec<Enrolment>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.name, p.status, e.touches_remaining FROM program_enrolments e \
             JOIN abm_programs p ON p.id = e.program_id WHERE e.account_id = $1",
        )
        .bind(account.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let status: String = row.try_get(1)?;
                let touches: i64 = row.try_get(2)?;
                Ok(Enrolment {
                    program_name: row.try_get(0)?,
                    status: AbmStatus::parse(&status).ok_or(StoreError::Invalid {
                        what: "program status",
                        detail: status,
                    })?,
                    touches_remaining: u32::try_from(touches).unwrap_or(0),
                })
            })
            .collect()
    }

    /// The `checkAbmProgram` answer for an account: its most relevant enrolment, or
    /// "in no program" when it has none (an unknown account is simply in none).
    pub async fn check_abm_program(
        &self,
        account: &AccountId,
    ) -> Result<AbmCheckResponse, StoreError> {
        let enrolments = self.enrolments(account).await?;
        Ok(abm_answer(account.clone(), &enrolments))
    }

    /// The campaign with its targets in order, if it exists.
    pub async fn campaign(&self, id: &str) -> Result<Option<CampaignPlan>, StoreError> {
        let Some(row) = sqlx::query("SELECT id, name FROM campaigns WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let targets = sqlx::query_scalar(
            "SELECT account_id FROM campaign_targets WHERE campaign_id = $1 \
             ORDER BY position, account_id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(CampaignPlan {
            id: row.try_get(0)?,
            name: row.try_get(1)?,
            targets,
        }))
    }

    /// Records an account's final outcome in a launch, once: the key is the launch and
    /// the account, so a retried or repeated write leaves the first row as it is.
    /// Returns whether this call wrote the row.
    pub async fn record_launch_result(
        &self,
        launch_workflow_id: &str,
        campaign_id: &str,
        result: &LaunchAccountResult,
        recorded_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        if !result.status.is_final() {
            return Err(StoreError::Invalid {
                what: "launch result",
                detail: format!(
                    "{} of launch {launch_workflow_id} is still {}; only final outcomes are recorded",
                    result.account_id,
                    result.status.as_str()
                ),
            });
        }
        let detail = result
            .recommendation
            .as_deref()
            .or(result.error.as_deref())
            .unwrap_or_default();
        let written = sqlx::query(
            "INSERT INTO campaign_launch_results (launch_workflow_id, campaign_id, account_id, \
             status, coordinator_workflow_id, detail, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(launch_workflow_id)
        .bind(campaign_id)
        .bind(&result.account_id)
        .bind(result.status.as_str())
        .bind(result.coordinator_workflow_id.as_deref())
        .bind(detail)
        .bind(recorded_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(written > 0)
    }

    /// A launch's recorded outcomes, in the campaign's target order.
    pub async fn launch_results(
        &self,
        launch_workflow_id: &str,
    ) -> Result<Vec<LaunchResultRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.launch_workflow_id, r.campaign_id, r.account_id, r.status, \
             r.coordinator_workflow_id, r.detail, r.recorded_at \
             FROM campaign_launch_results r LEFT JOIN campaign_targets t \
             ON t.campaign_id = r.campaign_id AND t.account_id = r.account_id \
             WHERE r.launch_workflow_id = $1 ORDER BY t.position, r.account_id",
        )
        .bind(launch_workflow_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(launch_result_from_row).collect()
    }
}

fn launch_result_from_row(row: &AnyRow) -> Result<LaunchResultRecord, StoreError> {
    let status: String = row.try_get(3)?;
    Ok(LaunchResultRecord {
        launch_workflow_id: row.try_get(0)?,
        campaign_id: row.try_get(1)?,
        account_id: row.try_get(2)?,
        status: LaunchAccountStatus::parse(&status).ok_or(StoreError::Invalid {
            what: "launch result status",
            detail: status,
        })?,
        coordinator_workflow_id: row.try_get(4)?,
        detail: row.try_get(5)?,
        recorded_at: row.try_get(6)?,
    })
}

/// The answer for an account with these enrolments.
///
/// An account can be in several programs (say, a completed one and an active one).
/// The most relevant one answers: active before paused before completed; among equals,
/// the one with the most touches remaining, then by name so the choice is stable.
pub fn abm_answer(account: AccountId, enrolments: &[Enrolment]) -> AbmCheckResponse {
    let rank = |status: AbmStatus| match status {
        AbmStatus::Active => 0,
        AbmStatus::Paused => 1,
        AbmStatus::Completed => 2,
        AbmStatus::None => 3,
    };
    let best = enrolments.iter().min_by(|a, b| {
        rank(a.status)
            .cmp(&rank(b.status))
            .then(b.touches_remaining.cmp(&a.touches_remaining))
            .then(a.program_name.cmp(&b.program_name))
    });
    match best {
        Some(enrolment) if enrolment.status != AbmStatus::None => AbmCheckResponse::enrolled(
            account,
            enrolment.program_name.clone(),
            enrolment.status,
            enrolment.touches_remaining,
        ),
        _ => AbmCheckResponse::not_enrolled(account),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enrolment(name: &str, status: AbmStatus, touches: u32) -> Enrolment {
        Enrolment {
            program_name: name.into(),
            status,
            touches_remaining: touches,
        }
    }

    fn id(value: &str) -> AccountId {
        AccountId::parse(value).unwrap()
    }

    #[test]
    fn no_enrolment_is_no_program() {
        let answer = abm_answer(id("nobody"), &[]);
        assert_eq!(answer, AbmCheckResponse::not_enrolled(id("nobody")));
    }

    #[test]
    fn active_wins_over_paused_and_completed() {
        let answer = abm_answer(
            id("initech"),
            &[
                enrolment("Logistics Pilot 2025", AbmStatus::Completed, 0),
                enrolment("Mid-Market Acceleration", AbmStatus::Active, 4),
                enrolment("EMEA Launch Wave", AbmStatus::Paused, 6),
            ],
        );
        assert!(answer.in_abm_program);
        assert_eq!(
            answer.program_name.as_deref(),
            Some("Mid-Market Acceleration")
        );
        assert_eq!(answer.touches_remaining, 4);
    }

    #[test]
    fn paused_and_completed_are_not_in_program_but_say_so() {
        for status in [AbmStatus::Paused, AbmStatus::Completed] {
            let answer = abm_answer(id("x"), &[enrolment("P", status, 2)]);
            assert!(!answer.in_abm_program);
            assert_eq!(answer.status, status);
            assert_eq!(answer.program_name.as_deref(), Some("P"));
        }
    }

    #[test]
    fn ties_break_by_touches_then_name() {
        let answer = abm_answer(
            id("x"),
            &[
                enrolment("B", AbmStatus::Active, 2),
                enrolment("A", AbmStatus::Active, 2),
                enrolment("C", AbmStatus::Active, 1),
            ],
        );
        assert_eq!(answer.program_name.as_deref(), Some("A"));
    }
}
