//! An online foreign key on MySQL/MariaDB. With `foreign_key_checks` on, the server can only add a foreign key by
//! copying the table (writers wait for the whole copy). With `foreign_key_checks=0` it adds it
//! `ALGORITHM=INPLACE, LOCK=NONE` (no copy, no rebuild; it builds the key's index when none exists) — but then it
//! checks no existing row. So the migrator runs the statement (`ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY …,
//! ALGORITHM=INPLACE, LOCK=NONE`, see `driftless_core::render::mysql_online::online_foreign_key`) as a recipe:
//!
//! 1. the orphan probe (`driftless_core::render::probe::orphan_probe`, against the tables as they are now, with the
//!    table's primary key as example keys): rows found → refuse, nothing of the statement has run;
//! 2. `SET SESSION foreign_key_checks = 0`, the `ALTER`, then `SET SESSION foreign_key_checks = 1` whatever the
//!    `ALTER` did (a connection on which restoring fails is closed, not pooled: the error is a database error);
//! 3. the orphan probe again, for rows written between the first probe and the end of the `ALTER` (the server
//!    checks every write after it): rows found → the foreign key is dropped again, with the index the `ALTER`
//!    created, and the run stops; nothing of the statement is left.
//!
//! The probes run even when the migrator's data probes are off (`skip_data_probes`): without them this recipe
//! could add a foreign key that existing rows violate.

use driftless_core::Dialect;
use driftless_core::render::probe::{Probe, orphan_probe};
use driftless_core::schema::ForeignKey;

use crate::apply::{self, Unit};
use crate::connection::DialectConnection;
use crate::error::{Error, ProbeFinding};
use crate::probes::run_probe;

/// Why the recipe stopped.
pub(crate) enum Failure {
    /// The `ALTER` failed (the server's error, for the caller's fallback and retries); nothing of it is left.
    Sql(sqlx::Error),
    /// It stopped on its own, with nothing of the statement left (orphans before or after); progress is exact.
    Refused(Error),
    /// It stopped with the foreign key possibly left in place (undoing it failed): progress is unknown.
    Unknown(Error),
}

fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// The table's primary-key columns, in order (empty when it has none).
async fn primary_key<C: DialectConnection>(conn: &mut C, table: &str) -> Result<Vec<String>, sqlx::Error> {
    let rows = conn
        .fetch_text_bound(
            "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND \
             TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION",
            &[table.to_owned()],
        )
        .await?;
    Ok(rows.into_iter().filter_map(|r| r.into_iter().next().flatten()).collect())
}

async fn has_index<C: DialectConnection>(conn: &mut C, table: &str, index: &str) -> Result<bool, sqlx::Error> {
    let n = conn
        .fetch_count(
            "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? \
             AND INDEX_NAME = ?",
            &[table.to_owned(), index.to_owned()],
        )
        .await?;
    Ok(n > 0)
}

/// Runs the probe; `Some` with what it found when it found rows.
async fn orphans<C: DialectConnection>(
    conn: &mut C,
    unit: &Unit<'_>,
    probe: &Probe,
    when: &str,
) -> Result<Option<ProbeFinding>, Failure> {
    let found = run_probe(conn, probe).await.map_err(|e| {
        Failure::Unknown(Error::db(format!(
            "probing {} of migration {} {when} (step {}, {} on {}): {}",
            probe.finds,
            unit.migration.name,
            probe.step + 1,
            probe.step_kind,
            probe.table,
            probe.count_sql
        ))(e))
    })?;
    Ok((found.count > 0).then(|| found.finding(probe)))
}

/// Runs `sql`, statement `index` of `unit` adding foreign key `fk` on `table`, as the recipe above.
pub(crate) async fn run<C: DialectConnection>(
    conn: &mut C,
    unit: &Unit<'_>,
    index: usize,
    sql: &str,
    table: &str,
    fk: &ForeignKey,
) -> Result<(), Failure> {
    let name = &unit.migration.name;
    let total = unit.plan.statements.len();
    let step = unit.plan.statements[index].step;
    let kind = unit.migration.up[step].kind();
    let db = |what: String| move |e: sqlx::Error| Failure::Unknown(Error::db(what)(e));
    // Before the ALTER nothing of the statement has run: a failure there is an exact stop.
    let before = |what: String| move |e: sqlx::Error| Failure::Refused(Error::db(what)(e));
    let keys = primary_key(conn, table).await.map_err(before(format!("reading the primary key of {table}")))?;
    let probe = orphan_probe(Dialect::Mysql, step, kind, table, fk, &keys);
    let first = orphans(conn, unit, &probe, "before adding it").await.map_err(|f| match f {
        Failure::Unknown(e) => Failure::Refused(e),
        other => other,
    })?;
    if let Some(found) = first {
        let found = Box::new(found);
        return Err(Failure::Refused(Error::MysqlForeignKeyOrphans {
            name: name.clone(),
            index,
            total,
            after: false,
            found,
        }));
    }
    let had_index =
        has_index(conn, table, &fk.name).await.map_err(before(format!("reading the indexes of {table}")))?;
    conn.execute("SET SESSION foreign_key_checks = 0")
        .await
        .map_err(before(format!("setting foreign_key_checks = 0 for {name}")))?;
    let added = apply::execute_sql(conn, unit, sql).await;
    conn.execute("SET SESSION foreign_key_checks = 1")
        .await
        .map_err(db(format!("restoring foreign_key_checks = 1 after statement {} of {name}", index + 1)))?;
    added.map_err(Failure::Sql)?;
    let when = "after adding it (the foreign key stays, unverified: run the probe's query, drop the key if it finds \
                rows, then resolve the migration by hand)";
    let Some(found) = orphans(conn, unit, &probe, when).await? else { return Ok(()) };
    let drop_fk =
        format!("ALTER TABLE {} DROP FOREIGN KEY {}, ALGORITHM=INSTANT, LOCK=NONE", ident(table), ident(&fk.name));
    let undo = async {
        conn.execute(&drop_fk).await?;
        if !had_index && has_index(conn, table, &fk.name).await? {
            let drop_index =
                format!("ALTER TABLE {} DROP INDEX {}, ALGORITHM=NOCOPY, LOCK=NONE", ident(table), ident(&fk.name));
            conn.execute(&drop_index).await?;
        }
        Ok::<(), sqlx::Error>(())
    };
    undo.await.map_err(db(format!(
        "dropping foreign key {} on {table} again after {} {} were written while it was added (statement {} of {name} \
         ran: the foreign key stays, over those rows; fix the rows, then resolve the migration by hand)",
        fk.name,
        found.count,
        found.finds,
        index + 1
    )))?;
    Err(Failure::Refused(Error::MysqlForeignKeyOrphans {
        name: name.clone(),
        index,
        total,
        after: true,
        found: Box::new(found),
    }))
}
