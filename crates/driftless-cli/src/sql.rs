//! `migrate-sql NAME --dialect D [--down]`: the SQL a migration runs, for reviewers.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use driftless_core::dialect::Dialect;
use driftless_core::migration::short_name;
use driftless_core::render;
use driftless_core::replay;
use driftless_core::schema::Schema;

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
    // The schema just before the migration (and after it, for `down`), by replaying the registry in memory.
    let mut before = Schema::empty();
    for m in &project.registry[..index] {
        before = replay::apply_steps(&before, &m.up).with_context(|| format!("while replaying {}", m.name))?;
    }
    let migration = &project.registry[index];
    let (steps, ctx) = if args.down {
        let after = replay::apply_steps(&before, &migration.up)
            .with_context(|| format!("while replaying {}", migration.name))?;
        (&migration.down, after)
    } else {
        (&migration.up, before)
    };
    let rendered = render::render_steps(steps, dialect, &ctx)
        .with_context(|| format!("while rendering {} for {}", migration.name, dialect.name()))?;
    println!("-- {} ({}, {})", migration.name, if args.down { "down" } else { "up" }, dialect.name());
    print!("{}", rendered.script());
    Ok(ExitCode::SUCCESS)
}
