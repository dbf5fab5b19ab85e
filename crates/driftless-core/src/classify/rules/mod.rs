//! The classification rules, one function per step kind, grouped by change family: `tables`, `columns`, `keys`
//! (keys, indexes and constraints), `enums` and `raw`; `sqlite` holds the SQLite rebuild decision. Each returns the
//! verdict for one dialect; [`base`] dispatches, and the SQLite rebuild rule is applied on top for SQLite (see
//! [`needs_sqlite_rebuild`]).
//!
//! Versions assumed: PostgreSQL 12+, MySQL 8.0.12+ (instant ADD COLUMN) or MariaDB 10.6+, SQLite 3.35+.

mod auto_increment;
mod backfill;
mod backfilled_columns;
mod columns;
mod contract;
mod enum_renames;
mod enums;
mod expand_contract;
mod guarantees;
mod keys;
mod mysql_fk_window;
mod mysql_online;
mod mysql_shadow;
mod raw;
mod sqlite;
mod tables;

use crate::dialect::Dialect;
use crate::diff::{PossibleRename, RenameKind};
use crate::step::Step;

use super::{Classification as C, Context};

pub(crate) use backfilled_columns::track_backfilled;
pub(crate) use enums::enum_value_added_then_used;
pub use enums::enum_values_used_later;
pub(crate) use expand_contract::expand_blocker;
pub use expand_contract::{SHADOW_SUFFIX, expand_contract_eligible, is_integer_widening};
pub use mysql_online::{MysqlAlgorithm, mysql_algorithm};
use sqlite::sqlite_rebuild_rule;
pub use sqlite::{needs_sqlite_rebuild, sqlite_rebuild_tables};

const PG: Dialect = Dialect::Postgres;
const MY: Dialect = Dialect::Mysql;
const LITE: Dialect = Dialect::Sqlite;

fn q(name: &str) -> String {
    format!("`{name}`")
}

fn list(names: &[String]) -> String {
    names.iter().map(|n| q(n)).collect::<Vec<_>>().join(", ")
}

pub(crate) fn classify(step: &Step, d: Dialect, ctx: &Context<'_>) -> C {
    let base = base(step, d, ctx);
    match d {
        LITE => sqlite_rebuild_rule(step, base, ctx),
        MY => {
            let copied = mysql_online::mysql_copy_rule(step, base, ctx);
            mysql_fk_window::rule(step, mysql_shadow::mysql_shadow_rule(step, copied, ctx), ctx)
        }
        _ => expand_contract::expand_contract_rule(step, base, ctx),
    }
}

fn base(step: &Step, d: Dialect, ctx: &Context<'_>) -> C {
    let is_new = |t: &str| ctx.new_tables.contains(t);
    match step {
        Step::CreateEnum { r#enum } => enums::create_enum(r#enum, d),
        Step::DropEnum { r#enum } => enums::drop_enum(r#enum, d),
        Step::AlterEnum { from, to, renamed_values } => enums::alter_enum(from, to, renamed_values, d),
        Step::CreateTable { table } => tables::create_table(table),
        Step::DropTable { table } => tables::drop_table(table),
        Step::RenameTable { from, to } => tables::rename_table(from, to),
        Step::AddColumn { table, column } => columns::add_column(table, column, d, is_new(table)),
        Step::DropColumn { table, column } => columns::drop_column(table, column),
        Step::RenameColumn { table, from, to } => columns::rename_column(table, from, to),
        Step::AlterColumn { table, from, to, backfill } => auto_increment::alter_non_key(table, from, to, d, ctx)
            .unwrap_or_else(|| columns::alter_column(table, from, to, backfill.as_deref(), d, ctx)),
        Step::SetPrimaryKey { table, from, to } => {
            keys::set_primary_key(table, from.as_ref(), to.as_ref(), d, is_new(table))
        }
        // A prefix (MySQL) makes only the prefix unique: not the index the guarantee rule reasons about.
        Step::CreateIndex { table, index } => (index.unique && index.prefixes.is_empty())
            .then(|| guarantees::unique_implied_by_key(table, &index.name, &index.columns, true, d, ctx))
            .flatten()
            .unwrap_or_else(|| keys::create_index(table, index, d, is_new(table), ctx)),
        Step::DropIndex { table, index } => keys::drop_index(table, index, d, ctx),
        Step::RenameIndex { table, from, to } => keys::rename_index(table, from, to, d),
        Step::AddUnique { table, unique } => {
            guarantees::unique_implied_by_key(table, &unique.name, &unique.columns, false, d, ctx)
                .unwrap_or_else(|| keys::add_unique(table, unique, d, is_new(table), ctx))
        }
        Step::DropUnique { table, unique } => keys::drop_unique(table, unique),
        Step::AddForeignKey { table, foreign_key } => {
            guarantees::add_foreign_key_null_column(table, foreign_key, d, ctx)
                .unwrap_or_else(|| keys::add_foreign_key(table, foreign_key, d, is_new(table)))
        }
        Step::DropForeignKey { table, foreign_key } => keys::drop_foreign_key(table, foreign_key),
        Step::AlterForeignKey { table, from, to } => keys::alter_foreign_key(table, from, to, d, is_new(table)),
        Step::AddCheck { table, check } => keys::add_check(table, check, d, is_new(table)),
        Step::DropCheck { table, check } => keys::drop_check(table, check),
        Step::SetTableComment { table, .. } => tables::set_table_comment(table, d),
        Step::RawSql { .. } => raw::raw_sql(),
        Step::Irreversible { reason } => raw::irreversible(reason),
        Step::RenameEnum { from, to } => enum_renames::rename_enum(from, to, d),
        Step::Data { name } => raw::data_step(name),
        Step::Contract { migration } => contract::contract_step(migration, d),
        Step::Backfill { table, set, predicate, batch_size, .. } => {
            backfill::backfill(table, set, predicate.as_deref(), *batch_size, is_new(table))
        }
    }
}

/// The worst finding decides class, code and safer alternative; the reasons of every finding are joined.
fn combine(findings: Vec<C>, empty: impl FnOnce() -> C) -> C {
    let Some(worst) = findings.iter().enumerate().max_by_key(|(i, c)| (c.class, std::cmp::Reverse(*i))).map(|(i, _)| i)
    else {
        return empty();
    };
    let reason = findings.iter().map(|c| c.reason.as_str()).collect::<Vec<_>>().join("; ");
    let mut c = findings[worst].clone();
    c.reason = reason;
    c
}

/// The verdict on one half of an unhinted drop + add that may be a rename.
pub(crate) fn possible_rename(step: &Step, notes: &[PossibleRename]) -> C {
    let advice: Vec<String> = notes.iter().map(PossibleRename::advice).collect();
    let files: Vec<String> = notes.iter().map(PossibleRename::renames_file_entry).collect();
    let kind = if notes.iter().all(|n| n.kind == RenameKind::Table) { "table" } else { "column" };
    let reason = match step {
        Step::DropColumn { table, column } => format!(
            "drops column {} while {} of a compatible type is added: if this is a rename, {}; as written, the data in {} is lost",
            q(&format!("{table}.{}", column.name)),
            list(&notes.iter().map(|n| n.to.clone()).collect::<Vec<_>>()),
            advice.join(" or "),
            q(&column.name)
        ),
        Step::AddColumn { table, column } => format!(
            "adds column {} while {} of a compatible type is dropped: if this is a rename, {}; as written, the new column starts empty and the old data is lost",
            q(&format!("{table}.{}", column.name)),
            list(&notes.iter().map(|n| n.from.clone()).collect::<Vec<_>>()),
            advice.join(" or ")
        ),
        Step::DropTable { table } => format!(
            "drops table {} while {} with the same columns is created: if this is a rename, {}; as written, every row is lost",
            q(&table.name),
            list(&notes.iter().map(|n| n.to.clone()).collect::<Vec<_>>()),
            advice.join(" or ")
        ),
        Step::CreateTable { table } => format!(
            "creates table {} while {} with the same columns is dropped: if this is a rename, {}; as written, the old rows are lost",
            q(&table.name),
            list(&notes.iter().map(|n| n.from.clone()).collect::<Vec<_>>()),
            advice.join(" or ")
        ),
        _ => format!("may be half of an unhinted {kind} rename: {}", advice.join(" or ")),
    };
    C::dangerous("possible_rename", reason).or(format!(
        "declare the rename: {}, or pass a renames file with {}",
        advice.join(" or "),
        files.join(" / ")
    ))
}
