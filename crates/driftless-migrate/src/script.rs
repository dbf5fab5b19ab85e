//! A migration's SQL as the migrator runs it, for people: `migrate-sql` and `testing::migration_sql`.
//!
//! The statements are the ones `migrate` runs: on PostgreSQL the online recipes (`CREATE INDEX CONCURRENTLY`,
//! `NOT VALID` then `VALIDATE`, the NOT NULL recipe; `online.rs`), on MySQL/MariaDB each `ALTER` with its
//! `ALGORITHM=…, LOCK=…` clause (`render::mysql_online`), unless the migration (`Migration::online(false)`) or the
//! caller (`Migrator::online(false)`, `--no-online`) turned them off, and only on the way up, as the migrator does.
//! They are grouped in the units the migrator runs them in (`apply.rs`), each unit after a comment line saying
//! whether it is in a transaction, and each statement after a comment line naming the lock it takes
//! (`driftless_core::render::locks::plan_locks`, the describer `migrate --dry-run` and the file headers use).
//! [`View::Plain`] gives the plain rendering instead: the SQL of the steps as written, one script.
//!
//! [`runs_online`] and `expand_contract::online_plan` are the migrator's own decision, so what this shows cannot drift from what runs.

use driftless_core::Dialect;
use driftless_core::migration::Migration;
use driftless_core::render::locks::plan_locks;
use driftless_core::render::{self, RenderedMigration};
use driftless_core::step::Step;

use crate::error::Error;
use crate::outcome::Direction;

/// How [`migration_script`] shows a migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// As `migrate` runs it, unit by unit, with each unit's transaction and each statement's lock. `online: false`
    /// is `Migrator::online(false)` (`migrate --no-online`); a migration's own `.online(...)` still wins.
    AsRun {
        /// Whether the project runs migrations online (the migrator's default: yes).
        online: bool,
    },
    /// The plain rendering of the steps (what drizzle-kit, Prisma or Alembic would run), one script; statements
    /// that must run outside a transaction and SQLite's foreign-key pragmas are marked with comments.
    Plain,
}

/// Whether migration `m` runs online on `dialect` when the project says `online`: PostgreSQL (a transactional
/// migration; one marked `.non_transactional()` runs as written) and MySQL/MariaDB, unless `m.online(...)` says
/// otherwise.
pub(crate) fn runs_online(m: &Migration, dialect: Dialect, online: bool) -> bool {
    let dialect_online = match dialect {
        Dialect::Postgres => m.transactional,
        Dialect::Mysql => true,
        _ => false,
    };
    dialect_online && m.online.unwrap_or(online)
}

/// How a unit runs, for its comment line.
fn unit_kind(plan: &RenderedMigration, steps: &[Step], first: usize, end: usize, atomic: bool, units: bool) -> String {
    let s = &plan.statements[first];
    if atomic {
        return "in one transaction, with the tracking-table row".to_owned();
    }
    if !s.transactional
        && let Some(Step::Backfill { batch_size, .. }) = steps.get(s.step)
    {
        return format!("outside a transaction: in batches of {batch_size} rows, each batch its own transaction");
    }
    if plan.dialect == Dialect::Mysql {
        return "on its own (MySQL commits each DDL statement; progress recorded after it)".to_owned();
    }
    match (s.transactional, units) {
        (true, true) if end - first > 1 => "in one transaction, with its progress".to_owned(),
        (true, true) => "in its own transaction, with its progress".to_owned(),
        _ => "outside a transaction (progress recorded after it)".to_owned(),
    }
}

/// The script of `plan` (already as run, `expand_contract::online_plan`) for `m` in `direction`; see the module documentation.
pub(crate) fn as_run_script(m: &Migration, direction: Direction, plan: &RenderedMigration, online: bool) -> String {
    let steps = match direction {
        Direction::Up => &m.up,
        Direction::Down => &m.down,
    };
    let n = plan.statements.len();
    let atomic = crate::apply::is_atomic(plan, plan.dialect, m);
    // The online PostgreSQL run (`apply::by_units`) groups statements; any other non-atomic run goes one by one.
    let by_units = online && direction == Direction::Up && plan.dialect == Dialect::Postgres && !atomic;
    let ranges: Vec<(usize, usize)> = if atomic && n > 0 {
        vec![(0, n)]
    } else if by_units {
        crate::online::units(plan)
    } else {
        (0..n).map(|i| (i, i + 1)).collect()
    };
    let locks = plan_locks(plan.dialect, steps, plan);
    let mut out = String::new();
    let fk_off = plan.sqlite_foreign_keys_off && plan.dialect == Dialect::Sqlite;
    if fk_off {
        out.push_str(&format!(
            "-- before the first unit, outside a transaction:\n{};\n",
            render::SQLITE_FOREIGN_KEYS_OFF
        ));
    }
    for (k, &(first, end)) in ranges.iter().enumerate() {
        let kind = unit_kind(plan, steps, first, end, atomic, by_units);
        out.push_str(&format!("-- unit {} of {}: {kind}\n", k + 1, ranges.len()));
        for (s, lock) in plan.statements[first..end].iter().zip(&locks[first..end]) {
            let how = if lock.online { "online" } else { "blocking" };
            out.push_str(&format!("-- lock: {} ({how})\n", lock.lock));
            out.push_str(&s.sql);
            out.push_str(";\n");
        }
    }
    if fk_off {
        let (check, after) =
            if atomic { ("before the commit", "after the transaction") } else { ("after the last unit", "then") };
        out.push_str(&format!(
            "-- {check}; must return no rows:\n{};\n-- {after}:\n{};\n",
            render::SQLITE_FOREIGN_KEY_CHECK,
            render::SQLITE_FOREIGN_KEYS_ON
        ));
    }
    out
}

/// The SQL migration `name` (its full name) of `registry` runs in `direction` on `dialect`, shown as `view` says.
/// It comes from the planning the migrator does before it applies anything (the registry replayed in memory,
/// then rendered), so it is what runs; a migration that cannot be planned is the migrator's own error.
pub fn migration_script(
    registry: &[Migration],
    name: &str,
    direction: Direction,
    dialect: Dialect,
    view: View,
) -> Result<String, Error> {
    let Some(index) = registry.iter().position(|m| m.name == name) else {
        return Err(Error::Render {
            name: name.to_owned(),
            direction,
            dialect,
            reason: format!(
                "it is not in the registry ({} migration(s)); pass a migration's full name",
                registry.len()
            ),
        });
    };
    let m = &registry[index];
    let plan = crate::plan::plans(registry, &[(index, direction)], dialect)?.remove(0);
    Ok(match view {
        View::Plain => plan.script(),
        View::AsRun { online } => {
            let online = runs_online(m, dialect, online);
            // The migrator's own choice, the expand/contract plan included (`expand_contract::online_plan`).
            // The contract as a later migration (`contract_file.rs`): the expand in N, the contract in N+1.
            if direction == Direction::Up
                && online
                && dialect == Dialect::Postgres
                && let Some((plan, steps)) = crate::contract_file::review_plan(registry, index)
                    .map_err(|reason| Error::Render { name: m.name.clone(), direction, dialect, reason })?
            {
                let shown = Migration { up: steps.to_vec(), ..m.clone() };
                return Ok(as_run_script(&shown, direction, &plan, online));
            }
            let plan = if direction == Direction::Up {
                crate::expand_contract::online_plan(registry, &[(index, direction)], index, plan, online, true).0
            } else {
                plan
            };
            as_run_script(m, direction, &plan, online)
        }
    })
}
