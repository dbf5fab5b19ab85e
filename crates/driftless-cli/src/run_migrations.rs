//! The runtime commands: `migrate`, `migrate-up`, `migrate-down`, `migrate-to`, `migrate-status`,
//! `migrate-history`, `migrate-reset`, `migrate-resolve`. Each opens the database (`--database-url`, else
//! `DATABASE_URL`, else the SQLite file default) and calls the migrator with the project's registry.

use std::process::ExitCode;

use anyhow::bail;
use driftless_migrate::{DEFAULT_DATABASE_URL, Migrator};

use crate::Project;

/// Options every runtime command takes.
#[derive(Debug, clap::Args)]
pub(crate) struct DbArgs {
    /// The database URL; defaults to `DATABASE_URL`, else a SQLite file `driftless.db`.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// Allow a down, downward `migrate-to` or reset when `DRIFTLESS_ENV`/`APP_ENV` says production.
    #[arg(long)]
    force_production: bool,
    /// Apply a pending migration that is older than the last applied one.
    #[arg(long)]
    allow_out_of_order: bool,
}

/// A runtime command.
#[derive(Debug)]
pub(crate) enum RuntimeCommand {
    Migrate,
    Up,
    Down,
    To(String),
    Status,
    History,
    Reset { force: bool },
    ResolveApplied(String),
    ResolveRolledBack(String),
}

pub(crate) fn run(project: &Project, db: DbArgs, command: RuntimeCommand) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(run_async(project, db, command))
}

async fn run_async(project: &Project, db: DbArgs, command: RuntimeCommand) -> anyhow::Result<ExitCode> {
    let url = db
        .database_url
        .or_else(|| std::env::var("DATABASE_URL").ok().filter(|u| !u.trim().is_empty()))
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
    let migrator = Migrator::connect(&url, project.registry.clone())
        .await?
        .migrations_dir(&project.migrations)
        .force_production(db.force_production)
        .allow_out_of_order(db.allow_out_of_order);
    let outcome = match command {
        RuntimeCommand::Status => {
            let status = migrator.status().await?;
            for row in &status.applied {
                let dirty = match &row.dirty {
                    Some(direction) => format!("  DIRTY ({direction} did not finish)"),
                    None => String::new(),
                };
                println!(
                    "applied  {}  batch {}  {}  {}  {} ms{dirty}",
                    row.name, row.batch, row.applied_at, row.class, row.duration_ms
                );
            }
            for name in &status.pending {
                println!("pending  {name}");
            }
            for problem in &status.problems {
                eprintln!("problem  {problem}");
            }
            for c in driftless_introspect::history::branch_conflicts(&project.registry) {
                eprintln!("         fix: {}", c.fix());
            }
            // Drift: the live schema against the replay of the applied migrations.
            let drifted = match driftless_introspect::drift(migrator.database(), &project.registry).await {
                Ok(drift) => {
                    print!("{drift}");
                    drift.differences.len()
                }
                Err(e) => {
                    eprintln!("drift not checked: {e}");
                    0
                }
            };
            println!(
                "{} applied, {} pending, {} problem(s), {drifted} drift(s)",
                status.applied.len(),
                status.pending.len(),
                status.problems.len()
            );
            if status.problems.is_empty() && drifted == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
        RuntimeCommand::History => {
            let rows = migrator.history().await?;
            for row in &rows {
                println!(
                    "{:>4}  {}  batch {}  {}  {}  {} ms  checksum {}",
                    row.id,
                    row.name,
                    row.batch,
                    row.applied_at,
                    row.class,
                    row.duration_ms,
                    row.checksum.get(..12).unwrap_or(&row.checksum)
                );
            }
            println!("{} row(s)", rows.len());
            ExitCode::SUCCESS
        }
        other => {
            let report = match other {
                RuntimeCommand::Migrate => migrator.migrate().await?,
                RuntimeCommand::Up => migrator.up().await?,
                RuntimeCommand::Down => migrator.down().await?,
                RuntimeCommand::To(name) => migrator.to(&name).await?,
                RuntimeCommand::Reset { force } => {
                    if !force {
                        bail!("migrate-reset reverts every migration and loses their data; pass --force to confirm");
                    }
                    migrator.reset(true).await?
                }
                RuntimeCommand::ResolveApplied(name) => migrator.resolve_applied(&name).await?,
                RuntimeCommand::ResolveRolledBack(name) => migrator.resolve_rolled_back(&name).await?,
                RuntimeCommand::Status | RuntimeCommand::History => unreachable!("handled above"),
            };
            // The migrator's progress output already ends with the report's one-line summary.
            drop(report);
            ExitCode::SUCCESS
        }
    };
    migrator.database().close().await;
    Ok(outcome)
}

/// Prints every pair of migrations generated from the same parent snapshot, with the fix; `true` when there is one.
pub(crate) fn report_conflicts(project: &Project) -> bool {
    let conflicts = driftless_introspect::history::branch_conflicts(&project.registry);
    for c in &conflicts {
        eprintln!("conflict: {c}");
        eprintln!("  fix: {}", c.fix());
    }
    !conflicts.is_empty()
}
