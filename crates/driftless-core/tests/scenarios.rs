//! Data-driven diff scenarios: each folder of `tests/fixtures/diff/` holds `old.json` and `new.json` (schema.json
//! snapshots) and, optionally, `renames.json` (the renames answers file). The test diffs and classifies them and
//! snapshots the JSON and Markdown reports, or the error. A new case is just a new folder.

use std::fs;
use std::path::Path;

use driftless_core::classify::plan;
use driftless_core::dialect::Dialect;
use driftless_core::report::{json_value, markdown, text};
use driftless_core::schema::RenameHints;
use driftless_core::snapshot;

#[test]
fn diff_scenarios() {
    insta::glob!("fixtures/diff/*/old.json", |old_path| {
        let dir = old_path.parent().expect("a scenario folder");
        let old = read_fixture(old_path).unwrap_or_else(|e| panic!("{e}"));
        let new = read_fixture(&dir.join("new.json")).unwrap_or_else(|e| panic!("{e}"));
        let hints = read_hints(&dir.join("renames.json"));
        let all = Dialect::all();
        match plan(&old, &new, &hints) {
            Ok(p) => {
                insta::assert_json_snapshot!("json", json_value(&p, &all));
                insta::assert_snapshot!("markdown", markdown(&p, &all));
                // The text report is not snapshotted per scenario, but it must mention every step.
                let t = text(&p, &all, false);
                assert_eq!(t.matches("\n   down: ").count() + t.matches("\n    down: ").count(), p.changes.len());
            }
            Err(e) => insta::assert_snapshot!("error", e.to_string()),
        }
    });
}

fn read_hints(path: &Path) -> RenameHints {
    match fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        Err(_) => RenameHints::default(),
    }
}

/// A fixture's schema.json (driftless-core does no file I/O: its tests read their fixtures themselves).
fn read_fixture(path: &std::path::Path) -> Result<driftless_core::Schema, snapshot::SnapshotError> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    snapshot::from_str(&text, path)
}
