//! One rendered migration run outside the registry with `migrate`'s rules ([`crate::testing::apply_rendered`]).

use std::time::Instant;

use driftless_core::migration::Migration;
use driftless_core::render::RenderedMigration;

use crate::apply::{self, Unit};
use crate::connection::DialectConnection;
use crate::error::Error;
use crate::outcome::{Direction, Operation, Report, Step};
use crate::tracking::TrackingTable;

impl super::Migrator {
    /// Runs one rendered migration outside the registry with `migrate`'s rules, without validating the tracking
    /// table against the registry (rows of earlier ad-hoc runs are not in it).
    pub(super) async fn rendered_under_lock<C: DialectConnection>(
        &self,
        conn: &mut C,
        table: &TrackingTable,
        name: &str,
        rendered: &RenderedMigration,
        start: Instant,
    ) -> Result<Report, Error> {
        if rendered.dialect != C::DIALECT {
            return Err(Error::Render {
                name: name.to_owned(),
                direction: Direction::Up,
                dialect: C::DIALECT,
                reason: format!("it was rendered for {}", rendered.dialect),
            });
        }
        conn.ensure_table(table).await.map_err(Error::db(format!("creating the tracking table {}", table.name)))?;
        let applied = conn.applied(table).await.map_err(Error::db("reading the tracking table"))?;
        if applied.iter().any(|a| a.name == name) {
            return Err(Error::AlreadyApplied { name: name.to_owned() });
        }
        let migration = Migration::new(name);
        let checksum = migration.checksum();
        let batch = applied.iter().map(|a| a.batch).max().unwrap_or(0) + 1;
        let unit = Unit {
            migration: &migration,
            checksum: &checksum,
            class: migration.class,
            direction: Direction::Up,
            batch,
            plan: rendered.clone(),
            online: None,
            resume_from: None,
            backfills: Vec::new(),
            progress: self.progress.clone(),
            used: Default::default(),
            paused: Default::default(),
            contract_in: None,
            expanded: Default::default(),
            contract_check: None,
        };
        self.progress.start(1);
        self.progress.migration_started(name, Direction::Up);
        let took = apply::run(conn, table, &unit).await?;
        let step = Step {
            name: name.to_owned(),
            direction: Direction::Up,
            class: unit.class,
            duration: took,
            algorithms: Vec::new(),
        };
        self.progress.migration_finished(&step);
        let report = Report {
            operation: Operation::Migrate,
            steps: vec![step],
            batch: Some(batch),
            resolved: Vec::new(),
            warnings: Vec::new(),
            applied_after: applied.len() + 1,
            pending_after: 0,
            elapsed: start.elapsed(),
            contract_pending: None,
            expanded: None,
        };
        self.progress.finished(&report.summary());
        Ok(report)
    }
}
