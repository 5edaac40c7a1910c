//! The real workers as operating-system processes, to kill -9 and start again.
//!
//! The binaries are the workers' own `main.rs`, built as this package's
//! `gtm-worker-process` and `marketing-worker-process` (see `Cargo.toml`), configured
//! through the environment exactly as `cargo xtask up` configures them.
//!
//! A process counts as started once the server lists its pollers (workflow and
//! Nexus) on its task queue: a test's next step may need it at once, within a
//! deadline.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, SystemTime};

use shared_contracts::names::{namespaces, task_queues};
use temporalio_client::Connection;
use tokio::process::{Child, Command};

use crate::system::{ANSWER_DEADLINE, System, wait_until_polling};

/// One worker process: how to start it, and the running child.
pub struct WorkerProcess {
    binary: &'static str,
    env: Vec<(String, String)>,
    log: PathBuf,
    child: Option<Child>,
    /// Where its pollers show: the system's server, the worker's namespace and queue.
    connection: Connection,
    namespace: &'static str,
    task_queue: &'static str,
}

impl WorkerProcess {
    /// A gtm-worker for `system`, not yet started, with step 8's deadline at
    /// [`ANSWER_DEADLINE`] (a test of the deadline sets its own).
    pub fn gtm(system: &System) -> Self {
        Self {
            binary: env!("CARGO_BIN_EXE_gtm-worker-process"),
            env: vec![
                ("TEMPORAL_ADDRESS".into(), system.server.address()),
                ("GTM_DATABASE_URL".into(), system.gtm_database_url.clone()),
                // Any free port: tests run side by side.
                ("GTM_METRICS_BIND".into(), "127.0.0.1:0".into()),
                (
                    "GTM_ABM_TIMEOUT_SECS".into(),
                    ANSWER_DEADLINE.as_secs().to_string(),
                ),
                ("RUST_LOG".into(), "warn".into()),
            ],
            log: system.scratch().join("gtm-worker.log"),
            child: None,
            connection: system.gtm.connection().clone(),
            namespace: namespaces::GTM,
            task_queue: task_queues::GTM_COORDINATOR,
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
            connection: system.marketing.connection().clone(),
            namespace: namespaces::MARKETING,
            task_queue: task_queues::MARKETING_ABM,
        }
    }

    /// Sets an environment variable for the next start (the last value set wins).
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Starts the process and waits until it polls; returns `self`.
    pub async fn started(mut self) -> Self {
        self.start().await;
        self
    }

    /// Starts the process (its output is appended to its log), again after
    /// [`WorkerProcess::kill`] or [`WorkerProcess::stop`], and waits until the server
    /// lists a poll of its workflow and Nexus pollers made after this start.
    pub async fn start(&mut self) {
        assert!(self.child.is_none(), "{} is already running", self.binary);
        let since = SystemTime::now();
        let (stdout, stderr) = devkit::process::log_to(&self.log).unwrap();
        let child = Command::new(self.binary)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|err| panic!("starting {}: {err}", self.binary));
        let child = self.child.insert(child);
        // A worker that refuses its configuration exits: say so at once, with its log.
        let polling = tokio::select! {
            polling = wait_until_polling(&self.connection, self.namespace, self.task_queue, since) => polling,
            status = child.wait() => {
                self.child = None;
                panic!("{} exited ({status:?}) before it polled; its log:\n{}", self.binary, self.log());
            }
        };
        if let Err(err) = polling {
            panic!("{} never polled: {err:#}\n{}", self.binary, self.log_tail());
        }
    }

    /// SIGKILL, as a crash or an OOM kill would end it: no graceful shutdown, no
    /// in-flight task finished. Waits until the process is gone.
    pub async fn kill(&mut self) {
        let mut child = self.running_child();
        child.kill().await.unwrap();
    }

    /// SIGTERM, as an operator stops it: in-flight tasks finish first. Fails the test
    /// if the process has not stopped by itself within a minute.
    pub async fn stop(&mut self) {
        let mut child = self.running_child();
        let stopped = devkit::process::terminate(&mut child, Duration::from_secs(60)).await;
        assert!(
            stopped,
            "{} did not stop on SIGTERM; its log:\n{}",
            self.binary,
            self.log_tail()
        );
    }

    /// The child, taken out: it must still be running.
    fn running_child(&mut self) -> Child {
        let mut child = self.child.take().expect("the worker runs");
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "{} had already exited ({status}); its log:\n{}",
                self.binary,
                self.log_tail()
            );
        }
        child
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
