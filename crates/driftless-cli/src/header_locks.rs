//! The "Locks" lines of a generated migration file's header: for each `up` step that changes an existing table, the
//! lock each of its statements takes on PostgreSQL and MySQL/MariaDB, as the migrator runs them (the online forms:
//! `driftless_migrate::online::online_postgres`, `driftless_core::render::mysql_online::online_mysql`), described by
//! `driftless_core::render::locks::plan_locks`. SQLite is left out: every statement takes its one database
//! write lock. Steps on a table created in the same migration get no line (no rows, no other session).

use driftless_core::Dialect;
use driftless_core::render::locks::plan_locks;
use driftless_core::render::{RenderedMigration, mysql_online, render_steps};
use std::borrow::Cow;
use std::collections::HashSet;

use driftless_core::schema::{Schema, Table};
use driftless_core::step::Step;

/// The header lines for `up` (rendered against `before`, in the online forms unless `online` is off: the project's
/// setting); none for a dialect the steps do not render on.
pub(crate) fn step_locks(up: &[Step], before: &Schema, online: bool) -> Vec<String> {
    // A first migration (or any that only creates): nothing to say, and nothing to render.
    if !needs_lines(up) {
        return Vec::new();
    }
    // Rendering copies the schema it replays on: only the part the steps can read is copied.
    lines(up, &context(up, before), online)
}

/// The header lines for `up`, rendered against `before` as it is.
fn lines(up: &[Step], before: &Schema, run_online: bool) -> Vec<String> {
    let online = |d: Dialect| -> Option<RenderedMigration> {
        let plain = render_steps(up, d, before).ok()?;
        Some(match d {
            _ if !run_online => plain,
            Dialect::Postgres => driftless_migrate::expand_contract::online_postgres_with(up, &plain, Some(before)),
            _ => mysql_online::online_mysql_with(up, &plain, Some(before)),
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

/// The part of `before` that rendering `up` on PostgreSQL and MySQL/MariaDB reads: the tables the steps name (a
/// rename's old and new name), the tables those reference with a foreign key (in `before` or in the steps), the
/// tables whose foreign keys reference them (replaying a rename or a dropped table updates or checks those), and
/// every enum. Steps of these kinds read nothing else; with any other step (an enum change reads every column of
/// the enum's type, raw SQL may declare any step), the whole schema.
pub(crate) fn context<'a>(up: &[Step], before: &'a Schema) -> Cow<'a, Schema> {
    let mut named: HashSet<&str> = HashSet::new();
    for step in up {
        match step {
            Step::CreateTable { table } | Step::DropTable { table } => {
                named.insert(&table.name);
                named.extend(table.foreign_keys.iter().map(|fk| fk.ref_table.as_str()));
            }
            Step::RenameTable { from, to } => named.extend([from.as_str(), to.as_str()]),
            Step::AddForeignKey { table, foreign_key } => {
                named.extend([table.as_str(), foreign_key.ref_table.as_str()])
            }
            Step::AlterForeignKey { table, from, to } => {
                named.extend([table.as_str(), from.ref_table.as_str(), to.ref_table.as_str()]);
            }
            // Every other step that works on one table names it; enum changes, raw SQL and data steps do not.
            other => match other.table() {
                Some(table) => {
                    named.insert(table);
                }
                None => return Cow::Borrowed(before),
            },
        }
    }
    let kept = |t: &Table| {
        named.contains(t.name.as_str()) || t.foreign_keys.iter().any(|fk| named.contains(fk.ref_table.as_str()))
    };
    let mut referenced: HashSet<&str> = HashSet::new();
    for t in before.tables.iter().filter(|t| named.contains(t.name.as_str())) {
        referenced.extend(t.foreign_keys.iter().map(|fk| fk.ref_table.as_str()));
    }
    Cow::Owned(Schema {
        tables: before.tables.iter().filter(|t| kept(t) || referenced.contains(t.name.as_str())).cloned().collect(),
        enums: before.enums.clone(),
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use driftless_core::classify;
    use driftless_core::schema::{Column, ColumnType, EnumType, ForeignKey, Index, RenameHints, TableRename};
    use driftless_core::testing::synthetic;

    /// Changes to `synthetic(n)` chosen by `seed` (a small linear congruential generator: deterministic, and no
    /// dependency): added, dropped, renamed and retyped columns, new indexes, foreign keys added and dropped, tables
    /// dropped and added.
    fn changed(n: usize, seed: u64) -> (Schema, Schema, RenameHints) {
        let before = synthetic(n);
        let mut after = before.clone();
        let mut hints = RenameHints::default();
        let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let mut next = |m: usize| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 33) as usize) % m
        };
        for _ in 0..1 + next(4) {
            let i = next(after.tables.len());
            let t = &mut after.tables[i];
            match next(7) {
                0 => t.columns.push(Column { nullable: true, ..Column::new("extra", ColumnType::Text) }),
                1 => {
                    t.columns.retain(|c| c.name != "score");
                    t.indexes.retain(|x| !x.columns.iter().any(|c| c == "score"));
                }
                2 => {
                    if let Some(c) = t.columns.iter_mut().find(|c| c.name == "price") {
                        c.nullable = !c.nullable;
                    }
                }
                3 => {
                    let name = format!("{}_code_idx", t.name);
                    if let Some(first) = t.indexes.first().filter(|_| t.indexes.iter().all(|x| x.name != name)) {
                        t.indexes.push(Index { name, columns: vec!["name".into()], ..first.clone() });
                    }
                }
                4 => t.foreign_keys.clear(),
                5 => {
                    let target = format!("tbl_{:05}", next(n));
                    let name = format!("{}_{target}_fkey", t.name);
                    if let Some(first) = t.foreign_keys.first().filter(|_| t.column("other_id").is_none()) {
                        let fk =
                            ForeignKey { name, columns: vec!["other_id".into()], ref_table: target, ..first.clone() };
                        t.columns.push(Column { nullable: true, ..Column::new("other_id", ColumnType::BigInt) });
                        t.foreign_keys.push(fk);
                    }
                }
                _ => {
                    let name = t.name.clone();
                    if after.tables.iter().all(|o| o.name == name || o.foreign_keys.iter().all(|f| f.ref_table != name))
                    {
                        after.tables.remove(i);
                    }
                }
            }
        }
        if next(3) == 0 {
            let from = after.tables[0].name.clone();
            let to = format!("{from}_renamed");
            after.tables[0].name = to.clone();
            for fk in after.tables.iter_mut().flat_map(|t| t.foreign_keys.iter_mut()) {
                if fk.ref_table == from {
                    fk.ref_table = to.clone();
                }
            }
            hints.tables.push(TableRename { from, to });
        }
        (before, after.normalized(), hints)
    }

    #[test]
    fn the_lines_from_the_context_are_the_lines_from_the_whole_schema() {
        let mut compared = 0;
        for seed in 0..60 {
            let (before, after, hints) = changed(12, seed);
            let Ok(plan) = classify::plan(&before, &after, &hints) else { continue };
            let up = plan.up_steps();
            let whole = lines(&up, &before, true);
            assert_eq!(step_locks(&up, &before, true), whole, "seed {seed}: {up:?}");
            assert_eq!(step_locks(&up, &before, false), lines(&up, &before, false), "seed {seed}: {up:?}");
            compared += usize::from(!whole.is_empty());
        }
        assert!(compared > 30, "most seeds give lines to compare ({compared})");
    }

    #[test]
    fn the_context_holds_the_named_tables_and_their_neighbours_only() {
        let before = synthetic(6);
        // synthetic: table i has a foreign key to table i - 1.
        let up = [Step::AddColumn {
            table: "tbl_00003".into(),
            column: Column { nullable: true, ..Column::new("extra", ColumnType::Text) },
        }];
        let names: Vec<String> = context(&up, &before).tables.iter().map(|t| t.name.clone()).collect();
        assert_eq!(names, ["tbl_00002", "tbl_00003", "tbl_00004"]);
        let enum_step = [Step::CreateEnum { r#enum: EnumType { name: "e".into(), values: vec![] } }];
        assert!(matches!(context(&enum_step, &before), Cow::Borrowed(_)));
    }
}
