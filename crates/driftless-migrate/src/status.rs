//! `migrate-status`: the registry measured against the tracking table, with each unfinished row told apart by the
//! migrator's own decision (`resume::resumes`): a row the next run in its direction resumes is
//! [`Problem::Resumable`] (it says where it stopped and which command resumes it), an expand/contract migration
//! waiting for its contract is [`Problem::ContractPending`], and only a row whose progress is unknown stays
//! [`Problem::Dirty`] (repair by hand). A row another migrator is running right now (it holds the lock) is none of
//! these: it is in [`Status::in_progress`].

use driftless_core::judge::judge_registry;
use driftless_core::migration::Migration;

use crate::connection::DialectConnection;
use crate::error::Error;
use crate::outcome::{AppliedMigration, Problem, Status};
use crate::tracking::TrackingTable;
use crate::validate::validate;

/// The status of `applied` (the tracking table's rows, in the order recorded; empty when there is no table)
/// against `migrations`. `online_units` as for `resume::resumable`. Reads only.
pub(crate) async fn status<C: DialectConnection>(
    conn: &mut C,
    migrator: &crate::Migrator,
    migrations: &[Migration],
    table_name: &str,
    applied: Vec<AppliedMigration>,
    online_units: impl Fn(&Migration) -> bool,
) -> Result<Status, Error> {
    let checksums: Vec<String> = migrations.iter().map(|m| m.checksum()).collect();
    let verdicts = judge_registry(migrations);
    let v = validate(migrations, &checksums, &verdicts, &applied, C::DIALECT);
    let pending = v.pending.iter().map(|&i| migrations[i].name.clone()).collect();
    let mut problems = v.problems;
    let mut in_progress = Vec::new();
    if !problems.iter().any(|p| matches!(p, Problem::Dirty { .. })) {
        return Ok(Status { applied, pending, problems, in_progress });
    }
    let table = TrackingTable::new(table_name, C::DIALECT)?;
    let registry = crate::resume::Registry { migrations, checksums: &checksums };
    // An unfinished row is a run that stopped, unless a migrator holds the lock: then it is running now.
    if conn.lock_held(&table).await? {
        problems.retain(|p| match p {
            Problem::Dirty { name, .. } => {
                in_progress.push(name.clone());
                false
            }
            _ => true,
        });
        return Ok(Status { applied, pending, problems, in_progress });
    }
    for problem in &mut problems {
        let Problem::Dirty { name, direction } = problem else { continue };
        let Some(row) = applied.iter().find(|r| r.name == *name) else { continue };
        let fits = |r: &AppliedMigration| migrator.row_fits_plan(C::DIALECT, migrations, &checksums, &verdicts, r);
        if !crate::resume::resumes(conn, &table, row, registry, &online_units, fits).await? {
            continue;
        }
        let in_backfill =
            conn.recorded_backfill_key(&table, name).await.map_err(Error::db("reading the tracking table"))?.is_some();
        *problem = Problem::Resumable {
            name: name.clone(),
            direction: *direction,
            statements_done: row.statements_done,
            statements_total: row.statements_total,
            failed_statement: row.failed_statement.clone(),
            in_backfill,
        };
    }
    Ok(Status { applied, pending, problems, in_progress })
}
