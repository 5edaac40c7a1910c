//! Opening a database from a URL: SQLite by default, PostgreSQL for `postgres://`.
//!
//! Both backends go through sqlx's `Any` driver, so the stores above hold one pool
//! type and one set of portable SQL (`$1` placeholders work on both).

use std::path::Path;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// A database URL that could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL's scheme is neither `sqlite:` nor `postgres://`.
    #[error(
        "unsupported database URL {0:?}: use sqlite:<path> (e.g. sqlite:.data/gtm.db) or postgres://user@host/db"
    )]
    UnsupportedUrl(String),
    /// The SQLite file's folder could not be created.
    #[error("cannot create the folder for SQLite database {path}: {source}")]
    CreateDir {
        /// The folder.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Connecting failed.
    #[error("cannot connect to {url}: {source}")]
    Connect {
        /// The URL, password removed.
        url: String,
        /// Why.
        source: sqlx::Error,
    },
}

impl Backend {
    /// The backend a URL names, if any.
    pub fn of(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else {
            None
        }
    }
}

/// Opens a pool on `url`. For SQLite, creates the file (and its folder) when missing
/// and turns on WAL so readers do not block the writer.
pub async fn connect(url: &str) -> Result<AnyPool, DbError> {
    install_default_drivers();
    let backend = Backend::of(url).ok_or_else(|| DbError::UnsupportedUrl(redact(url)))?;
    let url = match backend {
        Backend::Sqlite => prepare_sqlite(url)?,
        Backend::Postgres => url.to_owned(),
    };
    AnyPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(5))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA busy_timeout = 5000").await?;
                }
                Ok(())
            })
        })
        .connect(&url)
        .await
        .map_err(|source| DbError::Connect {
            url: redact(&url),
            source,
        })
}

/// Creates the SQLite file's folder and asks sqlx to create the file itself.
fn prepare_sqlite(url: &str) -> Result<String, DbError> {
    let rest = url.trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let path = path.strip_prefix("//").unwrap_or(path);
    let folder = Path::new(path)
        .parent()
        .filter(|p| path != ":memory:" && !p.as_os_str().is_empty());
    if let Some(parent) = folder {
        std::fs::create_dir_all(parent).map_err(|source| DbError::CreateDir {
            path: parent.display().to_string(),
            source,
        })?;
    }
    Ok(if query.contains("mode=") {
        url.to_owned()
    } else if query.is_empty() {
        format!("{url}?mode=rwc")
    } else {
        format!("{url}&mode=rwc")
    })
}

/// `url` with any password replaced by `***`, for messages and logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_from_url() {
        assert_eq!(Backend::of("sqlite:.data/gtm.db"), Some(Backend::Sqlite));
        assert_eq!(Backend::of("postgres://u@h/db"), Some(Backend::Postgres));
        assert_eq!(Backend::of("postgresql://u@h/db"), Some(Backend::Postgres));
        assert_eq!(Backend::of("mysql://u@h/db"), None);
    }

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/gtm"),
            "postgres://app:***@db:5432/gtm"
        );
        assert_eq!(redact("postgres://app@db/gtm"), "postgres://app@db/gtm");
        assert_eq!(redact("sqlite:.data/gtm.db"), "sqlite:.data/gtm.db");
    }

    #[test]
    fn sqlite_urls_get_create_mode_and_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}/nested/gtm.db", dir.path().display());
        assert_eq!(prepare_sqlite(&url).unwrap(), format!("{url}?mode=rwc"));
        assert!(dir.path().join("nested").is_dir());
        assert_eq!(
            prepare_sqlite("sqlite:x.db?mode=ro").unwrap(),
            "sqlite:x.db?mode=ro"
        );
    }

    #[tokio::test]
    async fn unsupported_urls_are_named() {
        let err = connect("mysql://root:pw@localhost/x").await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "unsupported database URL \"mysql://root:***@localhost/x\": use sqlite:<path> (e.g. sqlite:.data/gtm.db) or postgres://user@host/db"
        );
    }
}
