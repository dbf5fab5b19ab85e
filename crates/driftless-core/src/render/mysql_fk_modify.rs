//! MySQL/MariaDB refuse to change the type of a column that a foreign key uses, on either side (MariaDB 10.11:
//! error 1832, "Cannot change column … used in a foreign key constraint", with or without `foreign_key_checks`).
//! So an `alter_column` that changes the type of such a column (typically `int` → `bigint` on a referenced key and
//! on the columns referencing it) drops those foreign keys before its `MODIFY COLUMN`, and the foreign keys come
//! back, with the same names, columns and actions, after the last step of the migration that changes the type of
//! one of their columns: both sides have the new type by then (MySQL refuses a foreign key between columns of
//! different integer types). The index MySQL keeps for a dropped foreign key stays and serves the re-added one.
//!
//! Only the MySQL rendering does this; PostgreSQL and SQLite change such columns with the keys in place.

use crate::dialect::Dialect;
use crate::schema::{Column, ForeignKey, Schema};
use crate::step::Step;

use super::{Out, RenderError, sea};

const D: Dialect = Dialect::Mysql;

/// Whether `fk` of table `on` uses column `column` of table `table`, as a referencing or a referenced column.
fn uses(on: &str, fk: &ForeignKey, table: &str, column: &str) -> bool {
    (on == table && fk.columns.iter().any(|c| c == column))
        || (fk.ref_table == table && fk.ref_columns.iter().any(|c| c == column))
}

/// The foreign keys of `st` that use `table`.`column` on either side, each with the table it belongs to: the keys
/// the MySQL rendering drops around a type change of the column (shared with the classifier's reason).
pub(crate) fn foreign_keys_using<'a>(st: &'a Schema, table: &str, column: &str) -> Vec<(&'a str, &'a ForeignKey)> {
    st.tables
        .iter()
        .flat_map(|t| t.foreign_keys.iter().map(move |fk| (t.name.as_str(), fk)))
        .filter(|(on, fk)| uses(on, fk, table, column))
        .collect()
}

/// Whether `step` changes the type of a column that `fk` (of table `on`) uses.
fn retypes(step: &Step, on: &str, fk: &ForeignKey) -> bool {
    matches!(step, Step::AlterColumn { table, from, to, .. } if from.ty != to.ty && uses(on, fk, table, &from.name))
}

/// Before the `MODIFY COLUMN` of `table`.`from` → `to`: drops the foreign keys of `st` on and to the column that
/// are not dropped yet, when the type changes.
pub(super) fn drop_before(
    table: &str,
    from: &Column,
    to: &Column,
    st: &Schema,
    out: &mut Out,
) -> Result<(), RenderError> {
    if from.ty == to.ty {
        return Ok(());
    }
    for (on, fk) in foreign_keys_using(st, table, &from.name) {
        if out.mysql_dropped_fks.iter().any(|(o, f)| o == on && f.name == fk.name) {
            continue;
        }
        out.push(sea::drop_foreign_key(D, on, &fk.name)?);
        out.mysql_dropped_fks.push((on.to_owned(), fk.clone()));
    }
    Ok(())
}

/// After a step, with `later` the steps after it: re-adds the foreign keys dropped by [`drop_before`] that no later
/// step retypes a column of, in the order they were dropped.
pub(super) fn readd_after(later: &[Step], out: &mut Out) -> Result<(), RenderError> {
    let dropped = std::mem::take(&mut out.mysql_dropped_fks);
    for (on, fk) in dropped {
        if later.iter().any(|s| retypes(s, &on, &fk)) {
            out.mysql_dropped_fks.push((on, fk));
        } else {
            out.push(sea::add_foreign_key(D, &on, &fk)?);
        }
    }
    Ok(())
}
