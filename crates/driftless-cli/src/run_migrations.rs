//! The runtime commands: `migrate`, `migrate-up`, `migrate-down`, `migrate-to`, `migrate-status`,
//! `migrate-history`, `migrate-reset`, `migrate-resolve`. Each opens the database (`--database-url`, else
//! `DATABASE_URL`, else the SQLite file `driftless.db` at the project root) and calls the migrator with the
//! project's registry. Commands that change the database create a missing SQLite file; `migrate-status` and
//! `migrate-history` never do, and say that there is none.

use std::process::ExitCode;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use driftless_migrate::{Migrator, Problem, redact};

use crate::Project;

/// Options every runtime command takes.
#[derive(Debug, clap::Args)]
pub(crate) struct DbArgs {
    /// The database URL; defaults to `DATABASE_URL`, else the SQLite file `driftless.db` at the project root.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// How long to wait for another migrator to finish before failing, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = driftless_migrate::DEFAULT_LOCK_TIMEOUT.as_secs_f64())]
    lock_timeout: f64,
    /// PostgreSQL, online migrations: the `lock_timeout` of each lock-taking statement, in seconds; a unit that
    /// gives up waiting is tried again (a few times, with a pause) before the run fails and can be resumed.
    #[arg(long, value_name = "SECONDS", default_value_t = driftless_migrate::online::DEFAULT_STATEMENT_LOCK_TIMEOUT.as_secs_f64())]
    statement_lock_timeout: f64,
    /// PostgreSQL: run the plain SQL in one transaction instead of online (concurrent indexes, constraints added
    /// NOT VALID then validated); a migration's own `.online(true)` still wins.
    #[arg(long)]
    no_online: bool,
    /// PostgreSQL, online: run the contract of an expand/contract type change (`int` → `bigint`, ...) in the same
    /// run as its expand, instead of stopping after the expand for the next `migrate`.
    #[arg(long)]
    contract: bool,
    /// Skip the data probes (the counting queries that refuse a step which would fail on existing rows, before
    /// anything runs), for a table so large that a counting scan is too slow: the database's own error then finds
    /// the bad rows, after the migration has started.
    #[arg(long)]
    skip_data_probes: bool,
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
    /// `migrate --dry-run`.
    DryRun,
    Up,
    Down,
    To(String),
    Status,
    History,
    Reset {
        force: bool,
    },
    ResolveApplied(String),
    ResolveRolledBack(String),
}

pub(crate) fn run(project: &Project, db: DbArgs, command: RuntimeCommand) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(run_async(project, db, command))
}

/// The database a command works on: `--database-url`, else `DATABASE_URL`, else the SQLite file `driftless.db`
/// at the project root (whatever the current directory).
pub(crate) fn database_url(project: &Project, given: Option<String>) -> String {
    given
        .or_else(|| std::env::var("DATABASE_URL").ok().filter(|u| !u.trim().is_empty()))
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", project.root().join("driftless.db").display()))
}

/// The file of a SQLite URL (`sqlite://path`, `sqlite:path`, with or without `?params`); `None` for other
/// databases and in-memory ones.
pub(crate) fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split_once('?').map_or(rest, |(path, _)| path);
    (!path.is_empty() && path != ":memory:" && !url.contains("mode=memory")).then(|| PathBuf::from(path))
}

/// `url`, asking SQLite to create a missing database file unless the URL says otherwise (`mode=`).
fn creating(url: &str) -> String {
    if sqlite_file(url).is_none() || url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// For commands that only read (they never create a database): the file of a SQLite URL, if it does not exist.
pub(crate) fn missing_sqlite_file(url: &str) -> Option<PathBuf> {
    sqlite_file(url).filter(|file| !file.exists())
}

async fn run_async(project: &Project, db: DbArgs, command: RuntimeCommand) -> anyhow::Result<ExitCode> {
    let url = database_url(project, db.database_url);
    let read_only = matches!(command, RuntimeCommand::Status | RuntimeCommand::History | RuntimeCommand::DryRun);
    // A dry run against a SQLite file that does not exist yet plans against an empty database, creating nothing.
    let url = match missing_sqlite_file(&url) {
        Some(missing) if matches!(command, RuntimeCommand::DryRun) => {
            eprintln!("no SQLite database at {}: planning against an empty database", missing.display());
            "sqlite::memory:".to_owned()
        }
        _ => url,
    };
    if read_only && let Some(missing) = missing_sqlite_file(&url) {
        eprintln!(
            "no SQLite database at {}: nothing is applied there yet; `cargo xtask migrate` creates it",
            missing.display()
        );
        if let RuntimeCommand::Status = command {
            for m in &project.registry {
                println!("pending  {}", m.name);
            }
            println!("0 applied, {} pending, 0 problem(s), 0 drift(s)", project.registry.len());
        } else {
            println!("0 row(s)");
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !db.lock_timeout.is_finite() || db.lock_timeout < 0.0 {
        bail!("--lock-timeout: `{}` is not a number of seconds (0 or more)", db.lock_timeout);
    }
    if !db.statement_lock_timeout.is_finite() || db.statement_lock_timeout <= 0.0 {
        bail!("--statement-lock-timeout: `{}` is not a number of seconds (more than 0)", db.statement_lock_timeout);
    }
    let url = if read_only { url } else { creating(&url) };
    let mut migrator = Migrator::connect(&url, project.registry.clone())
        .await?
        .migrations_dir(&project.migrations)
        .lock_timeout(Duration::from_secs_f64(db.lock_timeout))
        .statement_lock_timeout(Duration::from_secs_f64(db.statement_lock_timeout))
        .online(project.online && !db.no_online)
        .contract_now(db.contract)
        .skip_data_probes(db.skip_data_probes)
        .force_production(db.force_production)
        .allow_out_of_order(db.allow_out_of_order)
        .progress(crate::progress::Terminal::default());
    // The production guard's environment: the first of `DRIFTLESS_ENV` and `APP_ENV` that is set.
    if let Some((var, value)) = driftless_migrate::environment_from(|var| std::env::var(var).ok()) {
        migrator = migrator.environment_from_variable(var, value);
    }
    let outcome = match command {
        RuntimeCommand::Status => {
            let status = migrator.status().await?;
            for row in &status.applied {
                let dirty = match &row.dirty {
                    Some(_) if status.in_progress.contains(&row.name) => {
                        "  being applied by another process right now".to_owned()
                    }
                    Some(direction) => {
                        let state = status.problems.iter().find_map(|p| match p {
                            Problem::Resumable { name, .. } if *name == row.name => Some("resumable"),
                            Problem::ContractPending { name, .. } if *name == row.name => Some("contract pending"),
                            _ => None,
                        });
                        match state {
                            Some(state) => format!("  {state} ({direction} stopped part-way)"),
                            None => format!("  DIRTY ({direction} did not finish)"),
                        }
                    }
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
            // Drift: the live schema against the replay of the applied migrations (not while one is running).
            // Drift that cannot be checked (an applied migration that does not replay, such as hand-written SQL
            // that does not declare its effect) is a problem too: exit 1, not a silent success.
            let mut unchecked = false;
            let drifted = if !status.in_progress.is_empty() {
                eprintln!("drift not checked: a migration is being applied by another process");
                0
            } else {
                match driftless_introspect::drift(migrator.database(), &project.registry).await {
                    Ok(drift) => {
                        print!("{drift}");
                        drift.differences.len()
                    }
                    Err(e) => {
                        eprintln!("drift not checked: {}", redact(&e.to_string()));
                        unchecked = true;
                        0
                    }
                }
            };
            println!(
                "{} applied, {} pending, {} problem(s), {drifted} drift(s)",
                status.applied.len(),
                status.pending.len(),
                status.problems.len()
            );
            if status.problems.is_empty() && drifted == 0 && !unchecked { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
        RuntimeCommand::DryRun => {
            print!("{}", migrator.dry_run().await?);
            ExitCode::SUCCESS
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
                RuntimeCommand::Status | RuntimeCommand::History | RuntimeCommand::DryRun => {
                    unreachable!("handled above")
                }
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
