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

use driftless_core::migration::Migration;

use crate::connection::DialectConnection;
use crate::error::Error;
use crate::outcome::{AppliedMigration, Direction};
use crate::tracking::TrackingTable;

/// The dirty rows to resume, by migration name, as recorded (their `dirty` says the direction).
pub(crate) type Resumed = HashMap<String, AppliedMigration>;

/// Finds the rows a run in `direction` resumes (none when `direction` is `None`: a resolution) and adjusts
/// `applied` for validation as the module documentation says. `online_units(m)`: whether `m` runs in online
/// units on this database (PostgreSQL online), which makes any dirty `up` row of it resumable.
pub(crate) async fn resumable<C: DialectConnection>(
    conn: &mut C,
    table: &TrackingTable,
    direction: Option<Direction>,
    migrations: &[Migration],
    checksums: &[String],
    applied: &mut Vec<AppliedMigration>,
    online_units: impl Fn(&Migration) -> bool,
) -> Result<Resumed, Error> {
    let mut resumed = Resumed::new();
    let Some(direction) = direction else { return Ok(resumed) };
    for row in applied.iter().filter(|r| r.dirty == Some(direction)) {
        let Some((m, _)) = migrations.iter().zip(checksums).find(|(m, c)| m.name == row.name && **c == row.checksum)
        else {
            continue;
        };
        let in_backfill =
            conn.backfill_key(table, &row.name).await.map_err(Error::db("reading the tracking table"))?.is_some();
        let resumes = match direction {
            Direction::Up => in_backfill || online_units(m) || crate::resume_mysql::candidate(C::DIALECT, row),
            Direction::Down => in_backfill,
        };
        if resumes {
            resumed.insert(row.name.clone(), row.clone());
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
