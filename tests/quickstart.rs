//! The README's quick start, followed by a new user in a scratch project outside the repository: write the files
//! the README shows, generate the first migration, apply it, change a model, see `--check` fail, generate again,
//! apply again.

use std::path::Path;

use tests::{cargo, file_blocks, repo_root};

fn write_files(dir: &Path) {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let root = repo_root().display().to_string();
    let blocks = file_blocks(&readme[readme.find("## Quick start").expect("README has a quick start")..]);
    let names: Vec<&str> = blocks.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        names,
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
    for (path, body) in blocks {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body.replace("DRIFTLESS", &root)).unwrap();
    }
    // The same dependency versions as this workspace, so nothing is fetched or rebuilt.
    std::fs::copy(repo_root().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
}

#[test]
fn readme_quick_start_works_in_a_scratch_project() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    write_files(dir);

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

    // A model change without a migration: the CI check fails and names the change.
    let lib = dir.join("app/src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap();
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
}
