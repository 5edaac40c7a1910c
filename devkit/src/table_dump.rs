//! Whole tables as text, for tests that assert "this changed nothing".

use anyhow::Context;
use sqlx::{AnyPool, Row};

/// Every row of each `(table, order by)` in `tables`, one string a row, in a stable
/// order: two equal dumps mean equal tables. Cells are shown both as text and as an
/// integer (whichever the backend can decode), so the dump needs no schema knowledge.
pub async fn dump(pool: &AnyPool, tables: &[(&str, &str)]) -> anyhow::Result<Vec<String>> {
    let mut rows = Vec::new();
    for (table, order_by) in tables {
        let query = format!("SELECT * FROM {table} ORDER BY {order_by}");
        let fetched = sqlx::query(&query)
            .fetch_all(pool)
            .await
            .with_context(|| format!("dumping table {table}"))?;
        for row in fetched {
            let mut cells = vec![(*table).to_owned()];
            for index in 0..row.len() {
                let text: Option<String> = row.try_get(index).ok();
                let number: Option<i64> = row.try_get(index).ok();
                cells.push(format!("{text:?}/{number:?}"));
            }
            rows.push(cells.join("|"));
        }
    }
    Ok(rows)
}
