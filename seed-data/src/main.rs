//! `seed-data`: migrates both databases and loads the seed set into them.
//!
//! `GTM_DATABASE_URL` and `MARKETING_DATABASE_URL` choose the databases (SQLite files
//! under `.data/` by default). Running it again inserts nothing new.

use anyhow::Context;
use seed_data::model::SeedSet;
use seed_data::{DEFAULT_GTM_DATABASE_URL, DEFAULT_MARKETING_DATABASE_URL, db, load};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let gtm_url =
        std::env::var("GTM_DATABASE_URL").unwrap_or_else(|_| DEFAULT_GTM_DATABASE_URL.to_owned());
    let marketing_url = std::env::var("MARKETING_DATABASE_URL")
        .unwrap_or_else(|_| DEFAULT_MARKETING_DATABASE_URL.to_owned());

    let seed = SeedSet::shipped().context("reading the shipped seed set")?;

    let (gtm, marketing) =
        load::load_urls(&gtm_url, &marketing_url, &seed, chrono::Utc::now()).await?;
    tracing::info!(database = %db::redact(&gtm_url), report = %gtm, "GTM database ready");
    tracing::info!(
        database = %db::redact(&marketing_url),
        report = %marketing,
        "Marketing database ready"
    );
    Ok(())
}
