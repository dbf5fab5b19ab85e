//! PostgreSQL: everything is an `ALTER`, and all DDL is transactional. `ALTER TYPE ... ADD VALUE` too (PostgreSQL
//! 12+), but its new value cannot be used before the transaction commits, so when a later step of the migration
//! uses it the `ADD VALUE` runs outside the transaction (`classify::enum_values_used_later`).
//!
//! Enums are real types (`CREATE TYPE ... AS ENUM`). Adding values is `ADD VALUE`,
//! renaming one is `RENAME VALUE`, and removing or reordering values rebuilds the type: rename the old type away,
//! create the new one, convert every column through `text`, drop the old type. Comments are `COMMENT ON`
//! statements (sea-query drops them on PostgreSQL).

use crate::dialect::Dialect;
use crate::schema::{Column, ColumnType, EnumType, Schema, fit_identifier};
use crate::step::Step;

use super::{Out, RenderError, sea, spell};

const D: Dialect = Dialect::Postgres;

pub(super) fn render(step: &Step, st: &Schema, out: &mut Out) -> Result<(), RenderError> {
    match step {
        Step::CreateEnum { r#enum } => out.push(create_type(&r#enum.name, &r#enum.values)),
        Step::DropEnum { r#enum } => out.push(format!("DROP TYPE {}", out.ident(&r#enum.name))),
        Step::AlterEnum { from, to, renamed_values } => alter_enum(step, from, to, renamed_values, st, out)?,
        Step::CreateTable { table } => {
            out.push(sea::create_table(D, table, st, None)?);
            if let Some(comment) = &table.comment {
                out.push(table_comment(&table.name, Some(comment)));
            }
            for col in table.columns.iter().filter(|c| c.comment.is_some()) {
                out.push(column_comment(&table.name, &col.name, col.comment.as_deref()));
            }
            for index in &table.indexes {
                out.push(sea::create_index(D, &table.name, index)?);
            }
        }
        Step::DropTable { table } => out.push(sea::drop_table(D, &table.name)),
        Step::RenameTable { from, to } => out.push(sea::rename_table(D, from, to)),
        Step::AddColumn { table, column } => {
            out.push(sea::add_column(D, table, column, st)?);
            if column.comment.is_some() {
                out.push(column_comment(table, &column.name, column.comment.as_deref()));
            }
        }
        Step::DropColumn { table, column } => out.push(sea::drop_column(D, table, &column.name)),
        Step::RenameColumn { table, from, to } => out.push(sea::rename_column(D, table, from, to)),
        Step::AlterColumn { table, from, to, backfill } => alter_column(table, from, to, backfill.as_deref(), st, out)?,
        // Same columns, new name (a generated `<table>_pkey` after a table rename): a rename, because dropping the
        // key fails while foreign keys depend on it.
        Step::SetPrimaryKey { table, from: Some(old), to: Some(new) } if old.columns == new.columns => {
            if old.name != new.name {
                out.push(format!(
                    "ALTER TABLE {} RENAME CONSTRAINT {} TO {}",
                    out.ident(table),
                    out.ident(&old.name),
                    out.ident(&new.name)
                ));
            }
        }
        Step::SetPrimaryKey { table, from, to } => {
            let mut actions = Vec::new();
            if let Some(pk) = from {
                actions.push(format!("DROP CONSTRAINT {}", out.ident(&pk.name)));
            }
            if let Some(pk) = to {
                actions.push(format!(
                    "ADD CONSTRAINT {} PRIMARY KEY ({})",
                    out.ident(&pk.name),
                    spell::idents(D, &pk.columns)
                ));
            }
            if !actions.is_empty() {
                out.push(format!("ALTER TABLE {} {}", out.ident(table), actions.join(", ")));
            }
        }
        Step::CreateIndex { table, index } => out.push(sea::create_index(D, table, index)?),
        Step::DropIndex { table, index } => out.push(sea::drop_index(D, table, &index.name)?),
        Step::RenameIndex { from, to, .. } => {
            out.push(format!("ALTER INDEX {} RENAME TO {}", out.ident(from), out.ident(to)))
        }
        Step::AddUnique { table, unique } => out.push(format!(
            "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE ({})",
            out.ident(table),
            out.ident(&unique.name),
            spell::idents(D, &unique.columns)
        )),
        Step::DropUnique { table, unique } => {
            out.push(format!("ALTER TABLE {} DROP CONSTRAINT {}", out.ident(table), out.ident(&unique.name)))
        }
        Step::AddForeignKey { table, foreign_key } => out.push(sea::add_foreign_key(D, table, foreign_key)?),
        Step::DropForeignKey { table, foreign_key } => out.push(sea::drop_foreign_key(D, table, &foreign_key.name)?),
        Step::AlterForeignKey { table, from, to } => {
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
        Step::SetTableComment { table, to, .. } => out.push(table_comment(table, to.as_deref())),
        Step::RawSql { .. }
        | Step::Irreversible { .. }
        | Step::Backfill { .. }
        | Step::Data { .. }
        | Step::Contract { .. } => {}
        Step::RenameEnum { from, to } => {
            out.push(format!("ALTER TYPE {} RENAME TO {}", out.ident(from), out.ident(to)))
        }
    }
    Ok(())
}

fn create_type(name: &str, values: &[String]) -> String {
    let list: Vec<String> = values.iter().map(|v| spell::string(D, v)).collect();
    format!("CREATE TYPE {} AS ENUM ({})", spell::ident(D, name), list.join(", "))
}

fn comment_text(comment: Option<&str>) -> String {
    comment.map_or_else(|| "NULL".to_owned(), |c| spell::string(D, c))
}

fn table_comment(table: &str, comment: Option<&str>) -> String {
    format!("COMMENT ON TABLE {} IS {}", spell::ident(D, table), comment_text(comment))
}

fn column_comment(table: &str, column: &str, comment: Option<&str>) -> String {
    format!("COMMENT ON COLUMN {}.{} IS {}", spell::ident(D, table), spell::ident(D, column), comment_text(comment))
}

/// One `ALTER TABLE` with the clauses in the order PostgreSQL needs them: identity off, old default off (it may
/// not cast to the new type), type with `USING`, new default, nullability, identity on.
fn alter_column(
    table: &str,
    from: &Column,
    to: &Column,
    backfill: Option<&str>,
    st: &Schema,
    out: &mut Out,
) -> Result<(), RenderError> {
    let t = spell::ident(D, table);
    let c = spell::ident(D, &to.name);
    if let (Some(fill), false) = (backfill, to.nullable) {
        out.push(format!("UPDATE {t} SET {c} = {fill} WHERE {c} IS NULL"));
    }
    let type_changes = from.ty != to.ty;
    let default_changes = from.default != to.default || from.auto_increment != to.auto_increment;
    let mut actions = Vec::new();
    if from.auto_increment && !to.auto_increment {
        actions.push(format!("ALTER COLUMN {c} DROP IDENTITY IF EXISTS"));
    }
    let new_default = to.default.as_ref().filter(|_| !to.auto_increment);
    if from.default.is_some() && (type_changes || default_changes) && !from.auto_increment {
        actions.push(format!("ALTER COLUMN {c} DROP DEFAULT"));
    }
    if type_changes {
        let ty = spell::column_type(D, &to.ty, st, table)?;
        let using = spell::postgres_using(&to.name, &from.ty, &to.ty, st);
        actions.push(format!("ALTER COLUMN {c} TYPE {ty} USING {using}"));
    }
    if let (Some(d), true) = (new_default, type_changes || default_changes) {
        actions.push(format!("ALTER COLUMN {c} SET DEFAULT {}", spell::default_sql(D, &to.ty, d)));
    }
    if from.nullable != to.nullable {
        actions.push(format!("ALTER COLUMN {c} {} NOT NULL", if to.nullable { "DROP" } else { "SET" }));
    }
    if to.auto_increment && !from.auto_increment {
        actions.push(format!("ALTER COLUMN {c} ADD GENERATED BY DEFAULT AS IDENTITY"));
    }
    if !actions.is_empty() {
        out.push(format!("ALTER TABLE {t} {}", actions.join(", ")));
    }
    if to.auto_increment && !from.auto_increment {
        // The identity starts at 1; move it past the rows already there.
        out.push(format!(
            "SELECT setval(pg_get_serial_sequence({}, {}), COALESCE(MAX({c}), 0) + 1, false) FROM {t}",
            spell::string(D, &t),
            spell::string(D, &to.name)
        ));
    }
    if from.comment != to.comment {
        out.push(column_comment(table, &to.name, to.comment.as_deref()));
    }
    Ok(())
}

fn alter_enum(
    step: &Step,
    from: &EnumType,
    to: &EnumType,
    renamed: &[(String, String)],
    st: &Schema,
    out: &mut Out,
) -> Result<(), RenderError> {
    let name = spell::ident(D, &from.name);
    for (old, new) in renamed {
        out.push(format!("ALTER TYPE {name} RENAME VALUE {} TO {}", spell::string(D, old), spell::string(D, new)));
    }
    let current: Vec<&String> =
        from.values.iter().map(|v| renamed.iter().find(|(old, _)| old == v).map_or(v, |(_, new)| new)).collect();
    let kept_in_order: Vec<&String> = to.values.iter().filter(|v| current.contains(v)).collect();
    if kept_in_order == current {
        // Only additions: ADD VALUE keeps the type (and every column using it) in place.
        for (i, v) in to.values.iter().enumerate() {
            if current.contains(&v) {
                continue;
            }
            let position = match i {
                0 => format!(" BEFORE {}", spell::string(D, kept_in_order.first().map_or(v, |k| *k))),
                _ => format!(" AFTER {}", spell::string(D, &to.values[i - 1])),
            };
            // Inside the transaction (PostgreSQL 12+); `render_steps` moves it out when a later step uses the value.
            out.push(format!("ALTER TYPE {name} ADD VALUE {}{position}", spell::string(D, v)));
        }
        return Ok(());
    }
    // Values removed or reordered: PostgreSQL cannot drop an enum value, so the type is rebuilt.
    let mut after = st.clone();
    super::apply(&mut after, step)?;
    // Types share a namespace with tables (each table has a row type): pick a name neither uses.
    let taken = |n: &str| st.enums.iter().any(|e| e.name == n) || st.tables.iter().any(|t| t.name == n);
    let mut old_name = fit_identifier(&format!("{}__old", from.name));
    let mut n = 1;
    while taken(&old_name) {
        n += 1;
        old_name = fit_identifier(&format!("{}__old_{n}", from.name));
    }
    out.push(format!("ALTER TYPE {name} RENAME TO {}", spell::ident(D, &old_name)));
    out.push(create_type(&to.name, &to.values));
    for table in &after.tables {
        for col in table.columns.iter().filter(|c| c.ty == ColumnType::Enum(to.name.clone())) {
            let c = spell::ident(D, &col.name);
            let mut actions = Vec::new();
            if col.default.is_some() {
                actions.push(format!("ALTER COLUMN {c} DROP DEFAULT"));
            }
            actions.push(format!("ALTER COLUMN {c} TYPE {} USING {c}::text::{}", spell::ident(D, &to.name), name));
            if let Some(d) = &col.default {
                actions.push(format!("ALTER COLUMN {c} SET DEFAULT {}", spell::default_sql(D, &col.ty, d)));
            }
            out.push(format!("ALTER TABLE {} {}", spell::ident(D, &table.name), actions.join(", ")));
        }
    }
    out.push(format!("DROP TYPE {}", spell::ident(D, &old_name)));
    Ok(())
}
