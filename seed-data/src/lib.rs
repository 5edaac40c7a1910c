//! The seed set: the accounts, ABM programs and campaigns every fresh installation
//! starts with, as readable files, and the model that reads and checks them.
//!
//! - `data/gtm/accounts.json`: GTM's accounts, with contacts, opportunities and intent
//!   signals;
//! - `data/marketing/programs.json`, `data/marketing/campaigns.json`: Marketing's ABM
//!   programs (with enrolments) and campaigns (with target accounts);
//! - `data/customer-success/accounts.json`: Customer Success's record of every account:
//!   support tickets, product usage over time, NPS responses and the renewal date.
//!
//! The files are embedded at compile time; [`model`] describes their shapes and
//! vocabulary, and [`model::SeedSet::shipped`] parses them and checks them against each
//! other (every enrolment and campaign target names a seeded account, and so on).
//!
//! This crate knows no database. Each team owns its schema and loads its own part of
//! the set through its own code: `gtm_worker::seed`, `marketing_worker::seed` and
//! `customer_success_worker::seed`, run by each worker's `seed` command and by
//! `cargo xtask seed` (all three).

pub mod model;
