//! Running one migration in one direction and recording it, the two ways a database allows:
//!
//! - **atomic** (PostgreSQL and SQLite, unless a statement must run outside a transaction): one transaction holds
//!   the statements and the tracking-table change, so a failure leaves the database and the tracking table exactly
//!   as they were. On SQLite, a migration that rebuilds tables runs with `PRAGMA foreign_keys=OFF` set *before*
//!   `BEGIN` (SQLite ignores it inside a transaction, and dropping a parent table would otherwise cascade deletes
//!   into its children) and `PRAGMA foreign_key_check` before `COMMIT`; the previous setting is restored after.
//! - **step by step** (MySQL/MariaDB, which commit DDL implicitly, and non-transactional migrations): the row is
//!   written dirty first, progress is recorded after each statement, and a failure leaves the row dirty with the
//!   failed statement, so the next run refuses until someone resolves it.

use std::time::{Duration, Instant};

use driftless_core::Dialect;
use driftless_core::migration::{Class, Migration};
use driftless_core::render::backfill::BackfillSql;
use driftless_core::render::{self, RenderedMigration, Statement};
use driftless_core::step::Step;

use crate::backfill;
use crate::connection::DialectConnection;
use crate::error::Error;
use crate::online::{self, OnlineSettings};
use crate::outcome::Direction;
use crate::tracking::{NewRow, TrackingTable};

/// One migration about to run.
#[derive(Debug)]
pub(crate) struct Unit<'a> {
    pub migration: &'a Migration,
    pub checksum: &'a str,
    /// The class computed from its steps on the database's dialect (recorded in the tracking table).
    pub class: Class,
    pub direction: Direction,
    /// The batch to record it in (when applying).
    pub batch: i64,
    /// Its statements in `direction` on the database's dialect.
    pub plan: RenderedMigration,
    /// PostgreSQL, applying online: the statements' lock timeout and retries; the plan holds the online recipes.
    pub online: Option<OnlineSettings>,
    /// Resuming an interrupted run: its dirty row (an online run, or one stopped in a backfill).
    pub resume_from: Option<crate::outcome::AppliedMigration>,
    /// The SQL of the backfills among the migration's steps in `direction`, by step index (`backfill.rs` runs the
    /// plan's non-transactional statement of that step in batches).
    pub backfills: Vec<(usize, BackfillSql)>,
    /// Where backfills report their progress.
    pub progress: crate::progress::Reporter,
    /// MySQL online: the algorithm each statement ran with, in order (collected for the report).
    pub used: std::sync::Mutex<Vec<crate::outcome::AlgorithmUsed>>,
    /// Set when an online run stopped at the contract marker of an expand/contract migration (`expand_contract.rs`):
    /// the expand is done, the row stays dirty there, and the next run does the contract.
    pub paused: std::sync::atomic::AtomicBool,
    /// An expand/contract migration whose contract is a registered later migration (`contract_file.rs`): its name.
    /// The run stops at the marker and records this migration applied.
    pub contract_in: Option<String>,
    /// Set when a run stopped at the marker because of `contract_in`: the next migration of the run is not run.
    pub expanded: std::sync::atomic::AtomicBool,
    /// A contract migration (`contract_file.rs`): what to check before it runs, and where its contract starts.
    pub contract_check: Option<crate::contract_file::ContractCheck>,
}

impl Unit<'_> {
    /// The backfill that statement `index` of the plan stands for, if it is one.
    pub(crate) fn backfill(&self, index: usize) -> Option<&BackfillSql> {
        let s = self.plan.statements.get(index)?;
        if s.transactional {
            return None;
        }
        // Matched on the text too: an expand/contract plan has other non-transactional statements for that step.
        self.backfills.iter().find(|(step, sql)| *step == s.step && s.sql == sql.readable()).map(|(_, sql)| sql)
    }

    pub(crate) async fn run_backfill<C: DialectConnection>(
        &self,
        conn: &mut C,
        table: &TrackingTable,
        index: usize,
        sql: &BackfillSql,
    ) -> Result<(), Error> {
        let job = backfill::Job {
            name: &self.migration.name,
            direction: self.direction,
            index,
            total: self.plan.statements.len(),
            sql,
        };
        backfill::run(conn, table, &job, &self.progress).await
    }
}

/// Whether the migration can run as one transaction on `dialect`: the dialect has transactional DDL, the migration
/// did not opt out, and no statement must run outside a transaction.
pub(crate) fn is_atomic(plan: &RenderedMigration, dialect: Dialect, migration: &Migration) -> bool {
    dialect != Dialect::Mysql && migration.transactional && plan.statements.iter().all(|s| s.transactional)
}

/// Runs `unit` on `conn` and records it in `table`; returns how long its statements took.
pub(crate) async fn run<C: DialectConnection>(
    conn: &mut C,
    table: &TrackingTable,
    unit: &Unit<'_>,
) -> Result<Duration, Error> {
    let fk_off = unit.plan.sqlite_foreign_keys_off && C::DIALECT == Dialect::Sqlite;
    let restore = if fk_off {
        let was = conn.foreign_keys().await.map_err(Error::db("reading PRAGMA foreign_keys"))?;
        conn.set_foreign_keys(false).await.map_err(Error::db("switching foreign keys off (PRAGMA foreign_keys)"))?;
        Some(was)
    } else {
        None
    };
    let online = unit.online.filter(|_| crate::resume::by_units(C::DIALECT, unit));
    let result = match online {
        Some(settings) => by_units(conn, table, unit, settings).await,
        None if is_atomic(&unit.plan, C::DIALECT, unit.migration) => atomic(conn, table, unit, fk_off).await,
        None => match (unit.online, C::DIALECT, unit.direction) {
            (Some(settings), Dialect::Mysql, Direction::Up) => {
                crate::online_mysql::run(conn, table, unit, settings).await
            }
            _ => step_by_step(conn, table, unit, fk_off).await,
        },
    };
    if let Some(was) = restore {
        let restored = conn.set_foreign_keys(was).await;
        if result.is_ok() {
            restored.map_err(Error::db("switching foreign keys back on (PRAGMA foreign_keys)"))?;
        }
    }
    result
}

/// Runs one statement of `unit`. On SQLite, a table rebuild's own rename (`ALTER TABLE "__new_t" RENAME TO "t"`)
/// runs with `PRAGMA legacy_alter_table = ON`: a view naming `t` dangles between `DROP TABLE "t"` and that rename,
/// and without legacy mode SQLite re-checks every view at the rename and fails. Every other statement runs with the
/// setting off, so a table renamed by the migration itself still has the foreign keys, triggers and views that name
/// it rewritten. The setting belongs to the connection, so it is switched off again at once (inside the
/// transaction, where SQLite allows it).
pub(crate) async fn execute<C: DialectConnection>(
    conn: &mut C,
    unit: &Unit<'_>,
    statement: &Statement,
) -> Result<(), sqlx::Error> {
    let steps = match unit.direction {
        Direction::Up => &unit.migration.up,
        Direction::Down => &unit.migration.down,
    };
    if let Some(Step::Data { name }) = steps.get(statement.step) {
        return crate::data::run(conn, unit.migration, name).await;
    }
    execute_sql(conn, unit, &statement.sql).await
}

/// Runs `sql` (a statement of `unit`, possibly rewritten, e.g. with another MySQL algorithm), as [`execute`] does.
pub(crate) async fn execute_sql<C: DialectConnection>(
    conn: &mut C,
    unit: &Unit<'_>,
    sql: &str,
) -> Result<(), sqlx::Error> {
    if C::DIALECT != Dialect::Sqlite || !render::is_sqlite_rebuild_rename(sql, &unit.plan.sqlite_rebuilt_tables) {
        return conn.execute(sql).await;
    }
    conn.execute(render::SQLITE_LEGACY_ALTER_TABLE_ON).await?;
    let result = conn.execute(sql).await;
    let off = conn.execute(render::SQLITE_LEGACY_ALTER_TABLE_OFF).await;
    result.and(off)
}

pub(crate) fn name(unit: &Unit<'_>) -> String {
    unit.migration.name.clone()
}

async fn atomic<C: DialectConnection>(
    conn: &mut C,
    table: &TrackingTable,
    unit: &Unit<'_>,
    fk_check: bool,
) -> Result<Duration, Error> {
    let what = format!("{} migration {}", unit.direction.verb(), unit.migration.name);
    conn.begin().await.map_err(Error::db(format!("starting the transaction for {what}")))?;
    let start = Instant::now();
    let body = async {
        let triggers = rebuilt_triggers(conn, unit, &what).await?;
        let total = unit.plan.statements.len();
        for (index, statement) in unit.plan.statements.iter().enumerate() {
            execute(conn, unit, statement).await.map_err(|cause| Error::Statement {
                name: name(unit),
                direction: unit.direction,
                index,
                total,
                statement: statement.sql.clone(),
                partial: false,
                resumable: false,
                cause,
            })?;
        }
        recreate_triggers(conn, &triggers, &what).await?;
        if fk_check {
            let tables = conn.foreign_key_check().await.map_err(Error::db(format!("checking foreign keys {what}")))?;
            if !tables.is_empty() {
                return Err(Error::ForeignKeyViolation { name: name(unit), direction: unit.direction, tables });
            }
        }
        let took = start.elapsed();
        match unit.direction {
            Direction::Up => conn.insert_row(table, &row(unit, took, None)).await,
            Direction::Down => conn.delete_row(table, &unit.migration.name).await,
        }
        .map_err(Error::db(format!("recording {what} in the tracking table")))?;
        Ok(took)
    }
    .await;
    match body {
        Ok(took) => {
            conn.commit().await.map_err(Error::db(format!("committing {what}")))?;
            Ok(took)
        }
        Err(e) => match conn.rollback().await {
            Ok(()) => Err(e),
            Err(cause) => Err(Error::Database { context: format!("rolling back {what} after: {e}"), cause }),
        },
    }
}

/// Writes the dirty row a statement-by-statement run starts from (`dirty` = the direction: `up` for a row being
/// applied, `down` for one being reverted, with the progress of that direction's plan), and returns the statement to
/// start at: 0, or, resuming a run in the same direction that stopped in a backfill (`resume.rs`), that backfill
/// (which carries on after its recorded key). A revert starting afresh clears any backfill key, so the one its
/// backfills find is always their own.
pub(crate) async fn begin_row<C: DialectConnection>(
    conn: &mut C,
    table: &TrackingTable,
    unit: &Unit<'_>,
) -> Result<usize, Error> {
    let what = format!("{} migration {}", unit.direction.verb(), unit.migration.name);
    let migration = &unit.migration.name;
    let direction = unit.direction;
    let total_i = unit.plan.statements.len() as i64;
    let mark = Error::db(format!("recording progress of {what} in the tracking table"));
    Ok(match &unit.resume_from {
        Some(r) if r.dirty == Some(direction) => {
            let at = usize::try_from(r.statements_done).unwrap_or(usize::MAX);
            // A backfill carries on after its key; a MySQL statement that failed and left nothing runs again.
            if !crate::resume::record_fits(C::DIALECT, unit, r) {
                return Err(Error::Dirty {
                    name: r.name.clone(),
                    direction,
                    statements_done: r.statements_done,
                    statements_total: r.statements_total,
                    failed_statement: r.failed_statement.clone(),
                });
            }
            conn.set_progress(table, migration, direction, r.statements_done, total_i, None).await.map_err(mark)?;
            at
        }
        _ => {
            match direction {
                Direction::Up => conn.insert_row(table, &row(unit, Duration::ZERO, Some(Direction::Up))).await,
                Direction::Down => match conn.set_progress(table, migration, direction, 0, total_i, None).await {
                    Ok(()) if !unit.backfills.is_empty() => conn.set_backfill_key(table, migration, None).await,
                    done => done,
                },
            }
            .map_err(mark)?;
            0
        }
    })
}

async fn step_by_step<C: DialectConnection>(
    conn: &mut C,
    table: &TrackingTable,
    unit: &Unit<'_>,
    fk_check: bool,
) -> Result<Duration, Error> {
    let what = format!("{} migration {}", unit.direction.verb(), unit.migration.name);
    let migration = &unit.migration.name;
    let direction = unit.direction;
    let total = unit.plan.statements.len();
    let total_i = total as i64;
    let start_at = begin_row(conn, table, unit).await?;
    // The progress marker: `statements_done = k` on a dirty row records that statements 1 to k finished *and* that
    // statement k + 1 started. The row is written before statement 1 runs, and each update after statement k
    // finishes is also the record that k + 1 starts (nothing runs in between), so after a kill the row names every
    // statement that may have run.
    let triggers = rebuilt_triggers(conn, unit, &what).await?;
    let start = Instant::now();
    for (index, statement) in unit.plan.statements.iter().enumerate().skip(start_at) {
        if let Some(sql) = unit.backfill(index) {
            if let Err(e) = unit.run_backfill(conn, table, index, sql).await {
                let failed = fit_failed_statement(&statement.sql);
                record_failed(conn, table, migration, direction, index as i64, total_i, &failed).await;
                return Err(e);
            }
            continue;
        }
        if let Err(cause) = execute(conn, unit, statement).await {
            // Best effort: the row is dirty already; this adds which statement failed, cut to fit its column.
            let failed = fit_failed_statement(&statement.sql);
            record_failed(conn, table, migration, direction, index as i64, total_i, &failed).await;
            return Err(Error::Statement {
                name: name(unit),
                direction,
                index,
                total,
                statement: statement.sql.clone(),
                partial: true,
                resumable: crate::resume_mysql::atomic_statement(C::DIALECT, unit, index),
                cause,
            });
        }
        conn.set_progress(table, migration, direction, index as i64 + 1, total_i, None)
            .await
            .map_err(Error::db(format!("recording progress of {what} in the tracking table")))?;
    }
    recreate_triggers(conn, &triggers, &what).await?;
    if fk_check {
        let tables = conn.foreign_key_check().await.map_err(Error::db(format!("checking foreign keys {what}")))?;
        if !tables.is_empty() {
            let check = "PRAGMA foreign_key_check";
            record_failed(conn, table, migration, direction, total_i, total_i, check).await;
            return Err(Error::Statement {
                name: name(unit),
                direction,
                index: total,
                total: total + 1,
                statement: check.to_owned(),
                partial: true,
                resumable: false,
                cause: sqlx::Error::Protocol(format!("rows in {} reference missing rows", tables.join(", "))),
            });
        }
    }
    let took = start.elapsed();
    match direction {
        Direction::Up => conn.finish_row(table, migration, millis(took), unit.checksum).await,
        Direction::Down => conn.delete_row(table, migration).await,
    }
    .map_err(Error::db(format!("recording {what} in the tracking table")))?;
    Ok(took)
}

/// An online PostgreSQL run: the statements in units (`online::units`), each unit under `lock_timeout`, tried again
/// with a doubling pause when it gives up waiting for its lock. The row is written dirty first; a transactional
/// unit records its progress inside its own transaction, so the record is exact; a non-transactional unit (a
/// concurrent index build or drop, a validation) is idempotent, and an INVALID index left by an interrupted build is
/// dropped before the build runs again. A failure leaves the row dirty at the start of the failed unit, and the
/// next run resumes there.
async fn by_units<C: DialectConnection>(
    conn: &mut C,
    table: &TrackingTable,
    unit: &Unit<'_>,
    settings: OnlineSettings,
) -> Result<Duration, Error> {
    let what = format!("apply migration {}", unit.migration.name);
    let migration = &unit.migration.name;
    let statements = &unit.plan.statements;
    let total = statements.len();
    let total_i = total as i64;
    let mark = |what: &str| Error::db(format!("recording progress of {what} in the tracking table"));
    let mut start_at = match &unit.resume_from {
        Some(row) if !crate::resume::record_fits(C::DIALECT, unit, row) => {
            // Not a record of this plan (an older run, or the plain SQL): nothing is known to resume from.
            return Err(Error::Dirty {
                name: row.name.clone(),
                direction: Direction::Up,
                statements_done: row.statements_done,
                statements_total: row.statements_total,
                failed_statement: row.failed_statement.clone(),
            });
        }
        Some(row) => {
            let done = row.statements_done;
            conn.set_progress(table, migration, Direction::Up, done, total_i, None).await.map_err(mark(&what))?;
            usize::try_from(done).unwrap_or(0)
        }
        None => {
            conn.insert_row(table, &row(unit, Duration::ZERO, Some(Direction::Up))).await.map_err(mark(&what))?;
            0
        }
    };
    if let Some(check) = unit.contract_check.as_ref().filter(|_| unit.resume_from.is_none()) {
        // A contract migration: start where the database is.
        use crate::contract_file::Found;
        let found = crate::contract_file::found(conn, check)
            .await
            .map_err(Error::db(format!("looking for the expand of {} before {what}", check.of)))?;
        start_at = match found {
            Found::Expanded => check.marker + 1,
            Found::Contracted => total,
            Found::NotExpanded => 0,
        };
        conn.set_progress(table, migration, Direction::Up, start_at as i64, total_i, None)
            .await
            .map_err(mark(&what))?;
    }
    let timeout = format!("SET lock_timeout = '{}ms'", settings.lock_timeout.as_millis().max(1));
    conn.execute(&timeout).await.map_err(Error::db(format!("setting lock_timeout for {what}")))?;
    let start = Instant::now();
    let result = async {
        for (first, end) in online::units(&unit.plan) {
            if end <= start_at {
                continue;
            }
            if crate::expand_contract::is_contract_marker(&statements[first].sql) {
                // The expand ran in this run: stop before the contract, unless asked to go on. A contract migration
                // never stops: its contract is what it is for.
                let stop = first > start_at && !settings.contract_now && unit.contract_check.is_none();
                if stop && unit.contract_in.is_some() {
                    // The contract is a later migration: this one is done, recorded applied below.
                    unit.expanded.store(true, std::sync::atomic::Ordering::SeqCst);
                    break;
                }
                let done = if stop { first } else { end } as i64;
                // A paused row names the marker as its statement, so that status and refusals can say so.
                let marker = stop.then_some(crate::expand_contract::CONTRACT_MARKER);
                conn.set_progress(table, migration, Direction::Up, done, total_i, marker).await.map_err(mark(&what))?;
                if stop {
                    unit.paused.store(true, std::sync::atomic::Ordering::SeqCst);
                    return Ok(());
                }
                continue;
            }
            let mut attempt = 1;
            if let Some(sql) = unit.backfill(first) {
                // A backfill is a unit of its own; one that gives up waiting for a row lock is tried again, and
                // carries on after the key its last batch recorded.
                loop {
                    match unit.run_backfill(conn, table, first, sql).await {
                        Ok(()) => break,
                        Err(Error::Backfill { failure, .. })
                            if online::is_lock_timeout(&failure.cause) && attempt < settings.attempts =>
                        {
                            tokio::time::sleep(online::lock_pause(Duration::from_millis(100), attempt)).await;
                            attempt += 1;
                        }
                        Err(e) => {
                            let failed = fit_failed_statement(&statements[first].sql);
                            record_failed(conn, table, migration, Direction::Up, first as i64, total_i, &failed).await;
                            return Err(e);
                        }
                    }
                }
                continue;
            }
            loop {
                match run_unit(conn, table, unit, first, end).await {
                    Ok(()) => break,
                    Err((index, cause)) => {
                        if online::is_lock_timeout(&cause) && attempt < settings.attempts {
                            tokio::time::sleep(online::lock_pause(Duration::from_millis(100), attempt)).await;
                            attempt += 1;
                            continue;
                        }
                        let failed = fit_failed_statement(&statements[index].sql);
                        record_failed(conn, table, migration, Direction::Up, first as i64, total_i, &failed).await;
                        let hint = if online::is_lock_timeout(&cause) {
                            format!(
                                "it gave up after {attempt} attempt(s) under lock_timeout {} ms: another session \
                                 holds a conflicting lock on the table (see pg_locks)",
                                settings.lock_timeout.as_millis()
                            )
                        } else {
                            "the database refused it".to_owned()
                        };
                        return Err(Error::OnlineStatement {
                            name: name(unit),
                            index,
                            total,
                            statement: statements[index].sql.clone(),
                            hint,
                            cause: Box::new(cause),
                        });
                    }
                }
            }
        }
        Ok(())
    }
    .await;
    let reset = conn.execute("RESET lock_timeout").await;
    result?;
    reset.map_err(Error::db(format!("resetting lock_timeout after {what}")))?;
    let took = start.elapsed();
    if unit.paused.load(std::sync::atomic::Ordering::SeqCst) {
        return Ok(took);
    }
    conn.finish_row(table, migration, millis(took), unit.checksum)
        .await
        .map_err(Error::db(format!("recording {what} in the tracking table")))?;
    Ok(took)
}

/// Runs the statements `first..end` of an online plan as one unit: alone when non-transactional (after dropping an
/// INVALID index of the same name for a concurrent build), otherwise in one transaction that also records the
/// progress. On failure: the index of the failed statement and the cause, with nothing of the unit kept.
async fn run_unit<C: DialectConnection>(
    conn: &mut C,
    table: &TrackingTable,
    unit: &Unit<'_>,
    first: usize,
    end: usize,
) -> Result<(), (usize, sqlx::Error)> {
    let statements = &unit.plan.statements;
    let total_i = statements.len() as i64;
    let migration = &unit.migration.name;
    if !statements[first].transactional {
        let sql = &statements[first].sql;
        if let Some(index) = online::concurrent_index_build(sql)
            && conn.invalid_index(&index).await.map_err(|e| (first, e))?
        {
            let drop = format!("DROP INDEX CONCURRENTLY IF EXISTS \"{}\"", index.replace('"', "\"\""));
            conn.execute(&drop).await.map_err(|e| (first, e))?;
        }
        conn.execute(sql).await.map_err(|e| (first, e))?;
        return conn
            .set_progress(table, migration, Direction::Up, end as i64, total_i, None)
            .await
            .map_err(|e| (first, e));
    }
    conn.begin().await.map_err(|e| (first, e))?;
    let mut body = Ok(());
    for (index, statement) in statements.iter().enumerate().take(end).skip(first) {
        if let Err(e) = execute(conn, unit, statement).await {
            body = Err((index, e));
            break;
        }
    }
    if body.is_ok() {
        body = conn
            .set_progress(table, migration, Direction::Up, end as i64, total_i, None)
            .await
            .map_err(|e| (end - 1, e));
    }
    match body {
        Ok(()) => conn.commit().await.map_err(|e| (end - 1, e)),
        Err(e) => {
            let _ = conn.rollback().await;
            Err(e)
        }
    }
}

/// SQLite: the triggers on the tables the migration rebuilds, as `(name, CREATE text)`, read before its first
/// statement (dropping the old table drops them).
async fn rebuilt_triggers<C: DialectConnection>(
    conn: &mut C,
    unit: &Unit<'_>,
    what: &str,
) -> Result<Vec<(String, String)>, Error> {
    let tables = &unit.plan.sqlite_rebuilt_tables;
    if C::DIALECT != Dialect::Sqlite || tables.is_empty() {
        return Ok(Vec::new());
    }
    let all = conn.sqlite_triggers().await.map_err(Error::db(format!("reading the triggers before {what}")))?;
    Ok(all
        .into_iter()
        .filter(|(_, on, _)| tables.iter().any(|t| t.eq_ignore_ascii_case(on)))
        .map(|(name, _, sql)| (name, sql))
        .collect())
}

/// SQLite: creates again, from their own text, the triggers [`rebuilt_triggers`] read that the rebuilds dropped.
async fn recreate_triggers<C: DialectConnection>(
    conn: &mut C,
    triggers: &[(String, String)],
    what: &str,
) -> Result<(), Error> {
    if triggers.is_empty() {
        return Ok(());
    }
    let now = conn.sqlite_triggers().await.map_err(Error::db(format!("reading the triggers after {what}")))?;
    for (name, sql) in triggers {
        if now.iter().any(|(n, _, _)| n.eq_ignore_ascii_case(name)) {
            continue;
        }
        conn.execute(sql).await.map_err(Error::db(format!(
            "creating trigger {name} again after rebuilding its table in {what} (its CREATE text names something \
             the migration removed or renamed: drop the trigger before the migration and create it after)"
        )))?;
    }
    Ok(())
}

/// The longest failed statement the tracking table keeps, in bytes: MySQL's `TEXT` holds 65,535.
pub(crate) const FAILED_STATEMENT_MAX: usize = 60_000;

/// `sql` as the tracking table records a failed statement: whole when it fits in [`FAILED_STATEMENT_MAX`] bytes,
/// otherwise cut at a character boundary and marked, so that recording it cannot fail for its length.
pub(crate) fn fit_failed_statement(sql: &str) -> String {
    if sql.len() <= FAILED_STATEMENT_MAX {
        return sql.to_owned();
    }
    let mut cut = FAILED_STATEMENT_MAX - 100;
    while !sql.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{} ... [cut: the statement is {} bytes long]", &sql[..cut], sql.len())
}

pub(crate) fn row<'a>(unit: &'a Unit<'_>, took: Duration, dirty: Option<Direction>) -> NewRow<'a> {
    NewRow {
        name: &unit.migration.name,
        batch: unit.batch,
        checksum: unit.checksum,
        class: unit.class.as_str(),
        duration_ms: millis(took),
        dirty,
        statements_total: unit.plan.statements.len() as i64,
    }
}

pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Best effort, after a statement failed (the row is dirty already): records which statement failed, with the
/// statements before it as done. A failure to record it is logged; the caller returns the statement's own error.
pub(crate) async fn record_failed<C: DialectConnection>(
    conn: &mut C,
    table: &TrackingTable,
    migration: &str,
    direction: Direction,
    done: i64,
    total: i64,
    failed: &str,
) {
    if let Err(e) = conn.set_progress(table, migration, direction, done, total, Some(failed)).await {
        tracing::warn!(migration, statement = done + 1, error = %e, "could not record which statement failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_failed_statement_is_cut_to_fit_its_column() {
        assert_eq!(fit_failed_statement("SELECT 1"), "SELECT 1");
        let long = format!("INSERT INTO t VALUES ('{}')", "é".repeat(40_000));
        let kept = fit_failed_statement(&long);
        assert!(kept.len() <= FAILED_STATEMENT_MAX, "{}", kept.len());
        assert!(kept.starts_with("INSERT INTO t VALUES ('éé"));
        assert!(kept.ends_with("éé ... [cut: the statement is 80025 bytes long]"), "{}", kept.len());
    }
}
