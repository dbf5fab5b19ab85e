//! MySQL cannot index a TEXT, BLOB or JSON column (a primary key, a unique constraint or an index) without a prefix
//! length: it refuses with "BLOB/TEXT column used in key specification without a key length" (JSON cannot be
//! indexed at all). MariaDB (10.11 here) refuses it in a primary key, and otherwise builds something other than
//! what was declared: an index on the first 768 characters only (note 1071), or a unique key `USING HASH`. The
//! renderer refuses such a step before anything runs, naming the key, the column and the fix. An index that gives
//! the column a prefix length (`Index::prefixes`) is what MySQL needs, and passes.

use crate::dialect::Dialect;
use crate::schema::{ColumnType, Index, Schema, Table};
use crate::step::Step;

use super::RenderError;

/// What MySQL calls the type, when it cannot be indexed without a prefix length.
fn unindexable(ty: &ColumnType) -> Option<&'static str> {
    match ty {
        ColumnType::Text => Some("TEXT"),
        ColumnType::Bytes => Some("BLOB"),
        ColumnType::Json => Some("JSON"),
        _ => None,
    }
}

/// The fix for `column` of that MySQL type in a key (`is_index`: a non-unique index, which can take a prefix).
fn fix(mysql_type: &str, is_index: bool, column: &str) -> String {
    let prefix = || {
        format!(
            "give the index a prefix length for the column (`prefix({column} = 100)` in the derive's `index(...)`, \
             `.prefix(\"{column}\", 100)` in `define`; MySQL then indexes its first 100 characters)"
        )
    };
    match (mysql_type, is_index) {
        ("TEXT", true) => format!("{}, or give the column a `max_length` (a VARCHAR can be indexed whole)", prefix()),
        ("BLOB", true) => format!("{}, or index a hash of the bytes in its own column", prefix()),
        ("TEXT", false) => "give the column a `max_length` (a VARCHAR can be indexed whole); a prefix length is \
                            possible only on a non-unique index, as uniqueness of a prefix is not uniqueness of the \
                            column"
            .to_owned(),
        ("BLOB", false) => {
            "index a bounded column instead (a `max_length` string, or a hash of the bytes in its own column)"
                .to_owned()
        }
        _ => "index a bounded generated column that extracts the value instead".to_owned(),
    }
}

fn refuse(step: &'static str, table: &str, key: &str, column: &str, mysql_type: &str) -> RenderError {
    let is_index = key.starts_with("index ");
    RenderError::Unsupported {
        step,
        table: table.to_owned(),
        dialect: Dialect::Mysql,
        reason: format!(
            "{key} covers column `{column}`, which is {mysql_type} on MySQL/MariaDB: MySQL cannot index a {mysql_type} \
             column without a prefix length (MariaDB refuses it in a primary key, and otherwise indexes only a prefix \
             or a hash); {}",
            fix(mysql_type, is_index, column)
        ),
    }
}

/// The first column of `columns` that `table` declares with an unindexable type, with that type. A column that
/// `index` gives a prefix length (TEXT and BLOB) is indexable.
fn first_unindexable<'a>(
    table: &'a Table,
    columns: &'a [String],
    index: Option<&Index>,
) -> Option<(&'a str, &'static str)> {
    columns.iter().find_map(|c| {
        let ty = unindexable(&table.column(c)?.ty)?;
        let prefixed = ty != "JSON" && index.is_some_and(|i| i.prefix_of(c).is_some());
        (!prefixed).then_some((c.as_str(), ty))
    })
}

/// Refuses a step that would make MySQL index a TEXT, BLOB or JSON column without a prefix length. `st` is the
/// schema just before the step.
pub(super) fn check(step: &Step, st: &Schema) -> Result<(), RenderError> {
    let keyed_by = |t: &Table, name: &'static str, kind: &str, key: &str, columns: &[String], index: Option<&Index>| {
        match first_unindexable(t, columns, index) {
            Some((column, ty)) => Err(refuse(name, &t.name, &format!("{kind} `{key}`"), column, ty)),
            None => Ok(()),
        }
    };
    let keyed = |t: &Table, name: &'static str, kind: &str, key: &str, columns: &[String]| {
        keyed_by(t, name, kind, key, columns, None)
    };
    match step {
        Step::CreateTable { table } => {
            if let Some(pk) = &table.primary_key {
                keyed(table, "create_table", "the primary key", &pk.name, &pk.columns)?;
            }
            for u in &table.uniques {
                keyed(table, "create_table", "unique constraint", &u.name, &u.columns)?;
            }
            for i in &table.indexes {
                let kind = if i.unique { "unique index" } else { "index" };
                keyed_by(table, "create_table", kind, &i.name, &i.columns, Some(i))?;
            }
        }
        Step::CreateIndex { table, index } => {
            if let Some(t) = st.table(table) {
                let kind = if index.unique { "unique index" } else { "index" };
                keyed_by(t, "create_index", kind, &index.name, &index.columns, Some(index))?;
            }
        }
        Step::AddUnique { table, unique } => {
            if let Some(t) = st.table(table) {
                keyed(t, "add_unique", "unique constraint", &unique.name, &unique.columns)?;
            }
        }
        Step::SetPrimaryKey { table, to: Some(pk), .. } => {
            if let Some(t) = st.table(table) {
                keyed(t, "set_primary_key", "the primary key", &pk.name, &pk.columns)?;
            }
        }
        Step::AlterColumn { table, to, .. } => {
            if let (Some(t), Some(ty)) = (st.table(table), unindexable(&to.ty)) {
                let keys = t
                    .primary_key
                    .iter()
                    .map(|k| ("the primary key", &k.name, &k.columns))
                    .chain(t.uniques.iter().map(|u| ("unique constraint", &u.name, &u.columns)))
                    .chain(
                        t.indexes
                            .iter()
                            .filter(|i| ty == "JSON" || i.prefix_of(&to.name).is_none())
                            .map(|i| ("index", &i.name, &i.columns)),
                    );
                for (kind, name, columns) in keys {
                    if columns.contains(&to.name) {
                        return Err(refuse("alter_column", table, &format!("{kind} `{name}`"), &to.name, ty));
                    }
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Refuses `steps` (applied to `ctx` in order) when one of them would make MySQL/MariaDB index a TEXT, BLOB or JSON
/// column without a prefix length: what `migrate-generate` checks before writing a migration, so the problem shows
/// when the model changes rather than when the migration runs on MySQL.
pub fn check_mysql_keys(steps: &[Step], ctx: &Schema) -> Result<(), RenderError> {
    // Only the tables the steps name are read (a key is checked against its own table), so only they are copied:
    // a one-column change to a schema of thousands of tables copies one table.
    let mut named: std::collections::HashSet<&str> = steps.iter().filter_map(Step::table).collect();
    named.extend(steps.iter().filter_map(|s| match s {
        Step::RenameTable { from, .. } => Some(from.as_str()),
        _ => None,
    }));
    let mut state = Schema {
        tables: ctx.tables.iter().filter(|t| named.contains(t.name.as_str())).cloned().collect(),
        enums: ctx.enums.clone(),
    }
    .normalized();
    for step in steps {
        check(step, &state)?;
        if crate::replay::apply_step_with(&mut state, step, crate::replay::ReplayOptions::DATABASE).is_err() {
            // The renderer reports a step the schema cannot take; nothing more to check here.
            break;
        }
    }
    Ok(())
}
