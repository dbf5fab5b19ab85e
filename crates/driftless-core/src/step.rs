//! Migration steps: the one vocabulary the differ emits, the classifier judges, the renderer turns into SQL and
//! migration files spell with the builder API.
//!
//! Every step carries frozen, literal definitions (a dropped column carries the whole column), so that a step can
//! be inverted for `down` and rendered years later without the live model. A step never refers to a Rust type.
//!
//! Architecture Invariant: steps are plain data; they know neither dialects nor databases.

use serde::{Deserialize, Serialize};

use crate::schema::{Check, Column, EnumType, ForeignKey, Index, PrimaryKey, Table, UniqueConstraint};

/// One schema change, executable on every dialect (the renderer decides how: ALTER, or an SQLite table rebuild).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Step {
    /// Create an enum type (PostgreSQL `CREATE TYPE`; a no-op elsewhere, where enums live in the column).
    CreateEnum {
        /// The enum.
        r#enum: EnumType,
    },
    /// Drop an enum type.
    DropEnum {
        /// The enum as it was.
        r#enum: EnumType,
    },
    /// Change an enum's values: add, remove, rename or reorder.
    AlterEnum {
        /// The enum before.
        from: EnumType,
        /// The enum after.
        to: EnumType,
        /// Values renamed `(old, new)`; every other difference is an addition or removal.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        renamed_values: Vec<(String, String)>,
    },
    /// Create a table with its columns, primary key, uniques, checks, indexes and the foreign keys it carries.
    CreateTable {
        /// The table.
        table: Table,
    },
    /// Drop a table (with everything on it).
    DropTable {
        /// The table as it was, so that `down` can recreate it.
        table: Table,
    },
    /// Rename a table.
    RenameTable {
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
    /// Add a column.
    AddColumn {
        /// The table.
        table: String,
        /// The column.
        column: Column,
    },
    /// Drop a column.
    DropColumn {
        /// The table.
        table: String,
        /// The column as it was.
        column: Column,
    },
    /// Rename a column.
    RenameColumn {
        /// The table.
        table: String,
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
    /// Change a column's type, nullability, default, auto increment or comment (the name stays).
    AlterColumn {
        /// The table.
        table: String,
        /// The column before.
        from: Column,
        /// The column after.
        to: Column,
        /// For nullable → NOT NULL: an SQL expression that fills existing NULLs first.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        backfill: Option<String>,
    },
    /// Replace (or add, or drop) the primary key.
    SetPrimaryKey {
        /// The table.
        table: String,
        /// The key before.
        from: Option<PrimaryKey>,
        /// The key after.
        to: Option<PrimaryKey>,
    },
    /// Create an index.
    CreateIndex {
        /// The table.
        table: String,
        /// The index.
        index: Index,
    },
    /// Drop an index.
    DropIndex {
        /// The table.
        table: String,
        /// The index as it was.
        index: Index,
    },
    /// Rename an index.
    RenameIndex {
        /// The table.
        table: String,
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
    /// Add a unique constraint.
    AddUnique {
        /// The table.
        table: String,
        /// The constraint.
        unique: UniqueConstraint,
    },
    /// Drop a unique constraint.
    DropUnique {
        /// The table.
        table: String,
        /// The constraint as it was.
        unique: UniqueConstraint,
    },
    /// Add a foreign key.
    AddForeignKey {
        /// The table.
        table: String,
        /// The foreign key.
        foreign_key: ForeignKey,
    },
    /// Drop a foreign key.
    DropForeignKey {
        /// The table.
        table: String,
        /// The foreign key as it was.
        foreign_key: ForeignKey,
    },
    /// Change a foreign key's actions or target (rendered as drop + add).
    AlterForeignKey {
        /// The table.
        table: String,
        /// The foreign key before.
        from: ForeignKey,
        /// The foreign key after.
        to: ForeignKey,
    },
    /// Add a check constraint.
    AddCheck {
        /// The table.
        table: String,
        /// The check.
        check: Check,
    },
    /// Drop a check constraint.
    DropCheck {
        /// The table.
        table: String,
        /// The check as it was.
        check: Check,
    },
    /// Change a table's comment.
    SetTableComment {
        /// The table.
        table: String,
        /// The comment before.
        from: Option<String>,
        /// The comment after.
        to: Option<String>,
    },
    /// Hand-written SQL, with its own text per dialect.
    RawSql {
        /// The SQL per dialect.
        sql: DialectSql,
        /// What the SQL does to the schema driftless models, as its author declares it (Django's
        /// `RunSQL(state_operations=...)`). `None`: undeclared, so the schema after it is unknown and the in-memory
        /// replay (verify, drift, `migrate-sql`, later migrations) stops there. Not serialised when `None`, so the
        /// checksum of a migration written before effects existed does not change.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        effect: Option<RawEffect>,
    },
    /// A step that cannot be undone; appears in `down` in place of a fake inverse.
    Irreversible {
        /// Why it cannot be undone.
        reason: String,
    },
    /// Rename an enum type; the columns of that type follow (PostgreSQL `ALTER TYPE ... RENAME TO`; nothing runs
    /// elsewhere, where the enum lives in each column).
    RenameEnum {
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
    /// Rewrite existing rows of a table in batches: each column of `set` takes its SQL expression in the rows where
    /// `predicate` holds. The migrator runs it outside a transaction, in primary-key order (SQLite tables without a
    /// primary key: by rowid), `batch_size` rows per committed transaction with `throttle_ms` between batches,
    /// recording the last key so an interrupted run resumes there. Changes no schema. A backfill with an empty
    /// `set` does nothing (the inverse of a backfill that needs no undoing, see [`BackfillInverse::Nothing`]).
    Backfill {
        /// The table.
        table: String,
        /// `(column, SQL expression)` pairs, as in `UPDATE ... SET column = expression`. The expressions are SQL
        /// used as written on every dialect, and may name the row's columns.
        set: Vec<(String, String)>,
        /// The rows that still need the backfill, as an SQL condition (`tz IS NULL`): it keeps the backfill
        /// idempotent (a row it has done no longer matches) and makes the count of rows to do. `None`: every row.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        predicate: Option<String>,
        /// Rows per batch (per committed transaction). Left out of the checksum: tuning it never edits history.
        batch_size: u32,
        /// Milliseconds to wait between batches, leaving the database to other writers. Left out of the checksum.
        #[serde(default, skip_serializing_if = "is_zero")]
        throttle_ms: u32,
        /// How `down` undoes it; [`Step::inverse`] reads it.
        #[serde(default, skip_serializing_if = "BackfillInverse::is_nothing")]
        inverse: BackfillInverse,
    },
    /// A Rust data step: the function of this name that the migration carries beside its steps
    /// (`Migration::data_fn`) runs against the data (see [`crate::data`]). Changes no schema; only the name is in
    /// the checksum.
    Data {
        /// The function's name.
        name: String,
    },
    /// The contract phase of an earlier expand/contract migration, as a migration of its own (written by
    /// `migrate-generate` after a migration whose type changes online PostgreSQL runs as expand/contract). Changes
    /// no schema (the type changed in `migration`) and renders to nothing; on online PostgreSQL the migrator runs
    /// the contract of `migration`'s expand here (swap the columns, drop the old ones), or nothing when there is no
    /// expand to contract. Its inverse is itself: reverting it changes nothing.
    Contract {
        /// The full name of the migration whose expand this contracts.
        migration: String,
    },
}

/// The default rows per batch of a backfill.
pub const DEFAULT_BATCH_SIZE: u32 = 1000;

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// How a backfill is undone on the way down.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum BackfillInverse {
    /// Nothing needs undoing: `down` drops the column or loosens it anyway, or the values may stay. The inverse is
    /// a backfill with an empty `set`, which does nothing.
    #[default]
    Nothing,
    /// Another backfill on the same table, with the same batch size and throttle.
    Backfill {
        /// `(column, SQL expression)` pairs.
        set: Vec<(String, String)>,
        /// The rows that still need undoing; `None`: every row.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        predicate: Option<String>,
    },
    /// It cannot be undone (the old values are gone): `down` holds an `Irreversible` step with the reason.
    Irreversible {
        /// Why.
        reason: String,
    },
}

impl BackfillInverse {
    /// Whether this is [`BackfillInverse::Nothing`].
    pub fn is_nothing(&self) -> bool {
        matches!(self, BackfillInverse::Nothing)
    }
}

/// The effect of hand-written SQL on the schema driftless models, declared by its author.
///
/// The SQL itself is never parsed: the replay believes the declaration. `verify` and drift detection then check it
/// against a real database, so a wrong declaration shows up as a difference there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum RawEffect {
    /// The SQL changes nothing the schema models: data changes, grants, objects driftless does not model.
    Nothing,
    /// The SQL amounts to these model steps: the replay applies them in its place (they are never rendered).
    Steps(Vec<Step>),
}

/// SQL text per dialect; a dialect without its own text uses `default`, and a step with neither for a dialect is
/// an error when rendered for it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialectSql {
    /// The SQL for any dialect without its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// SQLite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sqlite: Option<String>,
    /// PostgreSQL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgres: Option<String>,
    /// MySQL/MariaDB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mysql: Option<String>,
}

impl Step {
    /// The table the step works on, if it works on one table (after the step, for renames).
    pub fn table(&self) -> Option<&str> {
        match self {
            Step::CreateTable { table } | Step::DropTable { table } => Some(&table.name),
            Step::RenameTable { to, .. } => Some(to),
            Step::AddColumn { table, .. }
            | Step::DropColumn { table, .. }
            | Step::RenameColumn { table, .. }
            | Step::AlterColumn { table, .. }
            | Step::SetPrimaryKey { table, .. }
            | Step::CreateIndex { table, .. }
            | Step::DropIndex { table, .. }
            | Step::RenameIndex { table, .. }
            | Step::AddUnique { table, .. }
            | Step::DropUnique { table, .. }
            | Step::AddForeignKey { table, .. }
            | Step::DropForeignKey { table, .. }
            | Step::AlterForeignKey { table, .. }
            | Step::AddCheck { table, .. }
            | Step::DropCheck { table, .. }
            | Step::SetTableComment { table, .. }
            | Step::Backfill { table, .. } => Some(table),
            Step::CreateEnum { .. }
            | Step::DropEnum { .. }
            | Step::AlterEnum { .. }
            | Step::RawSql { .. }
            | Step::Irreversible { .. }
            | Step::RenameEnum { .. }
            | Step::Data { .. }
            | Step::Contract { .. } => None,
        }
    }

    /// The stable snake_case name of a step's kind (`create_table`, `add_column`, ...), as used in reports and errors.
    pub fn kind(&self) -> &'static str {
        match self {
            Step::CreateEnum { .. } => "create_enum",
            Step::DropEnum { .. } => "drop_enum",
            Step::AlterEnum { .. } => "alter_enum",
            Step::CreateTable { .. } => "create_table",
            Step::DropTable { .. } => "drop_table",
            Step::RenameTable { .. } => "rename_table",
            Step::AddColumn { .. } => "add_column",
            Step::DropColumn { .. } => "drop_column",
            Step::RenameColumn { .. } => "rename_column",
            Step::AlterColumn { .. } => "alter_column",
            Step::SetPrimaryKey { .. } => "set_primary_key",
            Step::CreateIndex { .. } => "create_index",
            Step::DropIndex { .. } => "drop_index",
            Step::RenameIndex { .. } => "rename_index",
            Step::AddUnique { .. } => "add_unique",
            Step::DropUnique { .. } => "drop_unique",
            Step::AddForeignKey { .. } => "add_foreign_key",
            Step::DropForeignKey { .. } => "drop_foreign_key",
            Step::AlterForeignKey { .. } => "alter_foreign_key",
            Step::AddCheck { .. } => "add_check",
            Step::DropCheck { .. } => "drop_check",
            Step::SetTableComment { .. } => "set_table_comment",
            Step::RawSql { .. } => "raw_sql",
            Step::Irreversible { .. } => "irreversible",
            Step::RenameEnum { .. } => "rename_enum",
            Step::Backfill { .. } => "backfill",
            Step::Data { .. } => "data",
            Step::Contract { .. } => "contract",
        }
    }

    /// The step that undoes this one, or `Irreversible` with the reason when there is none. Inverses are exact:
    /// every step carries the definitions it needs (a dropped column carries the whole column).
    pub fn inverse(&self) -> Step {
        match self.clone() {
            Step::CreateEnum { r#enum } => Step::DropEnum { r#enum },
            Step::DropEnum { r#enum } => Step::CreateEnum { r#enum },
            Step::AlterEnum { from, to, renamed_values } => Step::AlterEnum {
                from: to,
                to: from,
                renamed_values: renamed_values.into_iter().map(|(a, b)| (b, a)).collect(),
            },
            Step::CreateTable { table } => Step::DropTable { table },
            Step::DropTable { table } => Step::CreateTable { table },
            Step::RenameTable { from, to } => Step::RenameTable { from: to, to: from },
            Step::AddColumn { table, column } => Step::DropColumn { table, column },
            Step::DropColumn { table, column } => Step::AddColumn { table, column },
            Step::RenameColumn { table, from, to } => Step::RenameColumn { table, from: to, to: from },
            Step::AlterColumn { table, from, to, .. } => {
                Step::AlterColumn { table, from: to, to: from, backfill: None }
            }
            Step::SetPrimaryKey { table, from, to } => Step::SetPrimaryKey { table, from: to, to: from },
            Step::CreateIndex { table, index } => Step::DropIndex { table, index },
            Step::DropIndex { table, index } => Step::CreateIndex { table, index },
            Step::RenameIndex { table, from, to } => Step::RenameIndex { table, from: to, to: from },
            Step::AddUnique { table, unique } => Step::DropUnique { table, unique },
            Step::DropUnique { table, unique } => Step::AddUnique { table, unique },
            Step::AddForeignKey { table, foreign_key } => Step::DropForeignKey { table, foreign_key },
            Step::DropForeignKey { table, foreign_key } => Step::AddForeignKey { table, foreign_key },
            Step::AlterForeignKey { table, from, to } => Step::AlterForeignKey { table, from: to, to: from },
            Step::AddCheck { table, check } => Step::DropCheck { table, check },
            Step::DropCheck { table, check } => Step::AddCheck { table, check },
            Step::SetTableComment { table, from, to } => Step::SetTableComment { table, from: to, to: from },
            Step::RawSql { .. } => Step::Irreversible {
                reason: "hand-written SQL has no automatic inverse; write the down step by hand".into(),
            },
            Step::Irreversible { reason } => Step::Irreversible { reason },
            Step::RenameEnum { from, to } => Step::RenameEnum { from: to, to: from },
            Step::Backfill { table, set, predicate, batch_size, throttle_ms, inverse } => match inverse {
                BackfillInverse::Nothing => Step::Backfill {
                    table,
                    set: Vec::new(),
                    predicate: None,
                    batch_size,
                    throttle_ms,
                    inverse: BackfillInverse::Nothing,
                },
                BackfillInverse::Backfill { set: undo, predicate: undo_predicate } => Step::Backfill {
                    table,
                    set: undo,
                    predicate: undo_predicate,
                    batch_size,
                    throttle_ms,
                    inverse: BackfillInverse::Backfill { set, predicate },
                },
                BackfillInverse::Irreversible { reason } => Step::Irreversible { reason },
            },
            Step::Data { name } => Step::Irreversible {
                reason: format!("the Rust data step `{name}` has no automatic inverse; write the down step by hand"),
            },
            // Reverting a contract changes nothing: the schema after the expand's migration already has the new type.
            Step::Contract { migration } => Step::Contract { migration },
        }
    }

    /// Whether the step does nothing at all: a backfill with an empty `set` (the inverse of a backfill that needs
    /// no undoing). Callers that write a `down` may leave it out.
    pub fn does_nothing(&self) -> bool {
        matches!(self, Step::Backfill { set, .. } if set.is_empty())
    }
}
