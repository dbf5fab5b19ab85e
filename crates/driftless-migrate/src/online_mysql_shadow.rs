//! The shadow-table recipe on MySQL/MariaDB (`driftless_core::render::mysql_shadow`, pt-online-schema-change style):
//! a column made NOT NULL without MariaDB's in-place rebuild, whose final exclusive phase stalls every writer.
//!
//! 1. Refusals (the in-place `ALTER` runs instead, [`Ran::Refused`]): the table has no primary key, another table's
//!    foreign key references it (the rename would leave that key on the old table), it has foreign keys of its own
//!    (`CREATE TABLE … LIKE` does not copy them; they are not recreated: refused), or triggers of its own.
//! 2. `CREATE TABLE _t__driftless_new LIKE t`, the `ALTER` on it (empty: instant), and three triggers `AFTER
//!    INSERT / UPDATE / DELETE` on `t` mirroring each write into the shadow by primary key (`REPLACE INTO`, `DELETE
//!    FROM`), created under a strict `sql_mode` so a NULL written meanwhile fails instead of becoming `0`/`''`, and
//!    under `LOCK TABLES t WRITE, _t__driftless_new WRITE` (tried again on 1205): created while writers ran, some
//!    concurrent prepared-statement writes failed with 1146.
//! 3. The copy, in primary-key order, [`CHUNK_ROWS`] rows per transaction: the chunk's last key (`SELECT … LIMIT 1
//!    OFFSET n-1`), then `REPLACE INTO shadow (cols) SELECT cols FROM t WHERE key > last AND key <= bound LOCK IN
//!    SHARE MODE` (the rows read are the latest committed ones and stay so until the chunk commits: the triggers
//!    wrote the same values for those rows, `REPLACE` keeps either), and the chunk's last key recorded in the
//!    tracking table (`backfill_key`) in the same transaction. Progress goes to `Progress::backfill_progress`. A
//!    chunk that meets a lock wait timeout or a deadlock is rolled back and tried again.
//! 4. The cut-over: `RENAME TABLE t TO _t__driftless_old, _t__driftless_new TO t` (atomic), under the migrator's
//!    `lock_wait_timeout`, tried again on 1205 like every online statement; the key becomes [`SWAPPED`]; `DROP TABLE
//!    _t__driftless_old` (its triggers go with it); the statement is recorded done and the key cleared in one
//!    transaction.
//!
//! **Resuming** (the tracking row holds a key, so a killed run's dirty row is resumable, `resume.rs`): shadow and
//! its three triggers present → the copy carries on after the recorded key (the triggers kept mirroring every write
//! while nothing ran); key [`SWAPPED`], or the shadow gone with `_t__driftless_old` present → the rename happened,
//! only the drop is left; anything else (killed before the triggers existed) → the leftovers are dropped and the
//! recipe starts again. A copy that fails on the data (a NULL written before the triggers existed) drops the
//! triggers and the shadow again, and the run stops with the statement recorded as failed, leaving nothing: the next
//! run resumes at it after the data probe.

use std::time::{Duration, Instant};

use driftless_core::render::mysql_shadow::{CHUNK_ROWS, Shadow};

use crate::apply::Unit;
use crate::connection::DialectConnection;
use crate::error::Error;
use crate::online::OnlineSettings;
use crate::online_mysql::error_number;
use crate::outcome::Direction;
use crate::progress::BackfillProgress;
use crate::tracking::TrackingTable;

/// The key recorded once the cut-over rename is done.
pub(crate) const SWAPPED: &str = "\"swapped\"";

/// What the recipe did.
pub(crate) enum Ran {
    /// The change is made and the statement recorded done.
    Done,
    /// Refused for this table (why): nothing was changed; the caller runs the in-place `ALTER`.
    Refused(String),
}

/// Why it stopped.
pub(crate) enum Stop {
    /// Nothing of the recipe is left: the caller records the statement as failed (the next run resumes at it).
    Clean(Error),
    /// The shadow table and its triggers stay, with the last copied key recorded: the next run carries on.
    Kept(Error),
}

fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

fn list(names: &[String], prefix: &str) -> String {
    names.iter().map(|n| format!("{prefix}{}", ident(n))).collect::<Vec<_>>().join(", ")
}

/// The facts about the table the recipe needs.
struct Facts {
    key: Vec<String>,
    columns: Vec<String>,
}

async fn strings<C: DialectConnection>(conn: &mut C, sql: &str, table: &str) -> Result<Vec<String>, sqlx::Error> {
    let rows = conn.fetch_text_bound(sql, &[table.to_owned()]).await?;
    Ok(rows.into_iter().filter_map(|r| r.into_iter().next().flatten()).collect())
}

async fn exists<C: DialectConnection>(conn: &mut C, table: &str) -> Result<bool, sqlx::Error> {
    let sql = "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?";
    Ok(conn.fetch_count(sql, &[table.to_owned()]).await? > 0)
}

/// The table's triggers.
async fn triggers<C: DialectConnection>(conn: &mut C, table: &str) -> Result<Vec<String>, sqlx::Error> {
    let sql = "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = DATABASE() AND \
               EVENT_OBJECT_TABLE = ? ORDER BY TRIGGER_NAME";
    strings(conn, sql, table).await
}

/// Reads the table and says why the recipe is refused for it, if it is.
async fn facts<C: DialectConnection>(conn: &mut C, s: &Shadow) -> Result<Result<Facts, String>, sqlx::Error> {
    let t = &s.table;
    let key = strings(
        conn,
        "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = \
         ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION",
        t,
    )
    .await?;
    if key.is_empty() {
        return Ok(Err(format!("table `{t}` has no primary key to copy it by")));
    }
    let referencing = strings(
        conn,
        "SELECT DISTINCT TABLE_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE REFERENCED_TABLE_SCHEMA = \
         DATABASE() AND REFERENCED_TABLE_NAME = ? ORDER BY TABLE_NAME",
        t,
    )
    .await?;
    if let Some(other) = referencing.iter().find(|o| *o != t) {
        return Ok(Err(format!(
            "table `{other}` references `{t}` by a foreign key (the cut-over rename would leave it on the old table)"
        )));
    }
    let own = strings(
        conn,
        "SELECT CONSTRAINT_NAME FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = DATABASE() AND \
         TABLE_NAME = ? AND CONSTRAINT_TYPE = 'FOREIGN KEY' ORDER BY CONSTRAINT_NAME",
        t,
    )
    .await?;
    if let Some(fk) = own.first() {
        return Ok(Err(format!(
            "table `{t}` has foreign key `{fk}` (CREATE TABLE … LIKE does not copy it; driftless does not recreate it \
             under another name)"
        )));
    }
    let ours = [s.trigger("ins"), s.trigger("upd"), s.trigger("del")];
    let theirs: Vec<String> = triggers(conn, t).await?.into_iter().filter(|n| !ours.contains(n)).collect();
    if let Some(trigger) = theirs.first() {
        return Ok(Err(format!("table `{t}` has trigger `{trigger}` of its own")));
    }
    let columns = strings(
        conn,
        "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND \
         EXTRA NOT LIKE '%GENERATED%' ORDER BY ORDINAL_POSITION",
        t,
    )
    .await?;
    Ok(Ok(Facts { key, columns }))
}

/// The three triggers' `CREATE` statements.
fn trigger_sql(s: &Shadow, f: &Facts) -> [String; 3] {
    let (t, new) = (ident(&s.table), ident(&s.new_table()));
    let cols = list(&f.columns, "");
    let replace = format!("REPLACE INTO {new} ({cols}) VALUES ({})", list(&f.columns, "NEW."));
    let by_old: Vec<String> = f.key.iter().map(|k| format!("{new}.{k} <=> OLD.{k}", k = ident(k))).collect();
    let same: Vec<String> = f.key.iter().map(|k| format!("OLD.{k} <=> NEW.{k}", k = ident(k))).collect();
    [
        format!("CREATE TRIGGER {} AFTER INSERT ON {t} FOR EACH ROW {replace}", ident(&s.trigger("ins"))),
        format!(
            "CREATE TRIGGER {} AFTER UPDATE ON {t} FOR EACH ROW BEGIN DELETE FROM {new} WHERE NOT ({}) AND {}; \
             {replace}; END",
            ident(&s.trigger("upd")),
            same.join(" AND "),
            by_old.join(" AND ")
        ),
        format!(
            "CREATE TRIGGER {} AFTER DELETE ON {t} FOR EACH ROW DELETE FROM {new} WHERE {}",
            ident(&s.trigger("del")),
            by_old.join(" AND ")
        ),
    ]
}

/// Drops the triggers and the shadow table (`IF EXISTS`).
/// After a failure that leaves the statement to run again from the start: the triggers and the shadow table dropped
/// and the key cleared. The caller returns the failure; a clean-up that fails too is logged (the next run drops
/// the leftovers it finds before starting again).
async fn clean_up<C: DialectConnection>(conn: &mut C, table: &TrackingTable, name: &str, shadow: &Shadow) {
    if let Err(e) = drop_leftovers(conn, shadow).await {
        tracing::warn!(migration = name, error = %e, "could not drop the shadow table and its triggers");
    }
    if let Err(e) = conn.set_backfill_key(table, name, None).await {
        tracing::warn!(migration = name, error = %e, "could not clear the shadow copy's recorded key");
    }
}

async fn drop_leftovers<C: DialectConnection>(conn: &mut C, s: &Shadow) -> Result<(), sqlx::Error> {
    for event in ["ins", "upd", "del"] {
        conn.execute(&format!("DROP TRIGGER IF EXISTS {}", ident(&s.trigger(event)))).await?;
    }
    conn.execute(&format!("DROP TABLE IF EXISTS {}", ident(&s.new_table()))).await
}

/// `(k1, k2) > (?, ?)`-style comparison of the key with bound values.
fn compare(key: &[String], op: &str) -> String {
    let q: Vec<&str> = key.iter().map(|_| "?").collect();
    format!("({}) {op} ({})", list(key, ""), q.join(", "))
}

/// Runs the recipe for `shadow`, statement `index` of `unit`; see the module documentation.
pub(crate) async fn run<C: DialectConnection>(
    conn: &mut C,
    table: &TrackingTable,
    unit: &Unit<'_>,
    index: usize,
    shadow: &Shadow,
    settings: OnlineSettings,
) -> Result<Ran, Stop> {
    let name = &unit.migration.name;
    let total = unit.plan.statements.len();
    let how = How { name, index, total, statement: &unit.plan.statements[index].sql, shadow };
    let error = |problem: String, cause: sqlx::Error| how.error(problem, cause);
    let kept = |what: &str| how.kept(what);
    let clean = |what: &str| how.clean(what);
    let (t, new, old) = (&shadow.table, shadow.new_table(), shadow.old_table());
    let recorded = conn.backfill_key(table, name).await.map_err(clean("reading the recorded copy key"))?;
    let has_new = exists(conn, &new).await.map_err(kept("reading the tables"))?;
    let has_old = exists(conn, &old).await.map_err(kept("reading the tables"))?;
    let swapped = recorded.is_some() && (recorded.as_deref() == Some(SWAPPED) || (!has_new && has_old));
    if !swapped {
        if has_old {
            let why = format!("table `{old}` exists (left by hand?): drop or rename it, then run the migrator again");
            return Err(Stop::Clean(error(why, sqlx::Error::Protocol("the cut-over name is taken".into()))));
        }
        let facts = match facts(conn, shadow).await.map_err(kept("reading the table's keys and triggers"))? {
            Ok(f) => f,
            Err(why) => {
                drop_leftovers(conn, shadow).await.map_err(kept("dropping the shadow table"))?;
                conn.set_backfill_key(table, name, None).await.map_err(kept("clearing the copy key"))?;
                tracing::warn!(
                    migration = name.as_str(),
                    table = t.as_str(),
                    reason = why.as_str(),
                    "shadow-table copy refused: the in-place ALTER runs instead"
                );
                return Ok(Ran::Refused(why));
            }
        };
        let mode = conn.fetch_text("SELECT @@SESSION.sql_mode").await.map_err(clean("reading sql_mode"))?;
        let mode = mode.first().and_then(|r| r.first().cloned().flatten()).unwrap_or_default();
        conn.execute("SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',STRICT_ALL_TABLES')")
            .await
            .map_err(clean("setting a strict sql_mode"))?;
        let copied = copy(conn, table, unit, shadow, &facts, recorded, settings, &how).await;
        let restore = conn.execute(&format!("SET SESSION sql_mode = '{}'", mode.replace('\'', "''"))).await;
        copied?;
        restore.map_err(kept("restoring sql_mode"))?;
        // The cut-over: atomic, under lock_wait_timeout, tried again while another session holds the table.
        let rename = shadow.rename();
        let mut attempt = 1;
        loop {
            match conn.execute(&rename).await {
                Ok(()) => break,
                Err(e) if error_number(&e) == Some(1205) && attempt < settings.attempts => {
                    tokio::time::sleep(crate::online::lock_pause(Duration::from_millis(100), attempt)).await;
                    attempt += 1;
                }
                Err(e) => {
                    return Err(kept(&format!(
                        "the cut-over rename gave up after {attempt} attempt(s) (another session holds `{t}`, see SHOW \
                         PROCESSLIST)"
                    ))(e));
                }
            }
        }
        conn.set_backfill_key(table, name, Some(SWAPPED)).await.map_err(kept("recording the cut-over"))?;
    }
    conn.execute(&format!("DROP TABLE IF EXISTS {}", ident(&old))).await.map_err(kept("dropping the old table"))?;
    let finish = async {
        conn.begin().await?;
        conn.set_backfill_key(table, name, None).await?;
        conn.set_progress(table, name, Direction::Up, index as i64 + 1, total as i64, None).await?;
        conn.commit().await
    };
    finish.await.map_err(kept("recording the statement done"))?;
    Ok(Ran::Done)
}

/// Steps 2 and 3: the shadow table and its triggers (unless resuming), then the chunks.
#[allow(clippy::too_many_arguments)]
async fn copy<C: DialectConnection>(
    conn: &mut C,
    table: &TrackingTable,
    unit: &Unit<'_>,
    shadow: &Shadow,
    f: &Facts,
    recorded: Option<String>,
    settings: OnlineSettings,
    how: &How<'_>,
) -> Result<(), Stop> {
    let kept = |what: &str| how.kept(what);
    let clean = |what: &str| how.clean(what);
    let name = &unit.migration.name;
    let (t, new) = (ident(&shadow.table), ident(&shadow.new_table()));
    let ours = [shadow.trigger("ins"), shadow.trigger("upd"), shadow.trigger("del")];
    let present = triggers(conn, &shadow.table).await.map_err(kept("reading the triggers"))?;
    let in_place = exists(conn, &shadow.new_table()).await.map_err(kept("reading the tables"))?
        && ours.iter().all(|o| present.contains(o));
    let mut last: Option<Vec<String>> = None;
    let resumed = match recorded.as_deref() {
        Some(text) if in_place => {
            let key: Vec<String> = serde_json::from_str(text).unwrap_or_default();
            last = (key.len() == f.key.len()).then_some(key);
            true
        }
        _ => false,
    };
    if !resumed {
        // A fresh start, or a run killed before its triggers all existed: whatever it left goes.
        drop_leftovers(conn, shadow).await.map_err(clean("dropping a leftover shadow table"))?;
        conn.set_backfill_key(table, name, Some("[]")).await.map_err(clean("recording the copy's start"))?;
        // The triggers are created under `LOCK TABLES t WRITE, shadow WRITE` (statements running on `t` finish
        // first, new ones wait a few ms): created while writers ran, some concurrent writes sent as prepared
        // statements failed with 1146 (the shadow "doesn't exist"; `tests/online_mysql_cutover.rs`).
        let mut setup = vec![format!("CREATE TABLE {new} LIKE {t}"), shadow.alter_shadow()];
        let lock = format!("LOCK TABLES {t} WRITE, {new} WRITE");
        setup.push(lock.clone());
        setup.extend(trigger_sql(shadow, f));
        setup.push("UNLOCK TABLES".to_owned());
        for sql in &setup {
            let mut attempt = 1;
            let done = loop {
                match conn.execute(sql).await {
                    Err(e) if *sql == lock && error_number(&e) == Some(1205) && attempt < settings.attempts => {
                        tokio::time::sleep(crate::online::lock_pause(Duration::from_millis(100), attempt)).await;
                        attempt += 1;
                    }
                    done => break done,
                }
            };
            if let Err(e) = done {
                if let Err(unlock) = conn.execute("UNLOCK TABLES").await {
                    tracing::warn!(migration = name, error = %unlock, "could not unlock the tables after a failed setup");
                }
                clean_up(conn, table, name, shadow).await;
                return Err(clean(&format!("creating the shadow table and its triggers failed at `{sql}`"))(e));
            }
        }
    }
    let cols = list(&f.columns, "");
    let order = list(&f.key, "");
    let casts: Vec<String> = f.key.iter().map(|k| format!("CAST({} AS CHAR)", ident(k))).collect();
    let estimate = conn
        .fetch_count(
            "SELECT CAST(COALESCE(TABLE_ROWS, 0) AS SIGNED) FROM information_schema.TABLES WHERE TABLE_SCHEMA = \
             DATABASE() AND TABLE_NAME = ?",
            std::slice::from_ref(&shadow.table),
        )
        .await
        .unwrap_or(0);
    let start = Instant::now();
    let (mut batches, mut rows) = (0u64, 0u64);
    let report = |batches: u64, rows: u64, last: &Option<Vec<String>>, finished: bool| BackfillProgress {
        migration: name.clone(),
        table: shadow.table.clone(),
        rows_done: rows,
        rows_total: u64::try_from(estimate).unwrap_or(0),
        batches,
        last_key: last.clone().unwrap_or_default(),
        resumed,
        elapsed: start.elapsed(),
        finished,
    };
    unit.progress.backfill_progress(&report(0, 0, &last, false));
    loop {
        let after = last.is_some();
        let filter = if after { format!(" WHERE {}", compare(&f.key, ">")) } else { String::new() };
        let bound_sql =
            // Locking reads: scanning the chunk in key order share-locks every row of it before anything is
            // written to the shadow, so a writer holding one of its rows (whose trigger then writes the shadow) makes
            // the chunk wait instead of deadlocking with it.
            format!(
                "SELECT {} FROM {t} FORCE INDEX (PRIMARY){filter} ORDER BY {order} LIMIT 1 OFFSET {} LOCK IN SHARE MODE",
                casts.join(", "),
                CHUNK_ROWS - 1
            );
        let mut attempt = 1;
        let (bound, n) = loop {
            let body = async {
                conn.begin().await?;
                let params = last.clone().unwrap_or_default();
                let found = conn.fetch_text_bound(&bound_sql, &params).await?;
                let bound: Option<Vec<String>> =
                    found.into_iter().next().map(|r| r.into_iter().map(Option::unwrap_or_default).collect());
                let mut conditions = Vec::new();
                if after {
                    conditions.push(compare(&f.key, ">"));
                }
                if bound.is_some() {
                    conditions.push(compare(&f.key, "<="));
                }
                let filter =
                    if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
                let copy_sql = format!(
                    "REPLACE INTO {new} ({cols}) SELECT {cols} FROM {t}{filter} ORDER BY {order} LOCK IN SHARE MODE"
                );
                let mut bind = params;
                bind.extend(bound.iter().flatten().cloned());
                let n = conn.execute_bound(&copy_sql, &bind).await?;
                let key = match &bound {
                    Some(b) => serde_json::to_string(b).unwrap_or_else(|_| "[]".to_owned()),
                    None => serde_json::to_string(&last.clone().unwrap_or_default()).unwrap_or_else(|_| "[]".into()),
                };
                conn.set_backfill_key(table, name, Some(&key)).await?;
                conn.commit().await?;
                Ok::<_, sqlx::Error>((bound, n))
            }
            .await;
            match body {
                Ok(done) => break done,
                Err(e) => {
                    let _ = conn.rollback().await;
                    let lock = matches!(error_number(&e), Some(1205 | 1213));
                    if lock && attempt < settings.attempts.max(3) {
                        tokio::time::sleep(crate::online::lock_pause(Duration::from_millis(50), attempt)).await;
                        attempt += 1;
                        continue;
                    }
                    if lock {
                        return Err(kept("copying a chunk kept meeting lock waits")(e));
                    }
                    // The connection is gone (killed, lost): the server keeps the shadow, the triggers and the key.
                    if e.as_database_error().is_none() || matches!(error_number(&e), Some(1053 | 1927 | 2006 | 2013)) {
                        return Err(kept("the connection was lost while copying")(e));
                    }
                    clean_up(conn, table, name, shadow).await;
                    return Err(clean(&format!(
                        "copying the rows of `{}` into the shadow table failed (a row the new definition refuses, such \
                         as a NULL written after the data probe?); the triggers and the shadow table were dropped",
                        shadow.table
                    ))(e));
                }
            }
        };
        batches += 1;
        rows += n;
        if bound.is_none() {
            unit.progress.backfill_progress(&report(batches, rows, &last, true));
            return Ok(());
        }
        last = bound;
        unit.progress.backfill_progress(&report(batches, rows, &last, false));
    }
}

/// What an error of the recipe names.
struct How<'a> {
    name: &'a str,
    index: usize,
    total: usize,
    statement: &'a str,
    shadow: &'a Shadow,
}

impl How<'_> {
    fn error(&self, problem: String, cause: sqlx::Error) -> Error {
        Error::MysqlOnline {
            name: self.name.to_owned(),
            index: self.index,
            total: self.total,
            statement: self.statement.to_owned(),
            problem,
            cause: Box::new(cause),
        }
    }

    /// A stop that leaves the shadow table, its triggers and the recorded key for the next run.
    fn kept(&self, what: &str) -> Box<dyn FnOnce(sqlx::Error) -> Stop + '_> {
        let problem = format!(
            "{what}; the shadow table `{}` and its triggers stay with the last copied key recorded: the next run of \
             {} carries on from there",
            self.shadow.new_table(),
            self.name
        );
        Box::new(move |e| Stop::Kept(self.error(problem, e)))
    }

    /// A stop that left nothing of the statement.
    fn clean(&self, what: &str) -> Box<dyn FnOnce(sqlx::Error) -> Stop + '_> {
        let problem = format!("{what}; nothing of the statement is left: the next run of {} resumes at it", self.name);
        Box::new(move |e| Stop::Clean(self.error(problem, e)))
    }
}
