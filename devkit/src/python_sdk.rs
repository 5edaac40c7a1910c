//! Temporal's Python SDK, installed from PyPI, for the interop test: a workflow written
//! with it calls this project's Nexus services as a Python team would.
//!
//! `python3 -m pip install --target .tools/python-sdk-<VERSION> temporalio==<VERSION>`
//! puts the SDK and its dependencies in one folder, which the test puts on
//! `PYTHONPATH`. `TEMPORAL_PYTHON_SDK` overrides the folder.

use std::path::PathBuf;

use anyhow::bail;

use crate::paths;

/// The pinned `temporalio` version.
pub const VERSION: &str = "1.35.0";

/// The folder that holds the SDK (or `TEMPORAL_PYTHON_SDK`, when set).
pub fn path() -> PathBuf {
    match std::env::var_os("TEMPORAL_PYTHON_SDK").filter(|p| !p.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => paths::tools_dir().join(format!("python-sdk-{VERSION}")),
    }
}

fn is_installed(folder: &std::path::Path) -> bool {
    folder
        .join(format!("temporalio-{VERSION}.dist-info"))
        .is_dir()
}

/// The installed SDK's folder, or an error that says how to install it. For tests,
/// which must not install anything themselves.
pub fn installed() -> anyhow::Result<PathBuf> {
    let folder = path();
    if is_installed(&folder) {
        Ok(folder)
    } else {
        bail!(
            "Temporal's Python SDK {VERSION} is not installed at {}: run `cargo xtask test`, which installs it",
            folder.display()
        )
    }
}

/// Installs the pinned SDK unless it is there already; returns its folder.
pub fn ensure_installed() -> anyhow::Result<PathBuf> {
    let folder = path();
    if is_installed(&folder) {
        return Ok(folder);
    }
    crate::temporal_cli::pip_install(&folder, &format!("temporalio=={VERSION}"), &[])?;
    if !is_installed(&folder) {
        bail!(
            "installed temporalio=={VERSION}, but {} does not hold it",
            folder.display()
        );
    }
    Ok(folder)
}
