//! `migrate-resolve`: settles a migration by hand, recording it as applied or forgetting its dirty row.

use std::time::Instant;

use crate::connection::DialectConnection;
use crate::error::Error;
use crate::outcome::{AppliedMigration, Report};
use crate::tracking::{NewRow, TrackingTable};
use crate::validate::Validation;

use super::Migrator;

/// How `migrate-resolve` settles a migration.
#[derive(Debug, Clone, Copy)]
pub(super) enum Resolution {
    /// `--applied`: record it as applied.
    Applied,
    /// `--rolled-back`: forget its dirty row.
    RolledBack,
}

impl Migrator {
    #[allow(clippy::too_many_arguments, reason = "one private step of `under_lock`, sharing its state")]
    pub(super) async fn resolve<C: DialectConnection>(
        &self,
        conn: &mut C,
        table: &TrackingTable,
        resolution: Resolution,
        name: &str,
        applied: &[AppliedMigration],
        v: Validation,
        mut report: Report,
        start: Instant,
    ) -> Result<Report, Error> {
        let row = applied.iter().find(|a| a.name == name);
        let index = self.migrations.iter().position(|m| m.name == name);
        let context = Error::db(format!("recording {name} in the tracking table"));
        match resolution {
            Resolution::Applied => {
                let i = index.ok_or_else(|| Error::UnknownMigration { name: name.to_owned() })?;
                let m = &self.migrations[i];
                let checksum = m.checksum();
                match row {
                    Some(r) if r.dirty.is_none() => return Err(Error::AlreadyApplied { name: name.to_owned() }),
                    Some(r) => conn.finish_row(table, name, r.duration_ms, &checksum).await.map_err(context)?,
                    None => {
                        let batch = applied.iter().map(|a| a.batch).max().unwrap_or(0) + 1;
                        let new = NewRow {
                            name,
                            batch,
                            checksum: &checksum,
                            class: m.class.as_str(),
                            duration_ms: 0,
                            dirty: None,
                            statements_total: 0,
                        };
                        conn.insert_row(table, &new).await.map_err(context)?;
                        report.batch = Some(batch);
                        report.applied_after += 1;
                        report.pending_after = v.pending.len().saturating_sub(1);
                    }
                }
                report.resolved.push(name.to_owned());
            }
            Resolution::RolledBack => match row {
                Some(r) if r.dirty.is_some() => {
                    conn.delete_row(table, name).await.map_err(context)?;
                    report.applied_after -= 1;
                    report.pending_after += usize::from(index.is_some());
                }
                Some(_) => return Err(Error::NotDirty { name: name.to_owned() }),
                None if index.is_some() => return Err(Error::NotDirty { name: name.to_owned() }),
                None => return Err(Error::UnknownMigration { name: name.to_owned() }),
            },
        }
        report.elapsed = start.elapsed();
        self.progress.finished(&report.summary());
        Ok(report)
    }
}
