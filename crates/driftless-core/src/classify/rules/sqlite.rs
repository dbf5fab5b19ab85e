//! SQLite rebuilds: when SQLite cannot `ALTER` and a table is rebuilt, shared with the renderer, and the rule
//! applied on top of every SQLite verdict.

use crate::schema::{Column, ColumnType, DefaultValue, ReferentialAction, Schema, Table};
use crate::step::Step;

use super::{list, q};
use crate::classify::{Class, Classification as C, Context};

/// Whether SQLite needs a table rebuild (create a new table, copy the rows, drop the old one, rename) for `step`,
/// given the schema just before it. The renderer and the classifier share this decision.
///
/// SQLite's `ALTER TABLE` can add a column (unless it is auto-increment or has a non-constant default), drop a
/// column that no key, index, constraint or CHECK uses, and rename tables, columns (and, by drop + create, indexes).
/// Every other change to an existing table is a rebuild: a column's type, nullability, default or auto increment
/// (a comment-only change is a no-op: SQLite stores no comments), the primary key (even a name-only change), unique
/// constraints (not indexes), foreign keys, checks, and enum values (every table with a column of the enum, whose
/// values live in a CHECK).
pub fn needs_sqlite_rebuild(step: &Step, before: &Schema) -> bool {
    match step {
        Step::AddColumn { column, .. } => {
            column.auto_increment || column.default.as_ref().is_some_and(|d| !matches!(d, DefaultValue::Value(_)))
        }
        Step::DropColumn { table, column } => before.table(table).is_some_and(|t| column_is_constrained(t, column)),
        Step::AlterColumn { from, to, .. } => Column { comment: to.comment.clone(), ..from.clone() } != *to,
        Step::AlterEnum { .. }
        | Step::SetPrimaryKey { .. }
        | Step::AddUnique { .. }
        | Step::DropUnique { .. }
        | Step::AddForeignKey { .. }
        | Step::DropForeignKey { .. }
        | Step::AlterForeignKey { .. }
        | Step::AddCheck { .. }
        | Step::DropCheck { .. } => true,
        _ => false,
    }
}

/// SQLite's DROP COLUMN fails when the column is in the primary key, a unique constraint, an index, a foreign key or
/// a CHECK (an enum column carries one). Expressions are matched by name, which can only err towards a rebuild.
pub(super) fn column_is_constrained(t: &Table, column: &Column) -> bool {
    let name = column.name.as_str();
    let has = |cols: &[String]| cols.iter().any(|c| c == name);
    matches!(column.ty, ColumnType::Enum(_))
        || t.primary_key.as_ref().is_some_and(|pk| has(&pk.columns))
        || t.indexes.iter().any(|i| {
            has(&i.columns)
                || [&i.predicate, &i.expression].iter().any(|e| e.as_ref().is_some_and(|p| p.contains(name)))
        })
        || t.uniques.iter().any(|u| has(&u.columns))
        || t.foreign_keys.iter().any(|f| has(&f.columns))
        || t.checks.iter().any(|c| c.expr.contains(name))
}

/// The tables SQLite rebuilds for `step` (empty when it needs no rebuild).
pub fn sqlite_rebuild_tables(step: &Step, before: &Schema) -> Vec<String> {
    if !needs_sqlite_rebuild(step, before) {
        return Vec::new();
    }
    match step {
        Step::AlterEnum { from, .. } => before
            .tables
            .iter()
            .filter(|t| t.columns.iter().any(|c| c.ty == ColumnType::Enum(from.name.clone())))
            .map(|t| t.name.clone())
            .collect(),
        other => other.table().map(|t| vec![t.to_owned()]).unwrap_or_default(),
    }
}

pub(super) fn sqlite_rebuild_rule(step: &Step, mut c: C, ctx: &Context<'_>) -> C {
    let tables: Vec<String> =
        sqlite_rebuild_tables(step, ctx.before).into_iter().filter(|t| !ctx.new_tables.contains(t)).collect();
    if tables.is_empty() {
        return c;
    }
    let note = format!(
        "SQLite cannot ALTER this, so {} rebuilt (a new table is created, the rows copied, the old table dropped)",
        if tables.len() == 1 { format!("table {} is", q(&tables[0])) } else { format!("tables {} are", list(&tables)) }
    );
    if c.class < Class::ReviewRequired {
        c = C {
            class: Class::ReviewRequired,
            code: "sqlite_rebuild",
            reason: format!("{}; {note}", c.reason),
            safer_alternative: c.safer_alternative,
        };
    } else {
        c.reason = format!("{}; {note}", c.reason);
    }
    let mut referencing = Vec::new();
    for t in &tables {
        for other in ctx.before.tables.iter().filter(|o| o.name != *t) {
            for f in other.foreign_keys.iter().filter(|f| f.ref_table == *t) {
                if matches!(
                    f.on_delete,
                    ReferentialAction::Cascade | ReferentialAction::SetNull | ReferentialAction::SetDefault
                ) {
                    referencing.push(format!("{}.{} (ON DELETE {})", other.name, f.name, f.on_delete.sql()));
                }
            }
        }
    }
    if !referencing.is_empty() {
        c.reason = format!(
            "{}; {} referenced by {}: the rebuild runs with PRAGMA foreign_keys=OFF (set outside the transaction) and PRAGMA foreign_key_check before COMMIT, so dropping the old table deletes or changes no child rows",
            c.reason,
            if tables.len() == 1 { "it is" } else { "they are" },
            referencing.join(", ")
        );
        if c.code == "sqlite_rebuild" {
            c.code = "sqlite_rebuild_cascade";
        }
    }
    c
}
