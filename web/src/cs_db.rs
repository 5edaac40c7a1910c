//! What the dashboard reads from the Customer Success database: the newest health
//! snapshot the monitors stored for each account.

use shared_contracts::monitor::HealthSnapshot;
use sqlx::{AnyPool, Row};

/// Read-only queries over the Customer Success database.
#[derive(Debug, Clone)]
pub struct CsReader {
    pool: AnyPool,
}

impl CsReader {
    /// Reads through `pool`.
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// The newest stored snapshot of every account that has one, by account. A row
    /// that does not read as a snapshot is skipped (and logged), not a failed page.
    pub async fn latest_snapshots(&self) -> Result<Vec<HealthSnapshot>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT h.account_id, h.snapshot FROM health_snapshots h \
             WHERE h.cycle = (SELECT MAX(l.cycle) FROM health_snapshots l \
                              WHERE l.account_id = h.account_id) \
             ORDER BY h.account_id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut snapshots = Vec::with_capacity(rows.len());
        for row in &rows {
            let account: String = row.try_get(0)?;
            let json: String = row.try_get(1)?;
            match serde_json::from_str(&json) {
                Ok(snapshot) => snapshots.push(snapshot),
                Err(err) => {
                    tracing::warn!(%account, error = %err, "unreadable health snapshot");
                }
            }
        }
        Ok(snapshots)
    }
}
