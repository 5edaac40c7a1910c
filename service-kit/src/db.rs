//! Opening a database from a URL: SQLite by default, PostgreSQL for `postgres://`.
//!
//! Both backends go through sqlx's `Any` driver, so each team's store holds one pool
//! type and one set of portable SQL (`$1` placeholders work on both).
//!
//! - [`connect_and_migrate`]: what a team's worker does with its own database (its
//!   store's `open`): create it if missing, then apply the team's migrations.
//! - [`connect_read_only`]: what the dashboard does with every team's database: read,
//!   never create, migrate or write.
//! - [`load`]: loading seed rows, one transaction per database, each row inserted
//!   only if missing.

pub mod load;

use std::path::Path;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::{MigrateError, Migrator};
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
    /// The SQLite URL asks for a journal mode other than `wal` or `delete`.
    #[error(
        "unsupported journal_mode {value:?} in SQLite URL {url}: use wal (the default) or delete"
    )]
    JournalMode {
        /// What the URL asked for.
        value: String,
        /// The URL.
        url: String,
    },
    /// The SQLite file's folder could not be created.
    #[error("cannot create the folder for SQLite database {path}")]
    CreateDir {
        /// The folder.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Connecting failed.
    #[error("cannot connect to {url}")]
    Connect {
        /// The URL, password removed.
        url: String,
        /// Why.
        source: sqlx::Error,
    },
    /// A migration failed (or the database holds one this build does not know).
    #[error("cannot migrate {url}")]
    Migrate {
        /// The URL, password removed.
        url: String,
        /// Why.
        source: MigrateError,
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

/// How a pool may use its database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The owner's pool: creates a missing SQLite file, may migrate and write.
    ReadWrite,
    /// A reader's pool (the dashboard): never creates or writes. SQLite opens the file
    /// with `mode=ro`; PostgreSQL sessions default to read-only transactions.
    ReadOnly,
}

/// SQLite's journal, chosen by the URL's `journal_mode` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Journal {
    /// The default: readers never block the writer. Readers need the `-shm` file beside
    /// the database, which the last writer removes when it closes.
    Wal,
    /// A rollback journal: for a file that another process reads through a read-only
    /// mount (the compose file's dashboard), which cannot open a WAL database whose
    /// writer has stopped.
    Delete,
}

/// Opens a pool on `url` that may read and write. For SQLite, creates the file (and its
/// folder) when missing and turns on WAL so readers do not block the writer, unless the
/// URL asks for `journal_mode=delete`.
pub async fn connect(url: &str) -> Result<AnyPool, DbError> {
    open(url, Access::ReadWrite).await
}

/// Opens a pool on `url` as [`connect`] does, then applies `migrator`'s migrations that
/// the database lacks: how a team's worker opens the database it owns.
pub async fn connect_and_migrate(url: &str, migrator: &Migrator) -> Result<AnyPool, DbError> {
    let pool = connect(url).await?;
    if let Err(source) = migrator.run(&pool).await {
        pool.close().await;
        return Err(DbError::Migrate {
            url: redact(url),
            source,
        });
    }
    Ok(pool)
}

/// Opens a pool on `url` that only reads: what a dashboard holds on another team's
/// database. The database must exist.
pub async fn connect_read_only(url: &str) -> Result<AnyPool, DbError> {
    open(url, Access::ReadOnly).await
}

async fn open(url: &str, access: Access) -> Result<AnyPool, DbError> {
    install_default_drivers();
    let backend = Backend::of(url).ok_or_else(|| DbError::UnsupportedUrl(redact(url)))?;
    let (url, journal) = match backend {
        Backend::Sqlite => prepare_sqlite(url, access)?,
        Backend::Postgres => (url.to_owned(), Journal::Wal),
    };
    AnyPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(5))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                match (backend, access) {
                    (Backend::Sqlite, Access::ReadWrite) => {
                        conn.execute(match journal {
                            Journal::Wal => "PRAGMA journal_mode = WAL",
                            Journal::Delete => "PRAGMA journal_mode = DELETE",
                        })
                        .await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                    }
                    (Backend::Sqlite, Access::ReadOnly) => {
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                    }
                    (Backend::Postgres, Access::ReadOnly) => {
                        conn.execute("SET default_transaction_read_only = on")
                            .await?;
                    }
                    (Backend::Postgres, Access::ReadWrite) => {}
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

/// The URL sqlx gets and the journal asked for. Takes out `journal_mode` (ours, not
/// sqlx's); for a writer, creates the file's folder and asks sqlx to create the file;
/// for a reader, opens it read-only.
fn prepare_sqlite(url: &str, access: Access) -> Result<(String, Journal), DbError> {
    let rest = url.trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut journal = Journal::Wal;
    let mut params = Vec::new();
    for param in query.split('&').filter(|param| !param.is_empty()) {
        match param.strip_prefix("journal_mode=") {
            Some(value) if value.eq_ignore_ascii_case("wal") => journal = Journal::Wal,
            Some(value) if value.eq_ignore_ascii_case("delete") => journal = Journal::Delete,
            Some(value) => {
                return Err(DbError::JournalMode {
                    value: value.to_owned(),
                    url: url.to_owned(),
                });
            }
            None => params.push(param),
        }
    }
    if !params.iter().any(|param| param.starts_with("mode=")) {
        params.push(match access {
            Access::ReadWrite => "mode=rwc",
            Access::ReadOnly => "mode=ro",
        });
    }
    let file = path.strip_prefix("//").unwrap_or(path);
    let folder = Path::new(file)
        .parent()
        .filter(|p| file != ":memory:" && !p.as_os_str().is_empty());
    if let (Some(parent), Access::ReadWrite) = (folder, access) {
        std::fs::create_dir_all(parent).map_err(|source| DbError::CreateDir {
            path: parent.display().to_string(),
            source,
        })?;
    }
    Ok((format!("sqlite:{path}?{}", params.join("&")), journal))
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
        let (prepared, journal) = prepare_sqlite(&url, Access::ReadWrite).unwrap();
        assert_eq!(prepared, format!("{url}?mode=rwc"));
        assert_eq!(journal, Journal::Wal);
        assert!(dir.path().join("nested").is_dir());
        assert_eq!(
            prepare_sqlite("sqlite:x.db?mode=ro", Access::ReadWrite).unwrap(),
            ("sqlite:x.db?mode=ro".to_owned(), Journal::Wal)
        );
    }

    #[test]
    fn readers_open_read_only_and_create_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}/absent/gtm.db", dir.path().display());
        let (prepared, _) = prepare_sqlite(&url, Access::ReadOnly).unwrap();
        assert_eq!(prepared, format!("{url}?mode=ro"));
        assert!(!dir.path().join("absent").exists());
    }

    #[test]
    fn journal_mode_is_ours_and_checked() {
        assert_eq!(
            prepare_sqlite("sqlite:/data/gtm.db?journal_mode=delete", Access::ReadOnly).unwrap(),
            ("sqlite:/data/gtm.db?mode=ro".to_owned(), Journal::Delete)
        );
        assert_eq!(
            prepare_sqlite(
                "sqlite:g.db?cache=shared&journal_mode=WAL",
                Access::ReadWrite
            )
            .unwrap(),
            ("sqlite:g.db?cache=shared&mode=rwc".to_owned(), Journal::Wal)
        );
        let err = prepare_sqlite("sqlite:g.db?journal_mode=truncate", Access::ReadWrite)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "unsupported journal_mode \"truncate\" in SQLite URL sqlite:g.db?journal_mode=truncate: use wal (the default) or delete"
        );
    }

    #[tokio::test]
    async fn a_read_only_pool_reads_and_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}/gtm.db?journal_mode=delete", dir.path().display());
        let writer = connect(&url).await.unwrap();
        sqlx::query("CREATE TABLE t (x INTEGER)")
            .execute(&writer)
            .await
            .unwrap();
        sqlx::query("INSERT INTO t (x) VALUES (7)")
            .execute(&writer)
            .await
            .unwrap();
        writer.close().await;

        let reader = connect_read_only(&url).await.unwrap();
        let x: i64 = sqlx::query_scalar("SELECT x FROM t")
            .fetch_one(&reader)
            .await
            .unwrap();
        assert_eq!(x, 7);
        let write = sqlx::query("INSERT INTO t (x) VALUES (8)")
            .execute(&reader)
            .await;
        assert!(write.is_err(), "a read-only pool wrote");
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
