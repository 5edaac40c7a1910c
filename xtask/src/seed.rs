//! `cargo xtask seed`: migrates every team's database and loads the shipped seed set
//! into it, each through its owner's loader (`gtm_worker::seed`,
//! `marketing_worker::seed`, `customer_success_worker::seed`): what each worker's
//! `seed` command does, one team at a time, in the compose file's one-shot jobs.
//!
//! `GTM_DATABASE_URL`, `MARKETING_DATABASE_URL` and `CS_DATABASE_URL` choose the
//! databases (each worker's default otherwise: SQLite files under `.data/`). Relative SQLite paths are taken
//! from the workspace root, as the services `cargo xtask up` starts take them. Running
//! it again inserts nothing.

use anyhow::Context;
use devkit::paths;
use seed_data::model::SeedSet;
use service_kit::db::load::LoadReport;
use service_kit::db::redact;

/// Seeds the databases the environment names.
pub fn run() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(seed_from_env())
}

/// Seeds the databases `GTM_DATABASE_URL`, `MARKETING_DATABASE_URL` and
/// `CS_DATABASE_URL` name, and says
/// what went in: `cargo xtask seed`, and `cargo xtask up` before it starts the services.
pub async fn seed_from_env() -> anyhow::Result<()> {
    let root = paths::workspace_root();
    std::env::set_current_dir(&root)
        .with_context(|| format!("changing to the workspace root {}", root.display()))?;
    let gtm_url = std::env::var("GTM_DATABASE_URL")
        .unwrap_or_else(|_| gtm_worker::DEFAULT_DATABASE_URL.to_owned());
    let marketing_url = std::env::var("MARKETING_DATABASE_URL")
        .unwrap_or_else(|_| marketing_worker::DEFAULT_DATABASE_URL.to_owned());
    let cs_url = std::env::var("CS_DATABASE_URL")
        .unwrap_or_else(|_| customer_success_worker::DEFAULT_DATABASE_URL.to_owned());
    let seed = SeedSet::shipped().context("reading the shipped seed set")?;
    let (gtm, marketing) = load_both(&gtm_url, &marketing_url, &seed).await?;
    let cs = customer_success_worker::seed::load_url(&cs_url, &seed, chrono::Utc::now()).await?;
    println!("    GTM               {}: {gtm}", redact(&gtm_url));
    println!(
        "    Marketing         {}: {marketing}",
        redact(&marketing_url)
    );
    println!("    Customer Success  {}: {cs}", redact(&cs_url));
    Ok(())
}

/// Migrates the GTM and Marketing databases at these URLs and loads `seed` into each,
/// relative dates resolved against now.
pub async fn load_both(
    gtm_url: &str,
    marketing_url: &str,
    seed: &SeedSet,
) -> anyhow::Result<(LoadReport, LoadReport)> {
    let gtm = gtm_worker::seed::load_url(gtm_url, seed, chrono::Utc::now()).await?;
    let marketing = marketing_worker::seed::load_url(marketing_url, seed).await?;
    Ok((gtm, marketing))
}
