//! Loading seed rows into a database, the way each team's `seed` command does it.
//!
//! A [`LoadTransaction`] is one database's load: a single transaction (a failed load
//! leaves no half-seeded database), each row inserted by the team's own
//! `INSERT ... ON CONFLICT DO NOTHING` (so a second load inserts nothing, and a row
//! someone edited by hand stays as edited), and the rows that went in counted per table
//! in a [`LoadReport`]. The SQL stays with the team that owns the schema.

use std::fmt;

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyPool, Transaction};

/// What one load inserted, table by table.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LoadReport {
    /// `(table, rows inserted)` in load order.
    pub inserted: Vec<(&'static str, u64)>,
}

impl LoadReport {
    /// Rows inserted across all tables.
    pub fn total(&self) -> u64 {
        self.inserted.iter().map(|(_, n)| n).sum()
    }

    /// Rows inserted into `table`; 0 for a table this load never touched.
    pub fn rows(&self, table: &str) -> u64 {
        self.inserted
            .iter()
            .find(|(t, _)| *t == table)
            .map_or(0, |(_, n)| *n)
    }

    /// Counts `rows` more inserted into `table`.
    pub fn add(&mut self, table: &'static str, rows: u64) {
        match self.inserted.iter_mut().find(|(t, _)| *t == table) {
            Some((_, n)) => *n += rows,
            None => self.inserted.push((table, rows)),
        }
    }
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<_> = self
            .inserted
            .iter()
            .map(|(table, n)| format!("{table} +{n}"))
            .collect();
        write!(f, "{}", parts.join(", "))
    }
}

/// Why a load failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The database could not be opened or migrated.
    #[error("opening the {database} database")]
    Open {
        /// Whose database (`GTM`, `Marketing`).
        database: &'static str,
        /// Why.
        source: super::DbError,
    },
    /// A statement of the load failed.
    #[error("loading {what} into the {database} database")]
    Insert {
        /// Whose database (`GTM`, `Marketing`).
        database: &'static str,
        /// The row being inserted, or the transaction's begin or commit.
        what: String,
        /// Why.
        source: sqlx::Error,
    },
}

/// One database's load in progress: rows go into one transaction and are counted per
/// table; [`commit`](Self::commit) makes them visible all at once. Dropped without
/// committing, it rolls back.
#[derive(Debug)]
pub struct LoadTransaction {
    database: &'static str,
    tx: Transaction<'static, Any>,
    report: LoadReport,
}

impl LoadTransaction {
    /// Begins a load of `database` (its owner's name, for messages) over `pool`.
    pub async fn begin(pool: &AnyPool, database: &'static str) -> Result<Self, LoadError> {
        let tx = pool.begin().await.map_err(|source| LoadError::Insert {
            database,
            what: "a transaction".to_owned(),
            source,
        })?;
        Ok(Self {
            database,
            tx,
            report: LoadReport::default(),
        })
    }

    /// Runs `insert`, an `INSERT ... ON CONFLICT DO NOTHING` into `table`, and counts
    /// the rows it inserted. `what` names the row for the error message
    /// (`account acme-corp`).
    pub async fn insert<'q>(
        &mut self,
        table: &'static str,
        what: String,
        insert: Query<'q, Any, AnyArguments<'q>>,
    ) -> Result<(), LoadError> {
        let rows = insert
            .execute(&mut *self.tx)
            .await
            .map_err(|source| LoadError::Insert {
                database: self.database,
                what,
                source,
            })?
            .rows_affected();
        self.report.add(table, rows);
        Ok(())
    }

    /// Commits the load and says what it inserted.
    pub async fn commit(self) -> Result<LoadReport, LoadError> {
        let database = self.database;
        self.tx.commit().await.map_err(|source| LoadError::Insert {
            database,
            what: "the transaction's commit".to_owned(),
            source,
        })?;
        Ok(self.report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_adds_up_per_table() {
        let mut report = LoadReport::default();
        report.add("accounts", 2);
        report.add("contacts", 3);
        report.add("accounts", 1);
        assert_eq!(report.total(), 6);
        assert_eq!(report.rows("accounts"), 3);
        assert_eq!(report.rows("campaigns"), 0);
        assert_eq!(report.to_string(), "accounts +3, contacts +3");
    }

    /// A fresh SQLite database holding one table, made by `create`.
    async fn database_with(create: &str) -> (tempfile::TempDir, AnyPool) {
        let dir = tempfile::tempdir().unwrap();
        let pool = super::super::connect(&format!("sqlite:{}/t.db", dir.path().display()))
            .await
            .unwrap();
        sqlx::query(create).execute(&pool).await.unwrap();
        (dir, pool)
    }

    #[tokio::test]
    async fn a_load_counts_what_it_inserted_and_a_rerun_inserts_nothing() {
        let (_dir, pool) = database_with("CREATE TABLE things (id TEXT PRIMARY KEY)").await;
        for expected in [2, 0] {
            let mut load = LoadTransaction::begin(&pool, "test").await.unwrap();
            for id in ["a", "b", "a"] {
                let insert =
                    sqlx::query("INSERT INTO things (id) VALUES ($1) ON CONFLICT DO NOTHING")
                        .bind(id);
                load.insert("things", format!("thing {id}"), insert)
                    .await
                    .unwrap();
            }
            assert_eq!(load.commit().await.unwrap().rows("things"), expected);
        }
    }

    #[tokio::test]
    async fn a_failed_insert_names_the_row_and_leaves_nothing_behind() {
        let (_dir, pool) =
            database_with("CREATE TABLE things (id TEXT PRIMARY KEY, n INTEGER NOT NULL)").await;
        let mut load = LoadTransaction::begin(&pool, "test").await.unwrap();
        load.insert(
            "things",
            "thing a".to_owned(),
            sqlx::query("INSERT INTO things (id, n) VALUES ('a', 1)"),
        )
        .await
        .unwrap();
        let err = load
            .insert(
                "things",
                "thing b".to_owned(),
                sqlx::query("INSERT INTO things (id, n) VALUES ('b', NULL)"),
            )
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "loading thing b into the test database");
        let cause = std::error::Error::source(&err).map(ToString::to_string);
        assert!(
            cause
                .as_deref()
                .is_some_and(|cause| cause.contains("NOT NULL")),
            "the driver's reason is the source: {cause:?}"
        );
        drop(load);
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM things")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(count, 0);
    }
}
