//! `migrate-diff --from A --to B`: the classified difference between two schemas, as text, Markdown or JSON, or
//! the SQL script that turns A into B (`--format sql`, `--down` for B into A).
//!
//! A and B are each `empty`, `models` (the project's models), `snapshot` (the committed schema.json), a path to a
//! schema.json file, or a database URL (`sqlite://…`, `postgres://…`, `mysql://…`), read back by introspection. Exit 0 whether or not there are changes, unless `--exit-code` asks for 1 on changes (like
//! `git diff --exit-code`); errors exit 2.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use driftless_core::classify;
use driftless_core::dialect::Dialect;
use driftless_core::report;
use driftless_core::schema::{RenameHints, Schema};
use driftless_migrate::redact;

use crate::Project;
use crate::generate::{check_backfill_answers, read_renames};

/// Arguments of `migrate-diff`.
#[derive(Debug, clap::Args)]
pub(crate) struct DiffArgs {
    /// The old side: `empty`, `models`, `snapshot`, a schema.json path, or a database URL.
    #[arg(long)]
    from: String,
    /// The new side: `empty`, `models`, `snapshot`, a schema.json path, or a database URL.
    #[arg(long)]
    to: String,
    /// The dialects to classify for: sqlite, postgres, mysql or all (the default). `--format sql` needs one
    /// dialect; without `--dialect` it takes the dialect of a database URL side.
    #[arg(long)]
    dialect: Option<String>,
    /// Output format: text, markdown, json, or sql (the script that turns A into B).
    #[arg(long, default_value = "text")]
    format: String,
    /// With `--format sql`: print the script that turns B back into A.
    #[arg(long)]
    down: bool,
    /// A JSON file of answers: renames and backfills (the same shape as `migrate-generate --renames`).
    #[arg(long, visible_alias = "answers", value_name = "FILE")]
    renames: Option<PathBuf>,
    /// Exit 1 when there are changes.
    #[arg(long)]
    exit_code: bool,
}

enum Format {
    Text,
    Markdown,
    Json,
    Sql,
}

fn load(project: &Project, side: &str) -> anyhow::Result<Schema> {
    match side {
        "empty" => Ok(Schema::empty()),
        "models" => project.models.build().context("the models do not form a valid schema"),
        "snapshot" => Ok(driftless_write::files::read_snapshot(&project.snapshot)?),
        url if url.contains("://") => {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let schema = runtime.block_on(driftless_introspect::schema_from_url(url))?;
            Ok(schema)
        }
        path => Ok(driftless_write::files::read_snapshot(std::path::Path::new(path))?),
    }
}

/// The dialect of a database URL side (`None` for the other kinds of side).
fn url_dialect(side: &str) -> Option<Dialect> {
    let scheme = side.split_once("://")?.0;
    match scheme {
        "sqlite" => Some(Dialect::Sqlite),
        "postgres" | "postgresql" => Some(Dialect::Postgres),
        "mysql" | "mariadb" => Some(Dialect::Mysql),
        _ => None,
    }
}

/// How the reports name one side (never a URL: it may hold a password).
fn side_name(side: &str) -> String {
    match side {
        "empty" => "the empty schema".into(),
        "models" => "the models".into(),
        "snapshot" => "the snapshot".into(),
        url if url.contains("://") => "the database".into(),
        path => format!("`{path}`"),
    }
}

/// How the reports name the two sides together (`the models and the snapshot`, `the two databases`).
fn sides(from: &str, to: &str) -> String {
    let (a, b) = (side_name(from), side_name(to));
    match (a == b, a.as_str()) {
        (true, "the database") => "the two databases".into(),
        (true, _) => "the two sides".into(),
        (false, _) => format!("{a} and {b}"),
    }
}

/// The one dialect a SQL script is for: `--dialect`, else the dialect of a database URL side. A script is run by
/// one database, so `all` (or no dialect at all) is refused rather than printing three scripts that cannot be
/// piped anywhere.
fn sql_dialect(args: &DiffArgs) -> anyhow::Result<Dialect> {
    match args.dialect.as_deref() {
        Some("all") => bail!(
            "--format sql prints a script for one database: give --dialect sqlite, postgres or mysql instead of `all`"
        ),
        Some(d) => d.parse().map_err(|e| anyhow::anyhow!("--dialect: {e}")),
        None => [&args.from, &args.to].into_iter().find_map(|side| url_dialect(side)).ok_or_else(|| {
            anyhow::anyhow!(
                "--format sql prints a script for one database: give --dialect sqlite, postgres or mysql (neither \
                 side is a database URL to take it from)"
            )
        }),
    }
}

pub(crate) fn run(project: &Project, args: DiffArgs) -> anyhow::Result<ExitCode> {
    let format = match args.format.as_str() {
        "text" => Format::Text,
        "markdown" | "md" => Format::Markdown,
        "json" => Format::Json,
        "sql" => Format::Sql,
        other => bail!("--format: `{other}` is not one of text, markdown, json, sql"),
    };
    if args.down && !matches!(format, Format::Sql) {
        bail!("--down only applies to --format sql (the reports already show each change's down SQL)");
    }
    let dialects: Vec<Dialect> = match (&format, args.dialect.as_deref()) {
        (Format::Sql, _) => vec![sql_dialect(&args)?],
        (_, None | Some("all")) => Dialect::all().to_vec(),
        (_, Some(d)) => vec![d.parse().map_err(|e| anyhow::anyhow!("--dialect: {e}"))?],
    };
    let mut old = load(project, &args.from).with_context(|| format!("reading --from {}", redact(&args.from)))?;
    let mut new = load(project, &args.to).with_context(|| format!("reading --to {}", redact(&args.to)))?;
    // A live database holds only what its dialect can represent (no uuid type on MySQL, enums as CHECKs on SQLite,
    // ...): compare both sides in those terms, so only real differences show.
    if let Some(dialect) = [&args.from, &args.to].into_iter().find_map(|side| url_dialect(side)) {
        old = driftless_introspect::representable(&old, dialect);
        new = driftless_introspect::representable(&new, dialect);
    }
    let mut hints = if args.to == "models" { project.models.rename_hints() } else { RenameHints::default() };
    if let Some(path) = &args.renames {
        let file = read_renames(path)?;
        check_backfill_answers(&file, &hints, &new, path)?;
        hints.merge(&file);
    }
    let plan = classify::plan(&old, &new, &hints)?;
    let out = match format {
        Format::Sql => sql_script(&plan, dialects[0], &old, &new, &args)?,
        Format::Text => report::text_between(
            &plan,
            &dialects,
            report::color_from_env() && std::io::stdout().is_terminal(),
            &sides(&args.from, &args.to),
        ),
        Format::Markdown => report::markdown_between(&plan, &dialects, &sides(&args.from, &args.to)),
        Format::Json => report::json(&plan, &dialects),
    };
    print!("{out}");
    if !out.ends_with('\n') {
        println!();
    }
    Ok(if args.exit_code && !plan.is_empty() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// The script that turns `old` into `new` (or back, with `--down`) on one dialect, headed by a comment naming the
/// direction and the dialect. Statements that must run outside a transaction are marked with a comment line.
fn sql_script(
    plan: &classify::Plan,
    dialect: Dialect,
    old: &Schema,
    new: &Schema,
    args: &DiffArgs,
) -> anyhow::Result<String> {
    let (direction, steps, ctx, (a, b)) = if args.down {
        ("down", plan.down_steps(), new, (&args.to, &args.from))
    } else {
        ("up", plan.up_steps(), old, (&args.from, &args.to))
    };
    let mut out = format!("-- driftless: {direction}, {} to {} ({})\n", side_name(a), side_name(b), dialect.name());
    if plan.is_empty() {
        out.push_str("-- no schema changes\n");
        return Ok(out);
    }
    let rendered = driftless_core::render::render_steps(&steps, dialect, ctx)
        .with_context(|| format!("rendering the {direction} script for {}", dialect.name()))?;
    out.push_str(&rendered.script());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::sides;

    #[test]
    fn reports_name_the_sides_actually_compared() {
        assert_eq!(sides("snapshot", "models"), "the snapshot and the models");
        assert_eq!(sides("postgres://u:secret@h/a", "mysql://u:secret@h/b"), "the two databases");
        assert_eq!(sides("models", "sqlite://app.db"), "the models and the database");
        assert_eq!(sides("empty", "old/schema.json"), "the empty schema and `old/schema.json`");
        assert_eq!(sides("a.json", "a.json"), "the two sides");
    }
}
