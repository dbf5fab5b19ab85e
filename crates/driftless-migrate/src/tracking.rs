//! The tracking table: its name (configurable, checked and quoted per dialect) and the row the migrator writes for
//! a migration. The DDL and queries live in each dialect's file (`sqlite.rs`, `postgres.rs`, `mysql.rs`).

use driftless_core::Dialect;

use crate::error::Error;
use crate::outcome::{AppliedMigration, Direction};

/// The tracking table's name, checked, with its quoted spelling for one dialect.
#[derive(Debug, Clone)]
pub(crate) struct TrackingTable {
    /// The name as configured (`driftless_migrations`, or `schema.table`).
    pub name: String,
    /// The quoted, possibly qualified, identifier to put in SQL.
    pub quoted: String,
    /// The unqualified name, for naming the table's indexes.
    pub base: String,
    /// The schema (PostgreSQL) or database (MySQL) qualifier, if given.
    #[cfg_attr(
        not(any(feature = "postgres", feature = "mysql")),
        allow(dead_code, reason = "read by the server drivers only")
    )]
    pub schema: Option<String>,
}

impl TrackingTable {
    /// Checks `name` (letters, digits, underscores; one optional `schema.` qualifier; ≤ 64 characters per part)
    /// and quotes it for `dialect`. The check is what makes it safe to put the name into SQL text.
    pub fn new(name: &str, dialect: Dialect) -> Result<TrackingTable, Error> {
        let invalid = || Error::InvalidTableName { name: name.to_owned() };
        let parts: Vec<&str> = name.split('.').collect();
        if parts.len() > 2 || (parts.len() == 2 && dialect == Dialect::Sqlite) {
            return Err(invalid());
        }
        for part in &parts {
            let ok = !part.is_empty()
                && part.len() <= 64
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !part.starts_with(|c: char| c.is_ascii_digit());
            if !ok {
                return Err(invalid());
            }
        }
        let quote = |p: &str| match dialect {
            Dialect::Mysql => format!("`{p}`"),
            _ => format!("\"{p}\""),
        };
        let quoted = parts.iter().map(|p| quote(p)).collect::<Vec<_>>().join(".");
        let base = parts.last().copied().unwrap_or(name).to_owned();
        let schema = (parts.len() == 2).then(|| parts[0].to_owned());
        Ok(TrackingTable { name: name.to_owned(), quoted, base, schema })
    }
}

/// A row about to be written: a migration starting (dirty, for step-by-step runs) or finished.
#[derive(Debug, Clone)]
pub(crate) struct NewRow<'a> {
    pub name: &'a str,
    pub batch: i64,
    pub checksum: &'a str,
    pub class: &'a str,
    pub duration_ms: i64,
    pub dirty: Option<Direction>,
    pub statements_total: i64,
}

/// The columns every dialect selects, in this order, to read [`AppliedMigration`]s with [`RowTuple`].
pub(crate) const COLUMNS: &str = "id, name, batch, checksum, class, APPLIED_AT, duration_ms, dirty, statements_done, statements_total, failed_statement";

/// A tracking row as sqlx decodes it.
pub(crate) type RowTuple = (i64, String, i64, String, String, String, i64, Option<String>, i64, i64, Option<String>);

/// The `SELECT` of every row, oldest first, with `applied_at` spelled as RFC 3339 text by `applied_at`.
pub(crate) fn select_rows(table: &TrackingTable, applied_at: &str) -> String {
    format!("SELECT {} FROM {} ORDER BY id", COLUMNS.replace("APPLIED_AT", applied_at), table.quoted)
}

pub(crate) fn from_tuple(t: RowTuple) -> AppliedMigration {
    let (id, name, batch, checksum, class, applied_at, duration_ms, dirty, statements_done, statements_total, failed) =
        t;
    AppliedMigration {
        id,
        name,
        batch,
        checksum,
        class,
        applied_at,
        duration_ms,
        // An unknown marker is still a marker: treat it as an unfinished `up`.
        dirty: dirty.map(|d| Direction::parse(&d).unwrap_or(Direction::Up)),
        statements_done,
        statements_total,
        failed_statement: failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_quoted() {
        let t = TrackingTable::new("driftless_migrations", Dialect::Mysql).unwrap();
        assert_eq!(t.quoted, "`driftless_migrations`");
        let t = TrackingTable::new("ops.migrations", Dialect::Postgres).unwrap();
        assert_eq!(t.quoted, "\"ops\".\"migrations\"");
        assert_eq!(t.base, "migrations");
        for bad in ["", "a;b", "x\"y", "1abc", "a.b.c", "a b"] {
            assert!(TrackingTable::new(bad, Dialect::Postgres).is_err(), "{bad}");
        }
        assert!(TrackingTable::new("main.t", Dialect::Sqlite).is_err());
    }
}
