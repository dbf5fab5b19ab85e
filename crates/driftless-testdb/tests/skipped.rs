//! A test skipped for want of a server shows up in a plain `cargo test` (output captured, as by default): this runs
//! its own test binary on the fixture test below with an unreachable PostgreSQL URL, and reads what a user sees.

use std::process::Command;

const NOWHERE: &str = "postgres://postgres@127.0.0.1:1/test";

/// The fixture: asks for a PostgreSQL database and gets `None`. Run only by the test below.
#[tokio::test]
#[ignore = "a fixture for skipped_tests_are_visible_with_captured_output"]
async fn fixture_wants_postgres() {
    assert!(driftless_testdb::TestDb::postgres().await.is_none(), "the fixture points at an unreachable server");
}

#[test]
fn skipped_tests_are_visible_with_captured_output() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "fixture_wants_postgres", "--test-threads", "1"])
        .env("DRIFTLESS_TEST_POSTGRES_URL", NOWHERE)
        .env("DRIFTLESS_REQUIRE_DBS", "0")
        .env_remove("RUST_TEST_NOCAPTURE")
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("test fixture_wants_postgres ... ok"), "{stdout}");
    let line =
        stderr.lines().find(|l| l.starts_with("SKIPPED: ")).unwrap_or_else(|| panic!("no SKIPPED line: {stderr}"));
    assert!(line.starts_with(&format!("SKIPPED: postgres test server at {NOWHERE} is unavailable (")), "{line}");
    assert!(line.ends_with("); set DRIFTLESS_TEST_POSTGRES_URL to run these tests [fixture_wants_postgres]"), "{line}");
}
