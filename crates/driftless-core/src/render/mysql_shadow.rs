//! Online MySQL/MariaDB: the shadow-table recipe (in the style of pt-online-schema-change and gh-ost) for a change
//! the server would otherwise make by rebuilding the table in place, whose final exclusive phase (applying the row
//! log and swapping the table, under an exclusive metadata lock) stalls every writer for a time that grows with the
//! writes made during the rebuild (~200 ms measured for `SET NOT NULL` on a 1,000,000-row MariaDB table). Built for
//! making a column NOT NULL (only its nullability changes).
//!
//! The plan holds one statement for the step: the recipe, written as a script the migrator runs part by part
//! (`driftless-migrate`, `online_mysql_shadow.rs`), which this module reads back ([`parse_shadow`]):
//!
//! 1. `CREATE TABLE _t__driftless_new LIKE t`, then the step's `ALTER` on that empty table (instant: no rows, no
//!    other session uses it);
//! 2. triggers `AFTER INSERT / UPDATE / DELETE` on `t` that `REPLACE INTO` / `DELETE FROM` the shadow by primary key;
//! 3. the copy in primary-key order, 200 rows per transaction (`REPLACE INTO shadow (cols) SELECT cols FROM t
//!    WHERE key > last AND key <= bound LOCK IN SHARE MODE`), the last copied key recorded in the same transaction;
//! 4. the cut-over: one atomic `RENAME TABLE t TO _t__driftless_old, _t__driftless_new TO t` under
//!    `lock_wait_timeout`, then `DROP TABLE _t__driftless_old` (its triggers go with it).
//!
//! When the table has no primary key, is referenced by another table's foreign key, has foreign keys of its own or
//! triggers of its own, the migrator refuses the recipe and runs the in-place `ALTER` ([`fallback_sql`]).

use crate::classify::{MysqlAlgorithm, mysql_algorithm};
use crate::schema::Schema;
use crate::step::Step;

/// The first words of a shadow-table statement.
const MARKER: &str = "-- online: shadow-table copy of ";

/// MySQL's longest identifier.
const MAX_IDENT: usize = 64;

/// The rows copied per transaction.
pub const CHUNK_ROWS: u64 = 200;

/// A shadow-table change: the table and the `ALTER` clause (`MODIFY COLUMN …`) it applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shadow {
    /// The table changed.
    pub table: String,
    /// The `ALTER TABLE` clause, without table and algorithm (`MODIFY COLUMN `c` INT NOT NULL`).
    pub alter: String,
}

fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

impl Shadow {
    /// `_<t>__driftless_new`, the shadow table.
    pub fn new_table(&self) -> String {
        format!("_{}__driftless_new", self.table)
    }

    /// `_<t>__driftless_old`, the table's name between the cut-over rename and its drop.
    pub fn old_table(&self) -> String {
        format!("_{}__driftless_old", self.table)
    }

    /// The trigger for `event` (`ins`, `upd`, `del`): `_<t>__driftless_ins`.
    pub fn trigger(&self, event: &str) -> String {
        format!("_{}__driftless_{event}", self.table)
    }

    /// The `ALTER` of the empty shadow table.
    pub fn alter_shadow(&self) -> String {
        format!("ALTER TABLE {} {}", ident(&self.new_table()), self.alter)
    }

    /// The atomic cut-over.
    pub fn rename(&self) -> String {
        format!(
            "RENAME TABLE {t} TO {old}, {new} TO {t}",
            t = ident(&self.table),
            old = ident(&self.old_table()),
            new = ident(&self.new_table())
        )
    }

    /// The statement as the plan holds it (and `migrate-sql`, `--dry-run` and the review show it).
    pub fn sql(&self) -> String {
        let (t, new, old) = (ident(&self.table), ident(&self.new_table()), ident(&self.old_table()));
        format!(
            "{MARKER}{t} (pt-online-schema-change style), run by the migrator part by part:\n\
             CREATE TABLE {new} LIKE {t};\n\
             {alter};\n\
             -- triggers AFTER INSERT, UPDATE, DELETE on {t} ({ins}, {upd}, {del}): REPLACE INTO / DELETE FROM {new} \
             by primary key;\n\
             -- copy in primary-key order, {CHUNK_ROWS} rows per transaction, the last key recorded in the tracking \
             table: REPLACE INTO {new} (…) SELECT … FROM {t} WHERE key > last AND key <= bound LOCK IN SHARE MODE;\n\
             -- cut-over under lock_wait_timeout, retried:\n\
             {rename};\n\
             DROP TABLE {old}",
            alter = self.alter_shadow(),
            ins = ident(&self.trigger("ins")),
            upd = ident(&self.trigger("upd")),
            del = ident(&self.trigger("del")),
            rename = self.rename(),
        )
    }
}

/// The in-place `ALTER` the migrator runs instead when it refuses the recipe for a table.
pub fn fallback_sql(shadow: &Shadow) -> String {
    format!("ALTER TABLE {} {}, ALGORITHM=INPLACE, LOCK=NONE", ident(&shadow.table), shadow.alter)
}

/// Whether `step` is a change the recipe is built for: a column made NOT NULL, nothing else about its type, on a
/// table whose derived names fit MySQL's 64 characters (the refusals that need the database are the migrator's).
pub fn shadow_candidate(step: &Step) -> bool {
    match step {
        Step::AlterColumn { table, from, to, .. } => {
            from.nullable
                && !to.nullable
                && from.ty == to.ty
                && from.auto_increment == to.auto_increment
                && mysql_algorithm(step) == Some(MysqlAlgorithm::Inplace)
                && table.len() + "___driftless_new".len() <= MAX_IDENT
        }
        _ => false,
    }
}

/// The recipe for `sql`, the plain MySQL statement of `step` (`ALTER TABLE `t` MODIFY COLUMN …`), when `step` is a
/// candidate.
pub fn shadow_of(step: &Step, sql: &str) -> Option<Shadow> {
    let table = step.table()?;
    if !shadow_candidate(step) {
        return None;
    }
    let alter = sql.strip_prefix(&format!("ALTER TABLE {} ", ident(table)))?;
    if !alter.starts_with("MODIFY COLUMN ") || alter.contains(';') {
        return None;
    }
    Some(Shadow { table: table.to_owned(), alter: alter.to_owned() })
}

/// Why the schema rules the recipe out for `table` (`before`: the schema before the migration), if it does: no
/// primary key, a foreign key of its own, or one of another table referencing it. A table with triggers of its own
/// is refused by the migrator, which reads them.
pub fn shadow_refusal(table: &str, before: &Schema) -> Option<String> {
    let q = |n: &str| format!("`{n}`");
    let t = before.table(table)?;
    if t.primary_key.is_none() {
        return Some("the table has no primary key to copy it by".to_owned());
    }
    if let Some(fk) = t.foreign_keys.first() {
        return Some(format!(
            "the table has foreign key {} (the shadow table would need it under another name)",
            q(&fk.name)
        ));
    }
    let referencing =
        before.tables.iter().find(|o| o.name != table && o.foreign_keys.iter().any(|f| f.ref_table == table));
    referencing.map(|o| {
        format!(
            "table {} references it by a foreign key (the rename would leave it pointing at the old table)",
            q(&o.name)
        )
    })
}

/// Reads back a statement written by [`Shadow::sql`].
pub fn parse_shadow(sql: &str) -> Option<Shadow> {
    let rest = sql.strip_prefix(MARKER)?.strip_prefix('`')?;
    let mut table = String::new();
    let mut chars = rest.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c == '`' {
            if chars.peek().is_some_and(|&(_, n)| n == '`') {
                chars.next();
                table.push('`');
                continue;
            }
            break;
        }
        table.push(c);
    }
    let shadow = Shadow { table, alter: String::new() };
    let prefix = format!("ALTER TABLE {} ", ident(&shadow.new_table()));
    let line = sql.lines().find_map(|l| l.strip_prefix(&prefix))?;
    let alter = line.strip_suffix(';')?.to_owned();
    Some(Shadow { alter, ..shadow })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, ColumnType};

    #[test]
    fn the_statement_is_read_back() {
        let s = Shadow { table: "ord`ers".into(), alter: "MODIFY COLUMN `note` VARCHAR(40) NOT NULL".into() };
        let sql = s.sql();
        assert!(sql.contains("CREATE TABLE `_ord``ers__driftless_new` LIKE `ord``ers`;\n"), "{sql}");
        assert!(
            sql.contains(
                "RENAME TABLE `ord``ers` TO `_ord``ers__driftless_old`, `_ord``ers__driftless_new` TO `ord``ers`"
            ),
            "{sql}"
        );
        assert_eq!(parse_shadow(&sql), Some(s.clone()));
        assert_eq!(
            fallback_sql(&s),
            "ALTER TABLE `ord``ers` MODIFY COLUMN `note` VARCHAR(40) NOT NULL, ALGORITHM=INPLACE, LOCK=NONE"
        );
        assert_eq!(parse_shadow("ALTER TABLE `t` MODIFY COLUMN `a` INT"), None);
        assert!(!sql.contains("ALGORITHM="), "the clause reader must not see an algorithm: {sql}");
    }

    #[test]
    fn only_set_not_null_is_a_candidate() {
        let c = |ty: ColumnType, nullable: bool| Column { nullable, ..Column::new("c", ty) };
        let step = |from, to| Step::AlterColumn { table: "t".into(), from, to, backfill: None };
        let set = step(c(ColumnType::Integer, true), c(ColumnType::Integer, false));
        assert!(shadow_candidate(&set));
        assert_eq!(
            shadow_of(&set, "ALTER TABLE `t` MODIFY COLUMN `c` INT NOT NULL"),
            Some(Shadow { table: "t".into(), alter: "MODIFY COLUMN `c` INT NOT NULL".into() })
        );
        assert!(!shadow_candidate(&step(c(ColumnType::Integer, false), c(ColumnType::Integer, true))));
        assert!(!shadow_candidate(&step(c(ColumnType::Integer, true), c(ColumnType::BigInt, false))));
        let long = Step::AlterColumn {
            table: "x".repeat(49),
            from: c(ColumnType::Integer, true),
            to: c(ColumnType::Integer, false),
            backfill: None,
        };
        assert!(!shadow_candidate(&long));
    }
}
