//! A backfill's SQL: the readable equivalent `migrate-sql` shows (one `UPDATE`, with a comment that it runs in
//! batches), and the keyset-paginated statements the migrator runs, batch by batch.
//!
//! A batch is two statements in one short transaction: the key of the batch's last row (`SELECT key … WHERE key >
//! last AND (predicate) ORDER BY key LIMIT 1 OFFSET n - 1`; no row means the rest of the table is the last batch),
//! then `UPDATE … WHERE key > last AND key <= bound AND (predicate)`. Selecting the bound first rather than `WHERE
//! key IN (SELECT … LIMIT n)` keeps one form for every dialect: MySQL/MariaDB refuse `LIMIT` in an `IN` subquery on
//! the table being updated.
//!
//! Keys travel as text, so that the migrator can record the last one in its tracking table and bind it back whatever
//! the key's type: read with `CAST(key AS TEXT)` (`CHAR` on MySQL), bound as text and compared with the column
//! through PostgreSQL's explicit `CAST($n AS type)`, MySQL's and SQLite's own conversion (SQLite applies the
//! column's affinity to a bound value; the rowid is cast to `INTEGER`). The key is the table's primary key as of the
//! schema at the step, or SQLite's `rowid` when there is none; PostgreSQL and MySQL refuse a table without one.

use crate::dialect::Dialect;
use crate::replay::{ReplayOptions, apply_step_with};
use crate::schema::{ColumnType, Schema};
use crate::step::Step;

use super::{RenderError, spell};

/// The SQL of one backfill on one dialect, against the schema just before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackfillSql {
    /// The dialect.
    pub dialect: Dialect,
    /// The table.
    pub table: String,
    /// The key columns, in order (`["rowid"]` for a SQLite table without a primary key).
    pub key: Vec<String>,
    /// Rows per batch.
    pub batch_size: u32,
    /// Milliseconds to wait between batches.
    pub throttle_ms: u32,
    /// The quoted table.
    quoted: String,
    /// `col = expr, …`.
    set: String,
    /// The predicate, parenthesised, if any.
    predicate: Option<String>,
    /// The quoted key columns as they are compared (`"id"`, or `rowid`).
    key_sql: Vec<String>,
    /// Per key column, the type a bound text value is cast to (`BIGINT` on PostgreSQL; `None`: compared as bound).
    casts: Vec<Option<String>>,
}

/// A backfill that sets nothing is `None` (it runs nothing); the others give their SQL, or an error naming the
/// table when the step cannot run on the dialect: no key to batch by, a batch size of 0, or a key column it sets.
pub fn backfill_sql(step: &Step, dialect: Dialect, before: &Schema) -> Result<Option<BackfillSql>, RenderError> {
    let Step::Backfill { table, set, predicate, batch_size, throttle_ms, .. } = step else { return Ok(None) };
    if set.is_empty() {
        return Ok(None);
    }
    let unsupported =
        |reason: String| RenderError::Unsupported { step: "backfill", table: table.clone(), dialect, reason };
    let t = before.table(table).ok_or_else(|| RenderError::UnknownTable { step: "backfill", table: table.clone() })?;
    if *batch_size == 0 {
        return Err(unsupported("the batch size is 0; give `.batch_size(n)` at least 1 row".into()));
    }
    for (column, _) in set {
        if !t.columns.iter().any(|c| c.name == *column) {
            return Err(RenderError::UnknownColumn { step: "backfill", table: table.clone(), column: column.clone() });
        }
    }
    let (key, key_sql, casts) = match &t.primary_key {
        Some(pk) => {
            if let Some((c, _)) = set.iter().find(|(c, _)| pk.columns.contains(c)) {
                return Err(unsupported(format!(
                    "it sets `{c}`, a column of the primary key the batches are ordered by; write this change as raw \
                     SQL"
                )));
            }
            let mut casts = Vec::new();
            for c in &pk.columns {
                let unknown =
                    || RenderError::UnknownColumn { step: "backfill", table: table.clone(), column: c.clone() };
                let col = t.column(c).ok_or_else(unknown)?;
                casts.push(key_cast(dialect, &col.ty, before, table)?);
            }
            (pk.columns.clone(), pk.columns.iter().map(|c| spell::ident(dialect, c)).collect(), casts)
        }
        None if dialect == Dialect::Sqlite => {
            (vec!["rowid".to_owned()], vec!["rowid".to_owned()], vec![Some("INTEGER".to_owned())])
        }
        None => {
            return Err(unsupported(
                "the table has no primary key, and a backfill runs in primary-key order; add a primary key first, or \
                 write the UPDATE as raw SQL"
                    .into(),
            ));
        }
    };
    let set = set.iter().map(|(c, e)| format!("{} = {e}", spell::ident(dialect, c))).collect::<Vec<_>>().join(", ");
    Ok(Some(BackfillSql {
        dialect,
        table: table.clone(),
        key,
        batch_size: *batch_size,
        throttle_ms: *throttle_ms,
        quoted: spell::ident(dialect, table),
        set,
        predicate: predicate.as_ref().map(|p| format!("({p})")),
        key_sql,
        casts,
    }))
}

/// The type a key value bound as text is cast to before it is compared with the key column: PostgreSQL compares
/// nothing with text implicitly; MySQL would compare an integer with a string as floating point (wrong past 2^53);
/// SQLite's affinity would do, but an explicit cast says the same on every path. `None`: compared as bound (text
/// keys, and MySQL's dates, which it converts exactly).
fn key_cast(d: Dialect, ty: &ColumnType, schema: &Schema, table: &str) -> Result<Option<String>, RenderError> {
    use ColumnType as T;
    Ok(match (d, ty) {
        (Dialect::Postgres, ty) => Some(spell::column_type(d, ty, schema, table)?),
        (Dialect::Mysql, T::SmallInt | T::Integer | T::BigInt) => Some("SIGNED".into()),
        (Dialect::Mysql, T::Decimal { .. }) => Some(spell::column_type(d, ty, schema, table)?),
        (Dialect::Sqlite, T::SmallInt | T::Integer | T::BigInt) => Some("INTEGER".into()),
        (Dialect::Sqlite, T::Real | T::Double) => Some("REAL".into()),
        _ => None,
    })
}

/// The SQL of every backfill among `steps` (a migration's `up` or `down`) on `dialect`, by step index, each against
/// the schema just before it; `before` is the schema before the first step. Steps are replayed as the renderer
/// does (`ReplayOptions::DATABASE`); a step that does not replay ends the walk (the renderer reports it).
pub fn backfills(steps: &[Step], dialect: Dialect, before: &Schema) -> Result<Vec<(usize, BackfillSql)>, RenderError> {
    let mut out = Vec::new();
    let mut state = before.clone();
    state.normalize();
    for (i, step) in steps.iter().enumerate() {
        if let Some(sql) = backfill_sql(step, dialect, &state)? {
            out.push((i, sql));
        }
        if apply_step_with(&mut state, step, ReplayOptions::DATABASE).is_err() {
            break;
        }
    }
    Ok(out)
}

impl BackfillSql {
    /// The readable equivalent for people (`migrate-sql`, `migrate --dry-run`): one `UPDATE` of every row to do,
    /// after a comment saying how it really runs.
    pub fn readable(&self) -> String {
        format!(
            "-- backfill: runs in batches of {} rows in ({}) order, each committed on its own{}\nUPDATE {} SET {}{}",
            self.batch_size,
            self.key_sql.join(", "),
            if self.throttle_ms > 0 { format!(", {} ms apart", self.throttle_ms) } else { String::new() },
            self.quoted,
            self.set,
            self.predicate.as_ref().map(|p| format!(" WHERE {p}")).unwrap_or_default()
        )
    }

    /// Binds parameters from `first` (1-based, PostgreSQL's `$n`): the key compared with them, `op` one of `>`/`<=`.
    fn compare(&self, op: &str, first: usize) -> String {
        let params: Vec<String> = self
            .casts
            .iter()
            .enumerate()
            .map(|(i, cast)| {
                let p = if self.dialect == Dialect::Postgres { format!("${}", first + i) } else { "?".to_owned() };
                match cast {
                    Some(ty) => format!("CAST({p} AS {ty})"),
                    None => p,
                }
            })
            .collect();
        if self.key_sql.len() == 1 {
            format!("{} {op} {}", self.key_sql[0], params[0])
        } else {
            format!("({}) {op} ({})", self.key_sql.join(", "), params.join(", "))
        }
    }

    fn filter(&self, after: bool, upto: bool) -> String {
        let n = self.key.len();
        let mut parts = Vec::new();
        if after {
            parts.push(self.compare(">", 1));
        }
        if upto {
            parts.push(self.compare("<=", if after { n + 1 } else { 1 }));
        }
        parts.extend(self.predicate.clone());
        if parts.is_empty() { String::new() } else { format!(" WHERE {}", parts.join(" AND ")) }
    }

    /// Counts the rows still to do: those matching the predicate, after the last recorded key when `after` (binds
    /// the key's values as text).
    pub fn count(&self) -> String {
        format!("SELECT COUNT(*) FROM {}{}", self.quoted, self.filter(false, false))
    }

    /// Counts the rows to do after a recorded key (binds the key's values as text).
    pub fn count_after(&self) -> String {
        format!("SELECT COUNT(*) FROM {}{}", self.quoted, self.filter(true, false))
    }

    /// The key of the next batch's last row, one text column per key column; no row means the rest of the table is
    /// the last batch. Binds the last recorded key (as text) when `after`. The `ORDER BY` names the key columns
    /// with the table: PostgreSQL would take a bare `"id"` for the output column `CAST("id" AS TEXT)` (named `id`)
    /// and order the keys as text.
    pub fn next_bound(&self, after: bool) -> String {
        let text = match self.dialect {
            Dialect::Mysql => "CHAR",
            _ => "TEXT",
        };
        let cols: Vec<String> = self.key_sql.iter().map(|k| format!("CAST({k} AS {text})")).collect();
        let order: Vec<String> = self.key_sql.iter().map(|k| format!("{}.{k}", self.quoted)).collect();
        format!(
            "SELECT {} FROM {}{} ORDER BY {} LIMIT 1 OFFSET {}",
            cols.join(", "),
            self.quoted,
            self.filter(after, false),
            order.join(", "),
            self.batch_size - 1
        )
    }

    /// One batch's `UPDATE`: the rows after the last key (when `after`; binds it first) up to the batch's bound
    /// (when `upto`; binds it next) that match the predicate.
    pub fn update(&self, after: bool, upto: bool) -> String {
        format!("UPDATE {} SET {}{}", self.quoted, self.set, self.filter(after, upto))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::define::{backfill, column, table};
    use crate::schema::ColumnType;

    fn schema() -> Schema {
        let users = table("users")
            .with_column(column("id", ColumnType::BigInt))
            .with_column(column("tz", ColumnType::Text).nullable())
            .primary_key("users_pkey", &["id"]);
        let pairs = table("pairs")
            .with_column(column("a", ColumnType::Integer))
            .with_column(column("b", ColumnType::Varchar(8)))
            .with_column(column("v", ColumnType::Text).nullable())
            .primary_key("pairs_pkey", &["a", "b"]);
        let loose = table("loose").with_column(column("v", ColumnType::Text).nullable());
        Schema { tables: vec![users, pairs, loose], enums: vec![] }.normalized()
    }

    fn sql(step: &Step, d: Dialect) -> BackfillSql {
        backfill_sql(step, d, &schema()).unwrap().unwrap()
    }

    #[test]
    fn batches_are_keyed_on_the_primary_key_per_dialect() {
        let step = backfill("users", &[("tz", "'UTC'")]).when("tz IS NULL").batch_size(500).throttle_ms(10);
        let pg = sql(&step, Dialect::Postgres);
        assert_eq!(
            pg.readable(),
            "-- backfill: runs in batches of 500 rows in (\"id\") order, each committed on its own, 10 ms apart\n\
             UPDATE \"users\" SET \"tz\" = 'UTC' WHERE (tz IS NULL)"
        );
        assert_eq!(pg.count(), "SELECT COUNT(*) FROM \"users\" WHERE (tz IS NULL)");
        assert_eq!(
            pg.count_after(),
            "SELECT COUNT(*) FROM \"users\" WHERE \"id\" > CAST($1 AS BIGINT) AND (tz IS NULL)"
        );
        assert_eq!(
            pg.next_bound(true),
            "SELECT CAST(\"id\" AS TEXT) FROM \"users\" WHERE \"id\" > CAST($1 AS BIGINT) AND (tz IS NULL) ORDER BY \
             \"users\".\"id\" LIMIT 1 OFFSET 499"
        );
        assert_eq!(
            pg.update(true, true),
            "UPDATE \"users\" SET \"tz\" = 'UTC' WHERE \"id\" > CAST($1 AS BIGINT) AND \"id\" <= CAST($2 AS BIGINT) \
             AND (tz IS NULL)"
        );
        assert_eq!(
            pg.update(false, true),
            "UPDATE \"users\" SET \"tz\" = 'UTC' WHERE \"id\" <= CAST($1 AS BIGINT) AND (tz IS NULL)"
        );
        let my = sql(&step, Dialect::Mysql);
        assert_eq!(
            my.next_bound(false),
            "SELECT CAST(`id` AS CHAR) FROM `users` WHERE (tz IS NULL) ORDER BY `users`.`id` LIMIT 1 OFFSET 499"
        );
        assert_eq!(
            my.update(true, false),
            "UPDATE `users` SET `tz` = 'UTC' WHERE `id` > CAST(? AS SIGNED) AND (tz IS NULL)"
        );
        let lite = sql(&step, Dialect::Sqlite);
        assert_eq!(
            lite.count_after(),
            "SELECT COUNT(*) FROM \"users\" WHERE \"id\" > CAST(? AS INTEGER) AND (tz IS NULL)"
        );
    }

    #[test]
    fn composite_keys_compare_as_rows_and_sqlite_falls_back_to_the_rowid() {
        let step = backfill("pairs", &[("v", "a || b")]);
        let pg = sql(&step, Dialect::Postgres);
        assert_eq!(
            pg.update(true, true),
            "UPDATE \"pairs\" SET \"v\" = a || b WHERE (\"a\", \"b\") > (CAST($1 AS INTEGER), CAST($2 AS VARCHAR(8))) \
             AND (\"a\", \"b\") <= (CAST($3 AS INTEGER), CAST($4 AS VARCHAR(8)))"
        );
        let lite = sql(&backfill("loose", &[("v", "'x'")]), Dialect::Sqlite);
        assert_eq!(lite.key, ["rowid"]);
        assert_eq!(
            lite.update(true, true),
            "UPDATE \"loose\" SET \"v\" = 'x' WHERE rowid > CAST(? AS INTEGER) AND rowid <= CAST(? AS INTEGER)"
        );
    }

    #[test]
    fn what_cannot_run_is_refused_naming_the_table() {
        let err = |step: &Step, d| backfill_sql(step, d, &schema()).unwrap_err().to_string();
        assert_eq!(
            err(&backfill("loose", &[("v", "'x'")]), Dialect::Postgres),
            "backfill on table `loose` cannot be rendered for postgres: the table has no primary key, and a \
             backfill runs in primary-key order; add a primary key first, or write the UPDATE as raw SQL"
        );
        assert!(
            err(&backfill("users", &[("id", "1")]), Dialect::Mysql)
                .contains("it sets `id`, a column of the primary key")
        );
        assert!(err(&backfill("users", &[("tz", "1")]).batch_size(0), Dialect::Sqlite).contains("the batch size is 0"));
        assert_eq!(
            err(&backfill("users", &[("nope", "1")]), Dialect::Sqlite),
            "backfill: column `nope` of table `users` does not exist in the schema before this step"
        );
        assert_eq!(backfill_sql(&backfill("users", &[]), Dialect::Postgres, &schema()).unwrap(), None);
    }
}
