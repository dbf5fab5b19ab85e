//! The text report (the scenario test snapshots the JSON and Markdown ones): layout, colour on demand, dialect
//! selection, and the empty plan.

use std::path::Path;

use driftless_core::classify::{Plan, plan};
use driftless_core::dialect::Dialect;
use driftless_core::report::{json_value, markdown, text};
use driftless_core::schema::RenameHints;
use driftless_core::snapshot;

fn scenario(name: &str) -> Plan {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diff").join(name);
    let old = read_fixture(&dir.join("old.json")).unwrap();
    let new = read_fixture(&dir.join("new.json")).unwrap();
    plan(&old, &new, &RenameHints::default()).unwrap()
}

#[test]
fn text_report_of_a_feature_branch() {
    insta::assert_snapshot!(text(&scenario("feature_branch_with_several_changes"), &Dialect::all(), false));
}

#[test]
fn text_report_with_possible_renames_and_one_dialect() {
    insta::assert_snapshot!(text(&scenario("possible_column_rename_unhinted"), &[Dialect::Postgres], false));
}

#[test]
fn colour_is_added_only_when_asked() {
    let p = scenario("drop_column");
    let plain = text(&p, &Dialect::all(), false);
    let coloured = text(&p, &Dialect::all(), true);
    assert!(!plain.contains('\x1b'));
    assert!(coloured.contains("\x1b[1;31mdangerous"));
    let strip = coloured.replace("\x1b[0m", "").replace("\x1b[1;31m", "").replace("\x1b[1m", "").replace("\x1b[2m", "");
    assert_eq!(strip.replace("\x1b[32m", "").replace("\x1b[33m", ""), plain);
}

#[test]
fn empty_plans_say_so_in_every_format() {
    let p = scenario("no_change_reordered_columns");
    assert!(p.is_empty());
    assert_eq!(
        text(&p, &Dialect::all(), true),
        "No schema changes: the models and the snapshot describe the same schema.\n"
    );
    assert!(markdown(&p, &Dialect::all()).starts_with("### driftless: no schema changes"));
    let j = json_value(&p, &Dialect::all());
    assert_eq!(j["class"], "safe");
    assert_eq!(j["changes"].as_array().map(Vec::len), Some(0));
}

#[test]
fn reports_cover_only_the_dialects_asked_for() {
    let p = scenario("create_index");
    let j = json_value(&p, &[Dialect::Mysql]);
    assert_eq!(j["dialects"], serde_json::json!(["mysql"]));
    assert_eq!(j["class"], "safe", "CREATE INDEX is online on MySQL");
    assert_eq!(json_value(&p, &Dialect::all())["class"], "review_required", "but blocks writes on PostgreSQL");
    assert!(!markdown(&p, &[Dialect::Mysql]).contains("PostgreSQL"));
}

/// A fixture's schema.json (driftless-core does no file I/O: its tests read their fixtures themselves).
fn read_fixture(path: &std::path::Path) -> Result<driftless_core::Schema, snapshot::SnapshotError> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    snapshot::from_str(&text, path)
}
