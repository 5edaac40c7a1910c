//! The local stack's set-up against a real dev server: the same code `cargo xtask up`
//! runs.

mod dev_server;
mod team_table;
