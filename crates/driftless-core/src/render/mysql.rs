//! MySQL and MariaDB: columns change with `MODIFY COLUMN` and their full new definition (MySQL converts the
//! values), enums are spelled inline in every column (`ENUM('a', 'b')`), comments are part of the definition.
//!
//! Every DDL statement commits implicitly on MySQL, so a failing migration can leave earlier statements applied;
//! that is the migrator's to report, not something rendering can avoid.

use crate::dialect::Dialect;
use crate::schema::{ColumnType, EnumType, ForeignKey, Schema, Table};
use crate::step::Step;

use super::{Out, RenderError, sea, spell, table};

const D: Dialect = Dialect::Mysql;

pub(super) fn render(step: &Step, st: &Schema, out: &mut Out) -> Result<(), RenderError> {
    super::mysql_keys::check(step, st)?;
    match step {
        // Enums live in the columns; there is no type to create or drop.
        Step::CreateEnum { .. } | Step::DropEnum { .. } => {}
        Step::AlterEnum { from, to, renamed_values } => alter_enum(step, from, to, renamed_values, st, out)?,
        Step::CreateTable { table } => {
            out.push(sea::create_table(D, table, st, None)?);
            for index in &table.indexes {
                out.push(sea::create_index(D, &table.name, index)?);
            }
        }
        Step::DropTable { table } => out.push(sea::drop_table(D, &table.name)),
        Step::RenameTable { from, to } => out.push(sea::rename_table(D, from, to)),
        Step::AddColumn { table, column } => out.push(sea::add_column(D, table, column, st)?),
        Step::DropColumn { table, column } => {
            let drop = format!("DROP COLUMN {}", out.ident(&column.name));
            if !join_previous(out, st, table, "DROP PRIMARY KEY", &column.name, &drop) {
                out.push(sea::drop_column(D, table, &column.name));
            }
        }
        Step::RenameColumn { table, from, to } => out.push(sea::rename_column(D, table, from, to)),
        Step::AlterColumn { table, from, to, backfill } => {
            super::mysql_fk_modify::drop_before(table, from, to, st, out)?;
            if let (Some(fill), false) = (backfill, to.nullable) {
                let c = out.ident(&to.name);
                out.push(format!("UPDATE {} SET {c} = {fill} WHERE {c} IS NULL", out.ident(table)));
            }
            out.push(sea::mysql_modify_column(table, to, st)?);
        }
        // MySQL names every primary key `PRIMARY`: a change of name alone has nothing to run (and dropping the key
        // would fail while foreign keys depend on it).
        Step::SetPrimaryKey { from: Some(old), to: Some(new), .. } if old.columns == new.columns => {}
        Step::SetPrimaryKey { table, from, to } => {
            let before = out.statements.len();
            keep_foreign_key_indexes(step, st, out)?;
            let mut actions = Vec::new();
            if from.is_some() {
                actions.push("DROP PRIMARY KEY".to_owned());
            }
            if let Some(pk) = to {
                actions.push(format!("ADD PRIMARY KEY ({})", spell::idents(D, &pk.columns)));
            }
            let joined = out.statements.len() == before
                && to.as_ref().is_some_and(|pk| {
                    pk.columns.iter().any(|c| join_previous(out, st, table, "ADD COLUMN", c, &actions.join(", ")))
                });
            if !actions.is_empty() && !joined {
                out.push(format!("ALTER TABLE {} {}", out.ident(table), actions.join(", ")));
            }
        }
        Step::CreateIndex { table, index } => out.push(sea::create_index(D, table, index)?),
        Step::DropIndex { table, index } => {
            keep_foreign_key_indexes(step, st, out)?;
            out.push(sea::drop_index(D, table, &index.name)?)
        }
        Step::RenameIndex { table, from, to } => {
            out.push(format!("ALTER TABLE {} RENAME INDEX {} TO {}", out.ident(table), out.ident(from), out.ident(to)))
        }
        Step::AddUnique { table, unique } => out.push(format!(
            "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE ({})",
            out.ident(table),
            out.ident(&unique.name),
            spell::idents(D, &unique.columns)
        )),
        Step::DropUnique { table, unique } => {
            keep_foreign_key_indexes(step, st, out)?;
            out.push(format!("ALTER TABLE {} DROP INDEX {}", out.ident(table), out.ident(&unique.name)))
        }
        Step::AddForeignKey { table, foreign_key } => out.push(sea::add_foreign_key(D, table, foreign_key)?),
        Step::DropForeignKey { table: t, foreign_key } => {
            out.push(sea::drop_foreign_key(D, t, &foreign_key.name)?);
            // MySQL keeps the index it created for the foreign key; it is not part of the model, so it goes too.
            if !fk_is_covered(table(st, t, step)?, foreign_key) {
                out.push(sea::drop_index(D, t, &foreign_key.name)?);
            }
        }
        Step::AlterForeignKey { table, from, to } => {
            // Two statements: MySQL refuses to drop and re-add a foreign key of the same name in one ALTER.
            out.push(sea::drop_foreign_key(D, table, &from.name)?);
            out.push(sea::add_foreign_key(D, table, to)?);
        }
        Step::AddCheck { table, check } => out.push(format!(
            "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({})",
            out.ident(table),
            out.ident(&check.name),
            check.expr
        )),
        Step::DropCheck { table, check } => {
            out.push(format!("ALTER TABLE {} DROP CONSTRAINT {}", out.ident(table), out.ident(&check.name)))
        }
        Step::SetTableComment { table, to, .. } => out.push(format!(
            "ALTER TABLE {} COMMENT = {}",
            out.ident(table),
            spell::string(D, to.as_deref().unwrap_or(""))
        )),
        Step::RawSql { .. }
        | Step::Irreversible { .. }
        | Step::Backfill { .. }
        | Step::Data { .. }
        | Step::Contract { .. } => {}
        // The enum lives in each column as an inline `ENUM(...)` without a name: nothing to rename.
        Step::RenameEnum { .. } => {}
    }
    Ok(())
}

/// MySQL refuses an `AUTO_INCREMENT` column without a key (error 1075) at every statement: adding the column, then
/// its primary key in a second statement fails at the first, and so does dropping the key before the column. When
/// the previous statement is the previous step's `ALTER TABLE <table> <previous>` (`ADD COLUMN <column>` or `DROP
/// PRIMARY KEY`) and `column` is an auto-increment column of `table`, `clause` is appended to it, so that both run
/// as one `ALTER TABLE`; returns whether it was.
fn join_previous(out: &mut Out, st: &Schema, table: &str, previous: &str, column: &str, clause: &str) -> bool {
    if clause.is_empty() || !st.table(table).and_then(|t| t.column(column)).is_some_and(|c| c.auto_increment) {
        return false;
    }
    let head = format!("ALTER TABLE {} ", out.ident(table));
    let expected = match previous {
        "ADD COLUMN" => format!("{head}ADD COLUMN {} ", out.ident(column)),
        _ => format!("{head}{previous}"),
    };
    let step = out.step;
    match out.statements.last_mut() {
        Some(last)
            if last.step + 1 == step
                && (last.sql.starts_with(&expected) && (previous == "ADD COLUMN" || last.sql == expected)) =>
        {
            last.sql.push_str(", ");
            last.sql.push_str(clause);
            true
        }
        _ => false,
    }
}

/// Whether one of the table's own keys or indexes starts with the foreign key's columns, so that MySQL needs no
/// index of its own for it.
fn fk_is_covered(t: &Table, fk: &ForeignKey) -> bool {
    let starts = |cols: &[String]| cols.len() >= fk.columns.len() && cols[..fk.columns.len()] == fk.columns[..];
    t.indexes.iter().any(|i| i.predicate.is_none() && i.prefixes.is_empty() && starts(&i.columns))
        || t.uniques.iter().any(|u| starts(&u.columns))
        || t.primary_key.as_ref().is_some_and(|p| starts(&p.columns))
}

/// MySQL requires an index on every foreign key's columns. When it creates one itself (named like the foreign key)
/// it drops it silently as soon as another index covers the columns, and then refuses to drop that other index
/// ("needed in a foreign key constraint"). So before a step removes the last index covering a foreign key, the
/// foreign key gets its index back, under the name MySQL would have given it.
fn keep_foreign_key_indexes(step: &Step, st: &Schema, out: &mut Out) -> Result<(), RenderError> {
    let name = step.table().unwrap_or_default();
    let before = table(st, name, step)?;
    let mut after = st.clone();
    super::apply(&mut after, step)?;
    let after = table(&after, name, step)?;
    for fk in &before.foreign_keys {
        if fk_is_covered(before, fk) && !fk_is_covered(after, fk) {
            let index = crate::schema::Index {
                name: fk.name.clone(),
                columns: fk.columns.clone(),
                unique: false,
                predicate: None,
                ..Default::default()
            };
            out.push(sea::create_index(D, name, &index)?);
        }
    }
    Ok(())
}

/// Every column of the enum gets `MODIFY COLUMN` with the new list. Renamed values would not survive a plain
/// MODIFY (a value missing from the new list is an error in strict mode, '' otherwise), so they go through a list
/// holding old and new values, an `UPDATE`, then the final list.
fn alter_enum(
    step: &Step,
    from: &EnumType,
    to: &EnumType,
    renamed: &[(String, String)],
    st: &Schema,
    out: &mut Out,
) -> Result<(), RenderError> {
    let mut after = st.clone();
    super::apply(&mut after, step)?;
    let is_enum = |ty: &ColumnType| matches!(ty, ColumnType::Enum(e) if *e == from.name);
    let using: Vec<(String, String)> = st
        .tables
        .iter()
        .flat_map(|t| t.columns.iter().filter(|c| is_enum(&c.ty)).map(|c| (t.name.clone(), c.name.clone())))
        .collect();
    if !renamed.is_empty() {
        let mut union = from.clone();
        union.values.extend(to.values.iter().filter(|v| !from.values.contains(v)).cloned());
        let mut wide = st.clone();
        super::apply(&mut wide, &Step::AlterEnum { from: from.clone(), to: union, renamed_values: Vec::new() })?;
        for (t, c) in &using {
            let col = table(&wide, t, step)?.column(c).cloned();
            if let Some(col) = col {
                out.push(sea::mysql_modify_column(t, &col, &wide)?);
            }
            let whens: Vec<String> = renamed
                .iter()
                .map(|(old, new)| format!("WHEN {} THEN {}", spell::string(D, old), spell::string(D, new)))
                .collect();
            let olds: Vec<String> = renamed.iter().map(|(old, _)| spell::string(D, old)).collect();
            let ci = out.ident(c);
            out.push(format!(
                "UPDATE {} SET {ci} = CASE {ci} {} ELSE {ci} END WHERE {ci} IN ({})",
                out.ident(t),
                whens.join(" "),
                olds.join(", ")
            ));
        }
    }
    for (t, c) in &using {
        if let Some(col) = table(&after, t, step)?.column(c) {
            out.push(sea::mysql_modify_column(t, col, &after)?);
        }
    }
    Ok(())
}
