//! SQLite: direct statements where `ALTER TABLE` can express the step (add, drop and rename columns, rename
//! tables), a table rebuild everywhere else (column changes, keys, uniques, foreign keys, checks, enum values).
//!
//! Enums have no type on SQLite: an enum column is `TEXT` with a `CHECK (col IN (...))`, so creating or dropping
//! an enum is a no-op and changing one rebuilds every table with a column of that enum. Comments are not stored.

use std::collections::{BTreeMap, BTreeSet};

use crate::classify::needs_sqlite_rebuild;
use crate::dialect::Dialect;
use crate::schema::{ColumnType, Schema, Table};
use crate::step::Step;

use super::{Out, RenderError, rebuild, sea, spell, table};

const D: Dialect = Dialect::Sqlite;

pub(super) fn render(step: &Step, st: &Schema, out: &mut Out) -> Result<(), RenderError> {
    // One decision, shared with the classifier, so that what is reported as a rebuild is what is rendered as one.
    if needs_sqlite_rebuild(step, st) {
        return render_rebuild(step, st, out);
    }
    match step {
        Step::CreateEnum { .. } | Step::DropEnum { .. } | Step::SetTableComment { .. } => {}
        Step::CreateTable { table } => {
            out.push(sea::create_table(D, table, st, None)?);
            for index in &table.indexes {
                out.push(sea::create_index(D, &table.name, index)?);
            }
        }
        Step::DropTable { table } => {
            let referenced = st
                .tables
                .iter()
                .any(|t| t.name != table.name && t.foreign_keys.iter().any(|f| f.ref_table == table.name));
            if referenced {
                // DROP TABLE deletes the rows first, which would fire ON DELETE actions in the children.
                out.fk_off = true;
            }
            out.push(sea::drop_table(D, &table.name));
        }
        Step::RenameTable { from, to } => out.push(sea::rename_table(D, from, to)),
        Step::AddColumn { table: t, column } => out.push(sea::add_column(D, t, column, st)?),
        Step::DropColumn { table: t, column } => out.push(sea::drop_column(D, t, &column.name)),
        Step::RenameColumn { table: t, from, to } => out.push(sea::rename_column(D, t, from, to)),
        // Only the comment changed, which SQLite does not store.
        Step::AlterColumn { .. } => {}
        Step::CreateIndex { table: t, index } => out.push(sea::create_index(D, t, index)?),
        Step::DropIndex { table: t, index } => out.push(sea::drop_index(D, t, &index.name)?),
        Step::RenameIndex { table: t, from, to } => {
            // SQLite has no ALTER INDEX: drop it and create it again under the new name.
            let index = table(st, t, step)?.indexes.iter().find(|i| i.name == *from).ok_or_else(|| {
                RenderError::UnknownIndex { step: "rename_index", table: t.clone(), index: from.clone() }
            })?;
            out.push(sea::drop_index(D, t, from)?);
            let mut renamed = index.clone();
            renamed.name = to.clone();
            out.push(sea::create_index(D, t, &renamed)?);
        }
        // The enum lives in each column's CHECK, which does not name the type: nothing to rename.
        Step::RenameEnum { .. } => {}
        _ => return render_rebuild(step, st, out),
    }
    Ok(())
}

fn render_rebuild(step: &Step, st: &Schema, out: &mut Out) -> Result<(), RenderError> {
    let mut after = st.clone();
    super::apply(&mut after, step)?;
    if let Step::AlterEnum { from, to, renamed_values } = step {
        // Every table with a column of this enum carries its values in a CHECK.
        for old in st.tables.iter().filter(|t| uses_enum(t, &from.name)) {
            let new = table(&after, &old.name, step)?;
            let mut exprs = BTreeMap::new();
            if !renamed_values.is_empty() {
                for col in old.columns.iter().filter(|c| c.ty == ColumnType::Enum(to.name.clone())) {
                    exprs.insert(col.name.clone(), rename_case(&col.name, renamed_values));
                }
            }
            rebuild::rebuild(old, new, &after, &exprs, out)?;
        }
        return Ok(());
    }
    let name = step.table().unwrap_or_default();
    let old = table(st, name, step)?;
    let new = table(&after, name, step)?;
    let mut exprs = BTreeMap::new();
    if let Step::AlterColumn { from, to, backfill, .. } = step {
        let mut e = spell::sqlite_convert(&spell::ident(D, &from.name), &from.ty, &to.ty);
        if let Some(fill) = backfill {
            e = format!("COALESCE({e}, {fill})");
        }
        exprs.insert(to.name.clone(), e);
    }
    rebuild::rebuild(old, new, &after, &exprs, out)
}

/// Renders consecutive steps on one table as a single rebuild when two or more of them would each rebuild it (an
/// altered column, a new key, unique and check in one migration): the table is rebuilt once, from its definition
/// before the first step to its definition after the last. Returns how many steps from the start of `steps` the
/// rebuild covers, or `None` (nothing rendered) when fewer than two would rebuild.
///
/// A run stops at a step on another table, at a step that is not a change to the table's definition (a rename of
/// the table or of a column, whose data must follow by name), and at a second change to the same column (each
/// column is copied with at most one conversion). Steps within the run that need no rebuild on their own (an added
/// or dropped column, an index) are covered by the rebuild: the new table has the column or not, and its indexes
/// are created again.
pub(super) fn render_merged(steps: &[Step], st: &Schema, out: &mut Out) -> Result<Option<usize>, RenderError> {
    let Some(name) = steps.first().and_then(Step::table) else { return Ok(None) };
    let Some(old) = st.table(name) else { return Ok(None) };
    let mut state = st.clone();
    let mut touched: BTreeSet<&str> = BTreeSet::new();
    let mut exprs = BTreeMap::new();
    let mut rebuilds = 0;
    let mut n = 0;
    for step in steps {
        if step.table() != Some(name) {
            break;
        }
        let fits = match step {
            Step::AlterColumn { from, to, .. } => {
                from.name == to.name && old.column(&from.name).is_some() && !touched.contains(from.name.as_str())
            }
            Step::AddColumn { column, .. } | Step::DropColumn { column, .. } => !touched.contains(column.name.as_str()),
            Step::SetPrimaryKey { .. }
            | Step::CreateIndex { .. }
            | Step::DropIndex { .. }
            | Step::RenameIndex { .. }
            | Step::AddUnique { .. }
            | Step::DropUnique { .. }
            | Step::AddForeignKey { .. }
            | Step::DropForeignKey { .. }
            | Step::AlterForeignKey { .. }
            | Step::AddCheck { .. }
            | Step::DropCheck { .. }
            | Step::SetTableComment { .. } => true,
            _ => false,
        };
        if !fits {
            break;
        }
        let rebuilds_alone = needs_sqlite_rebuild(step, &state);
        match step {
            Step::AlterColumn { from, to, backfill, .. } => {
                touched.insert(from.name.as_str());
                if rebuilds_alone {
                    let mut e = spell::sqlite_convert(&spell::ident(D, &from.name), &from.ty, &to.ty);
                    if let Some(fill) = backfill {
                        e = format!("COALESCE({e}, {fill})");
                    }
                    exprs.insert(to.name.clone(), e);
                }
            }
            Step::AddColumn { column, .. } | Step::DropColumn { column, .. } => {
                touched.insert(column.name.as_str());
            }
            _ => {}
        }
        rebuilds += usize::from(rebuilds_alone);
        super::apply(&mut state, step)?;
        n += 1;
    }
    if rebuilds < 2 {
        return Ok(None);
    }
    let new = table(&state, name, &steps[0])?;
    rebuild::rebuild(old, new, &state, &exprs, out)?;
    Ok(Some(n))
}

fn uses_enum(t: &Table, name: &str) -> bool {
    t.columns.iter().any(|c| matches!(&c.ty, ColumnType::Enum(e) if e == name))
}

/// `CASE "col" WHEN 'old' THEN 'new' ... ELSE "col" END`: maps renamed enum values while copying rows.
pub(crate) fn rename_case(column: &str, renamed: &[(String, String)]) -> String {
    let c = spell::ident(D, column);
    let whens: Vec<String> = renamed
        .iter()
        .map(|(old, new)| format!("WHEN {} THEN {}", spell::string(D, old), spell::string(D, new)))
        .collect();
    format!("CASE {c} {} ELSE {c} END", whens.join(" "))
}
