//! Benchmark (not a timed test): `migrate-generate` end to end on the synthetic schema peers were timed on
//! (`shared/bench/README.md`): the models are `N` tables, the committed snapshot is the same schema without one
//! nullable column, and the command reads the snapshot, diffs, classifies, writes the migration file (through
//! rustfmt), the registry and the new snapshot. Prints the median wall time and the peak resident memory.
//!
//! Run with `cargo bench -p driftless-cli --bench generate` (optionally `-- 1000 5000`).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use driftless_cli::{Project, run};
use driftless_core::schema::{ModelDef, SchemaBuilder};
use driftless_core::snapshot;
use driftless_core::testing::{synthetic, synthetic_plus_one};

fn models(n: usize) -> SchemaBuilder {
    let mut b = SchemaBuilder::new();
    for table in synthetic_plus_one(n).tables {
        b.model(ModelDef {
            rust_name: "Bench",
            table,
            enums: vec![],
            enum_renames: vec![],
            renamed_from: None,
            column_renames: vec![],
        });
    }
    b
}

fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(f64::NAN);
    kb / 1024.0
}

fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![1_000, 5_000] } else { sizes };
    let runs = 7;
    println!("migrate-generate end to end, one changed column ({runs} runs each, median)");
    for n in sizes {
        let base = snapshot::to_string(&synthetic(n));
        let mut times = Vec::new();
        for _ in 0..runs {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let project = Project::new(dir.path(), models(n));
            std::fs::create_dir_all(dir.path().join("snapshots")).unwrap();
            std::fs::write(&project.snapshot, &base).unwrap();
            let start = Instant::now();
            let code =
                run(&project, ["migrate-generate", "--name", "add_extra_note", "--timestamp", "20261122_000000"]);
            times.push(start.elapsed());
            assert_eq!(code, ExitCode::SUCCESS);
        }
        times.sort();
        let median: Duration = times[times.len() / 2];
        println!("{n:>6} tables: median {:>8.1} ms   peak RSS so far {:.0} MB", median.as_secs_f64() * 1e3, peak_mb());
    }
}
