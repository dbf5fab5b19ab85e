//! `migrate-sql NAME --dialect D [--down] [--plain] [--no-online]`: the SQL a migration runs, for reviewers: as the
//! migrator runs it (online forms, unit by unit, each unit's transaction and each statement's lock;
//! `driftless_migrate::script`), or with `--plain` the plain SQL of the steps.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use driftless_core::dialect::Dialect;
use driftless_core::migration::short_name;
use driftless_migrate::Direction;
use driftless_migrate::script::{View, migration_script};

use crate::Project;

/// Arguments of `migrate-sql`.
#[derive(Debug, clap::Args)]
pub(crate) struct SqlArgs {
    /// The migration: its full name, or the part after the timestamp (`add_user_timezone`).
    name: String,
    /// The dialect: sqlite, postgres or mysql.
    #[arg(long, default_value = "sqlite")]
    dialect: String,
    /// Print the `down` SQL instead of `up`.
    #[arg(long)]
    down: bool,
    /// Print the plain SQL of the steps (what drizzle-kit, Prisma or Alembic would run), without the online forms,
    /// units and locks.
    #[arg(long)]
    plain: bool,
    /// Show the migration as `migrate --no-online` runs it: the plain statements on PostgreSQL and MySQL (a
    /// migration's own `.online(true)` still wins), in the migrator's units.
    #[arg(long, conflicts_with = "plain")]
    no_online: bool,
}

pub(crate) fn run(project: &Project, args: SqlArgs) -> anyhow::Result<ExitCode> {
    let dialect: Dialect = args.dialect.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let matches: Vec<usize> = project
        .registry
        .iter()
        .enumerate()
        .filter(|(_, m)| m.name == args.name || short_name(&m.name) == Some(args.name.as_str()))
        .map(|(i, _)| i)
        .collect();
    let index = match matches.as_slice() {
        [i] => *i,
        [] => bail!(
            "no migration named `{}` in the registry ({} migration(s)); `cargo xtask migrate-status` lists them",
            args.name,
            project.registry.len()
        ),
        _ => bail!("`{}` matches several migrations; give the full name", args.name),
    };
    let migration = &project.registry[index];
    let direction = if args.down { Direction::Down } else { Direction::Up };
    let view = if args.plain { View::Plain } else { View::AsRun { online: project.online && !args.no_online } };
    // The migrator's own planning: the registry replayed in memory up to the migration, then rendered.
    let script = migration_script(&project.registry, &migration.name, direction, dialect, view)
        .with_context(|| format!("while rendering {} for {}", migration.name, dialect.name()))?;
    let plain = if args.plain { ", plain" } else { "" };
    println!("-- {} ({}, {}{plain})", migration.name, direction.as_str(), dialect.name());
    print!("{script}");
    Ok(ExitCode::SUCCESS)
}
