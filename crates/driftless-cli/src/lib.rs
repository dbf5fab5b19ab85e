//! driftless-cli: the commands behind `cargo xtask ...`, as a library.
//!
//! A project's own xtask hands its explicit list of models and its paths to [`run`]; this crate parses the command
//! line and calls into `driftless-core`. Why a library and not a binary: the models are Rust code in the user's
//! crate, so the program that reads them must be compiled with that crate — the user's xtask.
//!
//! Architecture Invariant: no business logic lives here — only argument parsing, file locations, output and exit
//! codes. Exit codes: 0 success, 1 "differences found" (for `--check`), 2 error.
#![deny(missing_docs)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use driftless_core::schema::SchemaBuilder;
use driftless_core::snapshot;

/// Where a project keeps its driftless files, and its models.
#[derive(Debug, Clone)]
pub struct Project {
    /// The project's models, in the order the user listed them.
    pub models: SchemaBuilder,
    /// The committed snapshot (`snapshots/schema.json` by convention).
    pub snapshot: PathBuf,
    /// The folder of migration files.
    pub migrations: PathBuf,
}

impl Project {
    /// A project rooted at `root` with the conventional layout: `snapshots/schema.json` and `migrations/`.
    pub fn new(root: &Path, models: SchemaBuilder) -> Self {
        Project { models, snapshot: root.join("snapshots/schema.json"), migrations: root.join("migrations") }
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
    /// Print the models' schema as schema.json text; check or write the committed snapshot.
    Schema {
        /// Exit 1 (writing nothing) when the models and the snapshot differ.
        #[arg(long, conflicts_with = "write")]
        check: bool,
        /// Rewrite the snapshot from the models.
        #[arg(long)]
        write: bool,
    },
}

/// Parses `args` (without the program name) and runs the command against `project`.
pub fn run<I, S>(project: &Project, args: I) -> ExitCode
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(std::iter::once("cargo xtask".into()).chain(args.into_iter().map(Into::into))) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    match dispatch(project, cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn dispatch(project: &Project, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Schema { check, write } => schema(project, check, write),
    }
}

fn schema(project: &Project, check: bool, write: bool) -> anyhow::Result<ExitCode> {
    let schema = project.models.build().context("the models do not form a valid schema")?;
    let text = snapshot::to_string(&schema);
    let shown = project.snapshot.display();
    if write {
        snapshot::write(&project.snapshot, &schema)?;
        println!("wrote {shown}");
        return Ok(ExitCode::SUCCESS);
    }
    if !check {
        print!("{text}");
        return Ok(ExitCode::SUCCESS);
    }
    let committed = snapshot::read(&project.snapshot)?;
    if snapshot::to_string(&committed) == text {
        println!("{shown} is up to date with the models");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{shown} differs from the models; run `cargo xtask schema --write` and commit the result");
        Ok(ExitCode::from(1))
    }
}
