//! The git repository the `migrate-review` tests (`review.rs`, `review_contract.rs`) build in a temporary folder,
//! isolated from the user's git configuration, with fixed dates so its commits are the same on every run.
//! Included with `#[path = "common/review_repo.rs"] mod review_repo;`.
#![allow(dead_code, reason = "each test binary uses a different part of this module")]

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use driftless_cli::{Project, run};
use driftless_core::migration::Migration;
use driftless_core::schema::SchemaBuilder;
use driftless_write as write;

pub struct Repo {
    dir: tempfile::TempDir,
    /// The author and committer date of every commit (`2026-11-22T10:00:00Z`).
    date: &'static str,
    /// The text of a migration file (the review reads the registry, not this code).
    file_text: fn(&Migration) -> String,
}

impl Repo {
    /// An empty repository on branch `main`.
    pub fn init(date: &'static str, file_text: fn(&Migration) -> String) -> Repo {
        let repo = Repo { dir: tempfile::tempdir().unwrap(), date, file_text };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn git(&self, args: &[&str]) {
        let out = Command::new("git")
            .arg("-C")
            .arg(self.root())
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .env("GIT_AUTHOR_DATE", self.date)
            .env("GIT_COMMITTER_DATE", self.date)
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Writes the migration files and the registry for `migrations` into `migrations/` (other files stay).
    pub fn write_migrations(&self, migrations: &[Migration]) {
        let folder = self.root().join("migrations");
        std::fs::create_dir_all(&folder).unwrap();
        for m in migrations {
            std::fs::write(folder.join(format!("{}.rs", m.name)), (self.file_text)(m)).unwrap();
        }
        let names: Vec<String> = migrations.iter().map(|m| m.name.clone()).collect();
        std::fs::write(folder.join("mod.rs"), write::registry_file(&names, "driftless")).unwrap();
    }

    pub fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
    }

    pub fn project(&self, registry: Vec<Migration>) -> Project {
        Project::new(self.root(), SchemaBuilder::new()).with_migrations(self.root().join("migrations"), registry)
    }

    /// Runs `migrate-review` with `args`, the report written to a file: `(exit code, report)`.
    pub fn review(&self, registry: Vec<Migration>, args: &[&str]) -> (ExitCode, String) {
        let out: PathBuf = self.root().join("review.out");
        let _ = std::fs::remove_file(&out);
        let project = self.project(registry);
        let mut all = vec!["migrate-review", "--output", out.to_str().unwrap()];
        all.extend_from_slice(args);
        let code = run(&project, all);
        (code, std::fs::read_to_string(&out).unwrap_or_default())
    }
}
