//! Benchmark (not a timed test): diff + classify of the synthetic schema peers were timed on
//! (`/work/shared/bench/README.md`): N tables × 10 columns, a foreign key to the previous table, an index on `code`.
//!
//! Scenarios: `incr` (the same schema plus one nullable column `extra_note` on the middle table) and `fresh` (from an
//! empty schema). Prints the median of several runs and the process's peak resident memory (VmHWM).
//!
//! Run with `cargo bench -p driftless-core --bench diff` (optionally `-- 1000 5000 10000` for other sizes).

use std::hint::black_box;
use std::time::{Duration, Instant};

use driftless_core::classify::plan;
use driftless_core::schema::{RenameHints, Schema};
use driftless_core::testing::{synthetic, synthetic_plus_one};

fn peak_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![1_000, 5_000, 10_000] } else { sizes };
    let runs = 7;
    println!("driftless diff + classify benchmark ({runs} runs each, median)");
    let mut schemas = Vec::new();
    for &n in &sizes {
        let old = synthetic(n);
        let new = synthetic_plus_one(n);
        let hints = RenameHints::default();
        let incr = median(
            (0..runs)
                .map(|_| {
                    let start = Instant::now();
                    let p = plan(black_box(&old), black_box(&new), &hints).expect("the synthetic schemas diff");
                    assert_eq!(p.changes.len(), 1);
                    black_box(p);
                    start.elapsed()
                })
                .collect(),
        );
        println!(
            "incr  {n:>6} tables: median {:>8.2} ms   peak RSS so far {:.0} MB",
            incr.as_secs_f64() * 1e3,
            peak_mb().unwrap_or(f64::NAN)
        );
        schemas.push((n, old));
    }
    for (n, old) in schemas {
        let empty = Schema::empty();
        let fresh = median(
            (0..3)
                .map(|_| {
                    let start = Instant::now();
                    let p = plan(black_box(&empty), black_box(&old), &RenameHints::default())
                        .expect("the synthetic schema diffs");
                    assert_eq!(p.changes.len(), n);
                    black_box(p);
                    start.elapsed()
                })
                .collect(),
        );
        println!(
            "fresh {n:>6} tables: median {:>8.2} ms   peak RSS so far {:.0} MB",
            fresh.as_secs_f64() * 1e3,
            peak_mb().unwrap_or(f64::NAN)
        );
    }
}
