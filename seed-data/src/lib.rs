//! The seed set, the database schema of each side, and the loader.
//!
//! GTM and Marketing each own a database and share nothing (as their namespaces share
//! nothing). This crate holds, per side:
//!
//! - the migrations (`migrations/gtm/`, `migrations/marketing/`), portable SQL that
//!   runs unchanged on SQLite and PostgreSQL, exposed as [`GTM_MIGRATOR`] and
//!   [`MARKETING_MIGRATOR`] so workers migrate on start-up;
//! - the seed files (`data/gtm/accounts.json`, `data/marketing/programs.json`,
//!   `data/marketing/campaigns.json`), readable and reviewable, embedded at compile
//!   time and described by [`model`];
//! - the [`load`]er, which migrates and inserts what is missing, so running it twice
//!   changes nothing.
//!
//! [`db::connect`] opens either backend from a URL: `sqlite:` paths (the default, no
//! server needed) or `postgres://` URLs.
//!
//! The `seed-data` binary loads both databases:
//! `GTM_DATABASE_URL=... MARKETING_DATABASE_URL=... cargo run -p seed-data`.

pub mod db;
pub mod load;
pub mod model;

use sqlx::migrate::Migrator;

/// Migrations of the GTM database (accounts, contacts, opportunities, intent signals,
/// coordinator briefs).
pub static GTM_MIGRATOR: Migrator = sqlx::migrate!("./migrations/gtm");

/// Migrations of the Marketing database (ABM programs, enrolments, campaigns, campaign
/// launch results).
pub static MARKETING_MIGRATOR: Migrator = sqlx::migrate!("./migrations/marketing");

/// Default GTM database: an SQLite file in the project-local data folder.
pub const DEFAULT_GTM_DATABASE_URL: &str = "sqlite:.data/gtm.db";

/// Default Marketing database: an SQLite file in the project-local data folder.
pub const DEFAULT_MARKETING_DATABASE_URL: &str = "sqlite:.data/marketing.db";
