//! `db-pull`: adopt an existing database. Its schema is introspected into `schema.json`, a baseline migration that
//! creates it from empty is written (file + registry + snapshot, all or nothing), and the baseline is recorded as
//! applied on that database — the Prisma baseline flow (diff from empty, `resolve --applied`) in one command.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use driftless_core::classify;
use driftless_core::migration::Migration;
use driftless_core::schema::{RenameHints, Schema};
use driftless_core::snapshot;
use driftless_migrate::{Database, Migrator};
use driftless_write::{self as write, MigrationFile};

use crate::Project;
use crate::files::{Staged, commit_all};

/// Arguments of `db-pull`.
#[derive(Debug, clap::Args)]
pub(crate) struct PullArgs {
    /// The database to adopt; defaults to `DATABASE_URL`, else the SQLite file `driftless.db` at the project root.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// The baseline migration's name.
    #[arg(long, default_value = "baseline")]
    name: String,
    /// The UTC timestamp in the file name (`YYYYMMDD_HHMMSS`); defaults to now. Also `DRIFTLESS_TIMESTAMP`.
    #[arg(long, hide = true)]
    timestamp: Option<String>,
}

/// The baseline migration for `schema`, exactly as the written file builds it (so its checksum matches).
pub(crate) fn baseline(name: &str, schema: &Schema) -> anyhow::Result<(Migration, classify::Plan)> {
    let plan = classify::plan(&Schema::empty(), schema, &RenameHints::default())?;
    let m = Migration::new(name)
        .parent(snapshot::hash(&Schema::empty()))
        .snapshot(snapshot::hash(schema))
        .class(plan.class())
        .up(plan.up_steps())
        .down(plan.down_steps());
    Ok((m, plan))
}

pub(crate) fn run(project: &Project, args: PullArgs) -> anyhow::Result<ExitCode> {
    if !project.registry.is_empty() {
        bail!(
            "db-pull adopts a database into a project without migrations, but this project has {}; to check a \
             database against them run `cargo xtask migrate-status`",
            project.registry.len()
        );
    }
    if !write::is_valid_name(&args.name) {
        bail!("`{}` is not a valid migration name: use lowercase letters, digits and underscores", args.name);
    }
    // Checked before connecting, so a bad value changes nothing in the database either.
    let timestamp = crate::generate::timestamp(args.timestamp)?;
    let url = crate::run_migrations::database_url(project, args.database_url);
    if let Some(missing) = crate::run_migrations::missing_sqlite_file(&url) {
        bail!("no SQLite database at {}: db-pull adopts an existing database; check DATABASE_URL", missing.display());
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(pull(project, &url, &args.name, timestamp))
}

async fn pull(project: &Project, url: &str, name: &str, timestamp: String) -> anyhow::Result<ExitCode> {
    let db = Database::connect(url).await?;
    let schema = driftless_introspect::introspect(&db).await?;
    if schema.tables.is_empty() {
        db.close().await;
        bail!("the database has no tables to adopt; start with `cargo xtask migrate-generate` instead");
    }
    schema.validate().map_err(|e| anyhow::anyhow!("the database's schema cannot be represented: {e}"))?;
    let full_name = write::migration_name(&timestamp, name);
    let (migration, plan) = baseline(&full_name, &schema)?;
    let command = format!("cargo xtask db-pull --name {name}");
    let parent = snapshot::hash(&Schema::empty());
    let new_hash = snapshot::hash(&schema);
    let text = write::migration_file(&MigrationFile {
        name: &full_name,
        command: &command,
        parent: Some(&parent),
        snapshot: Some(&new_hash),
        class: plan.class(),
        changes: plan.changes.iter().map(write::header_change).collect(),
        up: &migration.up,
        down: &migration.down,
        crate_path: &project.crate_path,
        locks: Vec::new(),
    });
    std::fs::create_dir_all(&project.migrations)
        .with_context(|| format!("could not create {}", project.migrations.display()))?;
    let registry = write::registry_file(std::slice::from_ref(&full_name), &project.crate_path);
    let mut formatted = write::rustfmt_if_configured(&[&text, &registry], &project.migrations)?;
    let (registry, text) = (formatted.pop().expect("two outputs"), formatted.pop().expect("two outputs"));
    let file_path = project.migrations.join(format!("{full_name}.rs"));
    let registry_path = project.migrations.join("mod.rs");
    commit_all(&[
        Staged::new(&file_path, text),
        Staged::new(&registry_path, registry),
        Staged::new(&project.snapshot, snapshot::to_string(&schema)),
    ])?;
    let migrator = Migrator::new(db.clone(), [migration]);
    let resolved = migrator.resolve_applied(&full_name).await;
    db.close().await;
    resolved.with_context(|| {
        format!("wrote the baseline but could not record it as applied; run `cargo xtask migrate-resolve --applied {full_name}`")
    })?;
    println!("adopted {} table(s) and {} enum(s) from the database", schema.tables.len(), schema.enums.len());
    println!("wrote {}, {} and {}", file_path.display(), registry_path.display(), project.snapshot.display());
    println!("recorded {full_name} as applied on this database (baseline); other databases apply it with `migrate`");
    Ok(ExitCode::SUCCESS)
}
