//! Running a backfill (`Step::Backfill`): outside the migration's transaction, in batches ordered by the table's
//! primary key (SQLite: the rowid when there is none), each batch one short transaction that also records the
//! batch's last key in the tracking table (`backfill_key`), with the step's throttle between batches.
//!
//! The SQL comes from `driftless_core::render::backfill`: per batch, the key of the batch's last row (`… ORDER BY key
//! LIMIT 1 OFFSET n - 1`; none means the rest is the last batch), then the `UPDATE` of the rows after the recorded
//! key up to that one that match the predicate. The key travels as text (a JSON array of the key's columns in the
//! tracking table), so any key type can be recorded and bound back.
//!
//! Resuming: the key is recorded in the batch's own transaction, so it says exactly which rows are done; a run that
//! starts a backfill whose migration row holds a key (an earlier run was interrupted) carries on after it and redoes
//! nothing. The last batch clears the key and records the statement as done in the same transaction, so a finished
//! backfill never leaves a key behind. A backfill that has not committed a batch yet records `[]`, which marks the
//! row resumable. The migrator treats a dirty `up` row holding a key as resumable (`Migrator::under_lock`).

use std::time::{Duration, Instant};

use driftless_core::render::backfill::BackfillSql;

use crate::connection::DialectConnection;
use crate::error::{BackfillFailure, Error};
use crate::outcome::Direction;
use crate::progress::{BackfillProgress, Reporter};
use crate::tracking::TrackingTable;

/// One backfill about to run: which migration and statement it is.
pub(crate) struct Job<'a> {
    /// The migration.
    pub name: &'a str,
    /// The direction the migration runs in.
    pub direction: Direction,
    /// The backfill's statement index in the plan.
    pub index: usize,
    /// How many statements the plan has.
    pub total: usize,
    /// Its SQL.
    pub sql: &'a BackfillSql,
}

/// A committed batch: the key of its last row (`None`: it was the last batch), and the rows it changed.
type Batch = (Option<Vec<String>>, u64);

/// The key recorded as text in the tracking table.
fn encode(key: &[String]) -> String {
    serde_json::to_string(key).unwrap_or_else(|_| "[]".to_owned())
}

/// Runs `job` to the end on `conn`; see the module documentation.
pub(crate) async fn run<C: DialectConnection>(
    conn: &mut C,
    table: &TrackingTable,
    job: &Job<'_>,
    progress: &Reporter,
) -> Result<(), Error> {
    let b = job.sql;
    let start = Instant::now();
    let (mut batches, mut rows) = (0u64, 0u64);
    let mut last: Option<Vec<String>> = None;
    let fail =
        |batches: u64, rows: u64, last: &Option<Vec<String>>, statement: &str, cause: sqlx::Error| Error::Backfill {
            name: job.name.to_owned(),
            direction: job.direction,
            failure: Box::new(BackfillFailure {
                table: b.table.clone(),
                index: job.index,
                total: job.total,
                batches,
                rows,
                last_key: last.as_deref().map(encode),
                statement: statement.to_owned(),
                cause,
            }),
        };

    // Where to start: after the key an interrupted run recorded, if any.
    let recorded = conn
        .backfill_key(table, job.name)
        .await
        .map_err(|e| fail(0, 0, &None, "reading the recorded backfill key", e))?;
    if let Some(text) = &recorded {
        let key: Vec<String> = serde_json::from_str(text).map_err(|e| {
            let why = format!("the recorded key `{text}` is not a JSON array of text: {e}");
            fail(0, 0, &None, "reading the recorded backfill key", sqlx::Error::Protocol(why))
        })?;
        if !key.is_empty() && key.len() != b.key.len() {
            let why = format!("the recorded key `{text}` does not have the key's {} column(s)", b.key.len());
            return Err(fail(0, 0, &None, "reading the recorded backfill key", sqlx::Error::Protocol(why)));
        }
        last = (!key.is_empty()).then_some(key);
    } else {
        conn.set_backfill_key(table, job.name, Some("[]"))
            .await
            .map_err(|e| fail(0, 0, &None, "recording the backfill's start", e))?;
    }
    let resumed = last.is_some();

    let (count_sql, params) = match &last {
        Some(key) => (b.count_after(), key.clone()),
        None => (b.count(), Vec::new()),
    };
    let total = conn.fetch_count(&count_sql, &params).await.map_err(|e| fail(0, 0, &last, &count_sql, e))?;
    let report = |batches: u64, rows: u64, last: &Option<Vec<String>>, finished: bool| BackfillProgress {
        migration: job.name.to_owned(),
        table: b.table.clone(),
        rows_done: rows,
        rows_total: u64::try_from(total).unwrap_or(0),
        batches,
        last_key: last.clone().unwrap_or_default(),
        resumed,
        elapsed: start.elapsed(),
        finished,
    };
    progress.backfill_progress(&report(0, 0, &last, false));

    loop {
        if batches > 0 && b.throttle_ms > 0 {
            tokio::time::sleep(Duration::from_millis(u64::from(b.throttle_ms))).await;
        }
        let after = last.is_some();
        let params = last.clone().unwrap_or_default();
        conn.begin().await.map_err(|e| fail(batches, rows, &last, "starting a batch's transaction", e))?;
        let bound_sql = b.next_bound(after);
        let body: Result<Batch, (String, sqlx::Error)> = async {
            let found = conn.fetch_text_bound(&bound_sql, &params).await.map_err(|e| (bound_sql.clone(), e))?;
            let bound = match found.into_iter().next() {
                Some(row) => Some(row.into_iter().collect::<Option<Vec<String>>>().ok_or_else(|| {
                    let why = format!("a row of `{}` has a NULL key ({})", b.table, b.key.join(", "));
                    (bound_sql.clone(), sqlx::Error::Protocol(why))
                })?),
                None => None,
            };
            let mut bind = params.clone();
            bind.extend(bound.iter().flatten().cloned());
            let update_sql = b.update(after, bound.is_some());
            let n = conn.execute_bound(&update_sql, &bind).await.map_err(|e| (update_sql.clone(), e))?;
            let record = "recording the batch in the tracking table".to_owned();
            match &bound {
                Some(key) => conn.set_backfill_key(table, job.name, Some(&encode(key))).await,
                None => match conn.set_backfill_key(table, job.name, None).await {
                    Ok(()) => {
                        let (done, total) = (job.index as i64 + 1, job.total as i64);
                        conn.set_progress(table, job.name, job.direction, done, total, None).await
                    }
                    Err(e) => Err(e),
                },
            }
            .map_err(|e| (record, e))?;
            Ok((bound, n))
        }
        .await;
        let (bound, n) = match body {
            Ok(done) => done,
            Err((statement, cause)) => {
                let _ = conn.rollback().await;
                return Err(fail(batches, rows, &last, &statement, cause));
            }
        };
        conn.commit().await.map_err(|e| fail(batches, rows, &last, "committing a batch", e))?;
        batches += 1;
        rows += n;
        match bound {
            Some(key) => last = Some(key),
            None => {
                tracing::debug!(table = b.table.as_str(), batches, rows, "backfill finished");
                progress.backfill_progress(&report(batches, rows, &last, true));
                return Ok(());
            }
        }
        progress.backfill_progress(&report(batches, rows, &last, false));
    }
}
