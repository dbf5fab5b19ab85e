//! `migrate-review --base REF`: the migrations a pull request adds or changes, judged for its reviewers.
//!
//! The migration files at the base (the merge base of `REF` and `HEAD`, read with `git`) are compared with the
//! working tree; every migration of the compiled registry whose file is new or changed is reviewed: its class per
//! dialect computed from its steps (`driftless_core::judge`, never the file's `.class(...)` label), the changes
//! worst first with their codes, reasons and safer alternatives, its SQL per dialect, its acknowledgement, and an
//! ER diagram of the tables the migrations touch. Formats: Markdown (a pull-request comment that starts with the
//! [`MARKER`] a CI job finds it by), JSON, text.
//!
//! Exit codes: 0 when nothing blocks; 1 when a dangerous migration lacks its acknowledgement, a label is below the
//! class of its steps, a migration cannot be judged, two migrations share a parent snapshot, or (with
//! `--fail-on CLASS`) a migration is that class or worse; 2 on error (not a git repository, a bad ref).

mod git;
mod json;
mod markdown;
mod mermaid;
mod source;
mod text;

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use driftless_core::classify::{Class, Classification, PerDialect};
use driftless_core::dialect::Dialect;
use driftless_core::judge::{JudgeError, Verdict, judge_registry};
use driftless_core::migration::{Migration, schemas_along};
use driftless_core::render;
use driftless_core::replay::{self, ReplayOptions};
use driftless_core::schema::Schema;
use driftless_core::step::Step;
use driftless_introspect::history::{Conflict, branch_conflicts};

use crate::Project;

/// The hidden first line of the Markdown review, by which a CI job finds its previous comment to update it.
pub const MARKER: &str = "<!-- driftless-review -->";

/// Arguments of `migrate-review`.
#[derive(Debug, clap::Args)]
pub(crate) struct ReviewArgs {
    /// The base to compare with: a branch, tag or commit (in CI, `origin/<the pull request's base branch>`).
    #[arg(long, value_name = "REF")]
    base: String,
    /// Output format: markdown (a pull-request comment), json or text.
    #[arg(long, default_value = "markdown")]
    format: String,
    /// Also exit 1 when a reviewed migration is this class or worse (`review_required` for stricter teams).
    #[arg(long, value_name = "CLASS")]
    fail_on: Option<String>,
    /// Write the report to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

enum Format {
    Markdown,
    Json,
    Text,
}

/// How a reviewed migration's file changed since the base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// The file is new.
    Added,
    /// The file was on the base and its code changed.
    Edited,
    /// The file was on the base; only comments, layout, the label or the acknowledgement changed (none of which the
    /// migrator checksums).
    Annotated,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Added => "added",
            Status::Edited => "edited",
            Status::Annotated => "label, acknowledgement or comments edited",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Status::Added => "added",
            Status::Edited => "edited",
            Status::Annotated => "annotated",
        }
    }
}

/// A migration's SQL on one dialect: the `up` and `down` scripts, or why they cannot be rendered.
#[derive(Debug, Clone)]
pub(crate) struct Sql {
    pub dialect: Dialect,
    pub up: Result<String, String>,
    pub down: Result<String, String>,
}

/// One reviewed migration.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub migration: Migration,
    /// The file, from the repository root.
    pub path: String,
    pub status: Status,
    pub verdict: Result<Verdict, JudgeError>,
    pub sql: Vec<Sql>,
}

impl Item {
    /// The computed class over every dialect; a migration that cannot be judged sorts with the dangerous ones.
    pub fn worst(&self) -> Class {
        self.verdict.as_ref().map(Verdict::worst).unwrap_or(Class::Dangerous)
    }

    /// The dialects on which the migration is dangerous.
    pub fn dangerous_on(&self) -> Vec<Dialect> {
        match &self.verdict {
            Ok(v) => Dialect::all().into_iter().filter(|d| v.needs_acknowledgement(*d)).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Whether the migration needs an acknowledgement it does not have.
    pub fn acknowledgement_missing(&self) -> bool {
        !self.dangerous_on().is_empty() && !self.migration.is_acknowledged()
    }

    /// The label disagreement (a label below the class of the steps), as `(declared, class of the steps)`.
    pub fn label_disagreement(&self) -> Option<(Class, Class)> {
        match &self.verdict {
            Ok(v) if !v.label_agrees() => Some((v.declared, v.steps_worst())),
            _ => None,
        }
    }

    /// What keeps this migration from being merged, one sentence each.
    pub fn blockers(&self, fail_on: Option<Class>) -> Vec<String> {
        let name = &self.migration.name;
        let mut out = Vec::new();
        if let Err(e) = &self.verdict {
            out.push(format!("`{name}` cannot be judged: {e}"));
        }
        if self.acknowledgement_missing() {
            out.push(format!(
                "`{name}` is dangerous on {} and has no acknowledgement: a reviewer must fill in \
                 `.acknowledged(\"who\", \"why losing the data is fine\")` in `{}`; the migrator refuses it until then",
                dialect_list(&self.dangerous_on()),
                self.path
            ));
        }
        if let Some((declared, computed)) = self.label_disagreement() {
            out.push(format!(
                "`{name}` is labelled `{declared}` but its steps are `{computed}`: change `.class(Class::{})` to \
                 `.class(Class::{})` in `{}`",
                class_variant(declared),
                class_variant(computed),
                self.path
            ));
        }
        if let Some(limit) = fail_on
            && self.verdict.is_ok()
            && self.worst() >= limit
        {
            out.push(format!("`{name}` is `{}` and `--fail-on {limit}` is set", self.worst()));
        }
        out
    }
}

/// The whole review.
#[derive(Debug, Clone)]
pub(crate) struct Review {
    /// The base as given (`origin/main`).
    pub base_ref: String,
    /// The commit compared with (the merge base).
    pub commit: String,
    /// The reviewed migrations, dangerous first, then review_required, then safe (registry order within a class).
    pub items: Vec<Item>,
    /// Migration files on the base that the working tree no longer has (paths from the repository root).
    pub removed: Vec<String>,
    /// Pairs of migrations generated from the same parent snapshot.
    pub conflicts: Vec<Conflict>,
    /// The Mermaid `erDiagram` of the tables the reviewed migrations touch (without the code fence).
    pub diagram: Option<String>,
    pub fail_on: Option<Class>,
}

impl Review {
    /// Everything that blocks the merge (exit 1), one sentence each.
    pub fn blockers(&self) -> Vec<String> {
        let mut out: Vec<String> = self.items.iter().flat_map(|i| i.blockers(self.fail_on)).collect();
        for c in &self.conflicts {
            out.push(format!("branch conflict: {c}; {}", c.fix()));
        }
        out
    }

    /// What reviewers must know but does not block, one sentence each.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for i in self.items.iter().filter(|i| i.status == Status::Edited) {
            out.push(format!(
                "`{}` was already on `{}` and its code was edited: a database that applied it refuses to migrate \
                 (checksum mismatch) and never runs the new steps; restore the file from `{}` and generate a new \
                 migration for the change",
                i.migration.name, self.base_ref, self.base_ref
            ));
        }
        for path in &self.removed {
            out.push(format!(
                "`{path}` was on `{}` and is gone: a database that applied it reports it missing; restore it unless \
                 no database ever ran it",
                self.base_ref
            ));
        }
        out
    }

    /// The count of reviewed migrations of a class.
    pub fn count(&self, class: Class) -> usize {
        self.items.iter().filter(|i| i.worst() == class).count()
    }
}

pub(crate) fn run(project: &Project, args: ReviewArgs) -> anyhow::Result<ExitCode> {
    let format = match args.format.as_str() {
        "markdown" | "md" => Format::Markdown,
        "json" => Format::Json,
        "text" => Format::Text,
        other => bail!("--format: `{other}` is not one of markdown, json, text"),
    };
    let fail_on = match &args.fail_on {
        None => None,
        Some(s) => Some(
            Class::parse(s)
                .with_context(|| format!("--fail-on: `{s}` is not one of safe, review_required, dangerous"))?,
        ),
    };
    let review = collect(project, &args.base, fail_on)?;
    let out = match format {
        Format::Markdown => markdown::render(&review),
        Format::Json => json::render(&review),
        Format::Text => {
            let color =
                args.output.is_none() && driftless_core::report::color_from_env() && std::io::stdout().is_terminal();
            text::render(&review, color)
        }
    };
    match &args.output {
        Some(path) => driftless_write::files::write_atomic(path, out.as_bytes())?,
        None => print!("{out}"),
    }
    Ok(if review.blockers().is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Reads the base with git, finds the migrations added or changed since, and judges them.
pub(crate) fn collect(project: &Project, base_ref: &str, fail_on: Option<Class>) -> anyhow::Result<Review> {
    let base = git::base(&project.migrations, base_ref)?;
    let registry = &project.registry;
    let paths: Vec<String> = registry.iter().map(|m| base.path_of(&m.name)).collect();
    let blobs = base.worktree_blobs(&paths)?;

    // The schema before each migration, replayed as the migrator renders (`before[i]`; `before[n]` is the end).
    let before = schemas_along(registry);
    let verdicts = judge_registry(registry);

    let mut reviewed = Vec::new();
    for (index, ((m, path), blob)) in registry.iter().zip(&paths).zip(&blobs).enumerate() {
        let status = match (base.files.get(&m.name), blob) {
            (None, _) => Status::Added,
            // No file of that name in the working tree: the migration is compiled from elsewhere; nothing to compare.
            (Some(_), None) => continue,
            (Some(old), Some(new)) if old.blob == *new => continue,
            (Some(old), Some(_)) => {
                let was = base.show(&old.path)?;
                let now =
                    std::fs::read_to_string(base.worktree_path(path)).with_context(|| format!("cannot read {path}"))?;
                if source::same_code(&was, &now) { Status::Annotated } else { Status::Edited }
            }
        };
        let sql = Dialect::all()
            .into_iter()
            .map(|d| sql(registry, index, before[index].as_ref(), d, project.online))
            .collect();
        let item = Item { migration: m.clone(), path: path.clone(), status, verdict: verdicts[index].clone(), sql };
        reviewed.push((index, item));
    }
    let (indexes, mut items): (Vec<usize>, Vec<Item>) = reviewed.into_iter().unzip();
    let diagram = match (indexes.first(), indexes.last()) {
        (Some(&first), Some(&last)) => match (&before[first], &before[last + 1]) {
            (Some(from), Some(to)) => {
                let steps: Vec<&Step> = indexes.iter().flat_map(|i| registry[*i].up.iter()).collect();
                mermaid::diagram(from, to, &steps)
            }
            _ => None,
        },
        _ => None,
    };
    // Dangerous first, then review_required, then safe; registry order within a class (a stable sort).
    items.sort_by_key(|i| std::cmp::Reverse(i.worst()));

    let names: std::collections::HashSet<&str> = registry.iter().map(|m| m.name.as_str()).collect();
    // A file of the base that is neither in the registry nor in the working tree (another `.rs` file kept in the
    // folder is not a migration that went missing).
    let removed = base
        .files
        .iter()
        .filter(|(name, f)| !names.contains(name.as_str()) && !base.worktree_path(&f.path).exists())
        .map(|(_, f)| f.path.clone())
        .collect();
    Ok(Review {
        base_ref: base_ref.to_owned(),
        commit: base.commit,
        items,
        removed,
        conflicts: branch_conflicts(registry),
        diagram,
        fail_on,
    })
}

fn sql(registry: &[Migration], index: usize, before: Option<&Schema>, dialect: Dialect, project_online: bool) -> Sql {
    let m = &registry[index];
    let empty = Schema::empty();
    let hand_written =
        |steps: &[Step]| steps.iter().all(|s| matches!(s, Step::RawSql { .. } | Step::Irreversible { .. }));
    let before = match before {
        Some(before) => before,
        // Hand-written SQL renders without a schema.
        None if hand_written(&m.up) && hand_written(&m.down) => &empty,
        None => {
            let why = "not rendered: the schema before this migration cannot be computed".to_owned();
            return Sql { dialect, up: Err(why.clone()), down: Err(why) };
        }
    };
    // PostgreSQL and MySQL: the statements the migrator runs (online unless the migration, or else the project,
    // opts out), each with its lock.
    let online = m.online.unwrap_or(project_online);
    let annotated = |r: &render::RenderedMigration| render::locks::annotated_script(dialect, &m.up, r);
    let up = render::render_steps(&m.up, dialect, before).map_err(|e| e.to_string()).and_then(|r| {
        Ok(match dialect {
            Dialect::Postgres if m.transactional && online => {
                // The contract as a later migration: the expand here, the contract in that one.
                match driftless_migrate::contract_file::review_plan(registry, index)? {
                    Some((plan, steps)) => render::locks::annotated_script(dialect, steps, &plan),
                    None => {
                        annotated(&driftless_migrate::expand_contract::online_postgres_with(&m.up, &r, Some(before)))
                    }
                }
            }
            // MySQL: the ALGORITHM/LOCK clauses the migrator runs (unless the migration opts out), each with its lock.
            Dialect::Mysql if online => annotated(&render::mysql_online::online_mysql_with(&m.up, &r, Some(before))),
            Dialect::Postgres | Dialect::Mysql => annotated(&r),
            _ => r.script(),
        })
    });
    let render_down = |ctx: &Schema| render::render_steps(&m.down, dialect, ctx).map(|r| r.script());
    let down = match replay::apply_steps_with(before, &m.up, ReplayOptions::DATABASE) {
        Ok(after) => render_down(&after).map_err(|e| e.to_string()),
        // Hand-written SQL renders without a schema, even after `up` SQL that does not declare its effect.
        Err(_) if hand_written(&m.down) => render_down(&empty).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    Sql { dialect, up, down }
}

/// `SQLite, PostgreSQL and MySQL`.
pub(crate) fn dialect_list(ds: &[Dialect]) -> String {
    let names: Vec<&str> = ds.iter().map(|d| d.display_name()).collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// `Safe`, `ReviewRequired`, `Dangerous`: the variant a migration file spells.
pub(crate) fn class_variant(c: Class) -> &'static str {
    match c {
        Class::Safe => "Safe",
        Class::ReviewRequired => "ReviewRequired",
        Class::Dangerous => "Dangerous",
    }
}

/// The words used for a class in human output.
pub(crate) fn class_words(c: Class) -> &'static str {
    match c {
        Class::Safe => "safe",
        Class::ReviewRequired => "review required",
        Class::Dangerous => "dangerous",
    }
}

/// Dialects whose classification is identical, grouped in dialect order.
pub(crate) fn groups(per: &PerDialect<Classification>) -> Vec<(Vec<Dialect>, &Classification)> {
    let mut out: Vec<(Vec<Dialect>, &Classification)> = Vec::new();
    for (d, c) in per.iter() {
        match out.iter_mut().find(|(_, g)| *g == c) {
            Some((ds, _)) => ds.push(d),
            None => out.push((vec![d], c)),
        }
    }
    out
}

/// `all`, or `SQLite, MySQL`.
pub(crate) fn label(group: &[Dialect]) -> String {
    if group.len() == Dialect::all().len() {
        "all".to_owned()
    } else {
        group.iter().map(|d| d.display_name()).collect::<Vec<_>>().join(", ")
    }
}
