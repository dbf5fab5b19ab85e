//! The crate wall: the runtime migrator renders frozen steps and never generates code, so neither
//! `driftless-migrate` nor the facade's runtime features compile or link this crate (or spawn `rustfmt`).

use std::path::Path;
use std::process::Command;

/// The packages `cargo tree` lists for `args` (normal dependencies only), one name per line.
fn tree(args: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(env!("CARGO"))
        .args(["tree", "-e", "normal", "--prefix", "none", "--format", "{p}"])
        .args(args)
        .current_dir(root)
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "cargo tree {args:?} failed: {stderr}");
    String::from_utf8_lossy(&out.stdout).lines().map(|l| l.split_whitespace().next().unwrap_or("").to_owned()).collect()
}

#[test]
fn the_runtime_does_not_depend_on_the_writer() {
    let runtime = tree(&["-p", "driftless-migrate"]);
    assert!(runtime.iter().any(|p| p == "driftless-core"), "{runtime:?}");
    assert!(
        !runtime.iter().any(|p| p == "driftless-write"),
        "driftless-migrate depends on driftless-write: {runtime:?}"
    );
    let facade = tree(&["-p", "driftless", "--features", "migrate,testing"]);
    assert!(facade.iter().any(|p| p == "driftless-migrate"), "{facade:?}");
    assert!(!facade.iter().any(|p| p == "driftless-write"), "the facade depends on driftless-write: {facade:?}");
}

#[test]
fn the_cli_uses_the_writer() {
    let cli = tree(&["-p", "driftless-cli"]);
    assert!(cli.iter().any(|p| p == "driftless-write"), "{cli:?}");
}
