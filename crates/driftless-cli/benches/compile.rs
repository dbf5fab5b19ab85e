//! Benchmark (not a timed test): what generated migrations cost to compile in a user's crate, and the user's loop of
//! editing one of 1,000 derived models and running `migrate-generate`.
//!
//! Everything happens in scratch crates under `target/tmp/bench-compile/`, which depend on the driftless crates of
//! this repository by path and share one target directory (`target/tmp/bench-compile/target`), so dependencies
//! are built once (untimed) and only the crate under test is measured.
//!
//! - **migrations** (`debug`, `release`, sizes `1000`, `5000`): the first migration of the synthetic schema
//!   (`shared/bench/README.md`: N tables × 10 columns, an index and a foreign key each) is generated through
//!   `driftless_cli::run(["migrate-generate", ...])`, exactly as a user's xtask writes it, and placed in a crate
//!   `bench_migrations` (`pub mod migrations;` and nothing else). Each timed build starts with `cargo clean -p
//!   bench_migrations`, so it is a clean build of that crate alone. The baseline is the same crate with an empty
//!   registry; "adds" is the median build time minus the baseline's median.
//! - **loop** (`loop`): a workspace with an `app` crate (1,000 `#[derive(Model)]` structs of the synthetic shape,
//!   `schema![...]` listing them, and the migrations folder) and an `xtask` binary calling `driftless_cli::run`.
//!   After a warm build and a first `migrate-generate` (the 1,000-table initial migration, compiled into `app`),
//!   each run adds one field to one model and times `cargo run -p xtask -- migrate-generate` end to end; cargo's
//!   `--timings` report splits it into rustc on `app` (its frontend: derive expansion, name resolution, checks and
//!   incremental bookkeeping; and codegen), the `xtask` binary (linking) and the rest (cargo, the run).
//!
//! Timings come from `/usr/bin/time` around each cargo command (wall and user CPU seconds, and the peak
//! resident memory of the largest process in the tree, which is rustc). Without `/usr/bin/time` the wall time is
//! measured here and the rest is left out. Medians of `DRIFTLESS_BENCH_RUNS` runs (default 3).
//!
//! `tuned` runs the loop again in a workspace whose `Cargo.toml` has [`TUNED_PROFILE`]'s settings, `split` with
//! the models in files of 50 (`models/m00.rs` …), as a project of 1,000 tables would keep them, and `lean` as the
//! README advises a large project: the app's `driftless` with `default-features = false` (no `<Struct>Iden` enums,
//! no registration for the unlisted-model check) and the xtask without debug info ([`LEAN_PROFILE`]); `iden` as
//! `loop` with the derive's opt-in `iden` feature on (the `<Struct>Iden` enums). When several settings run, their
//! edits are interleaved.
//!
//! Run with `cargo bench -p driftless-cli --bench compile` (optionally `-- debug release 1000 5000 loop tuned split
//! lean iden`, subset;
//! `--profile dev` builds the benchmark itself faster, and changes nothing it measures).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use driftless_cli::{Project, run};
use driftless_core::schema::{ModelDef, Schema, SchemaBuilder};
use driftless_core::testing::synthetic;

/// One timed command: wall and user CPU seconds, peak resident MB of the largest process.
#[derive(Debug, Clone, Copy)]
struct Sample {
    wall: f64,
    user: f64,
    rss_mb: f64,
}

fn median(samples: &[Sample], field: impl Fn(&Sample) -> f64) -> f64 {
    let mut v: Vec<f64> = samples.iter().map(field).collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// Runs `program args` in `dir`, timed, and fails loudly if it fails.
fn timed(dir: &Path, target: &Path, program: &str, args: &[&str]) -> Sample {
    let time = Path::new("/usr/bin/time");
    let report = target.join("bench-time.txt");
    let mut cmd = if time.exists() {
        let mut c = Command::new(time);
        c.args(["-f", "%e %U %M", "-o"]).arg(&report).arg(program);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args).current_dir(dir).env("CARGO_TARGET_DIR", target);
    let start = Instant::now();
    let out = cmd.output().expect("the command starts");
    let wall = start.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{program} {args:?} failed in {}:\n{}\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !time.exists() {
        return Sample { wall, user: f64::NAN, rss_mb: f64::NAN };
    }
    let text = std::fs::read_to_string(&report).unwrap_or_default();
    let nums: Vec<f64> = text.lines().last().unwrap_or("").split_whitespace().filter_map(|v| v.parse().ok()).collect();
    match nums[..] {
        [wall, user, kb] => Sample { wall, user, rss_mb: kb / 1024.0 },
        _ => Sample { wall, user: f64::NAN, rss_mb: f64::NAN },
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    // Only rewrite changed files, so cargo's fingerprints see real edits only.
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).unwrap();
    }
}

fn models(schema: Schema) -> SchemaBuilder {
    let mut b = SchemaBuilder::new();
    for table in schema.tables {
        b.model(ModelDef::new("Bench", table));
    }
    b
}

/// Generates the first migration of `synthetic(n)` into `dir/migrations` through `driftless_cli::run`.
fn generate(dir: &Path, n: usize) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let mut project = Project::new(dir, models(synthetic(n)));
    project.registered = vec![];
    let code = run(&project, ["migrate-generate", "--name", "init", "--timestamp", "20261122_000000"]);
    assert_eq!(code, std::process::ExitCode::SUCCESS, "migrate-generate of {n} tables");
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn manifest_header(name: &str) -> String {
    format!("[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n")
}

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// The clean build time of `bench_migrations` holding each variant (`0` = an empty registry).
fn migrations(root: &Path, target: &Path, sizes: &[usize], profiles: &[&str], runs: usize) {
    let krate = root.join("migrations-crate");
    let repo = repo();
    let manifest = format!(
        "{}[dependencies]\ndriftless = {{ path = {:?} }}\n\n[workspace]\n",
        manifest_header("bench_migrations"),
        repo.join("crates/driftless")
    );
    write(&krate.join("Cargo.toml"), &manifest);
    if !krate.join("Cargo.lock").exists() {
        std::fs::copy(repo.join("Cargo.lock"), krate.join("Cargo.lock")).unwrap();
    }
    write(&krate.join("src/lib.rs"), "//! Generated migrations, compiled.\n\npub mod migrations;\n");
    let set_variant = |n: usize| {
        let dest = krate.join("src/migrations");
        if n == 0 {
            let _ = std::fs::remove_dir_all(&dest);
            write(&dest.join("mod.rs"), &driftless_write::registry_file(&[], "driftless"));
        } else {
            let gen_dir = root.join(format!("gen-{n}"));
            if !gen_dir.join("migrations/mod.rs").exists() {
                generate(&gen_dir, n);
            }
            copy_dir(&gen_dir.join("migrations"), &dest);
        }
    };
    for profile in profiles {
        let release: &[&str] = if *profile == "release" { &["--release"] } else { &[] };
        // Dependencies, untimed.
        set_variant(0);
        timed(&krate, target, &cargo(), &[&["build", "--quiet"], release].concat());
        let mut baseline = None;
        for n in std::iter::once(0).chain(sizes.iter().copied()) {
            set_variant(n);
            let mut samples = Vec::new();
            for _ in 0..runs {
                timed(&krate, target, &cargo(), &[&["clean", "--quiet", "-p", "bench_migrations"], release].concat());
                samples.push(timed(&krate, target, &cargo(), &[&["build", "--quiet"], release].concat()));
            }
            let (wall, user, rss) =
                (median(&samples, |s| s.wall), median(&samples, |s| s.user), median(&samples, |s| s.rss_mb));
            let peak = samples.iter().map(|s| s.rss_mb).fold(0.0, f64::max);
            let adds = match baseline {
                None => {
                    baseline = Some((wall, user));
                    String::from("(baseline)")
                }
                Some((bw, bu)) => format!("adds {:.2} s wall, {:.2} s user CPU", wall - bw, user - bu),
            };
            let file_mb = std::fs::metadata(krate.join("src/migrations/m20261122_000000_init.rs"))
                .map(|m| m.len() as f64 / 1e6)
                .unwrap_or(0.0);
            println!(
                "{profile:<7} {n:>5} tables ({file_mb:>5.1} MB of .rs): {wall:>7.2} s wall, {user:>7.2} s user, rustc \
                 {rss:>5.0} MB (max {peak:.0}) — {adds}   runs: {:?}",
                samples.iter().map(|s| (s.wall * 100.0).round() / 100.0).collect::<Vec<_>>()
            );
        }
    }
}

/// Writes the models of the loop's `app`: `n` structs of the synthetic shape, in `models.rs` or, with `per_file`,
/// in `models/mNN.rs` files of that many; `extra` names extra fields of the middle model, `T00500`.
fn write_models(app: &Path, n: usize, per_file: Option<usize>, extra: &[String]) {
    match per_file {
        None => write(&app.join("src/models.rs"), &models_rs(0..n, n, extra)),
        Some(k) => {
            let files = n.div_ceil(k);
            let mut lib = String::from("//! Derived models, in files.\n");
            for f in 0..files {
                let _ = write!(lib, "\nmod m{f:02};\npub use m{f:02}::*;\n");
                write(&app.join(format!("src/models/m{f:02}.rs")), &models_rs(f * k..n.min((f + 1) * k), n, extra));
            }
            write(&app.join("src/models/mod.rs"), &lib);
        }
    }
}

/// The text of models `range` of `n`.
fn models_rs(range: std::ops::Range<usize>, n: usize, extra: &[String]) -> String {
    let mut out = String::from("//! Derived models.\n\nuse chrono::NaiveDateTime;\nuse driftless::prelude::*;\n");
    for i in range {
        let _ = write!(
            out,
            "\n/// Table {i}.\n#[derive(Model)]\n#[model(table = \"tbl_{i:05}\")]\npub struct T{i:05} {{\n    \
             #[model(primary_key, auto_increment)]\n    pub id: i32,\n    pub name: String,\n    \
             #[model(max_length = 32, index)]\n    pub code: String,\n    pub description: Option<String>,\n    \
             #[model(default = true)]\n    pub is_active: bool,\n    #[model(default = 0)]\n    pub score: i32,\n    \
             pub price: Option<f64>,\n    #[model(default_expr = \"now\")]\n    pub created_at: NaiveDateTime,\n    \
             pub updated_at: Option<NaiveDateTime>,\n"
        );
        if i > 0 {
            let _ = writeln!(out, "    #[model(references = \"tbl_{:05}.id\", on_delete = \"set_null\")]", i - 1);
        }
        out.push_str("    pub prev_id: Option<i32>,\n");
        if i == n / 2 {
            for e in extra {
                let _ = writeln!(out, "    pub {e}: Option<String>,");
            }
        }
        out.push_str("}\n");
    }
    out
}

/// The profile settings of the `tuned` loop: proc macros (the derive, syn) optimised, and line tables only for the
/// workspace's crates and no debug info for dependencies, which makes the binary much faster to link.
const TUNED_PROFILE: &str = "\n[profile.dev]\ndebug = \"line-tables-only\"\n\n[profile.dev.package.\"*\"]\ndebug = \
                             false\n\n[profile.dev.build-override]\nopt-level = 3\n";

/// The lean setting's profile: the xtask without debug info (the README's advice for a large project).
const LEAN_PROFILE: &str = "\n[profile.dev.package.xtask]\nstrip = \"debuginfo\"\n";

/// The `driftless` dependency of the loop's `app` (the default features: `unlisted-check` on, `iden` off), of the
/// `iden` setting's (`iden` on too), and of the lean setting's (neither, and none of the facade's driver features).
const APP_DRIFTLESS: &str = "features = [\"chrono\"]";
const LEAN_DRIFTLESS: &str = "default-features = false, features = [\"chrono\"]";
const IDEN_DRIFTLESS: &str = "features = [\"chrono\", \"iden\"]";

/// One setting of the edit loop: its name (and scratch workspace), the workspace's profile settings, how many
/// models each file holds (`None`: all in `models.rs`), and the `app`'s `driftless` dependency.
struct Loop {
    name: &'static str,
    profile: &'static str,
    per_file: Option<usize>,
    driftless: &'static str,
}

const LOOPS: [Loop; 5] = [
    Loop { name: "loop", profile: "", per_file: None, driftless: APP_DRIFTLESS },
    Loop { name: "tuned", profile: TUNED_PROFILE, per_file: None, driftless: APP_DRIFTLESS },
    Loop { name: "split", profile: "", per_file: Some(50), driftless: APP_DRIFTLESS },
    Loop { name: "lean", profile: LEAN_PROFILE, per_file: None, driftless: LEAN_DRIFTLESS },
    Loop { name: "iden", profile: "", per_file: None, driftless: IDEN_DRIFTLESS },
];

const N_MODELS: usize = 1_000;

/// One setting's scratch workspace, ready for edits, and its samples so far.
struct LoopRun<'a> {
    setting: &'a Loop,
    ws: PathBuf,
    extra: Vec<String>,
    e2e: Vec<Sample>,
    app: Vec<(f64, f64)>,
    bin: Vec<f64>,
}

/// Writes `setting`'s workspace, builds it, and generates the 1,000-table first migration (all untimed but the
/// warm build, which is printed).
fn prepare_loop<'a>(root: &Path, target: &Path, setting: &'a Loop) -> LoopRun<'a> {
    let ws = root.join(if setting.name == "loop" { "loop".to_owned() } else { format!("loop-{}", setting.name) });
    let repo = repo();
    let profile = setting.profile;
    write(&ws.join("Cargo.toml"), &format!("[workspace]\nmembers = [\"app\", \"xtask\"]\nresolver = \"3\"\n{profile}"));
    if !ws.join("Cargo.lock").exists() {
        std::fs::copy(repo.join("Cargo.lock"), ws.join("Cargo.lock")).unwrap();
    }
    write(
        &ws.join("app/Cargo.toml"),
        &format!(
            "{}[dependencies]\ndriftless = {{ path = {:?}, {} }}\nchrono = {{ version = \"0.4\", \
             default-features = false, features = [\"clock\", \"std\"] }}\n",
            manifest_header("app"),
            repo.join("crates/driftless"),
            setting.driftless
        ),
    );
    let list: Vec<String> = (0..N_MODELS).map(|i| format!("T{i:05}")).collect();
    write(
        &ws.join("app/src/lib.rs"),
        &format!(
            "//! The app.\n\npub mod migrations;\npub mod models;\n\n/// The schema.\npub fn schema() -> \
             driftless::schema::SchemaBuilder {{\n    use models::*;\n    driftless::schema![{}]\n}}\n",
            list.join(", ")
        ),
    );
    write(
        &ws.join("xtask/Cargo.toml"),
        &format!(
            "{}[dependencies]\napp = {{ path = \"../app\" }}\ndriftless-cli = {{ path = {:?}, default-features = false, \
             features = [\"sqlite\"] }}\n",
            manifest_header("xtask"),
            repo.join("crates/driftless-cli")
        ),
    );
    write(
        &ws.join("xtask/src/main.rs"),
        "//! The app's xtask.\n\nfn main() -> std::process::ExitCode {\n    let root = \
         std::path::Path::new(env!(\"CARGO_MANIFEST_DIR\")).parent().unwrap().to_owned();\n    let project = \
         driftless_cli::Project::new(&root, app::schema())\n        .with_migrations(root.join(\"app/src/migrations\"), \
         app::migrations::migrations());\n    driftless_cli::run(&project, std::env::args_os().skip(1))\n}\n",
    );
    // A fresh project: no snapshot, an empty registry, then the first migration of all 1,000 models.
    let _ = std::fs::remove_dir_all(ws.join("snapshots"));
    let _ = std::fs::remove_dir_all(ws.join("app/src/migrations"));
    write(&ws.join("app/src/migrations/mod.rs"), &driftless_write::registry_file(&[], "driftless"));
    write_models(&ws.join("app"), N_MODELS, setting.per_file, &[]);
    let xtask = target.join("debug/xtask");
    let xtask = xtask.to_str().unwrap();
    timed(&ws, target, &cargo(), &["build", "--quiet", "-p", "xtask"]);
    timed(&ws, target, xtask, &["migrate-generate", "--name", "init", "--timestamp", "20261122_000000"]);
    let warm = timed(&ws, target, &cargo(), &["build", "--quiet", "-p", "xtask"]);
    println!(
        "{}: warm build with the 1,000-table first migration: {:.2} s wall, {:.2} s user",
        setting.name, warm.wall, warm.user
    );
    LoopRun { setting, ws, extra: Vec::new(), e2e: Vec::new(), app: Vec::new(), bin: Vec::new() }
}

/// Edit `k`: one more field on the middle model, then `cargo run -p xtask -- migrate-generate`, timed.
fn edit_once(run: &mut LoopRun, target: &Path, k: usize) {
    let ws = &run.ws;
    run.extra.push(format!("extra_{k}"));
    write_models(&ws.join("app"), N_MODELS, run.setting.per_file, &run.extra);
    let ts = format!("20261123_{k:02}0000");
    let name = format!("edit{k}");
    let args =
        ["run", "--quiet", "--timings", "-p", "xtask", "--", "migrate-generate", "--name", &name, "--timestamp", &ts];
    let sample = timed(ws, target, &cargo(), &args);
    let units = timings(target);
    run.e2e.push(sample);
    run.app.push(units.iter().find(|u| u.0 == "app").map(|u| (u.1, u.2)).unwrap_or((f64::NAN, f64::NAN)));
    run.bin.push(units.iter().find(|u| u.0 == "xtask").map_or(f64::NAN, |u| u.1));
    assert!(
        std::fs::read_to_string(ws.join("app/src/migrations/mod.rs")).unwrap().contains(&name),
        "migrate-generate wrote migration {name}"
    );
    println!(
        "{} edit {k}: {:.2} s wall, {:.2} s user CPU (load average {})",
        run.setting.name,
        sample.wall,
        sample.user,
        load_average()
    );
}

/// The 1-minute load average, or `?`.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

fn report_loop(run: &LoopRun) {
    let setting = run.setting;
    let med = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let what = match (setting.name, setting.per_file) {
        ("lean", _) => "lean: app without the derive's `iden` and `unlisted-check`, xtask stripped".to_owned(),
        ("tuned", _) => "tuned profile, one models.rs".to_owned(),
        ("iden", _) => "default profile, one models.rs, the derive's `iden` feature on".to_owned(),
        (_, None) => "default profile, one models.rs".to_owned(),
        (_, Some(k)) => format!("default profile, {k} models a file"),
    };
    let (label, e2e, runs) = (setting.name, &run.e2e, run.e2e.len());
    println!(
        "{label} ({what}): one field added to one of {N_MODELS} models, then `cargo run -p xtask -- migrate-generate` \
         ({runs} runs)"
    );
    println!(
        "{label}: end to end {:.2} s wall (runs {:?}), {:.2} s user CPU (runs {:?}), peak {:.0} MB",
        median(e2e, |x| x.wall),
        e2e.iter().map(|x| (x.wall * 100.0).round() / 100.0).collect::<Vec<_>>(),
        median(e2e, |x| x.user),
        e2e.iter().map(|x| (x.user * 100.0).round() / 100.0).collect::<Vec<_>>(),
        median(e2e, |x| x.rss_mb)
    );
    let app_total = med(&run.app.iter().map(|a| a.0).collect::<Vec<_>>());
    let app_frontend = med(&run.app.iter().map(|a| a.1).collect::<Vec<_>>());
    let bin = med(&run.bin);
    println!(
        "{label}: of which (cargo --timings, wall) rustc on app {app_total:.2} s (frontend: expansion, checks, incremental \
         bookkeeping {app_frontend:.2} s; codegen {:.2} s), xtask binary (link) {bin:.2} s, the rest (cargo, \
         migrate-generate) {:.2} s",
        app_total - app_frontend,
        median(e2e, |x| x.wall) - app_total - bin
    );
}

/// The units of the last `cargo --timings` run: (name, duration, frontend duration) in seconds.
fn timings(target: &Path) -> Vec<(String, f64, f64)> {
    let html = std::fs::read_to_string(target.join("cargo-timings/cargo-timing.html")).unwrap_or_default();
    let Some(start) = html.find("UNIT_DATA = ").map(|i| i + "UNIT_DATA = ".len()) else { return vec![] };
    let Some(len) = html[start..].find("];") else { return vec![] };
    let units: serde_json::Value = serde_json::from_str(&html[start..start + len + 1]).unwrap_or_default();
    let units = units.as_array().cloned().unwrap_or_default();
    units
        .iter()
        .filter(|u| u["duration"].as_f64().unwrap_or(0.0) > 0.0)
        .map(|u| {
            let frontend = u["sections"]
                .as_array()
                .and_then(|s| s.iter().find(|x| x[0] == "frontend"))
                .and_then(|x| Some(x[1]["end"].as_f64()? - x[1]["start"].as_f64()?))
                .unwrap_or(f64::NAN);
            (u["name"].as_str().unwrap_or("").to_owned(), u["duration"].as_f64().unwrap_or(f64::NAN), frontend)
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let runs: usize = std::env::var("DRIFTLESS_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let has = |w: &str| args.iter().any(|a| a == w);
    let sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let mut profiles: Vec<&str> = ["debug", "release"].into_iter().filter(|p| has(p)).collect();
    let everything = args.is_empty();
    if everything {
        profiles = vec!["debug", "release"];
    }
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-compile");
    let target = root.join("target");
    std::fs::create_dir_all(&target).unwrap();
    println!("clean build of a crate holding one generated migration (medians of {runs}; /usr/bin/time around cargo)");
    if !profiles.is_empty() && (everything || !sizes.is_empty()) {
        let sizes = if sizes.is_empty() { vec![1_000, 5_000] } else { sizes };
        for profile in profiles {
            // The release 5,000-table build is not a target; it is measured only when asked for by size.
            let sizes: Vec<usize> =
                sizes.iter().copied().filter(|&n| !(everything && profile == "release" && n > 1_000)).collect();
            migrations(&root, &target, &sizes, &[profile], runs);
        }
    }
    // The settings' edits are interleaved (edit k of each setting, then edit k + 1), so a change in the machine's
    // load falls on every setting alike.
    let mut loops: Vec<LoopRun> =
        LOOPS.iter().filter(|s| everything || has(s.name)).map(|s| prepare_loop(&root, &target, s)).collect();
    for k in 0..runs {
        for run in &mut loops {
            edit_once(run, &target, k);
        }
    }
    for run in &loops {
        report_loop(run);
    }
}
