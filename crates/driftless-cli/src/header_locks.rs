//! The "Locks" lines of a generated migration file's header: for each `up` step that changes an existing table, the
//! lock each of its statements takes on PostgreSQL and MySQL/MariaDB, as the migrator runs them (the online forms:
//! `driftless_migrate::online::online_postgres`, `driftless_core::render::mysql_online::online_mysql`), described by
//! `driftless_core::render::locks::plan_locks`. SQLite is left out: every statement takes its one database
//! write lock. Steps on a table created in the same migration get no line (no rows, no other session).

use driftless_core::Dialect;
use driftless_core::render::locks::plan_locks;
use driftless_core::render::{RenderedMigration, mysql_online, render_steps};
use driftless_core::schema::Schema;
use driftless_core::step::Step;

/// The header lines for `up` (rendered against `before`); none for a dialect the steps do not render on.
pub(crate) fn step_locks(up: &[Step], before: &Schema) -> Vec<String> {
    // A first migration (or any that only creates): nothing to say, and nothing to render.
    if !needs_lines(up) {
        return Vec::new();
    }
    let online = |d: Dialect| -> Option<RenderedMigration> {
        let plain = render_steps(up, d, before).ok()?;
        Some(match d {
            Dialect::Postgres => driftless_migrate::expand_contract::online_postgres_with(up, &plain, Some(before)),
            _ => mysql_online::online_mysql(up, &plain),
        })
    };
    let plans: Vec<(Dialect, RenderedMigration, Vec<_>)> = [Dialect::Postgres, Dialect::Mysql]
        .into_iter()
        .filter_map(|d| online(d).map(|p| (d, plan_locks(d, up, &p), p)))
        .map(|(d, locks, p)| (d, p, locks))
        .collect();
    let mut lines = Vec::new();
    let mut created: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for (index, step) in up.iter().enumerate() {
        if let Step::CreateTable { table } = step {
            created.insert(&table.name);
        }
        // A new table has no rows and no other session uses it: nothing to say.
        if matches!(step, Step::CreateTable { .. } | Step::CreateEnum { .. })
            || step.table().is_some_and(|t| created.contains(t))
        {
            continue;
        }
        let mut parts = Vec::new();
        for (d, plan, all) in &plans {
            let mut locks: Vec<String> = Vec::new();
            for (_, lock) in plan.statements.iter().zip(all).filter(|(s, _)| s.step == index) {
                let text = format!("{}{}", lock.lock, if lock.online { ", online" } else { ", blocking" });
                if !locks.contains(&text) {
                    locks.push(text);
                }
            }
            if !locks.is_empty() {
                parts.push(format!("{} {}", d.display_name(), locks.join(", then ")));
            }
        }
        if !parts.is_empty() {
            lines.push(format!("step {}, {}: {}", index + 1, driftless_core::report::describe(step), parts.join("; ")));
        }
    }
    lines
}

/// Whether some step of `up` changes a table that exists before it (the steps that get a line).
fn needs_lines(up: &[Step]) -> bool {
    let mut created: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for step in up {
        match step {
            Step::CreateTable { table } => {
                created.insert(&table.name);
            }
            Step::CreateEnum { .. } => {}
            _ if step.table().is_some_and(|t| created.contains(t)) => {}
            _ => return true,
        }
    }
    false
}
