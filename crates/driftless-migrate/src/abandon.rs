//! Abandoning a paused expand (PostgreSQL online expand/contract, `expand_contract.rs`): `migrate-down` of a
//! migration whose expand ran and whose contract has not (its row dirty at the contract marker) undoes the expand
//! instead of refusing, so the database is exactly as before the migration:
//!
//! 1. outside a transaction, each index the expand built on a shadow column, `DROP INDEX CONCURRENTLY IF EXISTS
//!    <name>__driftless_new` (writers keep running; an INVALID index left by an interrupted build goes the same way);
//! 2. one transaction under the online `lock_timeout` (retried with backoff like an online unit): `LOCK TABLE` of the
//!    tables, referenced ones first (as writers take them, so it queues behind a writer rather than deadlock), then
//!    per widened column: `DROP TRIGGER IF EXISTS` and `DROP FUNCTION IF EXISTS` of the sync trigger, `DROP CONSTRAINT IF
//!    EXISTS` of the shadow's NOT NULL check, `DROP COLUMN IF EXISTS` of the shadow column, `DROP SEQUENCE IF EXISTS`
//!    of a shadow identity's sequence; and the tracking row deleted, in the same transaction.
//!
//! Every statement is `IF EXISTS`: an undo interrupted anywhere leaves the row at the marker, and the next
//! `migrate-down` finishes it. The contract itself is one transaction, so a row at the marker means nothing of it
//! ran: the old columns, keys and foreign keys are untouched.

use std::time::{Duration, Instant};

use driftless_core::Dialect;
use driftless_core::judge::{JudgeError, Verdict};
use driftless_core::migration::{Migration, schemas_along};

use crate::connection::DialectConnection;
use crate::error::Error;
use crate::expand_contract::{ident, shadow, widenings};
use crate::outcome::{AppliedMigration, Direction, Problem, Report, Step};
use crate::tracking::TrackingTable;
use crate::validate::Validation;

/// The statements that undo the expand of `migrations[i]`: the concurrent index drops (each on its own), then the
/// rest (one transaction). `Err` with the reason when its `up` is not an expand/contract widening any more.
pub(crate) fn undo_sql(migrations: &[Migration], i: usize) -> Result<(Vec<String>, Vec<String>), String> {
    let before = schemas_along(&migrations[..i])
        .pop()
        .flatten()
        .ok_or("the schema before it is unknown (an earlier migration has undeclared raw SQL)")?;
    let up = &migrations[i].up;
    let widenings = widenings(up, &before)
        .ok_or("its `up` is not an online expand/contract widening against the schema before it")?;
    let mut concurrent = Vec::new();
    let mut transaction = Vec::new();
    let mut tables: Vec<&str> = Vec::new();
    for w in &widenings {
        if !tables.contains(&w.table) {
            tables.push(w.table);
        }
    }
    // Referenced tables first, as writers usually take them (a parent row, then its children): the transaction
    // locks them all up front in that order, so it queues behind a writer instead of deadlocking with it.
    let refers = |child: &str, parent: &str| {
        before.table(child).is_some_and(|t| t.foreign_keys.iter().any(|fk| fk.ref_table == parent && child != parent))
    };
    let mut rest = std::mem::take(&mut tables);
    while !rest.is_empty() {
        let next = rest.iter().position(|&t| !rest.iter().any(|&p| refers(t, p))).unwrap_or(0);
        tables.push(rest.remove(next));
    }
    let all: Vec<String> = tables.iter().map(|t| ident(t)).collect();
    transaction.push(format!("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE", all.join(", ")));
    for &table in &tables {
        let t = before.table(table).ok_or_else(|| format!("table `{table}` is not in the schema before it"))?;
        let touches = |columns: &[String]| {
            columns.iter().any(|c| widenings.iter().any(|w| w.table == table && w.from.name == *c))
        };
        let mut names: Vec<&str> = Vec::new();
        if let Some(pk) = t.primary_key.as_ref().filter(|pk| touches(&pk.columns)) {
            names.push(&pk.name);
        }
        names.extend(t.uniques.iter().filter(|u| touches(&u.columns)).map(|u| u.name.as_str()));
        names.extend(t.indexes.iter().filter(|i| touches(&i.columns)).map(|i| i.name.as_str()));
        for name in &names {
            concurrent.push(format!("DROP INDEX CONCURRENTLY IF EXISTS {}", ident(&shadow(name))));
        }
        let alter = format!("ALTER TABLE {}", ident(table));
        for w in widenings.iter().filter(|w| w.table == table) {
            let column = &w.from.name;
            let sync = ident(&shadow(&format!("{table}_{column}")));
            transaction.push(format!("DROP TRIGGER IF EXISTS {sync} ON {}", ident(table)));
            transaction.push(format!("DROP FUNCTION IF EXISTS {sync}()"));
            let check = ident(&format!("{table}_{}_not_null", shadow(column)));
            transaction.push(format!("{alter} DROP CONSTRAINT IF EXISTS {check}"));
            transaction.push(format!("{alter} DROP COLUMN IF EXISTS {}", ident(&shadow(column))));
            transaction.push(format!("DROP SEQUENCE IF EXISTS {}", ident(&format!("{table}_{}_seq", shadow(column)))));
        }
    }
    Ok((concurrent, transaction))
}

/// The rows of `to_revert` that are paused expands (PostgreSQL only), by name; their `ContractPending` problem is
/// taken out of `v`, so the revert is not refused for it.
pub(crate) fn paused_expands(pg: bool, to_revert: &[&AppliedMigration], v: &mut Validation) -> Vec<String> {
    let names: Vec<String> = to_revert
        .iter()
        .filter(|r| pg && crate::expand_contract::is_contract_pending(r))
        .map(|r| r.name.clone())
        .collect();
    v.problems.retain(|p| !matches!(p, Problem::ContractPending { name, .. } if names.contains(name)));
    names
}

impl crate::Migrator {
    /// Undoes the paused expands `names` (newest first, as they are reverted), reports each as reverted and takes
    /// it out of `to_revert`.
    pub(crate) async fn abandon<C: DialectConnection>(
        &self,
        conn: &mut C,
        table: &TrackingTable,
        names: &[String],
        verdicts: &[Result<Verdict, JudgeError>],
        report: &mut Report,
        to_revert: &mut Vec<&AppliedMigration>,
    ) -> Result<(), Error> {
        for name in names {
            let i = self.migrations.iter().position(|m| m.name == *name);
            let i = i.ok_or_else(|| Error::MissingMigration { name: name.clone() })?;
            let started = Instant::now();
            self.progress.migration_started(name, Direction::Down);
            abandon(conn, table, &self.migrations, i, self.statement_lock_timeout, self.lock_attempts).await?;
            let step = Step {
                name: name.clone(),
                direction: Direction::Down,
                class: verdicts[i].as_ref().map_or(self.migrations[i].class, |v| v.class_for(C::DIALECT)),
                duration: started.elapsed(),
                algorithms: Vec::new(),
            };
            self.progress.migration_finished(&step);
            report.steps.push(step);
            report.applied_after -= 1;
            report.pending_after += 1;
        }
        to_revert.retain(|r| !names.contains(&r.name));
        Ok(())
    }
}

/// Undoes the paused expand of `migrations[i]` (see the module docs) and deletes its tracking row.
async fn abandon<C: DialectConnection>(
    conn: &mut C,
    table: &TrackingTable,
    migrations: &[Migration],
    i: usize,
    lock_timeout: Duration,
    attempts: u32,
) -> Result<(), Error> {
    let name = &migrations[i].name;
    let (concurrent, transaction) = undo_sql(migrations, i).map_err(|reason| Error::Render {
        name: name.clone(),
        direction: Direction::Down,
        dialect: Dialect::Postgres,
        reason: format!("cannot undo its paused expand: {reason}; run `migrate` to run the contract instead"),
    })?;
    let failed = |sql: &str| {
        Error::db(format!(
            "undoing the paused expand of migration {name} ({sql}); every statement of the undo is IF EXISTS and the \
             migration stays expanded until it finishes, so run `migrate-down` again"
        ))
    };
    for sql in &concurrent {
        conn.execute(sql).await.map_err(failed(sql))?;
    }
    let mut attempt = 1;
    loop {
        match undo_in_transaction(conn, table, name, &transaction, lock_timeout).await {
            Ok(()) => return Ok(()),
            Err((sql, cause)) => {
                let _ = conn.rollback().await;
                if attempt < attempts.max(1) && crate::online::is_lock_timeout(&cause) {
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                    attempt += 1;
                    continue;
                }
                return Err(failed(&sql)(cause));
            }
        }
    }
}

async fn undo_in_transaction<C: DialectConnection>(
    conn: &mut C,
    table: &TrackingTable,
    name: &str,
    statements: &[String],
    lock_timeout: Duration,
) -> Result<(), (String, sqlx::Error)> {
    fn at(sql: &str) -> impl FnOnce(sqlx::Error) -> (String, sqlx::Error) + '_ {
        move |e| (sql.to_owned(), e)
    }
    conn.begin().await.map_err(at("BEGIN"))?;
    let timeout = format!("SET LOCAL lock_timeout = '{}ms'", lock_timeout.as_millis().max(1));
    conn.execute(&timeout).await.map_err(at(&timeout))?;
    for sql in statements {
        conn.execute(sql).await.map_err(at(sql))?;
    }
    conn.delete_row(table, name).await.map_err(at("deleting the tracking row"))?;
    conn.commit().await.map_err(at("COMMIT"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftless_core::define::*;
    use driftless_core::schema::{ColumnType, ReferentialAction};

    #[test]
    fn the_undo_drops_what_the_expand_built_in_reverse() {
        let orders =
            |ty| table("orders").with_column(column("id", ty).auto_increment()).primary_key("orders_pkey", &["id"]);
        let items = |ty| {
            table("items")
                .with_column(column("id", ColumnType::BigInt))
                .with_column(column("order_id", ty))
                .primary_key("items_pkey", &["id"])
                .index(index("items_order_id_idx", &["order_id"]))
                .foreign_key(
                    foreign_key("items_order_id_fkey", &["order_id"], "orders", &["id"])
                        .on_delete(ReferentialAction::Cascade),
                )
        };
        let id = |ty| column("id", ty).auto_increment();
        let registry = [
            Migration::new("m1")
                .up([create_table(orders(ColumnType::Integer)), create_table(items(ColumnType::Integer))]),
            Migration::new("m2").up([
                alter_column("orders", id(ColumnType::Integer), id(ColumnType::BigInt)),
                alter_column("items", column("order_id", ColumnType::Integer), column("order_id", ColumnType::BigInt)),
            ]),
        ];
        let (concurrent, transaction) = undo_sql(&registry, 1).unwrap();
        assert_eq!(
            concurrent,
            [
                r#"DROP INDEX CONCURRENTLY IF EXISTS "orders_pkey__driftless_new""#,
                r#"DROP INDEX CONCURRENTLY IF EXISTS "items_order_id_idx__driftless_new""#,
            ]
        );
        assert_eq!(
            transaction,
            [
                r#"LOCK TABLE "orders", "items" IN ACCESS EXCLUSIVE MODE"#,
                r#"DROP TRIGGER IF EXISTS "orders_id__driftless_new" ON "orders""#,
                r#"DROP FUNCTION IF EXISTS "orders_id__driftless_new"()"#,
                r#"ALTER TABLE "orders" DROP CONSTRAINT IF EXISTS "orders_id__driftless_new_not_null""#,
                r#"ALTER TABLE "orders" DROP COLUMN IF EXISTS "id__driftless_new""#,
                r#"DROP SEQUENCE IF EXISTS "orders_id__driftless_new_seq""#,
                r#"DROP TRIGGER IF EXISTS "items_order_id__driftless_new" ON "items""#,
                r#"DROP FUNCTION IF EXISTS "items_order_id__driftless_new"()"#,
                r#"ALTER TABLE "items" DROP CONSTRAINT IF EXISTS "items_order_id__driftless_new_not_null""#,
                r#"ALTER TABLE "items" DROP COLUMN IF EXISTS "order_id__driftless_new""#,
                r#"DROP SEQUENCE IF EXISTS "items_order_id__driftless_new_seq""#,
            ]
        );
        // The child listed first in the migration: the parent is still locked first.
        let mut swapped = registry.clone();
        swapped[1].up.reverse();
        let (_, transaction) = undo_sql(&swapped, 1).unwrap();
        assert_eq!(transaction[0], r#"LOCK TABLE "orders", "items" IN ACCESS EXCLUSIVE MODE"#);
        // Not a widening: refused with the reason.
        let err = undo_sql(&registry, 0).unwrap_err();
        assert!(err.contains("not an online expand/contract widening"), "{err}");
    }
}
