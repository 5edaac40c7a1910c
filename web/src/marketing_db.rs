//! What the dashboard reads from the Marketing database: campaigns and their targets.

use sqlx::{AnyPool, Row};

/// A campaign as the campaigns page shows it.
#[derive(Debug, Clone)]
pub struct CampaignSummary {
    /// Slug.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The ABM program it serves, by name.
    pub program: Option<String>,
    /// Channel.
    pub channel: String,
    /// `planned`, `launched` or `completed`.
    pub status: String,
    /// What it is.
    pub description: String,
    /// Target account ids, in launch order.
    pub targets: Vec<String>,
}

/// Read-only queries over the Marketing database.
#[derive(Debug, Clone)]
pub struct MarketingReader {
    pool: AnyPool,
}

impl MarketingReader {
    /// Reads through `pool`.
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Every campaign with its targets, by name.
    pub async fn campaigns(&self) -> Result<Vec<CampaignSummary>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT c.id, c.name, p.name, c.channel, c.status, c.description \
             FROM campaigns c LEFT JOIN abm_programs p ON p.id = c.program_id ORDER BY c.name",
        )
        .fetch_all(&self.pool)
        .await?;
        let targets = sqlx::query(
            "SELECT campaign_id, account_id FROM campaign_targets ORDER BY campaign_id, position",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get(0)?;
                let mut campaign_targets = Vec::new();
                for target in &targets {
                    let campaign: String = target.try_get(0)?;
                    if campaign == id {
                        campaign_targets.push(target.try_get(1)?);
                    }
                }
                Ok(CampaignSummary {
                    name: row.try_get(1)?,
                    program: row.try_get(2)?,
                    channel: row.try_get(3)?,
                    status: row.try_get(4)?,
                    description: row.try_get(5)?,
                    targets: campaign_targets,
                    id,
                })
            })
            .collect()
    }

    /// The campaign's display name, if it exists.
    pub async fn campaign_name(&self, id: &str) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT name FROM campaigns WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    /// True if the campaign exists.
    pub async fn campaign_exists(&self, id: &str) -> Result<bool, sqlx::Error> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM campaigns WHERE id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok(count > 0)
    }
}
