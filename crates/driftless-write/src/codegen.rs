//! Steps and definitions → Rust expressions in the [`driftless_core::define`] vocabulary.
//!
//! The output is one expression per step on one line, which the file writer puts in its own `#[rustfmt::skip]`
//! function (so no formatter is needed). Every string is emitted through `{:?}`, which yields a valid, escaped Rust
//! string literal.

use std::fmt::Write as _;

use driftless_core::schema::{
    Check, Column, ColumnType, DefaultValue, EnumType, ForeignKey, Index, Literal, PrimaryKey, ReferentialAction,
    Table, UniqueConstraint,
};
use driftless_core::step::{BackfillInverse, DEFAULT_BATCH_SIZE, DialectSql, RawEffect, Step};

fn lit(s: &str) -> String {
    format!("{s:?}")
}

fn list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| lit(s)).collect();
    format!("&[{}]", inner.join(", "))
}

/// `&[("column", "expression"), ...]`.
fn pairs(items: &[(String, String)]) -> String {
    let inner: Vec<String> = items.iter().map(|(a, b)| format!("({}, {})", lit(a), lit(b))).collect();
    format!("&[{}]", inner.join(", "))
}

fn opt_str(s: Option<&str>) -> String {
    match s {
        Some(s) => format!("Some({})", lit(s)),
        None => "None".to_owned(),
    }
}

fn opt_string_into(s: &Option<String>) -> String {
    match s {
        Some(s) => format!("Some({}.into())", lit(s)),
        None => "None".to_owned(),
    }
}

/// A column type as a Rust expression.
pub fn column_type(ty: &ColumnType) -> String {
    match ty {
        ColumnType::SmallInt => "ColumnType::SmallInt".into(),
        ColumnType::Integer => "ColumnType::Integer".into(),
        ColumnType::BigInt => "ColumnType::BigInt".into(),
        ColumnType::Real => "ColumnType::Real".into(),
        ColumnType::Double => "ColumnType::Double".into(),
        ColumnType::Boolean => "ColumnType::Boolean".into(),
        ColumnType::Text => "ColumnType::Text".into(),
        ColumnType::Varchar(n) => format!("ColumnType::Varchar({n})"),
        ColumnType::Char(n) => format!("ColumnType::Char({n})"),
        ColumnType::Bytes => "ColumnType::Bytes".into(),
        ColumnType::Uuid => "ColumnType::Uuid".into(),
        ColumnType::Json => "ColumnType::Json".into(),
        ColumnType::Date => "ColumnType::Date".into(),
        ColumnType::Time => "ColumnType::Time".into(),
        ColumnType::DateTime => "ColumnType::DateTime".into(),
        ColumnType::TimestampTz => "ColumnType::TimestampTz".into(),
        ColumnType::Decimal { precision, scale } => {
            format!("ColumnType::Decimal {{ precision: {precision}, scale: {scale} }}")
        }
        ColumnType::Enum(name) => format!("ColumnType::Enum({}.into())", lit(name)),
        ColumnType::Custom(c) => format!(
            "ColumnType::Custom(CustomType {{ default: {}.into(), sqlite: {}, postgres: {}, mysql: {} }})",
            lit(&c.default),
            opt_string_into(&c.sqlite),
            opt_string_into(&c.postgres),
            opt_string_into(&c.mysql)
        ),
        // `ColumnType` is `#[non_exhaustive]`: a type this writer does not know yet (a newer driftless-core) gives a
        // file that does not compile and says why, rather than a panic or a silently different migration.
        other => unknown("column type", other),
    }
}

/// A literal as a Rust expression.
pub fn literal(l: &Literal) -> String {
    match l {
        Literal::Bool(b) => format!("Literal::Bool({b})"),
        Literal::Int(i) => format!("Literal::Int({i})"),
        Literal::Float(f) => format!("Literal::Float({f:?})"),
        Literal::String(s) => format!("Literal::String({}.into())", lit(s)),
    }
}

/// A column as a Rust expression.
pub fn column(c: &Column) -> String {
    let mut out = format!("column({}, {})", lit(&c.name), column_type(&c.ty));
    if c.nullable {
        out.push_str(".nullable()");
    }
    match &c.default {
        None => {}
        Some(DefaultValue::Value(v)) => {
            let _ = write!(out, ".default_value({})", literal(v));
        }
        Some(DefaultValue::Expr(e)) => {
            let _ = write!(out, ".default_expr(DefaultExpr::{e:?})");
        }
        Some(DefaultValue::Sql(s)) => {
            let _ = write!(out, ".default_sql({})", lit(s));
        }
    }
    if c.auto_increment {
        out.push_str(".auto_increment()");
    }
    if let Some(comment) = &c.comment {
        let _ = write!(out, ".comment({})", lit(comment));
    }
    out
}

fn primary_key(pk: &PrimaryKey) -> String {
    format!("primary_key({}, {})", lit(&pk.name), list(&pk.columns))
}

fn opt_primary_key(pk: &Option<PrimaryKey>) -> String {
    match pk {
        Some(pk) => format!("Some({})", primary_key(pk)),
        None => "None".into(),
    }
}

/// An index as a Rust expression.
pub fn index(i: &Index) -> String {
    let mut out = match &i.expression {
        Some(e) if i.columns.is_empty() => format!("index_on_expression({}, {})", lit(&i.name), lit(e)),
        _ => format!("index({}, {})", lit(&i.name), list(&i.columns)),
    };
    if i.unique {
        out.push_str(".unique()");
    }
    if let Some(p) = &i.predicate {
        let _ = write!(out, ".predicate({})", lit(p));
    }
    for (column, len) in &i.prefixes {
        let _ = write!(out, ".prefix({}, {len})", lit(column));
    }
    out
}

fn unique(u: &UniqueConstraint) -> String {
    format!("unique({}, {})", lit(&u.name), list(&u.columns))
}

fn action(a: ReferentialAction) -> String {
    format!("ReferentialAction::{a:?}")
}

/// A foreign key as a Rust expression.
pub fn foreign_key(f: &ForeignKey) -> String {
    let mut out =
        format!("foreign_key({}, {}, {}, {})", lit(&f.name), list(&f.columns), lit(&f.ref_table), list(&f.ref_columns));
    if f.on_delete != ReferentialAction::NoAction {
        let _ = write!(out, ".on_delete({})", action(f.on_delete));
    }
    if f.on_update != ReferentialAction::NoAction {
        let _ = write!(out, ".on_update({})", action(f.on_update));
    }
    out
}

fn check(c: &Check) -> String {
    format!("check({}, {})", lit(&c.name), lit(&c.expr))
}

fn enum_type(e: &EnumType) -> String {
    format!("enum_type({}, {})", lit(&e.name), list(&e.values))
}

/// A table as a Rust expression.
pub fn table(t: &Table) -> String {
    let mut out = format!("table({})", lit(&t.name));
    for c in &t.columns {
        let _ = write!(out, ".with_column({})", column(c));
    }
    if let Some(pk) = &t.primary_key {
        let _ = write!(out, ".primary_key({}, {})", lit(&pk.name), list(&pk.columns));
    }
    for i in &t.indexes {
        let _ = write!(out, ".index({})", index(i));
    }
    for u in &t.uniques {
        let _ = write!(out, ".unique({}, {})", lit(&u.name), list(&u.columns));
    }
    for f in &t.foreign_keys {
        let _ = write!(out, ".foreign_key({})", foreign_key(f));
    }
    for c in &t.checks {
        let _ = write!(out, ".check({}, {})", lit(&c.name), lit(&c.expr));
    }
    if let Some(comment) = &t.comment {
        let _ = write!(out, ".comment({})", lit(comment));
    }
    out
}

fn dialect_sql(s: &DialectSql) -> String {
    let mut out = match &s.default {
        Some(d) => format!("sql({})", lit(d)),
        None => "sql_per_dialect()".to_owned(),
    };
    for (method, text) in [("sqlite", &s.sqlite), ("postgres", &s.postgres), ("mysql", &s.mysql)] {
        if let Some(t) = text {
            let _ = write!(out, ".{method}({})", lit(t));
        }
    }
    out
}

/// A step as a Rust expression.
pub fn step(s: &Step) -> String {
    match s {
        Step::CreateEnum { r#enum } => format!("create_enum({})", enum_type(r#enum)),
        Step::DropEnum { r#enum } => format!("drop_enum({})", enum_type(r#enum)),
        Step::AlterEnum { from, to, renamed_values } => {
            let pairs: Vec<String> = renamed_values.iter().map(|(a, b)| format!("({}, {})", lit(a), lit(b))).collect();
            format!("alter_enum({}, {}, &[{}])", enum_type(from), enum_type(to), pairs.join(", "))
        }
        Step::CreateTable { table: t } => format!("create_table({})", table(t)),
        Step::DropTable { table: t } => format!("drop_table({})", table(t)),
        Step::RenameTable { from, to } => format!("rename_table({}, {})", lit(from), lit(to)),
        Step::AddColumn { table, column: c } => format!("add_column({}, {})", lit(table), column(c)),
        Step::DropColumn { table, column: c } => format!("drop_column({}, {})", lit(table), column(c)),
        Step::RenameColumn { table, from, to } => {
            format!("rename_column({}, {}, {})", lit(table), lit(from), lit(to))
        }
        Step::AlterColumn { table, from, to, backfill: None } => {
            format!("alter_column({}, {}, {})", lit(table), column(from), column(to))
        }
        Step::AlterColumn { table, from, to, backfill: Some(b) } => {
            format!("alter_column_with_backfill({}, {}, {}, {})", lit(table), column(from), column(to), lit(b))
        }
        Step::SetPrimaryKey { table, from, to } => {
            format!("set_primary_key({}, {}, {})", lit(table), opt_primary_key(from), opt_primary_key(to))
        }
        Step::CreateIndex { table, index: i } => format!("create_index({}, {})", lit(table), index(i)),
        Step::DropIndex { table, index: i } => format!("drop_index({}, {})", lit(table), index(i)),
        Step::RenameIndex { table, from, to } => {
            format!("rename_index({}, {}, {})", lit(table), lit(from), lit(to))
        }
        Step::AddUnique { table, unique: u } => format!("add_unique({}, {})", lit(table), unique(u)),
        Step::DropUnique { table, unique: u } => format!("drop_unique({}, {})", lit(table), unique(u)),
        Step::AddForeignKey { table, foreign_key: f } => {
            format!("add_foreign_key({}, {})", lit(table), foreign_key(f))
        }
        Step::DropForeignKey { table, foreign_key: f } => {
            format!("drop_foreign_key({}, {})", lit(table), foreign_key(f))
        }
        Step::AlterForeignKey { table, from, to } => {
            format!("alter_foreign_key({}, {}, {})", lit(table), foreign_key(from), foreign_key(to))
        }
        Step::AddCheck { table, check: c } => format!("add_check({}, {})", lit(table), check(c)),
        Step::DropCheck { table, check: c } => format!("drop_check({}, {})", lit(table), check(c)),
        Step::SetTableComment { table, from, to } => {
            format!("set_table_comment({}, {}, {})", lit(table), opt_str(from.as_deref()), opt_str(to.as_deref()))
        }
        Step::RawSql { sql, effect: None } => format!("raw_sql({})", dialect_sql(sql)),
        Step::RawSql { sql, effect: Some(RawEffect::Nothing) } => {
            format!("raw_sql({}).changes_nothing()", dialect_sql(sql))
        }
        Step::RawSql { sql, effect: Some(RawEffect::Steps(steps)) } => {
            let steps: Vec<String> = steps.iter().map(step).collect();
            format!("raw_sql({}).amounts_to([{}])", dialect_sql(sql), steps.join(", "))
        }
        Step::Irreversible { reason } => format!("irreversible({})", lit(reason)),
        Step::RenameEnum { from, to } => format!("rename_enum({}, {})", lit(from), lit(to)),
        Step::Backfill { table, set, predicate, batch_size, throttle_ms, inverse } => {
            let mut out = format!("backfill({}, {})", lit(table), pairs(set));
            if let Some(p) = predicate {
                let _ = write!(out, ".when({})", lit(p));
            }
            if *batch_size != DEFAULT_BATCH_SIZE {
                let _ = write!(out, ".batch_size({batch_size})");
            }
            if *throttle_ms != 0 {
                let _ = write!(out, ".throttle_ms({throttle_ms})");
            }
            match inverse {
                BackfillInverse::Nothing => {}
                BackfillInverse::Backfill { set, predicate } => {
                    let _ = write!(out, ".undo({}, {})", pairs(set), opt_str(predicate.as_deref()));
                }
                BackfillInverse::Irreversible { reason } => {
                    let _ = write!(out, ".cannot_undo({})", lit(reason));
                }
                other => return unknown("backfill inverse", other),
            }
            out
        }
        Step::Data { name } => format!("data({})", lit(name)),
        Step::Contract { migration } => format!("contract({})", lit(migration)),

        // `Step` is `#[non_exhaustive]`; see `column_type`. `every_step` in `tests/codegen_roundtrip.rs` must list
        // every step kind.
        other => unknown("step", other),
    }
}

/// A step as a Rust raw string literal holding its canonical JSON (what the checksum is taken over), for
/// [`driftless_core::define::steps_from_json`]: one line, no formatter needed, and rustc compiles it in no time.
///
/// Characters a reviewer could not see or that rustc refuses in a literal (control and format characters, such as
/// bidirectional overrides) are written as JSON `\uXXXX` escapes, which read back as the same text; the literal
/// gets as many `#` as it needs so no text can end it early.
pub fn step_json(s: &Step) -> String {
    let json = serde_json::to_string(s).expect("steps always serialise");
    let mut text = String::with_capacity(json.len());
    for c in json.chars() {
        let plain = matches!(c, '"' | '\\' | '\'') || c.escape_debug().eq(std::iter::once(c));
        if plain {
            text.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(text, "\\u{unit:04x}");
            }
        }
    }
    let mut longest = 0;
    let mut run = None;
    for c in text.chars() {
        run = match (c, run) {
            ('"', _) => Some(0),
            ('#', Some(n)) => Some(n + 1),
            _ => None,
        };
        longest = longest.max(run.unwrap_or(0));
    }
    let hashes = "#".repeat(longest + 1);
    format!("r{hashes}\"{text}\"{hashes}")
}

/// A `compile_error!` naming what this version of the writer cannot spell.
fn unknown(what: &str, value: &impl std::fmt::Debug) -> String {
    let message = format!(
        "driftless-write {} cannot spell this {what}: {value:?}; use the driftless-write version that matches \
         driftless-core",
        env!("CARGO_PKG_VERSION")
    );
    format!("compile_error!({})", lit(&message))
}
