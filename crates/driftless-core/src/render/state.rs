//! Keeps the schema state current while steps are rendered: applies one step to a `Schema` value.
//!
//! The renderer needs the state *at each step* (a rebuild recreates the table as it is at that point), so it
//! replays the steps as it goes. This is the database's view, which differs from `crate::replay` (the strict
//! replay used to verify migrations) in two ways: `RawSql` is passed over instead of being an error (a migration
//! with hand-written SQL must still render), and renaming an enum value also renames it in the column defaults that
//! use it, as PostgreSQL does in place and as the MySQL and SQLite renderings do explicitly.

use crate::schema::{ColumnType, DefaultValue, Literal, Schema};
use crate::step::Step;

use super::RenderError;

/// The schema after applying `steps` to `ctx` in order: the context to render a migration's `down` with.
pub fn apply_steps(ctx: &Schema, steps: &[Step]) -> Result<Schema, RenderError> {
    let mut state = ctx.clone();
    state.normalize();
    for step in steps {
        if let Step::Irreversible { reason } = step {
            return Err(RenderError::Irreversible { reason: reason.clone() });
        }
        apply(&mut state, step)?;
    }
    Ok(state)
}

/// Applies one step to the state.
pub(crate) fn apply(state: &mut Schema, step: &Step) -> Result<(), RenderError> {
    let kind = step.kind();
    let unknown_table = |t: &str| RenderError::UnknownTable { step: kind, table: t.to_owned() };
    let unknown_column =
        |t: &str, c: &str| RenderError::UnknownColumn { step: kind, table: t.to_owned(), column: c.to_owned() };
    match step {
        Step::CreateEnum { r#enum } => {
            state.enums.retain(|e| e.name != r#enum.name);
            state.enums.push(r#enum.clone());
        }
        Step::DropEnum { r#enum } => state.enums.retain(|e| e.name != r#enum.name),
        Step::AlterEnum { from, to, renamed_values } => {
            state.enums.retain(|e| e.name != from.name);
            state.enums.push(to.clone());
            // A renamed value keeps its place in the database (PostgreSQL renames the label in place), and a
            // column default that used it follows.
            for t in &mut state.tables {
                for c in &mut t.columns {
                    if !matches!(&c.ty, ColumnType::Enum(e) if *e == from.name) {
                        continue;
                    }
                    c.ty = ColumnType::Enum(to.name.clone());
                    if let Some(DefaultValue::Value(Literal::String(v))) = &mut c.default
                        && let Some((_, new)) = renamed_values.iter().find(|(old, _)| old == v)
                    {
                        *v = new.clone();
                    }
                }
            }
        }
        Step::CreateTable { table } => {
            state.tables.retain(|t| t.name != table.name);
            state.tables.push(table.clone());
        }
        Step::DropTable { table } => state.tables.retain(|t| t.name != table.name),
        Step::RenameTable { from, to } => {
            state.table_mut(from).ok_or_else(|| unknown_table(from))?.name = to.clone();
            for t in &mut state.tables {
                for fk in &mut t.foreign_keys {
                    if fk.ref_table == *from {
                        fk.ref_table = to.clone();
                    }
                }
            }
        }
        Step::AddColumn { table, column } => {
            state.table_mut(table).ok_or_else(|| unknown_table(table))?.columns.push(column.clone());
        }
        Step::DropColumn { table, column } => {
            let t = state.table_mut(table).ok_or_else(|| unknown_table(table))?;
            t.columns.retain(|c| c.name != column.name);
        }
        Step::RenameColumn { table, from, to } => {
            let t = state.table_mut(table).ok_or_else(|| unknown_table(table))?;
            t.column_mut(from).ok_or_else(|| unknown_column(table, from))?.name = to.clone();
            let rename = |cols: &mut Vec<String>| {
                for c in cols.iter_mut() {
                    if c == from {
                        *c = to.clone();
                    }
                }
            };
            if let Some(pk) = &mut t.primary_key {
                rename(&mut pk.columns);
            }
            t.indexes.iter_mut().for_each(|i| rename(&mut i.columns));
            t.uniques.iter_mut().for_each(|u| rename(&mut u.columns));
            t.foreign_keys.iter_mut().for_each(|f| rename(&mut f.columns));
            for other in &mut state.tables {
                for fk in &mut other.foreign_keys {
                    if fk.ref_table == *table {
                        rename(&mut fk.ref_columns);
                    }
                }
            }
        }
        Step::AlterColumn { table, from, to, .. } => {
            let t = state.table_mut(table).ok_or_else(|| unknown_table(table))?;
            *t.column_mut(&from.name).ok_or_else(|| unknown_column(table, &from.name))? = to.clone();
        }
        Step::SetPrimaryKey { table, to, .. } => {
            state.table_mut(table).ok_or_else(|| unknown_table(table))?.primary_key = to.clone();
        }
        Step::CreateIndex { table, index } => {
            let t = state.table_mut(table).ok_or_else(|| unknown_table(table))?;
            t.indexes.retain(|i| i.name != index.name);
            t.indexes.push(index.clone());
        }
        Step::DropIndex { table, index } => {
            state.table_mut(table).ok_or_else(|| unknown_table(table))?.indexes.retain(|i| i.name != index.name);
        }
        Step::RenameIndex { table, from, to } => {
            let t = state.table_mut(table).ok_or_else(|| unknown_table(table))?;
            let index = t.indexes.iter_mut().find(|i| i.name == *from).ok_or_else(|| RenderError::UnknownIndex {
                step: kind,
                table: table.clone(),
                index: from.clone(),
            })?;
            index.name = to.clone();
        }
        Step::AddUnique { table, unique } => {
            let t = state.table_mut(table).ok_or_else(|| unknown_table(table))?;
            t.uniques.retain(|u| u.name != unique.name);
            t.uniques.push(unique.clone());
        }
        Step::DropUnique { table, unique } => {
            state.table_mut(table).ok_or_else(|| unknown_table(table))?.uniques.retain(|u| u.name != unique.name);
        }
        Step::AddForeignKey { table, foreign_key } => {
            let t = state.table_mut(table).ok_or_else(|| unknown_table(table))?;
            t.foreign_keys.retain(|f| f.name != foreign_key.name);
            t.foreign_keys.push(foreign_key.clone());
        }
        Step::DropForeignKey { table, foreign_key } => {
            let t = state.table_mut(table).ok_or_else(|| unknown_table(table))?;
            t.foreign_keys.retain(|f| f.name != foreign_key.name);
        }
        Step::AlterForeignKey { table, from, to } => {
            let t = state.table_mut(table).ok_or_else(|| unknown_table(table))?;
            t.foreign_keys.retain(|f| f.name != from.name);
            t.foreign_keys.push(to.clone());
        }
        Step::AddCheck { table, check } => {
            let t = state.table_mut(table).ok_or_else(|| unknown_table(table))?;
            t.checks.retain(|c| c.name != check.name);
            t.checks.push(check.clone());
        }
        Step::DropCheck { table, check } => {
            state.table_mut(table).ok_or_else(|| unknown_table(table))?.checks.retain(|c| c.name != check.name);
        }
        Step::SetTableComment { table, to, .. } => {
            state.table_mut(table).ok_or_else(|| unknown_table(table))?.comment = to.clone();
        }
        Step::RawSql { .. } | Step::Irreversible { .. } => {}
    }
    state.normalize();
    Ok(())
}
