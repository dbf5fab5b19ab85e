//! One-line human descriptions of steps, shared by every report.

use crate::schema::{Column, DefaultValue, Literal, PrimaryKey};
use crate::step::Step;

fn q(s: &str) -> String {
    format!("`{s}`")
}

fn default_text(d: &DefaultValue) -> String {
    match d {
        DefaultValue::Value(Literal::Bool(b)) => b.to_string(),
        DefaultValue::Value(Literal::Int(i)) => i.to_string(),
        DefaultValue::Value(Literal::Float(f)) => f.to_string(),
        DefaultValue::Value(Literal::String(s)) => format!("{s:?}"),
        DefaultValue::Expr(e) => format!("{}()", e.keyword()),
        DefaultValue::Sql(s) => format!("sql({s})"),
    }
}

/// `i64 NOT NULL DEFAULT 0 AUTO_INCREMENT`-style summary of a column's definition.
fn column_text(c: &Column) -> String {
    let mut s = c.ty.to_string();
    s.push_str(if c.nullable { ", nullable" } else { ", NOT NULL" });
    if let Some(d) = &c.default {
        s.push_str(&format!(", default {}", default_text(d)));
    }
    if c.auto_increment {
        s.push_str(", auto increment");
    }
    s
}

fn pk_text(pk: &Option<PrimaryKey>) -> String {
    match pk {
        Some(pk) => format!("({})", pk.columns.join(", ")),
        None => "none".into(),
    }
}

fn opt_text(o: &Option<String>) -> String {
    match o {
        Some(s) => format!("{s:?}"),
        None => "none".into(),
    }
}

/// A one-line description of a step, for reports: `add column `users.bio` (text, nullable)`.
pub fn describe(step: &Step) -> String {
    match step {
        Step::CreateEnum { r#enum } => format!("create enum {} ({})", q(&r#enum.name), r#enum.values.join(", ")),
        Step::DropEnum { r#enum } => format!("drop enum {}", q(&r#enum.name)),
        Step::AlterEnum { from, to, renamed_values } => {
            let renamed_from = |v: &String| renamed_values.iter().any(|(f, _)| f == v);
            let renamed_to = |v: &String| renamed_values.iter().any(|(_, t)| t == v);
            let mut parts = Vec::new();
            let added: Vec<&str> =
                to.values.iter().filter(|v| !from.values.contains(v) && !renamed_to(v)).map(String::as_str).collect();
            let removed: Vec<&str> =
                from.values.iter().filter(|v| !to.values.contains(v) && !renamed_from(v)).map(String::as_str).collect();
            if !added.is_empty() {
                parts.push(format!("add {}", added.join(", ")));
            }
            if !removed.is_empty() {
                parts.push(format!("remove {}", removed.join(", ")));
            }
            for (f, t) in renamed_values {
                parts.push(format!("rename {f} to {t}"));
            }
            if parts.is_empty() {
                parts.push("reorder values".into());
            }
            format!("alter enum {}: {} (now {})", q(&from.name), parts.join("; "), to.values.join(", "))
        }
        Step::CreateTable { table } => format!(
            "create table {} ({})",
            q(&table.name),
            table.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
        ),
        Step::DropTable { table } => format!("drop table {}", q(&table.name)),
        Step::RenameTable { from, to } => format!("rename table {} to {}", q(from), q(to)),
        Step::AddColumn { table, column } => {
            format!("add column {} ({})", q(&format!("{table}.{}", column.name)), column_text(column))
        }
        Step::DropColumn { table, column } => format!("drop column {}", q(&format!("{table}.{}", column.name))),
        Step::RenameColumn { table, from, to } => {
            format!("rename column {} to {}", q(&format!("{table}.{from}")), q(to))
        }
        Step::AlterColumn { table, from, to, backfill } => {
            let mut parts = Vec::new();
            if from.ty != to.ty {
                parts.push(format!("type {} -> {}", from.ty, to.ty));
            }
            if from.nullable != to.nullable {
                parts.push(if to.nullable { "nullable".to_owned() } else { "NOT NULL".to_owned() });
            }
            if from.default != to.default {
                let t = |d: &Option<DefaultValue>| d.as_ref().map(default_text).unwrap_or_else(|| "none".into());
                parts.push(format!("default {} -> {}", t(&from.default), t(&to.default)));
            }
            if from.auto_increment != to.auto_increment {
                parts.push(if to.auto_increment { "auto increment".into() } else { "no auto increment".into() });
            }
            if from.comment != to.comment {
                parts.push(format!("comment {} -> {}", opt_text(&from.comment), opt_text(&to.comment)));
            }
            if let Some(b) = backfill {
                parts.push(format!("backfill {b}"));
            }
            format!("alter column {}: {}", q(&format!("{table}.{}", to.name)), parts.join(", "))
        }
        Step::SetPrimaryKey { table, from, to } => match (from, to) {
            (Some(f), Some(t)) if f.columns == t.columns => {
                format!("rename primary key of {} from {} to {}", q(table), q(&f.name), q(&t.name))
            }
            _ => format!("set primary key of {}: {} -> {}", q(table), pk_text(from), pk_text(to)),
        },
        Step::CreateIndex { table, index } => format!(
            "create {}index {} on {} ({}){}",
            if index.unique { "unique " } else { "" },
            q(&index.name),
            q(table),
            index.expression.as_ref().map_or_else(
                || index
                    .columns
                    .iter()
                    .map(|c| index.prefix_of(c).map_or_else(|| c.clone(), |len| format!("{c}({len}) on MySQL")))
                    .collect::<Vec<_>>()
                    .join(", "),
                |e| format!("({e})")
            ),
            index.predicate.as_ref().map(|p| format!(" WHERE {p}")).unwrap_or_default()
        ),
        Step::DropIndex { table, index } => format!("drop index {} on {}", q(&index.name), q(table)),
        Step::RenameIndex { table, from, to } => format!("rename index {} to {} on {}", q(from), q(to), q(table)),
        Step::AddUnique { table, unique } => {
            format!("add unique {} on {} ({})", q(&unique.name), q(table), unique.columns.join(", "))
        }
        Step::DropUnique { table, unique } => format!("drop unique {} on {}", q(&unique.name), q(table)),
        Step::AddForeignKey { table, foreign_key: f } => format!(
            "add foreign key {} on {} ({}) -> {}({}) ON DELETE {}",
            q(&f.name),
            q(table),
            f.columns.join(", "),
            q(&f.ref_table),
            f.ref_columns.join(", "),
            f.on_delete.sql()
        ),
        Step::DropForeignKey { table, foreign_key } => {
            format!("drop foreign key {} on {}", q(&foreign_key.name), q(table))
        }
        Step::AlterForeignKey { table, from, to } => {
            let mut parts = Vec::new();
            if from.name != to.name {
                parts.push(format!("rename to {}", q(&to.name)));
            }
            if from.on_delete != to.on_delete {
                parts.push(format!("ON DELETE {} -> {}", from.on_delete.sql(), to.on_delete.sql()));
            }
            if from.on_update != to.on_update {
                parts.push(format!("ON UPDATE {} -> {}", from.on_update.sql(), to.on_update.sql()));
            }
            format!("alter foreign key {} on {}: {}", q(&from.name), q(table), parts.join(", "))
        }
        Step::AddCheck { table, check } => format!("add check {} on {}: {}", q(&check.name), q(table), check.expr),
        Step::DropCheck { table, check } => format!("drop check {} on {}", q(&check.name), q(table)),
        Step::SetTableComment { table, from, to } => {
            format!("set comment of {}: {} -> {}", q(table), opt_text(from), opt_text(to))
        }
        Step::RawSql { .. } => "run hand-written SQL".into(),
        Step::Irreversible { reason } => format!("irreversible: {reason}"),
        Step::RenameEnum { from, to } => format!("rename enum {} to {}", q(from), q(to)),
        Step::Data { name } => format!("run the Rust data function {}", q(name)),
        Step::Contract { migration } => format!("contract the expand of migration {}", q(migration)),
        Step::Backfill { table, set, .. } if set.is_empty() => {
            format!("nothing to undo for the backfill of {}", q(table))
        }
        Step::Backfill { table, set, predicate, batch_size, throttle_ms, .. } => {
            let set: Vec<String> = set.iter().map(|(c, e)| format!("{} = {e}", q(c))).collect();
            let rows = predicate.as_ref().map_or_else(|| "every row".to_owned(), |p| format!("rows where {p}"));
            let pause = if *throttle_ms > 0 { format!(", {throttle_ms} ms apart") } else { String::new() };
            format!("backfill {}: set {} in {rows}, in batches of {batch_size}{pause}", q(table), set.join(", "))
        }
    }
}
