//! Generated migration files and their SQL, per scenario: for every folder of driftless-core's
//! `tests/fixtures/diff/` whose plan exists, the migration file `migrate-generate` would write (rustfmt'd) and the
//! `up` and `down` SQL on SQLite, PostgreSQL and MySQL, in one snapshot. A step a dialect cannot run shows its render error in place of the SQL.
//! Reviewers of a change to the differ, classifier, writer or renderer see its effect on real migration files.

use std::fs;

use driftless_core::classify::plan;
use driftless_core::dialect::Dialect;
use driftless_core::render::render_steps;
use driftless_core::replay::{ReplayOptions, apply_steps_with};
use driftless_core::schema::RenameHints;
use driftless_core::snapshot;
use driftless_write::{self as write, MigrationFile};

#[test]
fn migration_files_and_sql_per_scenario() {
    insta::glob!("../../driftless-core/tests/fixtures", "diff/*/old.json", |old_path| {
        let dir = old_path.parent().expect("a scenario folder");
        let scenario = dir.file_name().unwrap().to_str().unwrap();
        let old = driftless_write::files::read_snapshot(old_path).unwrap();
        let new = driftless_write::files::read_snapshot(&dir.join("new.json")).unwrap();
        let hints: RenameHints =
            fs::read_to_string(dir.join("renames.json")).map(|t| serde_json::from_str(&t).unwrap()).unwrap_or_default();
        // Scenarios whose diff is an error are covered by the `scenarios` test; an empty plan writes no file.
        let Ok(p) = plan(&old, &new, &hints) else { return };
        if p.is_empty() {
            return;
        }
        let name = format!("m20261122_000000_{scenario}");
        let (up, down) = (p.up_steps(), p.down_steps());
        let (parent, after) = (snapshot::hash(&old), snapshot::hash(&new));
        let text = write::migration_file(&MigrationFile {
            name: &name,
            command: &format!("cargo xtask migrate-generate --name {scenario}"),
            parent: Some(&parent),
            snapshot: Some(&after),
            class: p.class(),
            changes: p.changes.iter().map(write::header_change).collect(),
            up: &up,
            down: &down,
            crate_path: write::DEFAULT_CRATE,
            locks: Vec::new(),
        });
        let mut out = write::rustfmt(&text, std::path::Path::new(env!("CARGO_MANIFEST_DIR")))
            .expect("generated code is valid Rust");
        let after = apply_steps_with(&old, &up, ReplayOptions::DATABASE);
        for dialect in Dialect::all() {
            for (direction, steps, ctx) in [("up", &up, Ok(&old)), ("down", &down, after.as_ref())] {
                out.push_str(&format!("\n-- {} {direction}\n", dialect.name()));
                let sql = match ctx {
                    Ok(ctx) => render_steps(steps, dialect, ctx).map(|r| r.script()).map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                match sql {
                    Ok(script) => out.push_str(&script),
                    Err(e) => out.push_str(&format!("-- error: {e}\n")),
                }
            }
        }
        insta::assert_snapshot!("migration", out);
    });
}
