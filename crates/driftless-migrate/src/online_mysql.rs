//! Online MySQL/MariaDB at apply time: the statements of `driftless_core::render::mysql_online` (each `ALTER` on an
//! existing table carrying `ALGORITHM=…, LOCK=NONE`, or an explicit `ALGORITHM=COPY` where the classifier said the
//! server must copy the table) run one by one, with the progress recorded after each as for every MySQL migration.
//!
//! - **Fallback:** when the server refuses an online algorithm (errors 1845 `ER_ALTER_OPERATION_NOT_SUPPORTED`,
//!   1846 `…_REASON`; the refusal changes nothing), the statement is tried with the next weaker online algorithm:
//!   INSTANT → NOCOPY → INPLACE, always with `LOCK=NONE`. MySQL (not MariaDB) has no NOCOPY: INPLACE runs instead.
//! - **Never a silent copy:** when every online algorithm is refused, the migrator stops with
//!   [`Error::MysqlOnline`], naming the statement and what the server said, and how to run it anyway
//!   (`--no-online`). When it was the migration's first statement, nothing ran and the migration stays pending.
//! - **Metadata-lock wait:** the statements run under `lock_wait_timeout` (the migrator's statement lock timeout,
//!   rounded up to whole seconds), so an `ALTER` waiting behind a long transaction gives up instead of queueing
//!   every reader and writer of the table behind it; it is tried again with a doubling pause (error 1205).
//! - **Report:** the algorithm each statement ran with goes to `Progress::statement_algorithm`, a `tracing` event,
//!   and the report's `Step::algorithms`.

use std::time::{Duration, Instant};

use driftless_core::classify::MysqlAlgorithm;
use driftless_core::render::mysql_online::{clause_algorithm, online_foreign_key, with_algorithm};

use crate::apply::{self, Unit};
use crate::connection::DialectConnection;
use crate::error::Error;
use crate::online::OnlineSettings;
use crate::online_mysql_fk::Failure;
use crate::outcome::{AlgorithmUsed, Direction};
use crate::tracking::TrackingTable;

/// Reports how statement `used.statement` ran (`Progress::statement_algorithm`) and keeps it for the report.
fn record_used(unit: &Unit<'_>, used: AlgorithmUsed) {
    unit.progress.statement_algorithm(&unit.migration.name, &used);
    if let Ok(mut list) = unit.used.lock() {
        list.push(used);
    }
}

/// The MySQL/MariaDB error number of a database error.
pub(crate) fn error_number(e: &sqlx::Error) -> Option<u16> {
    #[cfg(feature = "mysql")]
    {
        e.as_database_error()?.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>().map(|d| d.number())
    }
    #[cfg(not(feature = "mysql"))]
    {
        let _ = e;
        None
    }
}

/// Whether the server refused the algorithm or lock asked for (1845, 1846).
fn is_refusal(e: &sqlx::Error) -> bool {
    matches!(error_number(e), Some(1845 | 1846))
}

/// The next online algorithm to try after `a`, on MariaDB or MySQL.
fn next(a: MysqlAlgorithm, mariadb: bool) -> Option<MysqlAlgorithm> {
    match a.weaker_online()? {
        MysqlAlgorithm::Nocopy if !mariadb => Some(MysqlAlgorithm::Inplace),
        n => Some(n),
    }
}

/// `Statement 1 ran and is recorded`, `Statements 1 to 3 ran and are recorded` (`index` > 0).
fn ran_so_far(index: usize) -> String {
    match index {
        0 => "No statement before it ran".to_owned(),
        1 => "Statement 1 ran and is recorded".to_owned(),
        n => format!("Statements 1 to {n} ran and are recorded"),
    }
}

/// What the refusal of statement `index` means for the migration, and how to run it anyway.
pub(crate) fn refusal_problem(name: &str, index: usize, tried: &[MysqlAlgorithm]) -> String {
    let tried: Vec<String> = tried.iter().map(|a| format!("ALGORITHM={a}")).collect();
    let state = if index == 0 {
        "Nothing of the migration ran; it is still pending.".to_owned()
    } else {
        format!("{}; the next run of {name} resumes at statement {}.", ran_so_far(index), index + 1)
    };
    format!(
        "the server refused every online algorithm for it ({}, each with LOCK=NONE): it can only run this change by \
         copying the table or locking writers out, and driftless does not do that silently. {state} To run it \
         anyway, in a quiet period, let the server choose (it may copy the table and block writes): `migrate \
         --no-online`, `Migrator::online(false)`, or `.online(false)` on the migration.",
        tried.join(", ")
    )
}

/// Runs `unit` (an online MySQL `up`) statement by statement and records it in `table`.
pub(crate) async fn run<C: DialectConnection>(
    conn: &mut C,
    table: &TrackingTable,
    unit: &Unit<'_>,
    settings: OnlineSettings,
) -> Result<Duration, Error> {
    let migration = &unit.migration.name;
    let what = format!("apply migration {migration}");
    let statements = &unit.plan.statements;
    let total = statements.len();
    let total_i = total as i64;
    let mark = || Error::db(format!("recording progress of {what} in the tracking table"));
    let start_at = apply::begin_row(conn, table, unit).await?;
    let mariadb = if statements.iter().any(|s| clause_algorithm(&s.sql) == Some(MysqlAlgorithm::Nocopy)) {
        let version = conn.fetch_text("SELECT VERSION()").await.map_err(Error::db("reading the server's version"))?;
        version.first().and_then(|r| r.first()).and_then(|v| v.as_deref()).is_some_and(|v| v.contains("MariaDB"))
    } else {
        true
    };
    let seconds = settings.lock_timeout.as_secs_f64().ceil().max(1.0) as u64;
    conn.execute(&format!("SET SESSION lock_wait_timeout = {seconds}"))
        .await
        .map_err(Error::db(format!("setting lock_wait_timeout for {what}")))?;
    let start = Instant::now();
    let result = async {
        for (index, statement) in statements.iter().enumerate().skip(start_at) {
            // A backfill runs in its batches (recording its own progress), a Rust data step calls its function:
            // neither carries an ALGORITHM clause.
            if let Some(backfill) = unit.backfill(index) {
                if let Err(e) = unit.run_backfill(conn, table, index, backfill).await {
                    let failed = apply::fit_failed_statement(&statement.sql);
                    apply::record_failed(conn, table, migration, Direction::Up, index as i64, total_i, &failed).await;
                    return Err(e);
                }
                continue;
            }
            if matches!(unit.migration.up.get(statement.step), Some(driftless_core::step::Step::Data { .. })) {
                if let Err(cause) = apply::execute(conn, unit, statement).await {
                    let failed = apply::fit_failed_statement(&statement.sql);
                    apply::record_failed(conn, table, migration, Direction::Up, index as i64, total_i, &failed).await;
                    return Err(Error::Statement {
                        name: apply::name(unit),
                        direction: Direction::Up,
                        index,
                        total,
                        statement: statement.sql.clone(),
                        partial: true,
                        resumable: false,
                        cause,
                    });
                }
                conn.set_progress(table, migration, Direction::Up, index as i64 + 1, total_i, None)
                    .await
                    .map_err(mark())?;
                continue;
            }
            let mut sql = statement.sql.clone();
            if let Some(shadow) = driftless_core::render::mysql_shadow::parse_shadow(&sql) {
                use crate::online_mysql_shadow::{Ran, Stop};
                match crate::online_mysql_shadow::run(conn, table, unit, index, &shadow, settings).await {
                    Ok(Ran::Done) => {
                        let (algorithm, refused) = (MysqlAlgorithm::Copy, Vec::new());
                        record_used(unit, AlgorithmUsed { statement: index, sql, algorithm, refused, shadow_table: true });
                        continue;
                    }
                    Ok(Ran::Refused(why)) => {
                        unit.progress.warning(&format!(
                            "{migration}: statement {}: the shadow-table copy is refused ({why}); the in-place ALTER \
                             runs instead (ALGORITHM=INPLACE, LOCK=NONE)",
                            index + 1
                        ));
                        sql = driftless_core::render::mysql_shadow::fallback_sql(&shadow);
                    }
                    Err(Stop::Clean(e)) => {
                        record_stop(conn, table, migration, index, total_i, &statement.sql).await;
                        return Err(e);
                    }
                    Err(Stop::Kept(e)) => {
                        // The tracking row keeps the copy's key: the next run carries on (`resume.rs`).
                        return Err(e);
                    }
                }
            }
            let mut algorithm = clause_algorithm(&sql);
            if algorithm == Some(MysqlAlgorithm::Nocopy) && !mariadb {
                algorithm = Some(MysqlAlgorithm::Inplace);
                sql = with_algorithm(&sql, MysqlAlgorithm::Inplace);
            }
            let mut refused = Vec::new();
            let mut attempt = 1;
            let step = unit.migration.up.get(statement.step);
            let foreign_key = step.and_then(|step| online_foreign_key(step, &sql));
            loop {
                let ran = match &foreign_key {
                    Some((t, fk)) => crate::online_mysql_fk::run(conn, unit, index, &sql, t, fk).await,
                    None => apply::execute_sql(conn, unit, &sql).await.map_err(Failure::Sql),
                };
                let cause = match ran {
                    Ok(()) => break,
                    Err(Failure::Sql(cause)) => cause,
                    Err(Failure::Refused(e)) => {
                        // Nothing of the statement is left: the record is exact, and the next run resumes here.
                        record_stop(conn, table, migration, index, total_i, &sql).await;
                        return Err(e);
                    }
                    Err(Failure::Unknown(e)) => {
                        // Progress unknown (the statement may have run): no failed statement, so the row stays dirty.
                        if let Err(record) =
                            conn.set_progress(table, migration, Direction::Up, index as i64, total_i, None).await
                        {
                            tracing::warn!(migration, statement = index + 1, error = %record, "could not record where the migration stopped");
                        }
                        return Err(e);
                    }
                };
                if is_refusal(&cause)
                    && let Some(a) = algorithm.filter(|a| a.is_online())
                {
                    refused.push(a);
                    if let Some(n) = next(a, mariadb) {
                        algorithm = Some(n);
                        sql = with_algorithm(&sql, n);
                        continue;
                    }
                    record_stop(conn, table, migration, index, total_i, &sql).await;
                    return Err(Error::MysqlOnline {
                        name: apply::name(unit),
                        index,
                        total,
                        problem: refusal_problem(migration, index, &refused),
                        statement: sql,
                        cause: Box::new(cause),
                    });
                }
                if error_number(&cause) == Some(1205) && attempt < settings.attempts {
                    tokio::time::sleep(crate::online::lock_pause(Duration::from_millis(100), attempt)).await;
                    attempt += 1;
                    continue;
                }
                let failed = apply::fit_failed_statement(&sql);
                apply::record_failed(conn, table, migration, Direction::Up, index as i64, total_i, &failed).await;
                if error_number(&cause) != Some(1205) {
                    // Any other failure: as for every MySQL migration (the row stays dirty, naming the statement).
                    return Err(Error::Statement {
                        name: apply::name(unit),
                        direction: Direction::Up,
                        index,
                        total,
                        statement: sql,
                        partial: true,
                        resumable: crate::resume_mysql::atomic_statement(C::DIALECT, unit, index),
                        cause,
                    });
                }
                return Err(Error::MysqlOnline {
                    name: apply::name(unit),
                    index,
                    total,
                    problem: format!(
                        "it gave up after {attempt} attempt(s) under lock_wait_timeout {seconds} s: another session \
                         holds a lock on the table (see SHOW PROCESSLIST); the statement left nothing; {}: when the \
                         table is free, run the migrator again, it resumes at statement {}",
                        ran_so_far(index).to_lowercase(),
                        index + 1
                    ),
                    statement: sql,
                    cause: Box::new(cause),
                });
            }
            if let Some(algorithm) = algorithm {
                record_used(unit, AlgorithmUsed { statement: index, sql, algorithm, refused, shadow_table: false });
            }
            conn.set_progress(table, migration, Direction::Up, index as i64 + 1, total_i, None).await.map_err(mark())?;
        }
        Ok(())
    }
    .await;
    let reset = conn.execute("SET SESSION lock_wait_timeout = DEFAULT").await;
    result?;
    reset.map_err(Error::db(format!("resetting lock_wait_timeout after {what}")))?;
    let took = start.elapsed();
    conn.finish_row(table, migration, apply::millis(took), unit.checksum)
        .await
        .map_err(Error::db(format!("recording {what} in the tracking table")))?;
    Ok(took)
}

/// Records that statement `index` (`sql`) of `migration` failed and left nothing: before the first statement nothing
/// ran, so the row goes and the migration stays pending; otherwise the statements before it are done and the next
/// run resumes at it (`resume_mysql.rs`). The caller returns the statement's own error, so a failure to record is
/// only reported: the row then stays dirty without a failed statement, which the next run refuses as dirty.
async fn record_stop<C: DialectConnection>(
    conn: &mut C,
    table: &TrackingTable,
    migration: &str,
    index: usize,
    total: i64,
    sql: &str,
) {
    let recorded = if index == 0 {
        conn.delete_row(table, migration).await
    } else {
        let failed = apply::fit_failed_statement(sql);
        conn.set_progress(table, migration, Direction::Up, index as i64, total, Some(&failed)).await
    };
    if let Err(e) = recorded {
        tracing::warn!(migration, statement = index + 1, error = %e, "could not record where the migration stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_order_skips_nocopy_on_mysql() {
        use MysqlAlgorithm::*;
        assert_eq!(next(Instant, true), Some(Nocopy));
        assert_eq!(next(Instant, false), Some(Inplace));
        assert_eq!(next(Nocopy, true), Some(Inplace));
        assert_eq!(next(Inplace, true), None);
    }
}
