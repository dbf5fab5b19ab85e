//! The facade's features: a build that only describes tables never compiles a database driver; `migrate` and
//! `testing` bring sqlx in.

use tests::{cargo, repo_root};

/// The crates `driftless` builds with `args` (package names, one per line of `cargo tree`).
fn dependencies(args: &[&str]) -> Vec<String> {
    let mut all = vec!["tree", "-p", "driftless", "-e", "no-dev", "--prefix", "none", "--format", "{p}"];
    all.extend_from_slice(args);
    let run = cargo(&repo_root(), &all);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout.lines().map(|l| l.split_whitespace().next().unwrap_or_default().to_owned()).collect()
}

#[test]
fn default_build_has_no_database_driver_and_testing_brings_sqlx() {
    let default = dependencies(&[]);
    assert!(default.iter().any(|p| p == "driftless-core"), "{default:?}");
    assert!(!default.iter().any(|p| p.starts_with("sqlx") || p == "driftless-migrate"), "{default:?}");
    let testing = dependencies(&["--features", "testing"]);
    for wanted in ["sqlx", "driftless-migrate", "driftless-testdb"] {
        assert!(testing.iter().any(|p| p == wanted), "{wanted} missing from {testing:?}");
    }
}
