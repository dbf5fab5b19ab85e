//! A backfill's inverse interrupted on the way down (`migrate-down`): the revert records its batches' keys as the
//! `up` does, on a row marked `dirty = 'down'`, and the next revert resumes after the recorded key with the rows
//! exactly as before the backfill. A separate process (`driftless-migrate-backfill --down`) is SIGKILLed after a
//! few batches; `migrate` (the other direction) refuses the half-reverted row instead of taking its key for its own.
//! The control: the same kill with the recorded key wiped undoes the first batches twice, which the checks see.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

use common::*;

const FIXTURE: &str = env!("CARGO_BIN_EXE_driftless-migrate-backfill");
const FILL: &str = "m20260102T000000_backfill_bf";
const ROWS: i64 = 20_000;

/// The fixture's progress lines, parsed: `(batches, rows_done, rows_total, last key, resumed, finished)`.
type Line = (u64, u64, u64, String, bool, bool);

fn parse(line: &str) -> Option<Line> {
    let w: Vec<&str> = line.split(' ').collect();
    (w.len() == 12 && w[0] == "batch").then(|| {
        (
            w[1].parse().unwrap(),
            w[3].parse().unwrap(),
            w[5].parse().unwrap(),
            w[7].to_owned(),
            w[9] == "true",
            w[11] == "true",
        )
    })
}

fn fixture(url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(FIXTURE);
    cmd.arg(url).args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

fn run(url: &str, args: &[&str]) -> (Output, Vec<Line>) {
    let out = fixture(url, args).output().unwrap();
    let lines = String::from_utf8_lossy(&out.stdout).lines().filter_map(parse).collect();
    (out, lines)
}

/// `bf` created and seeded with `ROWS` rows, and the backfill applied to every one (`hits = 1`, `tz = 'UTC'`).
async fn applied(t: &Target) {
    let url = t.db.url().to_owned();
    let (out, _) = run(&url, &["--first"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for start in (1..=ROWS).step_by(1000) {
        let values: Vec<String> = (start..start + 1000).map(|i| format!("({i})")).collect();
        t.exec(&format!("INSERT INTO bf (id) VALUES {}", values.join(", "))).await;
    }
    let (out, lines) = run(&url, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(lines.last().map(|l| (l.1, l.5)), Some((ROWS as u64, true)));
    assert_eq!(t.count("SELECT COUNT(*) FROM bf WHERE hits = 1 AND tz = 'UTC'").await, ROWS);
}

/// Reverts in a separate process and SIGKILLs it once it reports its third committed batch; returns its lines.
async fn revert_killed_after_three_batches(t: &Target) -> Vec<Line> {
    let url = t.db.url().to_owned();
    tokio::task::spawn_blocking(move || {
        let mut child = fixture(&url, &["--down", "--batch", "1000", "--throttle", "150"]).spawn().unwrap();
        let mut seen = Vec::new();
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let line = parse(&line.unwrap()).expect("a progress line");
            seen.push(line.clone());
            if line.0 == 3 {
                child.kill().unwrap();
                break;
            }
        }
        child.wait().unwrap();
        seen
    })
    .await
    .unwrap()
}

/// After the kill: the backfill's row is dirty *down*, with the key of the last committed batch (3000, or 4000 if
/// the fourth batch committed before the kill landed) and no statement of the down plan done; exactly the rows up to
/// the key are undone. Returns the key.
async fn killed_state(t: &Target) -> i64 {
    let key = t.strings(&format!("SELECT backfill_key FROM driftless_migrations WHERE name = '{FILL}'")).await;
    assert!(key == ["[\"3000\"]"] || key == ["[\"4000\"]"], "{key:?}");
    let rows = t.migrator([]).history().await.unwrap();
    let row = rows.iter().find(|r| r.name == FILL).unwrap();
    assert_eq!(
        (row.dirty, row.statements_done, row.statements_total),
        (Some(driftless_migrate::Direction::Down), 0, 1),
        "{row:?}"
    );
    let upto: i64 = key[0].trim_matches(|c| c == '[' || c == ']' || c == '"').parse().unwrap();
    assert_eq!(t.count(&format!("SELECT COUNT(*) FROM bf WHERE id <= {upto} AND hits = 0 AND tz IS NULL")).await, upto);
    assert_eq!(
        t.count(&format!("SELECT COUNT(*) FROM bf WHERE id > {upto} AND hits = 1 AND tz = 'UTC'")).await,
        ROWS - upto
    );
    upto
}

/// The rows exactly as before the backfill: every `hits` 0 (a batch undone twice leaves -1) and every `tz` NULL.
async fn rows_exactly_as_before(t: &Target) -> bool {
    t.count("SELECT COUNT(*) FROM bf WHERE hits = 0 AND tz IS NULL").await == ROWS
        && t.count("SELECT COUNT(*) FROM bf WHERE hits <> 0 OR tz IS NOT NULL").await == 0
}

async fn a_killed_down_backfill_resumes_after_its_recorded_key(t: Target) {
    applied(&t).await;
    let killed = revert_killed_after_three_batches(&t).await;
    assert_eq!(killed.first().map(|l| (l.0, l.2, l.4)), Some((0, ROWS as u64, false)));
    assert_eq!(killed.last().map(|l| (l.0, l.1, l.3.as_str())), Some((3, 3000, "3000")));
    let upto = killed_state(&t).await;
    // `migrate-status` lists it as resumed by `migrate-down`, not as a dirty row to repair by hand.
    let (out, _) = run(t.db.url(), &["--status"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "problem {FILL}: stopped reverting at statement 1 of 1 (in its backfill, after its last recorded batch); \
             the next `migrate-down` resumes the revert\n"
        )
    );

    // The other direction does not take the revert's key for its own: `migrate` refuses the half-reverted
    // migration, naming it and saying that `migrate-down` resumes it, and changes nothing.
    let (out, lines) = run(t.db.url(), &[]);
    assert!(!out.status.success() && lines.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim_end(),
        format!(
            "error: migration {FILL} did not finish reverting on an earlier run: it stopped at statement 1 of 1, in \
             its backfill, whose progress is recorded; run `cargo xtask migrate-down` to resume the revert (or \
             `migrate-resolve` once it is fixed by hand) before applying"
        )
    );
    assert_eq!(killed_state(&t).await, upto);

    // The next revert resumes after the key: it counts and undoes only the rest, in (rest / 1000) full batches and
    // a last one that finds nothing more, and the rows are exactly as before the backfill.
    let (out, lines) = run(t.db.url(), &["--down", "--batch", "1000"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("applied 0 reverted 1\n"));
    let rest = (ROWS - upto) as u64;
    assert_eq!(lines.first().map(|l| (l.0, l.2, l.3.clone(), l.4)), Some((0, rest, upto.to_string(), true)));
    assert_eq!(lines.last().map(|l| (l.0, l.1, l.5)), Some((rest / 1000 + 1, rest, true)));
    assert!(rows_exactly_as_before(&t).await);
    let rows = t.migrator([]).history().await.unwrap();
    assert_eq!(
        rows.iter().map(|r| (r.name.as_str(), r.dirty)).collect::<Vec<_>>(),
        [("m20260101T000000_create_bf", None)]
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM driftless_migrations WHERE backfill_key IS NOT NULL").await, 0);

    // Applying again starts from the first row (no key is left over from the revert) and does every row once.
    let (out, lines) = run(t.db.url(), &["--batch", "1000"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(lines.first().map(|l| (l.0, l.2, l.4)), Some((0, ROWS as u64, false)));
    assert_eq!(t.count("SELECT COUNT(*) FROM bf WHERE hits = 1 AND tz = 'UTC'").await, ROWS);
}

on_every_backend!(a_killed_down_backfill_resumes_after_its_recorded_key);

/// The control: the same kill, then the recorded key wiped to `[]` (a backfill that has recorded no batch) — the
/// next revert starts from the first row, undoes the killed run's batches a second time, and the check above sees
/// it: the rows up to the key end at `hits = -1`.
async fn control_a_revert_without_its_key_undoes_batches_twice(t: Target) {
    applied(&t).await;
    revert_killed_after_three_batches(&t).await;
    let upto = killed_state(&t).await;
    // Without a recorded key the progress is unknown: status says dirty.
    t.exec(&format!("UPDATE driftless_migrations SET backfill_key = NULL WHERE name = '{FILL}'")).await;
    let (out, _) = run(t.db.url(), &["--status"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("problem {FILL}: did not finish reverting; the database may be partly migrated\n")
    );
    t.exec(&format!("UPDATE driftless_migrations SET backfill_key = '[]' WHERE name = '{FILL}'")).await;
    let (out, lines) = run(t.db.url(), &["--down", "--batch", "1000"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(lines.first().map(|l| (l.2, l.4)), Some((ROWS as u64, false)));
    assert!(!rows_exactly_as_before(&t).await);
    assert_eq!(t.count("SELECT COUNT(*) FROM bf WHERE hits = -1").await, upto);
}

on_every_backend!(control_a_revert_without_its_key_undoes_batches_twice);
