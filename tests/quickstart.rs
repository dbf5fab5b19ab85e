//! The README's quick start, followed by a new user in a scratch project outside the repository: write the files
//! the README shows, generate the first migration, apply it, change a model, see `--check` fail, generate again,
//! apply again; then the "Testing your application" section's tests in the same project. The start-up section
//! shows the start-up example's own files, which its test runs.

use std::path::Path;

use tests::{cargo, cargo_with_env, file_blocks, repo_root, section};

fn readme() -> String {
    std::fs::read_to_string(repo_root().join("README.md")).unwrap()
}

/// Writes the file blocks of the README's `heading` section into `dir` (a later block replaces an earlier file), and
/// returns their paths.
fn write_files(dir: &Path, heading: &str) -> Vec<String> {
    let root = repo_root().display().to_string();
    let blocks = file_blocks(section(&readme(), heading));
    for (path, body) in &blocks {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body.replace("DRIFTLESS", &root)).unwrap();
    }
    // The same dependency versions as this workspace, so nothing is fetched.
    std::fs::copy(repo_root().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    blocks.into_iter().map(|(p, _)| p).collect()
}

/// The text of an insta snapshot file after its header.
fn snapshot_body(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header_end = text[4..].find("\n---\n").map(|i| i + 4 + 5).expect("an insta header");
    text[header_end..].to_owned()
}

#[test]
fn readme_quick_start_works_in_a_scratch_project() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    assert_eq!(
        write_files(dir, "## Quick start"),
        [
            "Cargo.toml",
            "app/Cargo.toml",
            "app/src/lib.rs",
            "app/src/migrations/mod.rs",
            "xtask/Cargo.toml",
            "xtask/src/main.rs",
            ".cargo/config.toml"
        ]
    );

    let run = cargo(dir, &["xtask", "migrate-generate", "--name", "init"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("_init: 2 change(s), safe"), "{}", run.stdout);
    assert!(run.stdout.contains("[safe] create table `users` (id, name, email, active, role_id)"), "{}", run.stdout);
    let migrations: Vec<String> = std::fs::read_dir(dir.join("app/src/migrations"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "mod.rs")
        .collect();
    assert_eq!(migrations.len(), 1);
    assert!(migrations[0].starts_with('m') && migrations[0].ends_with("_init.rs"), "{migrations:?}");
    let snapshot = std::fs::read_to_string(dir.join("snapshots/schema.json")).unwrap();
    assert!(snapshot.starts_with("{\n  \"format\": \"driftless-schema/1\""));

    let run = cargo(dir, &["xtask", "migrate"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("applied 1 migration in batch"), "{}{}", run.stdout, run.stderr);
    assert!(dir.join("driftless.db").exists(), "the SQLite default is a file at the project root");

    let run = cargo(dir, &["xtask", "migrate-generate", "--check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("up to date"), "{}", run.stdout);

    // A model derived but left out of `schema![...]`: generate and the CI check refuse, naming the struct, its table
    // and the fix. The registration lives in the app crate and reaches the xtask binary through the linker.
    let lib = dir.join("app/src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap();
    let forgotten = "\n#[derive(Model)]\npub struct AuditLog {\n    #[model(primary_key)]\n    pub id: i64,\n}\n";
    std::fs::write(&lib, format!("{text}{forgotten}")).unwrap();
    let run = cargo(dir, &["xtask", "migrate-generate", "--check"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(
            "error: 1 model(s) derive `Model` but are not in the schema; nothing was written\n  `app::AuditLog` (table \
             `audit_log`): add AuditLog to driftless::schema![...], or mark it #[model(unlisted)] if it is left out \
             on purpose\n"
        ),
        "{}",
        run.stderr
    );
    // Left out on purpose, it is no longer reported.
    std::fs::write(
        &lib,
        format!("{text}{}", forgotten.replace("#[derive(Model)]", "#[derive(Model)]\n#[model(unlisted)]")),
    )
    .unwrap();
    let run = cargo(dir, &["xtask", "migrate-generate", "--check"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    std::fs::write(&lib, &text).unwrap();

    // A model change without a migration: the CI check fails and names the change.
    let edited = text.replace(
        "    pub email: Option<String>,\n",
        "    pub email: Option<String>,\n    pub nickname: Option<String>,\n",
    );
    assert_ne!(edited, text);
    std::fs::write(&lib, edited).unwrap();
    let run = cargo(dir, &["xtask", "migrate-generate", "--check"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("[safe] add column `users.nickname` (text, nullable)"), "{}", run.stderr);

    let run = cargo(dir, &["xtask", "migrate-generate", "--name", "add_nickname"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = cargo(dir, &["xtask", "migrate"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("applied 1 migration in batch"), "{}{}", run.stdout, run.stderr);
    let run = cargo(dir, &["xtask", "migrate-status"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("2 applied, 0 pending, 0 problem(s)"), "{}", run.stdout);
    let run = cargo(dir, &["xtask", "migrate-sql", "add_nickname", "--dialect", "postgres"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("ALTER TABLE \"users\" ADD COLUMN \"nickname\" TEXT"), "{}", run.stdout);

    // "Testing your application": the section's tests, in the same project, on the models and migrations above.
    assert_eq!(write_files(dir, "## Testing your application"), ["app/Cargo.toml", "app/tests/database.rs"]);
    let run = cargo_with_env(dir, &["test", "-p", "app", "--test", "database"], &[("INSTA_UPDATE", "always")]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("test result: ok. 4 passed"), "{}", run.stdout);
    let snapshots = dir.join("app/tests/snapshots");
    let schema = std::fs::read_to_string(dir.join("snapshots/schema.json")).unwrap();
    assert_eq!(snapshot_body(&snapshots.join("database__schema.snap")).trim_end(), schema.trim_end());
    let sql = snapshot_body(&snapshots.join("database__init_sql_on_postgres.snap"));
    // As the migrator runs it: one unit, in one transaction, each statement with its lock.
    let head = "_init (up, postgres)\n-- unit 1 of 1: in one transaction, with the tracking-table row\n-- lock: none on \
                existing tables (new object) (online)\nCREATE TABLE \"roles\" (";
    assert!(sql.starts_with("-- m") && sql.contains(head), "{sql}");
    assert!(sql.contains("CREATE TABLE \"users\" ("), "{sql}");
    // From then on the snapshots are the reference: the same tests pass without updating anything.
    let run = cargo_with_env(dir, &["test", "-p", "app", "--test", "database"], &[("INSTA_UPDATE", "no")]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("test result: ok. 4 passed"), "{}", run.stdout);

    // Without a server the database test says so and passes; under DRIFTLESS_REQUIRE_DBS=1 it fails instead.
    let args = ["test", "-p", "app", "--test", "database", "postgres", "--", "--nocapture"];
    let nowhere = "postgres://postgres@127.0.0.1:1/test";
    let run = cargo_with_env(dir, &args, &[("DRIFTLESS_TEST_POSTGRES_URL", nowhere), ("DRIFTLESS_REQUIRE_DBS", "0")]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(&format!("SKIPPED: postgres test server at {nowhere} is unavailable")),
        "{}",
        run.stderr
    );
    let run = cargo_with_env(dir, &args, &[("DRIFTLESS_TEST_POSTGRES_URL", nowhere), ("DRIFTLESS_REQUIRE_DBS", "1")]);
    assert_eq!(run.code, 101, "{}{}", run.stdout, run.stderr);
    let message = format!("DRIFTLESS_REQUIRE_DBS=1 but the postgres test server at {nowhere} is unavailable");
    assert!(run.stderr.contains(&message), "{}{}", run.stdout, run.stderr);
}

/// The start-up section shows the start-up example's files as they are; `examples/startup-app`'s test runs them.
#[test]
fn readme_start_up_section_is_the_start_up_example() {
    let readme = readme();
    let blocks = file_blocks(section(&readme, "## Running migrations at start-up"));
    let names: Vec<&str> = blocks.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(names, ["examples/startup-app/src/main.rs"]);
    for (path, body) in blocks {
        let file = std::fs::read_to_string(repo_root().join(&path)).unwrap();
        assert_eq!(body, file, "the README's {path} differs from the file");
    }
}

#[test]
fn sections_end_at_the_next_heading_of_their_level() {
    let text = "# A\n## B\nb\n```sh\n# not a heading\n```\n### C\nc\n## D\nd\n";
    assert_eq!(section(text, "## B"), "## B\nb\n```sh\n# not a heading\n```\n### C\nc\n");
    assert_eq!(section(text, "## D"), "## D\nd\n");
}
