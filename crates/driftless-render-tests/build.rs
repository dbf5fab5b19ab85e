//! Writes the migration files `tests/big_migrations.rs` compiles: the first migration of the synthetic schema
//! (`driftless_core::testing::synthetic`) at 1,000 and 5,000 tables, spelled by the real writer.

use std::path::PathBuf;

use driftless_core::classify;
use driftless_core::schema::{RenameHints, Schema};
use driftless_write::{MigrationFile, header_change, migration_file};

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for n in [1_000, 5_000] {
        let schema = driftless_core::testing::synthetic(n);
        let plan = classify::plan(&Schema::empty(), &schema, &RenameHints::default()).expect("a valid schema");
        let (up, down) = (plan.up_steps(), plan.down_steps());
        let name = format!("m20261122_000000_synthetic_{n}");
        let text = migration_file(&MigrationFile {
            name: &name,
            command: "build.rs",
            parent: None,
            snapshot: None,
            class: plan.class(),
            changes: plan.changes.iter().map(header_change).collect(),
            up: &up,
            down: &down,
            crate_path: "driftless_core",
            locks: Vec::new(),
        });
        // `include!` takes items only: the file's inner doc comments become plain comments.
        let text = text.replace("//!", "//");
        std::fs::write(out.join(format!("synthetic_{n}.rs")), text).expect("OUT_DIR is writable");
    }
    println!("cargo::rerun-if-changed=build.rs");
}
