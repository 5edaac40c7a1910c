//! Marketing's part of the seed set into the Marketing database: ABM programs with
//! their enrolments, and campaigns with their target accounts.
//!
//! Every row has a stable key and goes in with `ON CONFLICT DO NOTHING`, all in one
//! transaction ([`LoadTransaction`]): a second load inserts nothing, a row someone
//! edited by hand (say, touches remaining) stays as edited, and a failed load leaves no
//! half-seeded database.
//!
//! `marketing-worker seed` runs [`load_url`]; so does `cargo xtask seed`, for both
//! teams.

use seed_data::model::SeedSet;
use service_kit::db::load::{LoadError, LoadReport, LoadTransaction};

use crate::store::MarketingStore;

/// The database's name in messages.
const DATABASE: &str = "Marketing";

/// Opens (and migrates) the Marketing database at `url`, loads `seed` into it with
/// [`load`], and closes it again.
pub async fn load_url(url: &str, seed: &SeedSet) -> Result<LoadReport, LoadError> {
    let store = MarketingStore::open(url)
        .await
        .map_err(|source| LoadError::Open {
            database: DATABASE,
            source,
        })?;
    let report = load(&store, seed).await;
    store.close().await;
    report
}

/// Inserts the seed's programs (with enrolments) and campaigns (with targets, in the
/// campaign's order) that the database lacks.
pub async fn load(store: &MarketingStore, seed: &SeedSet) -> Result<LoadReport, LoadError> {
    let mut load = LoadTransaction::begin(store.pool(), DATABASE).await?;
    for program in &seed.programs {
        let insert = sqlx::query(
            "INSERT INTO abm_programs (id, name, status, description, starts_on, ends_on, \
             touches_planned) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(&program.id)
        .bind(&program.name)
        .bind(program.status.as_str())
        .bind(&program.description)
        .bind(&program.starts_on)
        .bind(&program.ends_on)
        .bind(program.touches_planned);
        load.insert("abm_programs", format!("program {}", program.id), insert)
            .await?;

        for enrolment in &program.enrolments {
            let insert = sqlx::query(
                "INSERT INTO program_enrolments (program_id, account_id, touches_remaining) \
                 VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(&program.id)
            .bind(enrolment.account_id.as_str())
            .bind(enrolment.touches_remaining);
            let what = format!("enrolment of {} in {}", enrolment.account_id, program.id);
            load.insert("program_enrolments", what, insert).await?;
        }
    }
    for campaign in &seed.campaigns {
        let insert = sqlx::query(
            "INSERT INTO campaigns (id, name, program_id, channel, status, description) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(&campaign.id)
        .bind(&campaign.name)
        .bind(campaign.program_id.as_deref())
        .bind(&campaign.channel)
        .bind(&campaign.status)
        .bind(&campaign.description);
        load.insert("campaigns", format!("campaign {}", campaign.id), insert)
            .await?;

        for (position, account) in campaign.target_accounts.iter().enumerate() {
            let insert = sqlx::query(
                "INSERT INTO campaign_targets (campaign_id, account_id, position) \
                 VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(&campaign.id)
            .bind(account.as_str())
            .bind(i64::try_from(position).unwrap_or(i64::MAX));
            let what = format!("target {account} of campaign {}", campaign.id);
            load.insert("campaign_targets", what, insert).await?;
        }
    }
    load.commit().await
}
