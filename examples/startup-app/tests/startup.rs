//! The start-up example run as a program: the first start applies every migration, the next finds none pending,
//! and a database it cannot open is an error message and exit code 1.

use std::process::Command;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn start(database_url: &str) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_startup-app"))
        .env("DATABASE_URL", database_url)
        .env_remove("DRIFTLESS_ENV")
        .env_remove("APP_ENV")
        .output()
        .expect("the example runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn first_start_migrates_and_queries_the_next_finds_nothing_pending() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("app.db").display());

    let run = start(&url);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, "6 migration(s) applied at start-up\nroles: admin\n");
    // The migrator embedded in an application prints nothing of its own (it emits `tracing` events instead).
    assert_eq!(run.stderr, "", "an embedded migrator must not write to stderr");

    let run = start(&url);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, "0 migration(s) applied at start-up\nroles: admin\n");
    assert_eq!(run.stderr, "");
}

#[test]
fn a_database_it_cannot_open_is_an_error_and_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir/app.db");
    let run = start(&format!("sqlite://{}", missing.display()));
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.starts_with(&format!("error: cannot open sqlite://{}: ", missing.display())), "{}", run.stderr);
}
