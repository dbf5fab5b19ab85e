//! `migrate-generate` refuses a new key on a TEXT column (MySQL cannot build it without a prefix length) before
//! writing anything; with a `max_length` the same key generates. The message itself is asserted in
//! driftless-render-tests (`mysql_unindexable`).

use std::path::Path;
use std::process::ExitCode;

use driftless_cli::{Project, run};
use driftless_core::define::*;
use driftless_core::schema::{ColumnType, ModelDef, SchemaBuilder};

fn project(dir: &Path, email: ColumnType) -> Project {
    let t = table("users")
        .with_column(column("id", ColumnType::BigInt).auto_increment())
        .with_column(column("email", email))
        .primary_key("users_pkey", &["id"])
        .unique("users_email_key", &["email"]);
    let mut models = SchemaBuilder::new();
    models.model(ModelDef::new("User", t));
    Project::new(dir, models)
}

#[test]
fn a_unique_text_column_is_refused_at_generate_time_and_a_bounded_one_generates() {
    let dir = tempfile::tempdir().unwrap();
    let code = run(
        &project(dir.path(), ColumnType::Text),
        ["migrate-generate", "--name", "init", "--timestamp", "20261129_070000"],
    );
    assert_eq!(code, ExitCode::from(2));
    assert!(!dir.path().join("migrations").exists(), "nothing written");
    assert!(!dir.path().join("snapshots/schema.json").exists(), "no snapshot written");
    let code = run(
        &project(dir.path(), ColumnType::Varchar(320)),
        ["migrate-generate", "--name", "init", "--timestamp", "20261129_070000"],
    );
    assert_eq!(code, ExitCode::SUCCESS);
    assert!(dir.path().join("migrations/m20261129_070000_init.rs").exists());
}
