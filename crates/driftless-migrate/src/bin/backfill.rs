//! A fixture for driftless-migrate's backfill test (not a tool): migrates the database at the URL given as the first
//! argument with a fixed two-migration history — `bf` created, then backfilled — and prints one line per backfill
//! progress report on stdout, so that the test can kill it after a few batches and check that a second run resumes.
//!
//! `--first` applies only the first migration (the test then seeds the table); `--down` reverts the last batch (the
//! backfill's inverse runs in batches too); `--batch N` and `--throttle MS` tune the backfill (neither is in the
//! checksum); `--status` prints each problem `migrate-status` would list (`problem <text>`). Exits non-zero with the error's message on stderr when the run fails.

use std::process::ExitCode;

use driftless_core::migration::prelude::*;
use driftless_core::migration::{Class, Migration};
use driftless_migrate::{BackfillProgress, Migrator, Progress};

/// The first migration's name.
const CREATE: &str = "m20260101T000000_create_bf";

/// `bf`, then a backfill without a predicate: `hits = hits + 1` on every row, so a batch done twice shows as 2.
fn history(batch: u32, throttle: u32) -> Vec<Migration> {
    let bf = table("bf")
        .with_column(column("id", ColumnType::BigInt))
        .with_column(column("hits", ColumnType::Integer).default_value(Literal::Int(0)))
        .with_column(column("tz", ColumnType::Text).nullable())
        .primary_key("bf_pkey", &["id"]);
    // Its inverse, also without a predicate: `hits = hits - 1`, so a batch undone twice shows as -1.
    let fill = backfill("bf", &[("hits", "hits + 1"), ("tz", "'UTC'")])
        .batch_size(batch)
        .throttle_ms(throttle)
        .undo(&[("hits", "hits - 1"), ("tz", "NULL")], None);
    vec![
        Migration::new(CREATE).up([create_table(bf.clone())]).down([drop_table(bf)]),
        Migration::new("m20260102T000000_backfill_bf")
            .class(Class::ReviewRequired)
            .up([fill.clone()])
            .down([fill.inverse()]),
    ]
}

/// One line per report: `batch 3 rows 3000 total 20000 key 3000 resumed false finished false`.
struct Lines;

impl Progress for Lines {
    fn backfill_progress(&self, p: &BackfillProgress) {
        println!(
            "batch {} rows {} total {} key {} resumed {} finished {}",
            p.batches,
            p.rows_done,
            p.rows_total,
            p.last_key.join(","),
            p.resumed,
            p.finished
        );
    }
}

fn number(args: &[String], flag: &str, default: u32) -> u32 {
    args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(url) = args.first().filter(|a| !a.starts_with("--")) else {
        eprintln!(
            "usage: driftless-migrate-backfill DATABASE_URL [--first|--down|--status] [--batch N] [--throttle MS]"
        );
        return ExitCode::from(2);
    };
    let history = history(number(&args, "--batch", 1000), number(&args, "--throttle", 0));
    let run = async {
        let migrator = Migrator::connect(url, history).await?.progress(Lines);
        if args.iter().any(|a| a == "--status") {
            migrator.status().await?.problems.iter().for_each(|p| println!("problem {p}"));
            migrator.database().close().await;
            return Ok(None);
        }
        let report = if args.iter().any(|a| a == "--first") {
            migrator.to(CREATE).await?
        } else if args.iter().any(|a| a == "--down") {
            migrator.down().await?
        } else {
            migrator.migrate().await?
        };
        migrator.database().close().await;
        Ok::<_, driftless_migrate::Error>(Some(report))
    };
    match run.await {
        Ok(None) => ExitCode::SUCCESS,
        Ok(Some(report)) => {
            println!("applied {} reverted {}", report.applied().len(), report.reverted().len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
