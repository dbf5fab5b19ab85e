//! The facade's features: a build that only describes tables never compiles a database driver; `migrate` and
//! `testing` bring sqlx in, with the drivers of the `sqlite`/`postgres`/`mysql` features only (the CLI's too).

use tests::{cargo, repo_root};

/// The crates `driftless` builds with `args` (package names, one per line of `cargo tree`).
fn dependencies(args: &[&str]) -> Vec<String> {
    dependencies_of("driftless", args)
}

/// The crates `package` builds with `args`.
fn dependencies_of(package: &str, args: &[&str]) -> Vec<String> {
    let mut all = vec!["tree", "-p", package, "-e", "no-dev", "--prefix", "none", "--format", "{p}"];
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

/// The drivers a build compiles (sqlx's driver crates).
fn drivers(crates: &[String]) -> Vec<&str> {
    ["sqlx-sqlite", "sqlx-postgres", "sqlx-mysql"].into_iter().filter(|d| crates.iter().any(|p| p == d)).collect()
}

#[test]
fn a_build_compiles_only_the_drivers_its_features_name() {
    // The facade: `migrate`/`testing` with one driver, and the default (all three).
    let sqlite = dependencies(&["--no-default-features", "--features", "migrate,sqlite"]);
    assert_eq!(drivers(&sqlite), ["sqlx-sqlite"]);
    let postgres = dependencies(&["--no-default-features", "--features", "testing,postgres"]);
    assert_eq!(drivers(&postgres), ["sqlx-postgres"]);
    assert_eq!(drivers(&dependencies(&["--features", "migrate"])), ["sqlx-sqlite", "sqlx-postgres", "sqlx-mysql"]);
    // The CLI a project's xtask depends on.
    let cli = dependencies_of("driftless-cli", &["--no-default-features", "--features", "sqlite"]);
    assert_eq!(drivers(&cli), ["sqlx-sqlite"]);
    assert_eq!(drivers(&dependencies_of("driftless-cli", &[])), ["sqlx-sqlite", "sqlx-postgres", "sqlx-mysql"]);
}
