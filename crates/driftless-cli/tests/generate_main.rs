//! `driftless_cli::main`, as a user's xtask calls it, builds the models' schema by moving their tables out of the
//! project for `migrate-generate` (`SchemaBuilder::into_schema`), where `run` copies them: both write the same
//! migration, registry and snapshot, byte for byte. (`main` is called once: it is for a program's `main`.)

use std::path::Path;
use std::process::ExitCode;

use driftless_cli::Project;
use driftless_core::schema::{Column, ColumnType, ModelDef, Schema, SchemaBuilder};
use driftless_core::snapshot;
use driftless_core::testing::synthetic;

const ARGS: [&str; 5] = ["migrate-generate", "--name", "next", "--timestamp", "20261129_180000"];

fn models(schema: &Schema) -> SchemaBuilder {
    let mut b = SchemaBuilder::new();
    // Listed in reverse: the schema is sorted whatever the listing order.
    for table in schema.tables.iter().rev() {
        b.model(ModelDef::new("Model", table.clone()));
    }
    b
}

/// A project whose snapshot is `synthetic(40)`, in `dir`, with models that add a column to one table.
fn project(dir: &Path) -> Project {
    std::fs::create_dir_all(dir.join("snapshots")).unwrap();
    std::fs::write(dir.join("snapshots/schema.json"), snapshot::to_string(&synthetic(40))).unwrap();
    let mut after = synthetic(40);
    after.tables[17].columns.push(Column { nullable: true, ..Column::new("extra", ColumnType::Text) });
    Project::new(dir, models(&after))
}

fn written(dir: &Path) -> String {
    let read = |p: &str| std::fs::read_to_string(dir.join(p)).unwrap();
    format!(
        "{}\n----\n{}\n----\n{}",
        read("migrations/m20261129_180000_next.rs"),
        read("migrations/mod.rs"),
        read("snapshots/schema.json")
    )
}

#[test]
fn main_writes_what_run_writes() {
    let (by_run, by_main) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    assert_eq!(driftless_cli::run(&project(by_run.path()), ARGS), ExitCode::SUCCESS);
    assert_eq!(driftless_cli::main(project(by_main.path()), ARGS), ExitCode::SUCCESS);
    let (a, b) = (written(by_run.path()), written(by_main.path()));
    assert!(a.contains("\"extra\""), "the change is written: {a}");
    assert_eq!(a, b);
}
