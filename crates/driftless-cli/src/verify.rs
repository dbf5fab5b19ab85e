//! `migrate-verify`: every migration applied up and down on a scratch database (in-memory SQLite unless
//! `--database-url` names an empty PostgreSQL or MySQL database), introspected after each step and compared with
//! the in-memory replay; then the committed snapshot is compared with the replay of the migrations.
//!
//! `snapshot-repair`: the same snapshot comparison on its own; `--check` exits 1 when they differ, otherwise the
//! snapshot is rewritten from the replay.

use std::process::ExitCode;

use anyhow::Context as _;
use driftless_core::snapshot;
use driftless_introspect::history;
use driftless_migrate::Database;

use crate::Project;

/// Arguments of `migrate-verify`.
#[derive(Debug, clap::Args)]
pub(crate) struct VerifyArgs {
    /// An empty scratch database to verify on (`postgres://...`, `mysql://...`); defaults to in-memory SQLite.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
}

/// Arguments of `snapshot-repair`.
#[derive(Debug, clap::Args)]
pub(crate) struct RepairArgs {
    /// Write nothing; exit 1 when the snapshot differs from the replay of the migrations.
    #[arg(long)]
    check: bool,
}

pub(crate) fn run(project: &Project, args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let verified = runtime.block_on(async {
        let db = match &args.database_url {
            Some(url) => Database::connect(url).await?,
            #[cfg(feature = "sqlite")]
            None => Database::Sqlite(driftless_migrate::testing::sqlite_memory(Vec::new()).await?),
            #[cfg(not(feature = "sqlite"))]
            None => anyhow::bail!(
                "migrate-verify works on an in-memory SQLite database unless --database-url names an empty one, and \
                 this build has no SQLite driver: pass --database-url, or enable driftless-cli's `sqlite` feature"
            ),
        };
        let result = driftless_introspect::verify(&db, &project.registry).await;
        db.close().await;
        anyhow::Ok(result)
    })?;
    let mut code = ExitCode::SUCCESS;
    match verified {
        Ok(report) => println!("{report}"),
        // Not a finding about the migrations: verify could not run, which is an error (exit 2).
        Err(
            e @ (driftless_introspect::VerifyFailure::NotEmpty { .. }
            | driftless_introspect::VerifyFailure::Introspect(_)),
        ) => {
            return Err(e.into());
        }
        Err(e) => {
            eprintln!("verify failed: {}", driftless_migrate::redact(&e.to_string()));
            if let driftless_introspect::VerifyFailure::Mismatch { first, .. } = &e {
                eprintln!("  fix: {}", first.guidance());
            }
            code = ExitCode::from(1);
        }
    }
    if snapshot_matches(project)? {
        println!("{} matches the replay of the migrations", project.snapshot.display());
    } else {
        code = ExitCode::from(1);
    }
    Ok(code)
}

/// Prints how the snapshot differs from the replay; `true` when it matches (or there is no snapshot and no
/// migration).
fn snapshot_matches(project: &Project) -> anyhow::Result<bool> {
    if !project.snapshot.exists() && project.registry.is_empty() {
        return Ok(true);
    }
    let committed = driftless_write::files::read_snapshot(&project.snapshot)?;
    let check = match history::check_snapshot(&committed, &project.registry) {
        Ok(check) => check,
        // A finding about the migrations, like a difference: say where the replay stops.
        Err(e) => {
            eprintln!("{} not checked: {e}", project.snapshot.display());
            return Ok(false);
        }
    };
    if check.matches() {
        return Ok(true);
    }
    eprintln!(
        "{} no longer matches the replay of the migrations (a hand edit or a bad merge):",
        project.snapshot.display()
    );
    for d in &check.differences {
        eprintln!("  {d}");
    }
    eprintln!("  fix: run `cargo xtask snapshot-repair` to rewrite it from the migrations, review and commit it");
    Ok(false)
}

pub(crate) fn repair(project: &Project, args: RepairArgs) -> anyhow::Result<ExitCode> {
    if args.check {
        return Ok(if snapshot_matches(project)? { ExitCode::SUCCESS } else { ExitCode::from(1) });
    }
    // The message already holds its cause: no chain to print it twice.
    let replayed = history::replay_all(&project.registry).map_err(|e| anyhow::anyhow!("{e}"))?;
    let shown = project.snapshot.display();
    if project.snapshot.exists()
        && driftless_write::files::read_snapshot(&project.snapshot)
            .is_ok_and(|s| snapshot::hash(&s) == snapshot::hash(&replayed))
    {
        println!("{shown} already matches the replay of the migrations; nothing written");
        return Ok(ExitCode::SUCCESS);
    }
    driftless_write::files::write_snapshot(&project.snapshot, &replayed)
        .with_context(|| format!("could not write {shown}"))?;
    println!("rewrote {shown} from the replay of {} migration(s)", project.registry.len());
    Ok(ExitCode::SUCCESS)
}
