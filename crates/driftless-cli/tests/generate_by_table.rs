//! `migrate-generate` reads a canonically laid out snapshot by its changed tables
//! (`driftless_core::snapshot::changed_tables`) and plans only their neighbourhood. These tests run the command on
//! the same change twice, once with the snapshot as the generator writes it (read by table) and once with the same
//! schema as compact JSON (which is read whole, the path every snapshot took before), and compare what is written:
//! the same migration, registry and new snapshot, byte for byte, except for the parent hash, which names the
//! snapshot's text. An edited snapshot is refused on both paths with the same message.

use std::process::ExitCode;

use driftless_cli::{Project, run};
use driftless_core::schema::{Column, ColumnType, ModelDef, Schema, SchemaBuilder};
use driftless_core::snapshot;
use driftless_core::testing::synthetic;

const TIMESTAMP: &str = "20261129_120000";

fn models(schema: &Schema, renamed: Option<(&str, &str)>) -> SchemaBuilder {
    let mut b = SchemaBuilder::new();
    for table in &schema.tables {
        b.model(ModelDef {
            renamed_from: renamed.filter(|(_, to)| *to == table.name).map(|(from, _)| from.to_owned()),
            ..ModelDef::new("Model", table.clone())
        });
    }
    b
}

/// Runs `migrate-generate` on `after` against a snapshot of `before` written as `text`; returns the exit code and
/// the written migration, registry and snapshot.
fn generate(before_text: &str, after: &Schema, renamed: Option<(&str, &str)>) -> (ExitCode, String, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("snapshots")).unwrap();
    std::fs::write(dir.path().join("snapshots/schema.json"), before_text).unwrap();
    let project = Project::new(dir.path(), models(after, renamed));
    let code = run(&project, ["migrate-generate", "--name", "next", "--timestamp", TIMESTAMP]);
    let read = |p: &str| std::fs::read_to_string(dir.path().join(p)).unwrap_or_default();
    let written = format!(
        "{}\n----\n{}\n----\n{}",
        read(&format!("migrations/m{TIMESTAMP}_next.rs")),
        read("migrations/mod.rs"),
        read("snapshots/schema.json")
    );
    (code, written, read("snapshots/schema.json"))
}

fn compact(text: &str) -> String {
    serde_json::to_string(&serde_json::from_str::<serde_json::Value>(text).unwrap()).unwrap()
}

fn both_paths(before: &Schema, after: &Schema, renamed: Option<(&str, &str)>) -> String {
    let canonical = snapshot::to_string(before);
    let whole = compact(&canonical);
    let (code_a, by_table, _) = generate(&canonical, after, renamed);
    let (code_b, read_whole, _) = generate(&whole, after, renamed);
    assert_eq!(code_a, ExitCode::SUCCESS, "{by_table}");
    assert_eq!(code_b, ExitCode::SUCCESS);
    let masked_a = by_table.replace(&snapshot::hash_text(&canonical), "PARENT");
    let masked_b = read_whole.replace(&snapshot::hash_text(&whole), "PARENT");
    assert!(masked_a.contains("PARENT"), "the parent hash is in the file");
    assert_eq!(masked_a, masked_b);
    masked_a
}

#[test]
fn reading_by_table_writes_what_reading_the_whole_snapshot_writes() {
    let before = synthetic(40);
    let extra = Column { nullable: true, ..Column::new("extra_note", ColumnType::Text) };
    let mut add_column = before.clone();
    add_column.table_mut("tbl_00020").unwrap().columns.push(extra.clone());
    let written = both_paths(&before, &add_column, None);
    assert!(written.contains("extra_note"), "{written}");
    // Several tables: a column made NOT NULL, a table dropped (the last: nothing references it), a new table.
    let mut several = add_column.clone();
    several.table_mut("tbl_00005").unwrap().columns.iter_mut().find(|c| c.name == "price").unwrap().nullable = false;
    several.tables.retain(|t| t.name != "tbl_00039");
    let mut added = several.table("tbl_00010").unwrap().clone();
    added.name = "zz_new".into();
    added.indexes.clear();
    added.foreign_keys.iter_mut().for_each(|f| f.name = "zz_new_prev_id_fkey".into());
    added.primary_key.as_mut().unwrap().name = "zz_new_pkey".into();
    several.tables.push(added);
    let several = several.normalized();
    both_paths(&before, &several, None);
    // A renamed table that others reference (its foreign keys follow it).
    let mut renamed = before.clone();
    renamed.table_mut("tbl_00030").unwrap().name = "renamed".into();
    for fk in renamed.tables.iter_mut().flat_map(|t| t.foreign_keys.iter_mut()) {
        if fk.ref_table == "tbl_00030" {
            fk.ref_table = "renamed".into();
        }
    }
    let written = both_paths(&before, &renamed.normalized(), Some(("tbl_00030", "renamed")));
    assert!(written.contains("rename table `tbl_00030` to `renamed`") || written.contains("RenameTable"), "{written}");
}

#[test]
fn an_edited_snapshot_is_refused_on_both_paths() {
    let before = synthetic(10);
    let mut after = before.clone();
    after.table_mut("tbl_00004").unwrap().columns.push(Column::new("extra", ColumnType::Text));
    let canonical = snapshot::to_string(&before);
    // An index renamed by hand to another table's index name.
    let edited = canonical.replacen("\"name\": \"tbl_00002_code_idx\"", "\"name\": \"tbl_00007_code_idx\"", 1);
    let refused = |text: &str| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("snapshots")).unwrap();
        std::fs::write(dir.path().join("snapshots/schema.json"), text).unwrap();
        let project = Project::new(dir.path(), models(&after, None));
        let code = run(&project, ["migrate-generate", "--name", "next", "--timestamp", TIMESTAMP]);
        assert_eq!(code, ExitCode::from(2));
        assert!(!dir.path().join("migrations").exists(), "nothing written");
        assert_eq!(std::fs::read_to_string(dir.path().join("snapshots/schema.json")).unwrap(), text);
    };
    refused(&edited);
    refused(&compact(&edited));
    // The reason, named the same way on both paths (from_str's message), is asserted in driftless-core
    // (`snapshot::changed::tests::an_edited_snapshot_is_refused_as_from_str_refuses_it`).
}

#[test]
fn main_writes_what_run_writes() {
    let before = synthetic(12);
    let mut after = before.clone();
    after.table_mut("tbl_00006").unwrap().columns.push(Column { nullable: true, ..Column::new("x", ColumnType::Text) });
    let canonical = snapshot::to_string(&before);
    let (_, by_run, _) = generate(&canonical, &after, None);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("snapshots")).unwrap();
    std::fs::write(dir.path().join("snapshots/schema.json"), &canonical).unwrap();
    let code = driftless_cli::main(
        Project::new(dir.path(), models(&after, None)),
        ["migrate-generate", "--name", "next", "--timestamp", TIMESTAMP],
    );
    assert_eq!(code, ExitCode::SUCCESS);
    let read = |p: &str| std::fs::read_to_string(dir.path().join(p)).unwrap();
    let by_main = format!(
        "{}\n----\n{}\n----\n{}",
        read(&format!("migrations/m{TIMESTAMP}_next.rs")),
        read("migrations/mod.rs"),
        read("snapshots/schema.json")
    );
    assert_eq!(by_main, by_run);
}
