//! `migrate-generate` in a temporary project: what it writes, what it refuses, and its exit codes.

use std::path::Path;
use std::process::ExitCode;

use driftless_cli::{Project, run};
use driftless_core::define::*;
use driftless_core::schema::{ColumnType, ModelDef, SchemaBuilder, Table};

fn model(table: Table) -> ModelDef {
    ModelDef::new("Model", table)
}

fn users(extra: bool) -> Table {
    let mut t = table("users")
        .with_column(column("id", ColumnType::BigInt).auto_increment())
        .with_column(column("name", ColumnType::Varchar(100)))
        .primary_key("users_pkey", &["id"]);
    if extra {
        t = t.with_column(column("nickname", ColumnType::Text).nullable());
    }
    t
}

fn project(dir: &Path, tables: Vec<Table>) -> Project {
    let mut models = SchemaBuilder::new();
    for t in tables {
        models.model(model(t));
    }
    Project::new(dir, models)
}

fn migration_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("migrations"))
        .map(|rd| rd.map(|e| e.unwrap().file_name().into_string().unwrap()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn first_generation_writes_file_registry_and_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let p = project(dir.path(), vec![users(false)]);
    let code = run(&p, ["migrate-generate", "--name", "init", "--timestamp", "20261122_100000"]);
    assert_eq!(code, ExitCode::SUCCESS);
    assert_eq!(migration_files(dir.path()), ["m20261122_100000_init.rs", "mod.rs"]);
    let file = std::fs::read_to_string(dir.path().join("migrations/m20261122_100000_init.rs")).unwrap();
    assert!(file.contains("//! - [safe] create table `users` (id, name)"), "{file}");
    assert!(file.contains("Migration::new(\"m20261122_100000_init\")"), "{file}");
    let registry = std::fs::read_to_string(dir.path().join("migrations/mod.rs")).unwrap();
    assert!(registry.contains("pub mod m20261122_100000_init;\n"), "{registry}");
    assert!(registry.contains("    vec![\n        m20261122_100000_init::migration(),\n    ]\n"), "{registry}");
    // Without a rustfmt.toml no formatter runs: the writer's text is rustfmt-clean as written.
    assert!(file.contains("\n    Migration::new(\"m20261122_100000_init\")\n        .parent("), "{file}");
    let snapshot = driftless_write::files::read_snapshot(&dir.path().join("snapshots/schema.json")).unwrap();
    assert_eq!(snapshot.tables.len(), 1);

    // Nothing changed: says so, writes nothing, even without --name.
    assert_eq!(run(&p, ["migrate-generate"]), ExitCode::SUCCESS);
    assert_eq!(run(&p, ["migrate-generate", "--check"]), ExitCode::SUCCESS);
    assert_eq!(migration_files(dir.path()).len(), 2);
}

#[test]
fn check_exits_1_on_a_model_change_and_2_on_errors() {
    let dir = tempfile::tempdir().unwrap();
    let before = project(dir.path(), vec![users(false)]);
    assert_eq!(run(&before, ["migrate-generate", "--name", "init"]), ExitCode::SUCCESS);
    let after = project(dir.path(), vec![users(true)]);
    assert_eq!(run(&after, ["migrate-generate", "--check"]), ExitCode::from(1));
    // A change without --name is an error, and so is a name that cannot be a module name.
    assert_eq!(run(&after, ["migrate-generate"]), ExitCode::from(2));
    assert_eq!(run(&after, ["migrate-generate", "--name", "Add-Nickname"]), ExitCode::from(2));
    // A corrupt snapshot is an error, not a difference.
    std::fs::write(dir.path().join("snapshots/schema.json"), "{\"format\": \"driftless-schema/9\"}").unwrap();
    assert_eq!(run(&after, ["migrate-generate", "--check"]), ExitCode::from(2));
    assert_eq!(migration_files(dir.path()).len(), 2, "nothing new was written");
}

#[test]
fn a_failed_write_leaves_the_tree_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path(), vec![users(false)]);
    // The snapshot path is a non-empty directory, so the last of the three writes fails after the other two.
    std::fs::create_dir_all(p.snapshot.join("blocker")).unwrap();
    assert_eq!(run(&p, ["migrate-generate", "--name", "init"]), ExitCode::from(2));
    assert_eq!(migration_files(dir.path()), Vec::<String>::new(), "neither the migration nor the registry landed");
    p.snapshot = dir.path().join("snapshots/schema.json.fixed");
    assert_eq!(run(&p, ["migrate-generate", "--name", "init"]), ExitCode::SUCCESS);
    assert_eq!(migration_files(dir.path()).len(), 2);
}

#[test]
fn empty_writes_a_skeleton_and_keeps_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let p = project(dir.path(), vec![users(false)]);
    assert_eq!(run(&p, ["migrate-generate", "--name", "init", "--timestamp", "20261122_100000"]), ExitCode::SUCCESS);
    let snapshot = std::fs::read_to_string(dir.path().join("snapshots/schema.json")).unwrap();
    let code = run(&p, ["migrate-generate", "--empty", "--name", "backfill", "--timestamp", "20261122_110000"]);
    assert_eq!(code, ExitCode::SUCCESS);
    let skeleton = std::fs::read_to_string(dir.path().join("migrations/m20261122_110000_backfill.rs")).unwrap();
    assert!(skeleton.contains("Migration::new(\"m20261122_110000_backfill\").up([]).down([])"), "{skeleton}");
    assert_eq!(std::fs::read_to_string(dir.path().join("snapshots/schema.json")).unwrap(), snapshot);
    let registry = std::fs::read_to_string(dir.path().join("migrations/mod.rs")).unwrap();
    assert_eq!(driftless_write::parse_registry(&registry), ["m20261122_100000_init", "m20261122_110000_backfill"]);
    // A timestamp older than the last migration is refused rather than reordering history.
    let code = run(&p, ["migrate-generate", "--empty", "--name", "late", "--timestamp", "20261122_090000"]);
    assert_eq!(code, ExitCode::from(2));
}

#[test]
fn renames_file_turns_drop_and_add_into_a_rename() {
    let dir = tempfile::tempdir().unwrap();
    let p = project(dir.path(), vec![users(false)]);
    assert_eq!(run(&p, ["migrate-generate", "--name", "init", "--timestamp", "20261122_100000"]), ExitCode::SUCCESS);
    let renamed = table("users")
        .with_column(column("id", ColumnType::BigInt).auto_increment())
        .with_column(column("full_name", ColumnType::Varchar(100)))
        .primary_key("users_pkey", &["id"]);
    let p = project(dir.path(), vec![renamed]);
    let answers = dir.path().join("renames.json");
    std::fs::write(&answers, r#"{"columns": [{"table": "users", "from": "name", "to": "full_name"}]}"#).unwrap();
    let code = run(
        &p,
        [
            "migrate-generate",
            "--name",
            "rename_name",
            "--timestamp",
            "20261122_110000",
            "--renames",
            answers.to_str().unwrap(),
        ],
    );
    assert_eq!(code, ExitCode::SUCCESS);
    let file = std::fs::read_to_string(dir.path().join("migrations/m20261122_110000_rename_name.rs")).unwrap();
    assert!(file.contains("rename_column(\"users\", \"name\", \"full_name\")"), "{file}");
    assert!(!file.contains("drop_column"), "{file}");

    // Without the answer the same change is a dangerous drop + add, flagged as a possible rename.
    let dir2 = tempfile::tempdir().unwrap();
    let p = project(dir2.path(), vec![users(false)]);
    assert_eq!(run(&p, ["migrate-generate", "--name", "init", "--timestamp", "20261122_100000"]), ExitCode::SUCCESS);
    let renamed = table("users")
        .with_column(column("id", ColumnType::BigInt).auto_increment())
        .with_column(column("full_name", ColumnType::Varchar(100)))
        .primary_key("users_pkey", &["id"]);
    let p = project(dir2.path(), vec![renamed]);
    let code = run(&p, ["migrate-generate", "--name", "oops", "--timestamp", "20261122_110000"]);
    assert_eq!(code, ExitCode::SUCCESS);
    let file = std::fs::read_to_string(dir2.path().join("migrations/m20261122_110000_oops.rs")).unwrap();
    assert!(file.contains("//! Class: dangerous"), "{file}");
    assert!(file.contains("add #[model(renamed_from = \"name\")] to field full_name of table users"), "{file}");
    assert!(file.contains(".acknowledged(\"\", \"\")"), "{file}");
}

#[test]
fn check_exits_1_when_a_label_is_lower_than_its_steps() {
    use driftless_core::migration::{Class, Migration};
    use driftless_core::step::Step;
    let dir = tempfile::tempdir().unwrap();
    let p = project(dir.path(), vec![users(false)]);
    assert_eq!(run(&p, ["migrate-generate", "--name", "init"]), ExitCode::SUCCESS);
    let init = Migration::new("m1_init").up([Step::CreateTable { table: users(false) }]);
    let with = |extra: Migration| p.clone().with_migrations(dir.path().join("migrations"), vec![init.clone(), extra]);
    // A hand-written drop left with the Safe label an `--empty` migration starts with.
    let drop = || Migration::new("m2_drop").up([Step::DropTable { table: users(false) }]);
    assert_eq!(run(&with(drop()), ["migrate-generate", "--check"]), ExitCode::from(1));
    // Labelled honestly it passes the check (the acknowledgement is the migrator's and the review's business).
    assert_eq!(run(&with(drop().class(Class::Dangerous)), ["migrate-generate", "--check"]), ExitCode::SUCCESS);
    // A label higher than the steps is the author asking for care, and passes.
    let raised = Migration::new("m2_note").class(Class::Dangerous);
    assert_eq!(run(&with(raised), ["migrate-generate", "--check"]), ExitCode::SUCCESS);
}

#[test]
fn a_timestamp_not_of_the_generated_shape_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let p = project(&dir.path().join("project"), vec![users(false)]);
    for bad in ["../../../escaped", "20261122_100000_x\"); evil(", "20261122_250000"] {
        assert_eq!(run(&p, ["migrate-generate", "--name", "init", "--timestamp", bad]), ExitCode::from(2), "{bad}");
        assert_eq!(run(&p, ["migrate-generate", "--empty", "--name", "init", "--timestamp", bad]), ExitCode::from(2));
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing written anywhere, not even the project");
}

/// `DRIFTLESS_TIMESTAMP` goes through the same check. The variable is process-wide, so the check runs in a child
/// process (this test binary, filtered to this test) to keep it away from the other tests.
#[test]
fn driftless_timestamp_is_checked_too() {
    const NAME: &str = "driftless_timestamp_is_checked_too";
    if std::env::var_os("DRIFTLESS_TIMESTAMP").is_some() {
        let dir = tempfile::tempdir().unwrap();
        let p = project(&dir.path().join("project"), vec![users(false)]);
        assert_eq!(run(&p, ["migrate-generate", "--name", "init"]), ExitCode::from(2));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing written");
        // --timestamp wins over the variable.
        assert_eq!(
            run(&p, ["migrate-generate", "--name", "init", "--timestamp", "20261122_100000"]),
            ExitCode::SUCCESS
        );
        assert_eq!(migration_files(&dir.path().join("project")), ["m20261122_100000_init.rs", "mod.rs"]);
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", NAME, "--nocapture", "--test-threads=1"])
        .env("DRIFTLESS_TIMESTAMP", "../m1_x")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "error: DRIFTLESS_TIMESTAMP: the timestamp \"../m1_x\" is not of the form YYYYMMDD_HHMMSS (for example \
             20261122_030000): it must be 8 digits, an underscore and 6 digits; nothing was written\n"
        ),
        "{stderr}"
    );
}

#[test]
fn a_derived_model_missing_from_the_schema_stops_generate_and_check() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path(), vec![users(false)]);
    assert!(p.registered.is_empty(), "this test binary derives no model: {:?}", p.registered);
    p.registered = vec![
        driftless_core::model::__private::registration("app::User", "users"),
        driftless_core::model::__private::registration("app::AuditLog", "audit_log"),
    ];
    assert_eq!(run(&p, ["migrate-generate", "--name", "init"]), ExitCode::from(2));
    assert_eq!(run(&p, ["migrate-generate", "--check"]), ExitCode::from(2));
    assert!(migration_files(dir.path()).is_empty(), "nothing was written");
    assert!(!dir.path().join("snapshots/schema.json").exists());
    // Listed, it generates.
    p.registered.retain(|r| r.table() == "users");
    assert_eq!(run(&p, ["migrate-generate", "--name", "init"]), ExitCode::SUCCESS);
}

#[test]
fn a_project_rustfmt_toml_formats_the_new_files_with_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rustfmt.toml"), "hard_tabs = true\n").unwrap();
    let p = project(dir.path(), vec![users(false)]);
    let code = run(&p, ["migrate-generate", "--name", "init", "--timestamp", "20261122_100000"]);
    assert_eq!(code, ExitCode::SUCCESS);
    let file = std::fs::read_to_string(dir.path().join("migrations/m20261122_100000_init.rs")).unwrap();
    assert!(file.contains("\n\tMigration::new(\"m20261122_100000_init\")\n\t\t.parent("), "{file}");
    let registry = std::fs::read_to_string(dir.path().join("migrations/mod.rs")).unwrap();
    assert!(registry.contains("pub mod m20261122_100000_init;\n"), "{registry}");
}

/// An enum type renamed through the renames file (or `#[model(renamed_from = "...")]` on the `DbEnum`) becomes a
/// `rename_enum` step, review_required for PostgreSQL's catalog rename, instead of a dangerous drop and create.
#[test]
fn renames_file_turns_an_enum_drop_and_create_into_a_rename() {
    let with_status = |name: &str| {
        let t = users(false).with_column(column("status", ColumnType::Enum(name.into())));
        let mut m = model(t);
        m.enums = vec![enum_type(name, &["active", "banned"])];
        let mut models = SchemaBuilder::new();
        models.model(m);
        models
    };
    let dir = tempfile::tempdir().unwrap();
    let p = Project::new(dir.path(), with_status("user_status"));
    assert_eq!(run(&p, ["migrate-generate", "--name", "init", "--timestamp", "20261122_100000"]), ExitCode::SUCCESS);
    let p = Project::new(dir.path(), with_status("account_status"));
    let answers = dir.path().join("renames.json");
    std::fs::write(&answers, r#"{"enums": [{"from": "user_status", "to": "account_status"}]}"#).unwrap();
    let args = ["migrate-generate", "--name", "rename_status", "--timestamp", "20261122_110000", "--renames"];
    let code = run(&p, args.into_iter().chain([answers.to_str().unwrap()]));
    assert_eq!(code, ExitCode::SUCCESS);
    let file = std::fs::read_to_string(dir.path().join("migrations/m20261122_110000_rename_status.rs")).unwrap();
    assert!(file.contains("//! Class: review_required"), "{file}");
    assert!(file.contains("//! - [review_required] rename enum `user_status` to `account_status`"), "{file}");
    assert!(file.contains("fn up_0() -> Step {\n    rename_enum(\"user_status\", \"account_status\")\n}"), "{file}");
    assert!(file.contains("fn down_0() -> Step {\n    rename_enum(\"account_status\", \"user_status\")\n}"), "{file}");
    assert!(!file.contains("drop_enum") && !file.contains("alter_column"), "{file}");
}

/// The header names the lock each step on an existing table takes, as the migrator runs it: PostgreSQL's online
/// recipe and MySQL's ALGORITHM/LOCK clause; a step on a table created in the same migration gets no line.
#[test]
fn the_header_names_the_locks_each_step_takes() {
    let dir = tempfile::tempdir().unwrap();
    let before = project(dir.path(), vec![users(false)]);
    assert_eq!(
        run(&before, ["migrate-generate", "--name", "init", "--timestamp", "20261122_100000"]),
        ExitCode::SUCCESS
    );
    let indexed = users(true).index(index("users_name_idx", &["name"]));
    let teams = table("teams")
        .with_column(column("id", ColumnType::BigInt))
        .primary_key("teams_pkey", &["id"])
        .index(index("teams_id_idx", &["id"]));
    let after = project(dir.path(), vec![indexed, teams]);
    let args = ["migrate-generate", "--name", "more", "--timestamp", "20261123_100000"];
    assert_eq!(run(&after, args), ExitCode::SUCCESS);
    let file = std::fs::read_to_string(dir.path().join("migrations/m20261123_100000_more.rs")).unwrap();
    let header: String = file.lines().take_while(|l| l.starts_with("//!")).map(|l| format!("{l}\n")).collect();
    let locks = header.split("//! Locks").nth(1).map(|l| format!("//! Locks{l}")).unwrap_or_default();
    insta::assert_snapshot!(locks);
}
