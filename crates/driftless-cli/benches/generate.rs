//! Benchmark (not a timed test): `migrate-generate` as a user's xtask runs it, on the synthetic schema peers were
//! timed on (`shared/bench/README.md`: `N` tables of ten columns, an index and a foreign key each).
//!
//! Every run is a separate process: this benchmark's own binary started again as the "xtask" (`--xtask`), which
//! builds the models, evaluates the registry of earlier migrations, and calls `driftless_cli::run` exactly like a
//! user's xtask; nothing is built or warmed up outside it. The timer covers the whole process, from spawn to exit
//! (building the models and the registry, the command, and the process's end: the xtask's `main` hands the project
//! to `driftless_cli::main`, as the README's xtask does). Scenarios:
//! - **fresh**: no snapshot and no migrations; the first migration of the whole schema is written;
//! - **incr**: the project as the fresh run left it — the snapshot, the first migration's file and the registry
//!   naming it — and the xtask's registry holds that migration; the models add one nullable column to the middle
//!   table;
//! - **fresh+fmt**, **incr+fmt**: the same with a `rustfmt.toml` in the project, so that `rustfmt` runs on the new
//!   files (only a project's own configuration makes it run).
//!
//! Memory is the xtask's peak resident size (`VmHWM`) plus the peaks of its children (`rustfmt`, sampled every 2 ms
//! while they run): the whole process tree's peak is at most that. CPU is the user + system time of the xtask and
//! its children (`/proc/self/stat`, 10 ms ticks), which a busy machine inflates less than the wall time. Prints the
//! medians of 5 runs.
//!
//! Run with `cargo bench -p driftless-cli --bench generate` (optionally `-- 1000 5000 10000`, and any of `fresh`,
//! `incr`, `fresh+fmt`, `incr+fmt`; by default `fresh` and `incr`).

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use driftless_cli::Project;
use driftless_core::classify;
use driftless_core::migration::{Class, Migration};
use driftless_core::schema::{ModelDef, RenameHints, Schema, SchemaBuilder};
use driftless_core::snapshot;
use driftless_core::step::Step;
use driftless_core::testing::{synthetic, synthetic_plus_one};

const RUNS: usize = 5;
const INIT: &str = "m20261121_000000_init";
const SCENARIOS: [&str; 4] = ["fresh", "incr", "fresh+fmt", "incr+fmt"];

fn models(schema: Schema) -> SchemaBuilder {
    let mut b = SchemaBuilder::new();
    for table in schema.tables {
        b.model(ModelDef::new("Bench", table));
    }
    b
}

/// The first migration of `synthetic(n)`, as the registry of a project that generated it holds it: the compiled
/// migration builds one `CreateTable` per table (the plan's steps: `main` checks it at 20 tables), so building it
/// here costs what evaluating the user's compiled registry costs.
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

fn vm_hwm_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(f64::NAN);
    kb / 1024.0
}

/// The peak resident size (`VmHWM`, MB) of process `pid`, while it runs.
fn vm_hwm_of(pid: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Watches this process's children (`rustfmt`) every 2 ms until `done`, and returns the sum of their peak resident
/// sizes (MB) as last seen. (No `getrusage`: the workspace forbids `unsafe`.)
fn watch_children(done: &AtomicBool) -> f64 {
    let me = std::process::id();
    let comm = |pid: &str| std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    let own = comm("self");
    let mut peaks: HashMap<String, f64> = HashMap::new();
    while !done.load(Ordering::Relaxed) {
        for task in std::fs::read_dir(format!("/proc/{me}/task")).into_iter().flatten().flatten() {
            let kids = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            // A child not yet `exec`ed still shares this process's memory: it is counted once it is `rustfmt`.
            for pid in kids.split_whitespace().filter(|pid| comm(pid) != own) {
                if let Some(mb) = vm_hwm_of(pid) {
                    let peak = peaks.entry(pid.to_owned()).or_insert(0.0);
                    *peak = peak.max(mb);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    peaks.values().sum()
}

/// The user + system CPU seconds of this process (every thread) and of its waited-for children, from
/// `/proc/self/stat` (in clock ticks of 10 ms).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<f64> = rest.split_whitespace().map(|f| f.parse().unwrap_or(0.0)).collect();
    // After the command name: state, ppid, ..., utime (12th), stime, cutime, cstime.
    fields.get(11..15).map_or(f64::NAN, |t| t.iter().sum::<f64>() / 100.0)
}

/// What the user's xtask does: builds the models and the registry, and runs the command from its `main`
/// (`driftless_cli::main`, which leaves what it built to the operating system as the process ends).
fn generate(dir: &Path, n: usize, scenario: &str, snapshot_hash: &str) -> ExitCode {
    let (schema, registry) = if scenario.starts_with("fresh") {
        (synthetic(n), vec![])
    } else {
        (synthetic_plus_one(n), vec![init_migration(n, snapshot_hash)])
    };
    let mut project = Project::new(dir, models(schema));
    project.registry = registry;
    driftless_cli::main(project, ["migrate-generate", "--name", "next", "--timestamp", "20261122_000000"])
}

/// The user's xtask: `--xtask DIR N SCENARIO HASH` (the hash of the committed snapshot, a string literal in the
/// user's compiled migration). Reports its peak memory with its children's, and its CPU time.
fn xtask(dir: &Path, n: usize, scenario: &str, snapshot_hash: &str) -> ExitCode {
    let done = AtomicBool::new(false);
    let (code, children_mb) = std::thread::scope(|s| {
        let watcher = scenario.ends_with("+fmt").then(|| s.spawn(|| watch_children(&done)));
        let code = generate(dir, n, scenario, snapshot_hash);
        done.store(true, Ordering::Relaxed);
        (code, watcher.map_or(0.0, |w| w.join().expect("the watcher does not panic")))
    });
    eprintln!("peak_mb {:.1}", vm_hwm_mb() + children_mb);
    eprintln!("cpu_s {:.3}", cpu_seconds());
    code
}

/// A project as the xtask finds it before the run, in `dir`.
fn prepare(dir: &Path, n: usize, scenario: &str) {
    if scenario.ends_with("+fmt") {
        std::fs::write(dir.join("rustfmt.toml"), "max_width = 100\n").unwrap();
    }
    if scenario.starts_with("incr") {
        let schema = synthetic(n);
        let text = snapshot::to_string(&schema);
        std::fs::create_dir_all(dir.join("snapshots")).unwrap();
        std::fs::write(dir.join("snapshots/schema.json"), &text).unwrap();
        std::fs::create_dir_all(dir.join("migrations")).unwrap();
        let plan = classify::plan(&Schema::empty(), &schema, &RenameHints::default()).expect("a valid schema");
        let (up, down) = (plan.up_steps(), plan.down_steps());
        let file = driftless_write::migration_file(&driftless_write::MigrationFile {
            name: INIT,
            command: "cargo xtask migrate-generate --name init",
            parent: Some(&snapshot::hash(&Schema::empty())),
            snapshot: Some(&snapshot::hash_text(&text)),
            class: plan.class(),
            changes: plan.changes.iter().map(driftless_write::header_change).collect(),
            up: &up,
            down: &down,
            crate_path: "driftless",
            locks: vec![],
        });
        std::fs::write(dir.join(format!("migrations/{INIT}.rs")), file).unwrap();
        let registry = driftless_write::registry_file(&[INIT.to_owned()], "driftless");
        std::fs::write(dir.join("migrations/mod.rs"), registry).unwrap();
    }
}

/// Copies the prepared project `from` into `to` (files and folders, one level of nesting).
fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
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
    let scenarios: Vec<&str> = SCENARIOS.into_iter().filter(|s| args.iter().any(|a| a == s)).collect();
    let scenarios = if scenarios.is_empty() { vec!["fresh", "incr"] } else { scenarios };
    let exe = std::env::current_exe().unwrap();
    println!("migrate-generate as a separate xtask process, medians of {RUNS} runs");
    println!("| N | scenario | wall | CPU (user + system) | peak MB (xtask + rustfmt) |");
    println!("|---|---|---|---|---|");
    for n in sizes {
        let hash = snapshot::hash_text(&snapshot::to_string(&synthetic(n)));
        for &scenario in &scenarios {
            let template = tempfile::tempdir().expect("a temporary directory");
            prepare(template.path(), n, scenario);
            let (mut wall, mut cpu, mut mb) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..RUNS {
                let dir = tempfile::tempdir().expect("a temporary directory");
                copy_tree(template.path(), dir.path());
                let start = Instant::now();
                let out = Command::new(&exe)
                    .args(["--xtask", dir.path().to_str().unwrap(), &n.to_string(), scenario, &hash])
                    .output()
                    .unwrap();
                let elapsed: Duration = start.elapsed();
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert!(out.status.success(), "{stderr}");
                assert!(
                    dir.path().join("migrations/m20261122_000000_next.rs").is_file(),
                    "the run wrote its migration"
                );
                wall.push(elapsed.as_secs_f64());
                let reported = |key: &str| -> f64 {
                    stderr.lines().find_map(|l| l.strip_prefix(key)).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN)
                };
                cpu.push(reported("cpu_s "));
                mb.push(reported("peak_mb "));
            }
            println!("| {n} | {scenario} | {:.3} s | {:.3} s | {:.0} |", median(wall), median(cpu), median(mb));
        }
    }
    ExitCode::SUCCESS
}
