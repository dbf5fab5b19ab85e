//! From a migration to the statements the migrator runs: the one place that knows how steps become SQL, and which
//! statements must run outside a transaction.
//!
//! Hand-written SQL steps carry their own per-dialect text. Builder steps need the renderer (`driftless_core::render`)
//! and the schema as it is before the migration, which is computed by replaying the registry's earlier migrations
//! in memory.

use driftless_core::Dialect;
use driftless_core::migration::Migration;
use driftless_core::step::{DialectSql, Step};

use crate::error::Error;
use crate::report::Direction;

/// One statement to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Planned {
    /// The SQL (possibly a script of several statements, for hand-written SQL).
    pub sql: String,
    /// Whether it may run inside the migration's transaction.
    pub transactional: bool,
}

/// A migration's statements in one direction, with what must happen around them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Plan {
    /// The statements, in order.
    pub statements: Vec<Planned>,
    /// SQLite: run with foreign keys off (set before the transaction) and `PRAGMA foreign_key_check` before commit.
    pub sqlite_foreign_keys_off: bool,
}

impl Plan {
    /// Whether the migration can run as one transaction on `dialect`: the dialect has transactional DDL, the
    /// migration did not opt out, and no statement must run outside a transaction.
    pub fn atomic(&self, dialect: Dialect, migration: &Migration) -> bool {
        dialect != Dialect::Mysql && migration.transactional && self.statements.iter().all(|s| s.transactional)
    }
}

/// The statements `migration` runs in `direction` on `dialect`.
pub(crate) fn plan(migration: &Migration, direction: Direction, dialect: Dialect) -> Result<Plan, Error> {
    let steps = match direction {
        Direction::Up => &migration.up,
        Direction::Down => &migration.down,
    };
    let mut plan = Plan::default();
    for step in steps {
        match step {
            Step::RawSql { sql } => {
                plan.statements.push(Planned { sql: raw_sql(sql, dialect, migration, direction)?, transactional: true })
            }
            Step::Irreversible { reason } => {
                return Err(Error::Irreversible { name: migration.name.clone(), reason: reason.clone() });
            }
            other => {
                return Err(Error::Render {
                    name: migration.name.clone(),
                    direction,
                    dialect,
                    reason: format!(
                        "the {} step needs the schema renderer, which this build of the migrator does not use yet",
                        other.table().map(|t| format!("`{t}`")).unwrap_or_else(|| "builder".to_owned())
                    ),
                });
            }
        }
    }
    Ok(plan)
}

fn raw_sql(sql: &DialectSql, dialect: Dialect, migration: &Migration, direction: Direction) -> Result<String, Error> {
    let own = match dialect {
        Dialect::Sqlite => &sql.sqlite,
        Dialect::Postgres => &sql.postgres,
        _ => &sql.mysql,
    };
    own.as_ref().or(sql.default.as_ref()).cloned().ok_or_else(|| Error::Render {
        name: migration.name.clone(),
        direction,
        dialect,
        reason: format!(
            "a raw sql step has no text for {dialect} and no default text; add `{dialect}` text to the step"
        ),
    })
}
