//! The SQLite table rebuild: the procedure SQLite documents for changes `ALTER TABLE` cannot make
//! (<https://sqlite.org/lang_altertable.html#otheralter>).
//!
//! Create `__new_<table>` with the new definition, copy the kept columns over with one `INSERT ... SELECT`, drop
//! the old table, rename the new one into place, and create the table's indexes again (they went with the old
//! table). The migration is marked as needing foreign keys off, so that dropping the old table does not cascade
//! into child tables; `PRAGMA foreign_key_check` before commit proves the references still hold.

use std::collections::BTreeMap;

use crate::dialect::Dialect;
use crate::schema::{Schema, Table};

use super::{Out, RenderError, sea, spell};

/// The name the new table is created under before it replaces the old one: `__new_<table>`, or with a number
/// after it when the schema already has a table of that name (SQLite compares table names without ASCII case).
pub(crate) fn temp_name(table: &str, schema: &Schema) -> String {
    let taken = |name: &str| schema.tables.iter().any(|t| t.name.eq_ignore_ascii_case(name));
    let base = format!("__new_{table}");
    let mut name = base.clone();
    let mut n = 1;
    while taken(&name) {
        n += 1;
        name = format!("{base}_{n}");
    }
    name
}

/// Rebuilds `old` into `new` (same name). `exprs` maps a column of the new table to the SQL expression, over the
/// old table's columns, that fills it; a new column without an entry is copied from the old column of the same
/// name, or, if there is none, left to its default. `after` is the schema state after the step (for enum values).
pub(crate) fn rebuild(
    old: &Table,
    new: &Table,
    after: &Schema,
    exprs: &BTreeMap<String, String>,
    out: &mut Out,
) -> Result<(), RenderError> {
    let d = Dialect::Sqlite;
    let temp = temp_name(&new.name, after);
    out.push(sea::create_table(d, new, after, Some(&temp))?);
    let mut targets = Vec::new();
    let mut sources = Vec::new();
    for col in &new.columns {
        let source = match exprs.get(&col.name) {
            Some(e) => e.clone(),
            None if old.column(&col.name).is_some() => spell::ident(d, &col.name),
            None => continue,
        };
        targets.push(spell::ident(d, &col.name));
        sources.push(source);
    }
    if !targets.is_empty() {
        out.push(format!(
            "INSERT INTO {} ({}) SELECT {} FROM {}",
            spell::ident(d, &temp),
            targets.join(", "),
            sources.join(", "),
            spell::ident(d, &old.name)
        ));
    }
    out.push(sea::drop_table(d, &old.name));
    out.push(sea::rename_table(d, &temp, &new.name));
    for index in &new.indexes {
        out.push(sea::create_index(d, &new.name, index)?);
    }
    out.fk_off = true;
    if !out.rebuilt.contains(&new.name) {
        out.rebuilt.push(new.name.clone());
    }
    Ok(())
}
