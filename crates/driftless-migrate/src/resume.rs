//! Which dirty tracking rows a run resumes instead of refusing, in either direction.
//!
//! A dirty row says which direction was running when it stopped: `dirty = 'up'` is a migration being applied,
//! `dirty = 'down'` one being reverted, and its `statements_done` / `statements_total` count the statements of
//! *that* direction's plan. Its `backfill_key` (see `backfill.rs`) belongs to that direction too: a backfill
//! records its batches' keys only while it runs, a finished run (`finish_row`) or a resolved row clears the key, and
//! a revert starting afresh clears it (`apply::begin_row`), so a key found on a dirty row is always the one its own
//! direction recorded, never the other direction's.
//!
//! - **Applying** (`migrate`, `up`, `to` a pending migration): a dirty `up` row resumes when its checksum is the
//!   registry's and it is either an online PostgreSQL run (each unit's progress is exact, see `apply::by_units`) or
//!   stopped in a backfill (it holds a key), or a MySQL/MariaDB run stopped by a statement that failed and left
//!   nothing (`resume_mysql.rs`). Its row is left out of validation, so the migration is pending.
//! - **Reverting** (`down`, `reset`, `to` an applied migration): a dirty `down` row stopped in a backfill (it holds a
//!   key) with the registry's checksum resumes: it stays applied for validation (clean), so it is reverted again,
//!   and the revert starts at the backfill, after its key (`apply::begin_row`). It must be among the rows the
//!   request reverts ([`check_reverted`]); otherwise it is refused as dirty.
//!
//! Every other dirty row is refused (`Error::Dirty`) until someone resolves it.

use std::collections::HashMap;

use driftless_core::Dialect;
use driftless_core::migration::Migration;

use crate::apply::Unit;
use crate::connection::DialectConnection;
use crate::error::Error;
use crate::outcome::{AppliedMigration, Direction};
use crate::tracking::TrackingTable;

/// The registry and its current checksums, index for index.
#[derive(Clone, Copy)]
pub(crate) struct Registry<'a> {
    pub migrations: &'a [Migration],
    pub checksums: &'a [String],
}

/// The dirty rows to resume, by migration name, as recorded (their `dirty` says the direction).
pub(crate) type Resumed = HashMap<String, AppliedMigration>;

/// Finds the rows a run in `direction` resumes (none when `direction` is `None`: a resolution) and adjusts
/// `applied` for validation as the module documentation says. `online_units(m)`: whether `m` runs in online
/// units on this database (PostgreSQL online), which makes any dirty `up` row of it resumable.
pub(crate) async fn resumable<C: DialectConnection>(
    conn: &mut C,
    table: &TrackingTable,
    direction: Option<Direction>,
    registry: Registry<'_>,
    applied: &mut Vec<AppliedMigration>,
    online_units: impl Fn(&Migration) -> bool,
    fits: impl Fn(&AppliedMigration) -> bool,
) -> Result<Resumed, Error> {
    let mut resumed = Resumed::new();
    let Some(direction) = direction else { return Ok(resumed) };
    for row in applied.iter() {
        match row.dirty {
            Some(d) if d == direction && resumes(conn, table, row, registry, &online_units, &fits).await? => {
                resumed.insert(row.name.clone(), row.clone());
            }
            // Applying past a revert that stopped in its backfill: refused, saying that `migrate-down` resumes it.
            Some(Direction::Down)
                if direction == Direction::Up && resumes(conn, table, row, registry, &online_units, &fits).await? =>
            {
                return Err(Error::RevertToResume {
                    name: row.name.clone(),
                    statements_done: row.statements_done,
                    statements_total: row.statements_total,
                });
            }
            _ => {}
        }
    }
    match direction {
        Direction::Up => applied.retain(|row| !resumed.contains_key(&row.name)),
        Direction::Down => {
            for row in applied.iter_mut().filter(|r| resumed.contains_key(&r.name)) {
                row.dirty = None;
            }
        }
    }
    Ok(resumed)
}

/// Whether the dirty row `row` is one the next run in its own direction (`row.dirty`) resumes, as the module
/// documentation says: the one decision of [`resumable`] (the migrator) and of `migrate-status` (`status.rs`).
pub(crate) async fn resumes<C: DialectConnection>(
    conn: &mut C,
    table: &TrackingTable,
    row: &AppliedMigration,
    registry: Registry<'_>,
    online_units: impl Fn(&Migration) -> bool,
    fits: impl Fn(&AppliedMigration) -> bool,
) -> Result<bool, Error> {
    let Some(direction) = row.dirty else { return Ok(false) };
    let Registry { migrations, checksums } = registry;
    let Some((m, _)) = migrations.iter().zip(checksums).find(|(m, c)| m.name == row.name && **c == row.checksum) else {
        return Ok(false);
    };
    let in_backfill =
        conn.recorded_backfill_key(table, &row.name).await.map_err(Error::db("reading the tracking table"))?.is_some();
    let candidate = match direction {
        Direction::Up => in_backfill || online_units(m) || crate::resume_mysql::candidate(C::DIALECT, row),
        Direction::Down => in_backfill,
    };
    Ok(candidate && fits(row))
}

impl crate::Migrator {
    /// [`record_fits`] for `row` against the plan a run in its direction would build for its migration (`false`
    /// when it cannot be built: the run would refuse it). `fits` of [`resumes`], for the migrator and for status.
    pub(crate) fn row_fits_plan(
        &self,
        dialect: Dialect,
        migrations: &[Migration],
        checksums: &[String],
        verdicts: &[Result<driftless_core::judge::Verdict, driftless_core::judge::JudgeError>],
        row: &AppliedMigration,
    ) -> bool {
        let (Some(direction), Some(i)) = (row.dirty, migrations.iter().position(|m| m.name == row.name)) else {
            return false;
        };
        let resume = Resumed::from([(row.name.clone(), row.clone())]);
        self.units(&[(i, direction)], dialect, checksums, verdicts, 0, &resume)
            .is_ok_and(|units| units.first().is_some_and(|unit| record_fits(dialect, unit, row)))
    }
}

/// Whether `row`, a dirty row [`resumes`] accepts, is a record of `unit`'s plan the run can resume from: the check
/// the run makes before it starts (`apply::begin_row`, `apply::by_units`), and `migrate-status` makes to list the
/// row as resumable. An online PostgreSQL run (units) needs the same statement count; any other run resumes a MySQL
/// statement that failed and left nothing (`resume_mysql::exact`) or a backfill at the recorded statement.
pub(crate) fn record_fits(dialect: Dialect, unit: &Unit<'_>, row: &AppliedMigration) -> bool {
    let total = unit.plan.statements.len() as i64;
    if by_units(dialect, unit) {
        return row.statements_total == total && row.statements_done <= total;
    }
    let at = usize::try_from(row.statements_done).unwrap_or(usize::MAX);
    let shadow = || {
        unit.plan
            .statements
            .get(at)
            .is_some_and(|s| driftless_core::render::mysql_shadow::parse_shadow(&s.sql).is_some())
    };
    crate::resume_mysql::exact(dialect, unit, row)
        || (row.statements_total == total && (unit.backfill(at).is_some() || shadow()))
}

/// Whether `unit` runs as online PostgreSQL units (`apply::by_units`).
pub(crate) fn by_units(dialect: Dialect, unit: &Unit<'_>) -> bool {
    unit.online.is_some()
        && dialect == Dialect::Postgres
        && unit.direction == Direction::Up
        && unit.migration.transactional
        && !crate::apply::is_atomic(&unit.plan, dialect, unit.migration)
}

/// A revert being resumed must be among the rows the request reverts (it always is when reverts run newest first,
/// as they do); if it is not, it is refused as the dirty row it is rather than left half reverted.
pub(crate) fn check_reverted(resumed: &Resumed, to_revert: &[&AppliedMigration]) -> Result<(), Error> {
    for row in resumed.values().filter(|r| r.dirty == Some(Direction::Down)) {
        if !to_revert.iter().any(|r| r.name == row.name) {
            return Err(Error::Dirty {
                name: row.name.clone(),
                direction: Direction::Down,
                statements_done: row.statements_done,
                statements_total: row.statements_total,
                failed_statement: row.failed_statement.clone(),
            });
        }
    }
    Ok(())
}
