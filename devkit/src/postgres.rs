//! PostgreSQL for tests: Debian's server packages, a private cluster in a temporary
//! folder on a free port, and a fresh database per test.
//!
//! `cargo xtask test` installs the packages (`apt-get install postgresql`) when they
//! are missing, starts a [`LocalCluster`], and passes its URL to the tests as
//! `TEST_POSTGRES_URL`. Each test then asks [`test_database`] for a database of its
//! own.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, bail};
use sqlx::Connection;

/// The environment variable carrying the cluster's admin URL to the tests.
pub const TEST_URL_VAR: &str = "TEST_POSTGRES_URL";

/// Set (to `1`) by `cargo xtask test`: a missing `TEST_POSTGRES_URL` is then an error,
/// not a skipped test.
pub const REQUIRE_VAR: &str = "STEADYBASE_REQUIRE_POSTGRES";

/// The folder with `initdb` and `pg_ctl`, newest version first.
pub fn bin_dir() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("initdb").is_file())
        .collect();
    candidates.sort_by_key(|bin| {
        bin.parent()
            .and_then(|version| version.file_name())
            .and_then(|name| name.to_str())
            .and_then(|name| name.parse::<u32>().ok())
            .unwrap_or(0)
    });
    candidates.pop()
}

/// Installs Debian's `postgresql` package when no server binaries are found.
pub fn ensure_installed() -> anyhow::Result<PathBuf> {
    if let Some(bin) = bin_dir() {
        return Ok(bin);
    }
    if !is_root() {
        bail!(
            "PostgreSQL server binaries not found: install them (Debian/Ubuntu: `sudo apt-get install postgresql`)"
        );
    }
    run(Command::new("apt-get").args(["update", "-qq"]))?;
    run(Command::new("apt-get")
        .args([
            "install",
            "-y",
            "-qq",
            "--no-install-recommends",
            "postgresql",
        ])
        .env("DEBIAN_FRONTEND", "noninteractive"))?;
    bin_dir()
        .context("apt-get installed postgresql, but no /usr/lib/postgresql/*/bin/initdb appeared")
}

/// Installs Debian packages with apt-get (as root), or says how to.
pub fn apt_install(packages: &[&str]) -> anyhow::Result<()> {
    if !is_root() {
        bail!(
            "missing Debian packages: install them with `sudo apt-get install {}`",
            packages.join(" ")
        );
    }
    run(Command::new("apt-get").args(["update", "-qq"]))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// A PostgreSQL cluster of our own: trust authentication on 127.0.0.1 only.
#[derive(Debug)]
pub struct LocalCluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
}

impl LocalCluster {
    /// Creates (if needed) and starts a cluster in `dir`, listening on 127.0.0.1:`port`.
    /// PostgreSQL refuses to run as root, so as root it runs as the `postgres` user
    /// that Debian's package creates.
    pub fn start(bin: &Path, dir: &Path, port: u16) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        if is_root() {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir))?;
        }
        let data = dir.join("data");
        if !data.join("PG_VERSION").is_file() {
            run(as_postgres(&bin.join("initdb"))
                .args([
                    "--auth=trust",
                    "--username=postgres",
                    "--encoding=UTF8",
                    "--no-sync",
                    "-D",
                ])
                .arg(&data))?;
        }
        run(as_postgres(&bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.join("server.log"))
            .arg("-o")
            .arg(format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
                dir.display()
            ))
            .args(["-w", "start"]))?;
        Ok(Self {
            bin: bin.to_path_buf(),
            dir: dir.to_path_buf(),
            port,
        })
    }

    /// The admin URL (user `postgres`, database `postgres`).
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the cluster (fast shutdown).
    pub fn stop(&self) -> anyhow::Result<()> {
        run(as_postgres(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "fast", "-w", "stop"]))
    }
}

/// A fresh, empty database for one test on the cluster named by `TEST_POSTGRES_URL`.
///
/// Returns `None` when the variable is unset (a plain `cargo test` without PostgreSQL),
/// unless `STEADYBASE_REQUIRE_POSTGRES` is set, as `cargo xtask test` does: then a
/// missing server fails the test instead of skipping it.
pub async fn test_database() -> anyhow::Result<Option<String>> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let Some(admin_url) = std::env::var(TEST_URL_VAR)
        .ok()
        .filter(|url| !url.is_empty())
    else {
        if std::env::var_os(REQUIRE_VAR).is_some() {
            bail!("{TEST_URL_VAR} is not set, but {REQUIRE_VAR} requires PostgreSQL tests to run");
        }
        eprintln!(
            "skipping the PostgreSQL half of this test: {TEST_URL_VAR} is not set (`cargo xtask test` sets it)"
        );
        return Ok(None);
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let name = format!(
        "test_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .with_context(|| format!("connecting to {TEST_URL_VAR}={admin_url}"))?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .with_context(|| format!("creating database {name}"))?;
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(base, _)| base);
    Ok(Some(format!("{base}/{name}")))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let output = command
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if output.status.success() {
        Ok(())
    } else {
        bail!(
            "{command:?} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    }
}
