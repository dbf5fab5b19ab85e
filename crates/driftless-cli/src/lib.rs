//! driftless-cli: the commands behind `cargo xtask ...`, as a library.
//!
//! A project's own xtask hands its explicit list of models and its paths to [`run`]; this crate parses the command
//! line and calls into `driftless-core`. Why a library and not a binary: the models are Rust code in the user's
//! crate, so the program that reads them must be compiled with that crate — the user's xtask.
//!
//! Architecture Invariant: no business logic lives here — only argument parsing, file locations, output and exit
//! codes. Exit codes: 0 success, 1 "differences found" (for `--check`; for `migrate-review`, something blocks the
//! merge), 2 error.
#![deny(missing_docs)]

mod at_exit;
mod diff_cmd;
mod files;
mod generate;
mod generate_contract;
mod generate_split;
mod header_locks;
mod progress;
mod pull;
mod review;
mod run_migrations;
mod sql;
mod verify;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use driftless_core::migration::Migration;
use driftless_core::model::Registered;
use driftless_core::schema::SchemaBuilder;
use driftless_core::snapshot;
use run_migrations::RuntimeCommand;

/// Where a project keeps its driftless files, and its models.
#[derive(Debug, Clone)]
pub struct Project {
    /// The project's models, in the order the user listed them.
    pub models: SchemaBuilder,
    /// The committed snapshot (`snapshots/schema.json` by convention).
    pub snapshot: PathBuf,
    /// The folder of migration files; its `mod.rs` is the registry (the journal of migrations, oldest first).
    pub migrations: PathBuf,
    /// The compiled migrations, oldest first: the registry's `migrations()`.
    pub registry: Vec<Migration>,
    /// The crate path generated files import from (`driftless`).
    pub crate_path: String,
    /// Every `#[derive(Model)]` struct linked into this program (`driftless_core::model::registered`):
    /// `migrate-generate` refuses while one of them is missing from `models`.
    pub registered: Vec<Registered>,
    /// Whether migrations run online on PostgreSQL and MySQL/MariaDB unless they say otherwise (`true`; see
    /// [`Project::online`]).
    pub online: bool,
}

impl Project {
    /// A project rooted at `root` with the conventional layout (`snapshots/schema.json`, `migrations/`) and no
    /// compiled migrations yet.
    pub fn new(root: &Path, models: SchemaBuilder) -> Self {
        Project {
            models,
            snapshot: root.join("snapshots/schema.json"),
            migrations: root.join("migrations"),
            registry: Vec::new(),
            crate_path: driftless_write::DEFAULT_CRATE.to_owned(),
            registered: driftless_core::model::registered(),
            online: true,
        }
    }

    /// The project's setting for online migrations (on by default): `false` makes every command treat each
    /// migration that does not say `.online(...)` itself as `--no-online` would: `migrate` and `migrate-down` run
    /// the plain SQL, and `migrate-sql`, `migrate-review` and the lock lines of the headers `migrate-generate`
    /// writes show it. A migration's own `.online(true)` still runs online.
    pub fn online(mut self, online: bool) -> Self {
        self.online = online;
        self
    }

    /// The project's root folder: the parent of the snapshot's folder (`<root>/snapshots/schema.json`). The
    /// default SQLite database lives there.
    pub fn root(&self) -> PathBuf {
        self.snapshot.parent().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_default()
    }

    /// Sets the migrations folder and the compiled registry it holds.
    pub fn with_migrations(mut self, folder: PathBuf, registry: Vec<Migration>) -> Self {
        self.migrations = folder;
        self.registry = registry;
        self
    }
}

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "driftless: code-first schema migrations")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the models' schema as schema.json text (`migrate-generate` is what writes the snapshot).
    Schema,
    /// Diff the models against the snapshot and write a classified migration, the registry and the new snapshot.
    MigrateGenerate(generate::GenerateArgs),
    /// Print the SQL a migration runs on a dialect (like Django's sqlmigrate).
    MigrateSql(sql::SqlArgs),
    /// The classified difference between two schemas (`empty`, `models`, `snapshot`, a schema.json path or a URL).
    MigrateDiff(diff_cmd::DiffArgs),
    /// Apply every pending migration as one batch.
    Migrate {
        /// Change nothing: print each pending migration's statements, the locks they take, the rows of the tables
        /// they touch and the data probes' results.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        db: run_migrations::DbArgs,
    },
    /// Apply the next pending migration.
    MigrateUp(run_migrations::DbArgs),
    /// Revert the last batch (refused in production unless --force-production).
    MigrateDown(run_migrations::DbArgs),
    /// Migrate up or down to the named migration.
    MigrateTo {
        /// The migration's full name.
        name: String,
        #[command(flatten)]
        db: run_migrations::DbArgs,
    },
    /// Applied and pending migrations and every problem (exit 1 when there are problems).
    MigrateStatus(run_migrations::DbArgs),
    /// Apply every migration up and down on a scratch database, compare each state with the replay, and check the
    /// snapshot against the replay of the migrations.
    MigrateVerify(verify::VerifyArgs),
    /// Check (`--check`) or rewrite schema.json from the replay of the migrations.
    SnapshotRepair(verify::RepairArgs),
    /// Adopt an existing database: introspect it into schema.json plus a baseline migration recorded as applied.
    DbPull(pull::PullArgs),
    /// Review the migrations added or changed since a base commit: computed classes, SQL, acknowledgements, an
    /// ER diagram (Markdown for a pull-request comment; exit 1 when something blocks the merge).
    MigrateReview(review::ReviewArgs),
    /// Every row of the tracking table.
    MigrateHistory(run_migrations::DbArgs),
    /// Revert every applied migration (needs --force).
    MigrateReset {
        /// Confirm that every migration's data may be lost.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        db: run_migrations::DbArgs,
    },
    /// Record a migration as applied without running it (baseline), or forget a dirty one undone by hand.
    MigrateResolve {
        /// Record this migration as applied.
        #[arg(long, value_name = "NAME", required_unless_present = "rolled_back", conflicts_with = "rolled_back")]
        applied: Option<String>,
        /// Forget this dirty migration so the next run applies it again.
        #[arg(long, value_name = "NAME")]
        rolled_back: Option<String>,
        #[command(flatten)]
        db: run_migrations::DbArgs,
    },
}

/// For a program's `main` (the xtask's): runs the command like [`run`], then leaves `project` and the big values the
/// command built (schemas of thousands of tables) to the operating system instead of freeing them one by one, since
/// the process ends right after, and builds `migrate-generate`'s schema by moving the models' tables instead of
/// copying them. Return its exit code from `main`; do not call it more than once, or from a program that goes on
/// running (use [`run`] there: it frees everything).
pub fn main<I, S>(mut project: Project, args: I) -> ExitCode
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString> + Clone,
{
    at_exit::set_ending();
    let code = match parse(args) {
        Err(code) => code,
        // `migrate-generate` builds the models' schema once: it takes their tables instead of copying them.
        Ok(Command::MigrateGenerate(args)) => {
            let models = generate::Models::Owned(std::mem::take(&mut project.models));
            finish(generate_command(&project, models, args))
        }
        Ok(command) => finish(dispatch(&project, command)),
    };
    std::mem::forget(project);
    code
}

/// Parses `args` (without the program name) and runs the command against `project`.
pub fn run<I, S>(project: &Project, args: I) -> ExitCode
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString> + Clone,
{
    match parse(args) {
        Ok(command) => finish(dispatch(project, command)),
        Err(code) => code,
    }
}

/// The command `args` name, or the exit code after printing clap's message (an error, `--help`, `--version`).
fn parse<I, S>(args: I) -> Result<Command, ExitCode>
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString> + Clone,
{
    match Cli::try_parse_from(std::iter::once("cargo xtask".into()).chain(args.into_iter().map(Into::into))) {
        Ok(cli) => Ok(cli.command),
        Err(e) => {
            let _ = e.print();
            Err(if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS })
        }
    }
}

/// The exit code of a command's outcome, printing its error.
fn finish(outcome: anyhow::Result<ExitCode>) -> ExitCode {
    match outcome {
        Ok(code) => code,
        Err(e) => {
            // Every message goes through the one redaction: a URL can reach it from any argument or driver error.
            eprintln!("error: {}", driftless_migrate::redact(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}

fn dispatch(project: &Project, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Schema => schema(project),
        Command::MigrateGenerate(args) => generate_command(project, generate::Models::Borrowed(&project.models), args),
        Command::MigrateSql(args) => sql::run(project, args),
        Command::MigrateDiff(args) => diff_cmd::run(project, args),
        Command::Migrate { dry_run: false, db } => run_migrations::run(project, db, RuntimeCommand::Migrate),
        Command::Migrate { dry_run: true, db } => run_migrations::run(project, db, RuntimeCommand::DryRun),
        Command::MigrateUp(db) => run_migrations::run(project, db, RuntimeCommand::Up),
        Command::MigrateDown(db) => run_migrations::run(project, db, RuntimeCommand::Down),
        Command::MigrateTo { name, db } => run_migrations::run(project, db, RuntimeCommand::To(name)),
        Command::MigrateStatus(db) => run_migrations::run(project, db, RuntimeCommand::Status),
        Command::MigrateVerify(args) => verify::run(project, args),
        Command::SnapshotRepair(args) => verify::repair(project, args),
        Command::DbPull(args) => pull::run(project, args),
        Command::MigrateReview(args) => review::run(project, args),
        Command::MigrateHistory(db) => run_migrations::run(project, db, RuntimeCommand::History),
        Command::MigrateReset { force, db } => run_migrations::run(project, db, RuntimeCommand::Reset { force }),
        Command::MigrateResolve { applied: Some(name), db, .. } => {
            run_migrations::run(project, db, RuntimeCommand::ResolveApplied(name))
        }
        Command::MigrateResolve { rolled_back, db, .. } => run_migrations::run(
            project,
            db,
            RuntimeCommand::ResolveRolledBack(rolled_back.expect("clap requires --applied or --rolled-back")),
        ),
    }
}

/// `migrate-generate` with the project's `models` (see [`generate::Models`]).
fn generate_command(
    project: &Project,
    models: generate::Models<'_>,
    args: generate::GenerateArgs,
) -> anyhow::Result<ExitCode> {
    let check = args.check;
    let conflicts = run_migrations::report_conflicts(project);
    let mislabelled = generate::report_mislabelled(project);
    let code = generate::run(project, models, args)?;
    Ok(if (conflicts || mislabelled) && code == ExitCode::SUCCESS && check { ExitCode::from(1) } else { code })
}

fn schema(project: &Project) -> anyhow::Result<ExitCode> {
    let schema = project.models.build().context("the models do not form a valid schema")?;
    print!("{}", snapshot::to_string(&schema));
    Ok(ExitCode::SUCCESS)
}
