//! The real workers as operating-system processes, to kill -9 and start again.
//!
//! The binaries are the workers' own `main.rs`, built as this package's
//! `gtm-worker-process` and `marketing-worker-process` (see `Cargo.toml`), configured
//! through the environment exactly as `cargo xtask up` configures them.

use std::path::PathBuf;
use std::process::Stdio;

use tokio::process::{Child, Command};

use crate::system::System;

/// One worker process: how to start it, and the running child.
pub struct WorkerProcess {
    binary: &'static str,
    env: Vec<(String, String)>,
    log: PathBuf,
    child: Option<Child>,
}

impl WorkerProcess {
    /// A gtm-worker for `system`, not yet started.
    pub fn gtm(system: &System) -> Self {
        Self {
            binary: env!("CARGO_BIN_EXE_gtm-worker-process"),
            env: vec![
                ("TEMPORAL_ADDRESS".into(), system.server.address()),
                ("GTM_DATABASE_URL".into(), system.gtm_database_url.clone()),
                // Any free port: tests run side by side.
                ("GTM_METRICS_BIND".into(), "127.0.0.1:0".into()),
                ("RUST_LOG".into(), "warn".into()),
            ],
            log: system.scratch().join("gtm-worker.log"),
            child: None,
        }
    }

    /// A marketing-worker for `system`, not yet started.
    pub fn marketing(system: &System) -> Self {
        Self {
            binary: env!("CARGO_BIN_EXE_marketing-worker-process"),
            env: vec![
                ("TEMPORAL_ADDRESS".into(), system.server.address()),
                (
                    "MARKETING_DATABASE_URL".into(),
                    system.marketing_database_url.clone(),
                ),
                ("MARKETING_METRICS_BIND".into(), "127.0.0.1:0".into()),
                ("RUST_LOG".into(), "warn".into()),
            ],
            log: system.scratch().join("marketing-worker.log"),
            child: None,
        }
    }

    /// Adds an environment variable for the next start.
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Starts the process (its output is appended to its log); returns `self`.
    pub fn started(mut self) -> Self {
        self.start();
        self
    }

    /// Starts the process again after [`WorkerProcess::kill`].
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "{} is already running", self.binary);
        let (stdout, stderr) = devkit::process::log_to(&self.log).unwrap();
        let child = Command::new(self.binary)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|err| panic!("starting {}: {err}", self.binary));
        self.child = Some(child);
    }

    /// SIGKILL, as a crash or an OOM kill would end it: no graceful shutdown, no
    /// in-flight task finished. Waits until the process is gone.
    pub async fn kill(&mut self) {
        let mut child = self.child.take().expect("the worker runs");
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "{} had already exited ({status}); its log:\n{}",
                self.binary,
                self.log_tail()
            );
        }
        child.kill().await.unwrap();
    }

    /// Everything the process has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The end of the process's log, for a failing test's message.
    pub fn log_tail(&self) -> String {
        devkit::dev_server::log_tail(&self.log)
    }
}
