//! Separate OS processes, not tasks: eight copies of the `driftless-migrate-race` fixture binary migrate the same
//! database at once (every migration applied exactly once, all eight exit 0), and refusals end a process with a
//! non-zero exit code and the message on stderr.

mod common;

use std::process::{Command, Output, Stdio};

use common::*;

const RACE: &str = env!("CARGO_BIN_EXE_driftless-migrate-race");
const STEP_3: &str = "m20260103T000000_step_3";

fn race(url: &str, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(RACE);
    cmd.arg(url).args(args).env_remove("DRIFTLESS_ENV").env_remove("APP_ENV").envs(env.iter().copied());
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn eight_processes_migrate_at_once(t: Target) {
    let url = t.db.url().to_owned();
    let outputs: Vec<Output> = tokio::task::spawn_blocking(move || {
        let children: Vec<_> = (0..8).map(|_| race(&url, &[], &[]).spawn().expect("spawn the race binary")).collect();
        children.into_iter().map(|c| c.wait_with_output().expect("wait for the race binary")).collect()
    })
    .await
    .unwrap();

    let mut applied_total = 0;
    for (i, out) in outputs.iter().enumerate() {
        assert!(out.status.success(), "process {i} failed: {}{}", text(&out.stdout), text(&out.stderr));
        applied_total += text(&out.stdout).trim().parse::<usize>().expect("the race binary prints a count");
    }
    assert_eq!(applied_total, 6, "the six migrations were applied once in total");
    // Each migration after the first logged itself once: a second application would log a second row.
    let log = t.strings("SELECT migration FROM race_log ORDER BY migration").await;
    let expected: Vec<String> = (2..=6).map(|i| format!("m2026010{i}T000000_step_{i}")).collect();
    assert_eq!(log, expected);
    let rows = t.migrator([]).history().await.unwrap();
    assert_eq!(rows.len(), 6);
    assert!(rows.iter().all(|r| r.batch == 1 && r.dirty.is_none()), "{rows:?}");
    // The lock was released by every process: one more migrator gets it at once.
    let out = race(t.db.url(), &[], &[]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "0");

    // Refusals exit non-zero with the message on stderr.
    let out = race(t.db.url(), &["--edited"], &[]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with(&format!("error: migration {STEP_3} was edited after it was applied (checksum ")));
    let out = race(t.db.url(), &["--down"], &[("DRIFTLESS_ENV", "production")]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "error: refusing to run migrate-down in production (DRIFTLESS_ENV=production): it would revert \
         m20260106T000000_step_6, m20260105T000000_step_5, m20260104T000000_step_4, m20260103T000000_step_3, \
         m20260102T000000_step_2, m20260101T000000_race_log; pass --force-production if you really mean to\n"
    );
    let out = race(t.db.url(), &["--down"], &[("APP_ENV", "Production")]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("error: refusing to run migrate-down in production (APP_ENV=production)"));
    let out =
        race(t.db.url(), &["--down"], &[("DRIFTLESS_ENV", "staging"), ("APP_ENV", "production")]).output().unwrap();
    assert!(out.status.success(), "DRIFTLESS_ENV decides before APP_ENV: {}", text(&out.stderr));
    assert!(!t.has_table("race_log").await);
}
on_every_backend!(eight_processes_migrate_at_once);

/// An application that embeds the migrator with its defaults gets no output: a migrate, then a `down` under
/// `DRIFTLESS_ENV=production` (the library reads no environment variable, so no guard), both with empty stderr.
async fn an_embedded_migrator_writes_nothing(t: Target) {
    let out = race(t.db.url(), &["--embedded"], &[("DRIFTLESS_ENV", "production")]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "6\n");
    assert_eq!(text(&out.stderr), "", "the library wrote to stderr");
    let out = race(t.db.url(), &["--embedded", "--down"], &[("DRIFTLESS_ENV", "production")]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    assert!(!t.has_table("race_log").await);
    // The same binary with the CLI's choices (plain lines, the environment read) shows the run and refuses.
    race(t.db.url(), &["--embedded"], &[]).output().unwrap();
    let out = race(t.db.url(), &["--down"], &[("APP_ENV", "production")]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("error: refusing to run migrate-down in production (APP_ENV=production)"));
}
on_every_backend!(an_embedded_migrator_writes_nothing);

/// A migrator that has to wait for the lock says so, once, on stderr (then proceeds when the holder finishes).
async fn a_wait_for_the_lock_is_announced(t: Target) {
    let slow = raw("m20260101T000000_slow").up([slow_statement(t.dialect)]);
    let holder = t.migrator([slow]);
    let running = tokio::spawn(async move { holder.migrate().await });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let url = t.db.url().to_owned();
    let out = tokio::task::spawn_blocking(move || race(&url, &[], &[]).output().unwrap()).await.unwrap();
    assert_eq!(running.await.unwrap().unwrap().applied().len(), 1);
    let stderr = text(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].starts_with("waiting up to 60 s for the migration lock ("), "{stderr}");
    assert!(lines[0].ends_with("): another migrator is running against this database"), "{stderr}");
    // The holder applied a migration the race binary does not know: it waited, then refused.
    assert!(
        lines[1].starts_with("error: migration m20260101T000000_slow is applied in the database but missing"),
        "{stderr}"
    );
}
on_every_backend!(a_wait_for_the_lock_is_announced);
