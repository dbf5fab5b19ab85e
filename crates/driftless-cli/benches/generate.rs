//! Benchmark (not a timed test): `migrate-generate` as a user's xtask runs it, on the synthetic schema peers were
//! timed on (`shared/bench/README.md`: `N` tables of ten columns, an index and a foreign key each).
//!
//! Every run is a separate process: this benchmark's own binary started again as the "xtask" (`--xtask`), which
//! builds the models, evaluates the registry of earlier migrations, and calls `driftless_cli::run` exactly like a
//! user's xtask. The timer covers the whole process, from spawn to exit. Two scenarios:
//! - **fresh**: no snapshot and no migrations; the first migration of the whole schema is written;
//! - **incr**: the snapshot and a registry holding the first migration exist; the models add one nullable column
//!   to the middle table.
//!
//! The project has no `rustfmt.toml`, so no rustfmt child runs (the writer's text is rustfmt-clean as written); the
//! xtask's peak resident memory (`VmHWM`) is therefore the whole process tree's. Prints the median of 5 runs.
//!
//! Run with `cargo bench -p driftless-cli --bench generate` (optionally `-- 1000 5000 10000`, and `fresh` or `incr`
//! for one scenario).

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use driftless_cli::{Project, run};
use driftless_core::classify;
use driftless_core::migration::{Class, Migration};
use driftless_core::schema::{ModelDef, RenameHints, Schema, SchemaBuilder};
use driftless_core::snapshot;
use driftless_core::step::Step;
use driftless_core::testing::{synthetic, synthetic_plus_one};

const RUNS: usize = 5;
const INIT: &str = "m20261121_000000_init";

fn models(schema: Schema) -> SchemaBuilder {
    let mut b = SchemaBuilder::new();
    for table in schema.tables {
        b.model(ModelDef {
            rust_name: "Bench",
            table,
            enums: vec![],
            enum_renames: vec![],
            renamed_from: None,
            column_renames: vec![],
            column_backfills: vec![],
        });
    }
    b
}

/// The first migration of `synthetic(n)`, as the registry of a project that generated it holds it: the compiled
/// migration builds one `CreateTable` per table (the plan's steps: `main` checks it at 20 tables), so building it here costs what evaluating the user's compiled registry costs.
fn init_migration(n: usize, snapshot_hash: &str) -> Migration {
    let schema = synthetic(n);
    let up: Vec<Step> = schema.tables.iter().map(|t| Step::CreateTable { table: t.clone() }).collect();
    let down: Vec<Step> = schema.tables.into_iter().rev().map(|t| Step::DropTable { table: t }).collect();
    Migration::new(INIT)
        .parent(snapshot::hash(&Schema::empty()))
        .snapshot(snapshot_hash)
        .class(Class::Safe)
        .up(up)
        .down(down)
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

/// The user's xtask: `--xtask DIR N fresh|incr HASH` (the hash of the committed snapshot, a string literal in the
/// user's compiled migration).
fn xtask(dir: &Path, n: usize, scenario: &str, snapshot_hash: &str) -> ExitCode {
    let (schema, registry) = match scenario {
        "fresh" => (synthetic(n), vec![]),
        _ => (synthetic_plus_one(n), vec![init_migration(n, snapshot_hash)]),
    };
    let mut project = Project::new(dir, models(schema));
    project.registry = registry;
    let setup = Instant::now();
    let code = run(&project, ["migrate-generate", "--name", "next", "--timestamp", "20261122_000000"]);
    eprintln!("peak_mb {:.1}", peak_mb());
    eprintln!("run_s {:.3}", setup.elapsed().as_secs_f64());
    code
}

/// A project as the xtask finds it before the run.
fn prepare(dir: &Path, n: usize, scenario: &str) {
    if scenario == "incr" {
        let schema = synthetic(n);
        std::fs::create_dir_all(dir.join("snapshots")).unwrap();
        std::fs::write(dir.join("snapshots/schema.json"), snapshot::to_string(&schema)).unwrap();
        std::fs::create_dir_all(dir.join("migrations")).unwrap();
        let registry = driftless_write::registry_file(&[INIT.to_owned()], "driftless");
        std::fs::write(dir.join("migrations/mod.rs"), registry).unwrap();
    }
}

fn main() -> ExitCode {
    // The registry built by `init_migration` is the plan's first migration.
    let plan = classify::plan(&Schema::empty(), &synthetic(20), &RenameHints::default()).expect("a valid schema");
    let m = init_migration(20, "h");
    assert_eq!((plan.up_steps(), plan.down_steps(), plan.class()), (m.up, m.down, m.class));
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--xtask") {
        return xtask(Path::new(&args[1]), args[2].parse().unwrap(), &args[3], &args[4]);
    }
    let sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![1_000, 5_000, 10_000] } else { sizes };
    let scenarios: Vec<&str> =
        ["fresh", "incr"].into_iter().filter(|s| args.is_empty() || args.iter().any(|a| a == s)).collect();
    let scenarios = if scenarios.is_empty() { vec!["fresh", "incr"] } else { scenarios };
    let exe = std::env::current_exe().unwrap();
    println!("migrate-generate as a separate xtask process, median of {RUNS} runs (wall seconds, peak MB)");
    for n in sizes {
        let hash = snapshot::hash_text(&snapshot::to_string(&synthetic(n)));
        for &scenario in &scenarios {
            let mut runs = Vec::new();
            let mut in_run = Vec::new();
            for _ in 0..RUNS {
                let dir = tempfile::tempdir().expect("a temporary directory");
                prepare(dir.path(), n, scenario);
                let start = Instant::now();
                let out = Command::new(&exe)
                    .args(["--xtask", dir.path().to_str().unwrap(), &n.to_string(), scenario, &hash])
                    .output()
                    .unwrap();
                let elapsed = start.elapsed();
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert!(out.status.success(), "{stderr}");
                let mb: f64 = stderr
                    .lines()
                    .find_map(|l| l.strip_prefix("peak_mb "))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(f64::NAN);
                let run_s: f64 =
                    stderr.lines().find_map(|l| l.strip_prefix("run_s ")).and_then(|v| v.parse().ok()).unwrap_or(0.0);
                in_run.push(run_s);
                runs.push((elapsed, mb));
            }
            runs.sort_by_key(|r| r.0);
            let median: Duration = runs[RUNS / 2].0;
            let mb = runs.iter().map(|r| r.1).fold(0.0, f64::max);
            in_run.sort_by(f64::total_cmp);
            println!(
                "{n:>6} tables {scenario:<5}: {:>7.3} s  {mb:>6.0} MB   (of which driftless_cli::run {:.3} s)",
                median.as_secs_f64(),
                in_run[RUNS / 2]
            );
        }
    }
    ExitCode::SUCCESS
}
