//! `migrate --dry-run`: what `migrate` would do, read-only. For each pending migration: its statements in order
//! (marked when they run outside the transaction), the lock each takes and whether it runs online
//! (`driftless_core::render::locks`), the rows in the table each step works on (and, for a backfill, the rows it
//! would fill), and the data probes' results.
//!
//! It changes nothing: it takes no lock, does not create the tracking table, and runs only `SELECT`s. Probes and
//! row counts read the data as it is now, so for a migration after the first pending one they describe the data
//! before the earlier pending ones ran; a query that cannot run yet (its table comes from an earlier pending
//! migration) is reported as not run.

use std::fmt;

use driftless_core::Dialect;
use driftless_core::judge::judge_registry;
use driftless_core::migration::Class;
use driftless_core::render::locks::plan_locks;
use driftless_core::replay::{ReplayOptions, apply_steps_with};
use driftless_core::schema::Schema;

use crate::connection::DialectConnection;
use crate::error::Error;
use crate::outcome::{AppliedMigration, Direction};
use crate::plan::plans;
use crate::probes::{probe_plans, run_probe};
use crate::validate::validate;

/// What `migrate` would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DryRun {
    /// The database's dialect.
    pub dialect: Dialect,
    /// The pending migrations, in the order they would run.
    pub migrations: Vec<PlannedMigration>,
}

/// One pending migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedMigration {
    /// Its name.
    pub name: String,
    /// Its computed class on this dialect.
    pub class: Class,
    /// Whether it runs as one transaction.
    pub atomic: bool,
    /// Its statements, in order.
    pub statements: Vec<PlannedStatement>,
    /// Its data probes, in step order.
    pub probes: Vec<ProbeOutcome>,
}

/// One statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedStatement {
    /// The SQL.
    pub sql: String,
    /// Whether it runs inside the migration's transaction.
    pub transactional: bool,
    /// The index of its step (from 0) and the step's kind.
    pub step: usize,
    /// The step's kind.
    pub step_kind: &'static str,
    /// The lock it takes.
    pub lock: String,
    /// Whether writers keep working while it runs.
    pub online: bool,
    /// The table the step works on and how many rows it holds now (`None`: the table is not there yet).
    pub rows: Option<(String, Option<i64>)>,
    /// A backfill: how many rows it would fill now (those matching its predicate; `None`: not counted, the table
    /// is not there yet or the count failed).
    pub to_fill: Option<i64>,
    /// A count of the table's rows or of the rows to fill that failed although the table should be there: what
    /// failed and the database's error.
    pub count_failed: Option<String>,
}

/// A probe and what it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeOutcome {
    /// The step (from 0).
    pub step: usize,
    /// The table.
    pub table: String,
    /// What it counts.
    pub finds: String,
    /// The count and examples, or why it did not run.
    pub result: Result<(i64, Vec<String>), String>,
}

pub(crate) async fn dry_run<C: DialectConnection>(
    conn: &mut C,
    registry: &[driftless_core::migration::Migration],
    applied: &[AppliedMigration],
    online: bool,
    shadow: bool,
) -> Result<DryRun, Error> {
    let dialect = C::DIALECT;
    let checksums: Vec<String> = registry.iter().map(|m| m.checksum()).collect();
    let verdicts = judge_registry(registry);
    let v = validate(registry, &checksums, &verdicts, applied, dialect);
    let wanted: Vec<(usize, Direction)> = v.pending.iter().map(|&i| (i, Direction::Up)).collect();
    let rendered = plans(registry, &wanted, dialect)?;
    let backfills = crate::plan::backfill_plans(registry, &wanted, dialect)?;
    let probes = probe_plans(registry, &wanted, dialect);
    // The schema now (after the applied migrations), to know which tables exist to count.
    let mut now = Schema::empty();
    for m in registry.iter().filter(|m| applied.iter().any(|a| a.name == m.name)) {
        match apply_steps_with(&now, &m.up, ReplayOptions::DATABASE) {
            Ok(s) => now = s,
            Err(_) => break,
        }
    }
    let mut out = Vec::new();
    // Each table is counted once: the counts are of the data now, the same for every statement.
    let mut counted: std::collections::HashMap<String, Result<i64, String>> = std::collections::HashMap::new();
    for (((&(i, _), plan), probes), backfills) in wanted.iter().zip(&rendered).zip(&probes).zip(&backfills) {
        let m = &registry[i];
        // The statements `migrate` runs: the online forms unless the migration or the project turned them off.
        let on = crate::script::runs_online(m, dialect, online);
        // The contract as a later migration (`contract_file.rs`): N runs its expand, N+1 the contract (what it runs
        // when it finds the expand), their statements naming N's steps.
        let two_files = if on && dialect == Dialect::Postgres {
            crate::contract_file::review_plan(registry, i).map_err(|reason| Error::Render {
                name: m.name.clone(),
                direction: Direction::Up,
                dialect,
                reason,
            })?
        } else {
            None
        };
        let (plan, steps) = match &two_files {
            Some((plan, steps)) => (plan, *steps),
            None => (&crate::expand_contract::online_plan(registry, &wanted, i, plan.clone(), on, shadow).0, &m.up[..]),
        };
        let mut statements = Vec::new();
        let locks = plan_locks(dialect, steps, plan);
        for (s, lock) in plan.statements.iter().zip(locks) {
            let Some(step) = steps.get(s.step) else { continue };
            let mut failed = Vec::new();
            let rows = match step.table() {
                Some(t) if now.table(t).is_some() => {
                    let n = match counted.get(t) {
                        Some(n) => n.clone(),
                        None => {
                            let n = count_rows(conn, dialect, t).await;
                            counted.insert(t.to_owned(), n.clone());
                            n
                        }
                    };
                    if let Err(e) = &n {
                        failed.push(format!("counting the rows of `{t}` failed: {e}"));
                    }
                    Some((t.to_owned(), n.ok()))
                }
                Some(t) => Some((t.to_owned(), None)),
                None => None,
            };
            let mut to_fill = None;
            if let Some((_, b)) = backfills.iter().find(|(k, _)| *k == s.step && !s.transactional)
                && step.table().is_some_and(|t| now.table(t).is_some())
            {
                match conn.fetch_count(&b.count(), &[]).await {
                    Ok(n) => to_fill = Some(n),
                    Err(e) => {
                        failed.push(format!("counting the rows to fill failed: {}", crate::redact(&e.to_string())))
                    }
                }
            }
            statements.push(PlannedStatement {
                sql: s.sql.clone(),
                transactional: s.transactional,
                step: s.step,
                step_kind: step.kind(),
                lock: lock.lock,
                online: lock.online,
                rows,
                to_fill,
                count_failed: (!failed.is_empty()).then(|| failed.join("; ")),
            });
        }
        let mut outcomes = Vec::new();
        for p in probes {
            let result = match run_probe(conn, p).await {
                _ if now.table(&p.table).is_none() => Err("not run: the table is not there yet".to_owned()),
                Ok(found) => Ok((found.count, found.examples)),
                Err(e) => Err(format!("not run ({}); an earlier pending migration may create what it reads", e)),
            };
            outcomes.push(ProbeOutcome { step: p.step, table: p.table.clone(), finds: p.finds.clone(), result });
        }
        out.push(PlannedMigration {
            name: m.name.clone(),
            class: verdicts[i].as_ref().map_or(m.class, |v| v.class_for(dialect)),
            atomic: dialect != Dialect::Mysql && m.transactional && plan.is_transactional(),
            statements,
            probes: outcomes,
        });
    }
    Ok(DryRun { dialect, migrations: out })
}

/// The rows of `table` now, or what failed (the database's error, or an answer that is not a count).
async fn count_rows<C: DialectConnection>(conn: &mut C, dialect: Dialect, table: &str) -> Result<i64, String> {
    let q = if dialect == Dialect::Mysql { '`' } else { '"' };
    let quoted = format!("{q}{}{q}", table.replace(q, &format!("{q}{q}")));
    let cast = if dialect == Dialect::Mysql { "CHAR" } else { "TEXT" };
    let rows = conn
        .fetch_text(&format!("SELECT CAST(COUNT(*) AS {cast}) FROM {quoted}"))
        .await
        .map_err(|e| crate::redact(&e.to_string()))?;
    let text = rows.first().and_then(|r| r.first()).cloned().flatten().unwrap_or_default();
    text.trim().parse().map_err(|_| format!("the count came back as `{text}`, not a number"))
}

impl fmt::Display for DryRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.migrations.is_empty() {
            return writeln!(f, "dry run on {}: nothing to apply; nothing has changed", self.dialect);
        }
        for m in &self.migrations {
            let how = if m.atomic { "one transaction" } else { "statement by statement" };
            writeln!(f, "{} ({}, {how})", m.name, m.class)?;
            for (k, s) in m.statements.iter().enumerate() {
                let outside = if s.transactional { "" } else { " [outside the transaction]" };
                let sql = s.sql.replace('\n', "\n     ");
                writeln!(f, "  {}. step {} {}{outside}: {sql}", k + 1, s.step + 1, s.step_kind)?;
                let online = if s.online { "online" } else { "blocking" };
                let rows = match &s.rows {
                    Some((t, Some(n))) => format!("; {t}: {n} rows now"),
                    Some((t, None)) if s.count_failed.is_some() => format!("; {t}: rows unknown"),
                    Some((t, None)) => format!("; {t}: not there yet"),
                    None => String::new(),
                };
                let fill = s.to_fill.map(|n| format!("; {n} rows to fill")).unwrap_or_default();
                let failed = s.count_failed.as_ref().map(|e| format!("; not counted: {e}")).unwrap_or_default();
                writeln!(f, "     lock: {} ({online}){rows}{fill}{failed}", s.lock)?;
            }
            for p in &m.probes {
                match &p.result {
                    Ok((0, _)) => writeln!(f, "  probe step {}: 0 {}: ok", p.step + 1, p.finds)?,
                    Ok((n, examples)) => writeln!(
                        f,
                        "  probe step {}: {n} {} (examples: {}): would be refused",
                        p.step + 1,
                        p.finds,
                        examples.join("; ")
                    )?,
                    Err(why) => writeln!(f, "  probe step {}: {}: {why}", p.step + 1, p.finds)?,
                }
            }
        }
        writeln!(f, "dry run on {}: {} pending migration(s); nothing has changed", self.dialect, self.migrations.len())
    }
}
