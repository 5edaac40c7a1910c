//! What the dashboard reads from the GTM database: seeded accounts and stored briefs.

use serde::Serialize;
use sqlx::{AnyPool, Row};

/// An account as the dashboard lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountSummary {
    /// Slug.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Industry.
    pub industry: String,
    /// Sales region.
    pub region: String,
    /// Head count.
    pub employees: i64,
}

/// An account with its latest stored brief, if any.
#[derive(Debug, Clone)]
pub struct AccountWithBrief {
    /// The account.
    pub account: AccountSummary,
    /// The run that wrote the latest brief.
    pub workflow_id: Option<String>,
    /// That brief, as stored.
    pub brief: Option<serde_json::Value>,
}

/// Read-only queries over the GTM database.
#[derive(Debug, Clone)]
pub struct GtmReader {
    pool: AnyPool,
}

impl GtmReader {
    /// Reads through `pool`.
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// All seeded accounts, by name.
    pub async fn accounts(&self) -> Result<Vec<AccountSummary>, sqlx::Error> {
        let rows =
            sqlx::query("SELECT id, name, industry, region, employees FROM accounts ORDER BY name")
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(account_from_row).collect()
    }

    /// True if the account is in the GTM database.
    pub async fn account_exists(&self, id: &str) -> Result<bool, sqlx::Error> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok(count > 0)
    }

    /// Every account with its newest brief.
    pub async fn accounts_with_latest_brief(&self) -> Result<Vec<AccountWithBrief>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT a.id, a.name, a.industry, a.region, a.employees, b.workflow_id, b.brief \
             FROM accounts a LEFT JOIN coordinator_briefs b ON b.account_id = a.id \
               AND b.created_at = (SELECT MAX(created_at) FROM coordinator_briefs WHERE account_id = a.id) \
             ORDER BY a.name",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for row in &rows {
            let account = account_from_row(row)?;
            // Two briefs stored in the same millisecond would join twice: keep one.
            if !seen.insert(account.id.clone()) {
                continue;
            }
            let brief: Option<String> = row.try_get(6)?;
            out.push(AccountWithBrief {
                account,
                workflow_id: row.try_get(5)?,
                brief: brief.and_then(|json| serde_json::from_str(&json).ok()),
            });
        }
        Ok(out)
    }
}

fn account_from_row(row: &sqlx::any::AnyRow) -> Result<AccountSummary, sqlx::Error> {
    Ok(AccountSummary {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        industry: row.try_get(2)?,
        region: row.try_get(3)?,
        employees: row.try_get(4)?,
    })
}
