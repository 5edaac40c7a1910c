//! Project-local folders. Everything the project installs or writes at run time lives
//! under the workspace root, in folders git ignores.

use std::path::{Path, PathBuf};

/// The workspace root (the folder holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    let devkit = Path::new(env!("CARGO_MANIFEST_DIR"));
    devkit.parent().unwrap_or(devkit).to_path_buf()
}

/// `.tools/`: tools the project installs for itself (the Temporal CLI).
pub fn tools_dir() -> PathBuf {
    workspace_root().join(".tools")
}

/// `.data/`: state of the local stack (dev server database, SQLite files, logs).
pub fn data_dir() -> PathBuf {
    workspace_root().join(".data")
}
