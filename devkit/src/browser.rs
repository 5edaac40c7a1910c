//! Headless Chromium for browser tests, driven over WebDriver by `chromedriver`.
//!
//! Debian's `chromium` and `chromium-driver` packages provide both (`cargo xtask test`
//! installs them). Chromium starts with the flags a closed network needs: no
//! background networking, no component updates, no sync, a fresh profile.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

use crate::ports;

/// Set (to `1`) by `cargo xtask test`: a missing browser then fails browser tests
/// instead of skipping them.
pub const REQUIRE_VAR: &str = "STEADYBASE_REQUIRE_BROWSER";

/// Chromium's binary.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// ChromeDriver's binary.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// True when both binaries are installed.
pub fn installed() -> bool {
    Path::new(CHROMIUM).is_file() && Path::new(CHROMEDRIVER).is_file()
}

/// Installs Debian's `chromium` and `chromium-driver` when they are missing.
pub fn ensure_installed() -> anyhow::Result<()> {
    if installed() {
        return Ok(());
    }
    crate::postgres::apt_install(&["chromium", "chromium-driver"])
}

/// A running chromedriver. Dropping it kills the process.
#[derive(Debug)]
pub struct ChromeDriver {
    _child: Child,
    port: u16,
    profile: tempfile::TempDir,
}

impl ChromeDriver {
    /// Starts chromedriver on a free port and waits until it answers. `Ok(None)` when
    /// the browser is not installed and browser tests are not required.
    pub async fn start() -> anyhow::Result<Option<Self>> {
        if !installed() {
            if std::env::var_os(REQUIRE_VAR).is_some() {
                bail!(
                    "{CHROMIUM} or {CHROMEDRIVER} is missing, but {REQUIRE_VAR} requires browser tests to run"
                );
            }
            eprintln!(
                "skipping a browser test: install chromium and chromium-driver (`cargo xtask test` does)"
            );
            return Ok(None);
        }
        let port = ports::free_port()?;
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting chromedriver")?;
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            if started.elapsed() > Duration::from_secs(20) {
                bail!("chromedriver did not listen on port {port} within 20 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(Some(Self {
            _child: child,
            port,
            profile: tempfile::Builder::new()
                .prefix("chromium-profile-")
                .tempdir()?,
        }))
    }

    /// The WebDriver URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The `goog:chromeOptions` capability for a headless Chromium of `width`x`height`.
    pub fn chrome_options(&self, width: u32, height: u32) -> serde_json::Value {
        serde_json::json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                format!("--window-size={width},{height}"),
                format!("--user-data-dir={}", self.profile.path().display()),
            ]
        })
    }

    /// The profile folder (for tests that want to look at it).
    pub fn profile_dir(&self) -> PathBuf {
        self.profile.path().to_path_buf()
    }
}
