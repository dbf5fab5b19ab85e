//! From migration steps to the SQL each dialect runs: `Step` → [`Statement`]s for SQLite, PostgreSQL and
//! MySQL/MariaDB, including the SQLite table rebuild where SQLite cannot `ALTER`.
//!
//! The entry point is [`render_steps`]: it takes the steps, the dialect as a value, and the schema state *before*
//! the steps (a rebuild recreates a whole table, and MySQL spells an enum inline in every column, so the renderer
//! needs to know the tables a step touches). It walks the steps in order, keeping that state current, and returns a
//! [`RenderedMigration`]: the statements plus what the migrator must do around them (run some outside the
//! transaction; switch SQLite's foreign keys off for a rebuild).
//!
//! # How a step is spelled
//!
//! The dialect is decided *before* anything is built. What sea-query renders well goes through sea-query —
//! `CREATE TABLE`, `DROP TABLE`, `CREATE INDEX`/`DROP INDEX`, `ADD COLUMN`, `DROP COLUMN`, `RENAME COLUMN`, table
//! renames, foreign keys on PostgreSQL/MySQL and MySQL's `MODIFY COLUMN` — with column types and defaults spelled
//! here (`spell`) and handed to it as custom text. The rest is written by hand, because sea-query either panics on
//! it (every multi-part or constraint `ALTER` on SQLite), drops it silently (comments on PostgreSQL), or gets it
//! subtly wrong (PostgreSQL's `USING` placed after every other clause): PostgreSQL `ALTER COLUMN`, enum types,
//! comments, unique and check constraints, primary keys, index renames, and the SQLite rebuild.
//!
//! # SQLite table rebuilds
//!
//! SQLite cannot alter a column, a key or a constraint. Such a step is rendered as the rebuild SQLite documents:
//! `CREATE TABLE "__new_t"` with the new definition, `INSERT INTO "__new_t" (...) SELECT ... FROM "t"` with the
//! kept columns (converted with a `CAST` when the type changes, back-filled with `COALESCE` when asked), `DROP
//! TABLE "t"`, `ALTER TABLE "__new_t" RENAME TO "t"`, then the table's indexes again. Dropping the old table must
//! not fire `ON DELETE CASCADE` in child tables, and SQLite ignores `PRAGMA foreign_keys` inside a transaction; so
//! the migration is marked [`RenderedMigration::sqlite_foreign_keys_off`] and the migrator runs
//! `PRAGMA foreign_keys=OFF` before `BEGIN`, `PRAGMA foreign_key_check` before `COMMIT` (any row is a failure) and
//! `PRAGMA foreign_keys=ON` after. The triggers and views of a rebuilt table are kept by the migrator (see
//! [`RenderedMigration::sqlite_rebuilt_tables`]). Consecutive steps on one table that would each rebuild it are merged into one
//! rebuild from the table before the first to the table after the last. An `AUTOINCREMENT` counter restarts from the largest kept id.
//!
//! Architecture Invariant: render never talks to a database and never panics on user input; a step a dialect
//! cannot express is a [`RenderError`] naming the step, table and dialect.

pub mod backfill;
mod expand_locks;
pub mod expand_sql;
pub mod locks;
mod mysql;
pub(crate) mod mysql_fk_modify;
mod mysql_keys;
pub mod mysql_online;
pub mod mysql_shadow;
mod postgres;
pub mod probe;
mod rebuild;
mod sea;
mod spell;
mod sqlite;

pub use mysql_keys::check_mysql_keys;

use std::fmt;

use crate::dialect::Dialect;
use crate::replay::{self, ReplayError, ReplayOptions};
use crate::schema::{Schema, Table};
use crate::step::{DialectSql, Step};

/// One SQL statement of a rendered migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The SQL text, without a trailing semicolon.
    pub sql: String,
    /// Whether the statement may run inside the migration's transaction. `false` for PostgreSQL's
    /// `ALTER TYPE ... ADD VALUE` when a later step of the migration uses the new value (it cannot be used before
    /// the transaction that added it commits, so the migrator runs it on its own; see
    /// `classify::enum_values_used_later`). MySQL commits each DDL statement implicitly whatever this says.
    pub transactional: bool,
    /// The index of the step the statement comes from.
    pub step: usize,
}

/// The SQL for a list of steps on one dialect, with what the migrator must do around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMigration {
    /// The dialect the SQL is for.
    pub dialect: Dialect,
    /// The statements, in order.
    pub statements: Vec<Statement>,
    /// SQLite only: the migration rebuilds or drops a table that other tables reference. The migrator must run
    /// [`SQLITE_FOREIGN_KEYS_OFF`] before `BEGIN`, [`SQLITE_FOREIGN_KEY_CHECK`] before `COMMIT` (failing if it
    /// returns any row), and [`SQLITE_FOREIGN_KEYS_ON`] after the transaction, whether it committed or not.
    pub sqlite_foreign_keys_off: bool,
    /// SQLite only: the tables the migration rebuilds (create a new table, copy, drop the old one, rename), by the
    /// name they have when rebuilt. Dropping the old table drops its triggers, and renaming the new one into place
    /// fails while a view names the table. The migrator therefore runs the statements with
    /// [`SQLITE_LEGACY_ALTER_TABLE_ON`] (views keep naming the table, which exists again after the rename), reads the
    /// `CREATE TRIGGER` text of these tables' triggers from `sqlite_master` before the first statement, and creates
    /// the triggers that are gone again after the last one, in the same transaction.
    pub sqlite_rebuilt_tables: Vec<String>,
}

/// Switches SQLite's foreign-key enforcement off; only takes effect outside a transaction.
pub const SQLITE_FOREIGN_KEYS_OFF: &str = "PRAGMA foreign_keys = OFF";
/// Lists rows that violate a foreign key; must return nothing before a rebuild commits.
pub const SQLITE_FOREIGN_KEY_CHECK: &str = "PRAGMA foreign_key_check";
/// Switches SQLite's foreign-key enforcement back on.
pub const SQLITE_FOREIGN_KEYS_ON: &str = "PRAGMA foreign_keys = ON";
/// Makes SQLite's `ALTER TABLE ... RENAME` leave views and triggers alone (instead of rewriting them, and failing
/// when one names a table that does not exist, as a view of a table being rebuilt does for a moment).
pub const SQLITE_LEGACY_ALTER_TABLE_ON: &str = "PRAGMA legacy_alter_table = ON";
/// Restores SQLite's default `ALTER TABLE ... RENAME`.
pub const SQLITE_LEGACY_ALTER_TABLE_OFF: &str = "PRAGMA legacy_alter_table = OFF";

/// Whether `sql` is a SQLite table rebuild's own rename, `ALTER TABLE "__new_<t>…" RENAME TO "<t>"` for a table `t`
/// in `rebuilt` (`RenderedMigration::sqlite_rebuilt_tables`): the one statement the migrator runs with
/// [`SQLITE_LEGACY_ALTER_TABLE_ON`].
pub fn is_sqlite_rebuild_rename(sql: &str, rebuilt: &[String]) -> bool {
    let Some(rest) = sql.strip_prefix("ALTER TABLE \"__new_") else { return false };
    rebuilt.iter().any(|t| {
        let target = format!(" RENAME TO \"{}\"", t.replace('"', "\"\""));
        rest.ends_with(&target) && rest.starts_with(&t.replace('"', "\"\""))
    })
}

impl RenderedMigration {
    /// Whether every statement can run in one transaction.
    pub fn is_transactional(&self) -> bool {
        self.statements.iter().all(|s| s.transactional)
    }

    /// The SQL as one script for people to read (`migrate-sql`): statements end with `;`, statements that must
    /// run outside a transaction are marked with a comment, and the SQLite pragmas the migrator adds are shown.
    pub fn script(&self) -> String {
        let mut out = String::new();
        if self.sqlite_foreign_keys_off {
            out.push_str(&format!("-- run outside the transaction:\n{SQLITE_FOREIGN_KEYS_OFF};\n"));
        }
        for s in &self.statements {
            if !s.transactional {
                out.push_str("-- run outside a transaction:\n");
            }
            out.push_str(&s.sql);
            out.push_str(";\n");
        }
        if self.sqlite_foreign_keys_off {
            out.push_str(&format!(
                "-- before commit; must return no rows:\n{SQLITE_FOREIGN_KEY_CHECK};\n\
                 -- after the transaction:\n{SQLITE_FOREIGN_KEYS_ON};\n"
            ));
        }
        out
    }
}

/// Why steps could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// The steps contain an `Irreversible` step (typically the `down` of a data-losing change).
    #[error("the migration cannot run in this direction: {reason}")]
    Irreversible {
        /// Why the step cannot be undone.
        reason: String,
    },
    /// A raw SQL step has no text for the dialect and no default text.
    #[error("a raw sql step has no text for {dialect} and no default text; add `{dialect}` text to the step")]
    MissingRawSql {
        /// The dialect being rendered.
        dialect: Dialect,
    },
    /// The dialect cannot express the step.
    #[error("{step} on table `{table}` cannot be rendered for {dialect}: {reason}")]
    Unsupported {
        /// The step kind (`create_index`, `alter_enum`, ...).
        step: &'static str,
        /// The table (or enum) it concerns.
        table: String,
        /// The dialect being rendered.
        dialect: Dialect,
        /// What the dialect lacks and what to do instead.
        reason: String,
    },
    /// A step names a table that does not exist in the schema state it applies to.
    #[error("{step}: table `{table}` does not exist in the schema before this step; check the step order")]
    UnknownTable {
        /// The step kind.
        step: &'static str,
        /// The missing table.
        table: String,
    },
    /// A step names a column that does not exist in the schema state it applies to.
    #[error("{step}: column `{column}` of table `{table}` does not exist in the schema before this step")]
    UnknownColumn {
        /// The step kind.
        step: &'static str,
        /// The table.
        table: String,
        /// The missing column.
        column: String,
    },
    /// A step names an index that does not exist in the schema state it applies to.
    #[error("{step}: index `{index}` of table `{table}` does not exist in the schema before this step")]
    UnknownIndex {
        /// The step kind.
        step: &'static str,
        /// The table.
        table: String,
        /// The missing index.
        index: String,
    },
    /// A column uses an enum type that does not exist in the schema state.
    #[error("table `{table}` uses enum `{name}`, which does not exist at this point; create the enum first")]
    UnknownEnum {
        /// The enum's name.
        name: String,
        /// The table using it.
        table: String,
    },
    /// A step comes after hand-written SQL that does not declare its effect on the schema, and rendering it needs
    /// the schema, which is unknown from there on.
    #[error(
        "{step} (step {}) needs the schema before it, which is unknown after step {}: hand-written SQL that does not \
         declare its effect; declare it with `raw_sql(...).changes_nothing()` or `raw_sql(...).amounts_to([...])`",
        index + 1,
        raw_index + 1
    )]
    UndeclaredRawSql {
        /// The step kind that needs the schema.
        step: &'static str,
        /// Its index (from 0).
        index: usize,
        /// The index (from 0) of the undeclared raw SQL step.
        raw_index: usize,
    },
    /// The steps do not apply to the schema state (the database's view, see `replay::ReplayOptions::DATABASE`).
    #[error(transparent)]
    Replay(ReplayError),
    /// A name contains the dialect's identifier quote character.
    #[error("the name `{name}` contains a quote character, which {dialect} identifiers cannot hold safely; rename it")]
    InvalidIdentifier {
        /// The name.
        name: String,
        /// The dialect being rendered.
        dialect: Dialect,
    },
}

/// Renders `steps` for `dialect`. `ctx` is the schema as it is before the first step (for a migration's `up`, the
/// parent snapshot; for its `down`, the schema after `up`, replayed with `replay::ReplayOptions::DATABASE`).
///
/// ```
/// use driftless_core::render::render_steps;
/// use driftless_core::step::Step;
/// use driftless_core::{Column, ColumnType, DefaultValue, Dialect, Literal, Schema, Table};
///
/// let mut users = Table::new("users");
/// users.columns.push(Column::new("id", ColumnType::BigInt));
/// let ctx = Schema { tables: vec![users], enums: vec![] };
/// let mut tz = Column::new("tz", ColumnType::Varchar(64));
/// tz.default = Some(DefaultValue::Value(Literal::String(r"it's \UTC".into())));
/// let steps = [Step::AddColumn { table: "users".into(), column: tz }];
///
/// let sql = |d| render_steps(&steps, d, &ctx).unwrap().statements[0].sql.clone();
/// assert_eq!(sql(Dialect::Sqlite), r#"ALTER TABLE "users" ADD COLUMN "tz" VARCHAR(64) NOT NULL DEFAULT 'it''s \UTC'"#);
/// assert_eq!(sql(Dialect::Postgres), r#"ALTER TABLE "users" ADD COLUMN "tz" VARCHAR(64) NOT NULL DEFAULT 'it''s \UTC'"#);
/// assert_eq!(sql(Dialect::Mysql), r#"ALTER TABLE `users` ADD COLUMN `tz` VARCHAR(64) NOT NULL DEFAULT 'it''s \\UTC'"#);
/// ```
pub fn render_steps(steps: &[Step], dialect: Dialect, ctx: &Schema) -> Result<RenderedMigration, RenderError> {
    let mut state = ctx.clone();
    state.normalize();
    let mut out = Out {
        dialect,
        statements: Vec::new(),
        step: 0,
        fk_off: false,
        rebuilt: Vec::new(),
        mysql_dropped_fks: Vec::new(),
    };
    // From a raw SQL step whose effect is undeclared (or does not apply) on, the schema is unknown: hand-written
    // SQL still renders without it, any other step is an error.
    let mut unknown_after: Option<(usize, ReplayError)> = None;
    // The tables the steps touch, with the kind of the last step on each: checked once the migration is done.
    let mut touched: std::collections::BTreeMap<String, &'static str> = std::collections::BTreeMap::new();
    // SQLite: steps up to here were rendered as one merged table rebuild (see `sqlite::render_merged`).
    let mut merged_until = 0;
    for (i, step) in steps.iter().enumerate() {
        out.step = i;
        if dialect == Dialect::Sqlite
            && i >= merged_until
            && unknown_after.is_none()
            && let Some(n) = sqlite::render_merged(&steps[i..], &state, &mut out)?
        {
            merged_until = i + n;
        }
        if let Some((raw_index, why)) = &unknown_after
            && !matches!(step, Step::RawSql { .. } | Step::Irreversible { .. })
        {
            return Err(match why {
                ReplayError::UndeclaredRawSql { .. } => {
                    RenderError::UndeclaredRawSql { step: step.kind(), index: i, raw_index: *raw_index }
                }
                other => RenderError::Replay(other.clone()),
            });
        }
        match step {
            _ if i < merged_until => {}
            Step::Irreversible { reason } => return Err(RenderError::Irreversible { reason: reason.clone() }),
            Step::RawSql { sql, .. } => out.push(raw_sql(sql, dialect)?),
            Step::Data { name } => out.push(format!("-- Rust data step `{name}`: the migrator runs the function")),
            // Nothing to render: the migrator runs the contract on online PostgreSQL (`contract_file.rs`).
            Step::Contract { .. } => {}
            Step::Backfill { .. } => {
                if let Some(b) = backfill::backfill_sql(step, dialect, &state)? {
                    out.push_outside(b.readable());
                }
            }
            Step::AlterEnum { from, to, .. } if from.name != to.name => {
                return Err(RenderError::Unsupported {
                    step: "alter_enum",
                    table: from.name.clone(),
                    dialect,
                    reason: format!(
                        "an alter_enum step changes values, not the name (`{}` to `{}`); rename the type with raw sql",
                        from.name, to.name
                    ),
                });
            }
            _ => match dialect {
                Dialect::Sqlite => sqlite::render(step, &state, &mut out)?,
                Dialect::Postgres => postgres::render(step, &state, &mut out)?,
                Dialect::Mysql => mysql::render(step, &state, &mut out)?,
            },
        }
        if dialect == Dialect::Mysql {
            mysql_fk_modify::readd_after(&steps[i + 1..], &mut out)?;
        }
        if unknown_after.is_none() {
            match replay::apply_step_with(&mut state, step, ReplayOptions::DATABASE) {
                Ok(()) => {
                    if let Some(t) = step.table() {
                        touched.insert(t.to_owned(), step.kind());
                    }
                }
                Err(e) if matches!(step, Step::RawSql { .. }) => unknown_after = Some((i, e)),
                Err(e) => return Err(e.into()),
            }
        }
    }
    for (table, kind) in &touched {
        auto_increment_expressible(dialect, &state, table, kind)?;
    }
    if dialect == Dialect::Postgres {
        // A value added by ADD VALUE cannot be used in the transaction that added it: when a later step uses it,
        // the ADD VALUE runs on its own, outside the transaction.
        for (i, step) in steps.iter().enumerate() {
            if !crate::classify::enum_values_used_later(step, &steps[i + 1..]).is_empty() {
                for s in out.statements.iter_mut().filter(|s| s.step == i && s.sql.contains(" ADD VALUE ")) {
                    s.transactional = false;
                }
            }
        }
    }
    Ok(RenderedMigration {
        dialect,
        statements: out.statements,
        sqlite_foreign_keys_off: out.fk_off,
        sqlite_rebuilt_tables: out.rebuilt,
    })
}

/// Refuses a state the dialect cannot hold once the migration has run (states in between, such as an auto-increment
/// column added just before the primary key on it, are not checked): an auto-increment column that is not the table's only primary-key
/// column on SQLite (its AUTOINCREMENT exists only on the `INTEGER PRIMARY KEY`), or that leads no key on
/// MySQL/MariaDB (which reject it: "there can be only one auto column and it must be defined as a key").
/// PostgreSQL makes any column an identity.
fn auto_increment_expressible(
    dialect: Dialect,
    state: &Schema,
    table: &str,
    step: &'static str,
) -> Result<(), RenderError> {
    let Some(t) = state.table(table) else { return Ok(()) };
    let Some(col) = t.columns.iter().find(|c| c.auto_increment) else { return Ok(()) };
    let unsupported = |reason: String| Err(RenderError::Unsupported { step, table: t.name.clone(), dialect, reason });
    let name = &col.name;
    match dialect {
        Dialect::Sqlite if sea::sqlite_inline_pk(t) != Some(name.as_str()) => unsupported(format!(
            "column `{}.{name}` is auto_increment but is not the table's only primary-key column, and SQLite generates values only for its INTEGER PRIMARY KEY; make `{name}` the primary key, or remove auto_increment from it and fill it from the application",
            t.name
        )),
        Dialect::Mysql => {
            let leads = |cols: &[String]| cols.first() == Some(name);
            let keyed = t.primary_key.as_ref().is_some_and(|pk| leads(&pk.columns))
                || t.uniques.iter().any(|u| leads(&u.columns))
                || t.indexes.iter().any(|i| leads(&i.columns));
            if keyed {
                return Ok(());
            }
            unsupported(format!(
                "column `{}.{name}` is auto_increment, and MySQL/MariaDB need such a column to be the first column of a key; add a unique constraint on ({name}) in an earlier migration (or in the same CREATE TABLE), then make it auto_increment",
                t.name
            ))
        }
        _ => Ok(()),
    }
}

/// Applies one step to the render state: the one replay, with the database's view
/// ([`ReplayOptions::DATABASE`]).
fn apply(state: &mut Schema, step: &Step) -> Result<(), RenderError> {
    replay::apply_step_with(state, step, ReplayOptions::DATABASE).map_err(RenderError::from)
}

impl From<ReplayError> for RenderError {
    /// The replay's errors in the renderer's words: the lenient database view fails only on a table, column or
    /// index that does not exist.
    fn from(e: ReplayError) -> RenderError {
        match e {
            ReplayError::UnknownTable { step, table } => RenderError::UnknownTable { step, table },
            ReplayError::Unknown { step, what: "column", table: Some(table), name } => {
                RenderError::UnknownColumn { step, table, column: name }
            }
            ReplayError::Unknown { step, what: "index", table: Some(table), name } => {
                RenderError::UnknownIndex { step, table, index: name }
            }
            other => RenderError::Replay(other),
        }
    }
}

fn raw_sql(sql: &DialectSql, dialect: Dialect) -> Result<String, RenderError> {
    let own = match dialect {
        Dialect::Sqlite => &sql.sqlite,
        Dialect::Postgres => &sql.postgres,
        Dialect::Mysql => &sql.mysql,
    };
    own.as_ref().or(sql.default.as_ref()).cloned().ok_or(RenderError::MissingRawSql { dialect })
}

/// The statements being collected for one migration.
struct Out {
    dialect: Dialect,
    statements: Vec<Statement>,
    step: usize,
    fk_off: bool,
    /// SQLite: the tables rebuilt so far, each once.
    rebuilt: Vec<String>,
    /// MySQL: the foreign keys (with their tables) dropped for a type change and not re-added yet
    /// (`mysql_fk_modify`).
    mysql_dropped_fks: Vec<(String, crate::schema::ForeignKey)>,
}

impl Out {
    fn push(&mut self, sql: impl Into<String>) {
        self.statements.push(Statement { sql: sql.into(), transactional: true, step: self.step });
    }

    fn ident(&self, name: &str) -> String {
        spell::ident(self.dialect, name)
    }

    /// A statement the migrator runs outside the transaction.
    fn push_outside(&mut self, sql: impl Into<String>) {
        self.statements.push(Statement { sql: sql.into(), transactional: false, step: self.step });
    }
}

impl fmt::Display for RenderedMigration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.script())
    }
}

/// Looks a table up in the state, or fails naming the step.
fn table<'a>(state: &'a Schema, name: &str, step: &Step) -> Result<&'a Table, RenderError> {
    state.table(name).ok_or_else(|| RenderError::UnknownTable { step: step.kind(), table: name.to_owned() })
}
