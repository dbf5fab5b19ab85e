//! `migrate-generate`: diff the models against the snapshot and write the migration file, the registry and the new
//! snapshot — all three or none.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context as _, bail};
use driftless_core::Dialect;
use driftless_core::classify::{self, Change, Plan};
use driftless_core::judge;
use driftless_core::migration::Class;
use driftless_core::schema::{RenameHints, Schema, SchemaBuilder, SchemaErrors};
use driftless_core::snapshot;
use driftless_write::{self as write, MigrationFile};

use crate::Project;
use crate::at_exit::Big;
use crate::files::{Staged, commit_all};

/// Arguments of `migrate-generate`.
#[derive(Debug, clap::Args)]
pub(crate) struct GenerateArgs {
    /// The migration's name: lowercase letters, digits and underscores (`add_user_timezone`). Needed only when
    /// something is written.
    #[arg(long)]
    name: Option<String>,
    /// Write a skeleton for a hand-written migration instead of diffing.
    #[arg(long, conflicts_with = "check")]
    empty: bool,
    /// Write nothing; exit 0 when the models match the snapshot, 1 when they differ (for CI), 2 on error.
    #[arg(long)]
    pub(crate) check: bool,
    /// A JSON file of answers: renames (`{"tables": [{"from", "to"}], "columns": [{"table", "from", "to"}]}`) and
    /// values for the existing rows of columns that become NOT NULL (`"backfills": [{"table", "column", "value"}]`).
    #[arg(long, visible_alias = "answers", value_name = "FILE")]
    renames: Option<PathBuf>,
    /// The UTC timestamp in the file name (`YYYYMMDD_HHMMSS`); defaults to now. Also `DRIFTLESS_TIMESTAMP`.
    #[arg(long, hide = true)]
    timestamp: Option<String>,
    /// Write one migration even when it mixes type changes that online PostgreSQL runs as expand/contract with other
    /// steps (by default those are split into migrations of their own so the type changes run online).
    #[arg(long, conflicts_with = "empty")]
    no_split: bool,
}

/// The models' schema, the snapshot's schema (empty when there is none yet) and the rename hints in force. When the
/// snapshot is read by its changed tables (`snapshot::changed_tables`), `new` and `old` hold only the part of each
/// that planning reads (`snapshot::Changed::neighbourhood`): the plan, its checks and its header are the same.
pub(crate) struct Inputs {
    pub(crate) new: Big<Schema>,
    /// The models' schema as snapshot text (what the new snapshot holds).
    pub(crate) new_text: String,
    pub(crate) old: Big<Schema>,
    /// The committed snapshot's text, when there is one (its hash is the parent hash).
    pub(crate) old_text: Option<String>,
    /// The hashes of `old_text` and `new_text` when there is a committed snapshot and it differs from the models.
    pub(crate) hashes: Option<(String, String)>,
    pub(crate) snapshot_exists: bool,
    pub(crate) hints: RenameHints,
}

impl Inputs {
    /// The parent and snapshot hashes of a migration from the committed snapshot to the models' snapshot: the ones
    /// the second thread computed while the snapshot was read, when it did.
    pub(crate) fn hashes(&self) -> (String, String) {
        match (&self.hashes, &self.old_text) {
            (Some(hashes), _) => hashes.clone(),
            (None, Some(text)) => (snapshot::hash_text(text), snapshot::hash_text(&self.new_text)),
            (None, None) => (snapshot::hash(&self.old), snapshot::hash_text(&self.new_text)),
        }
    }
}

/// The models `migrate-generate` reads: the project's own ([`crate::run`]), or taken out of the project by
/// [`crate::main`], whose process ends after the command: their schema is then built by moving their tables instead
/// of copying them (thousands of tables in a large project).
#[derive(Debug)]
pub(crate) enum Models<'a> {
    Borrowed(&'a SchemaBuilder),
    Owned(SchemaBuilder),
}

impl Models<'_> {
    fn builder(&self) -> &SchemaBuilder {
        match self {
            Models::Borrowed(b) => b,
            Models::Owned(b) => b,
        }
    }

    fn build(self) -> Result<Schema, SchemaErrors> {
        match self {
            Models::Borrowed(b) => b.build(),
            Models::Owned(b) => b.into_schema(),
        }
    }
}

/// The timestamp of a new migration's name: `--timestamp`, else `DRIFTLESS_TIMESTAMP`, else now (UTC). A given one
/// must have the generated shape (`YYYYMMDD_HHMMSS`), since it becomes part of a file and module name.
pub(crate) fn timestamp(arg: Option<String>) -> anyhow::Result<String> {
    let (given, origin) = match arg {
        Some(t) => (t, "--timestamp"),
        None => match std::env::var("DRIFTLESS_TIMESTAMP") {
            Ok(t) => (t, "DRIFTLESS_TIMESTAMP"),
            Err(_) => {
                let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
                return Ok(write::timestamp(now.map(|d| d.as_secs()).unwrap_or(0)));
            }
        },
    };
    write::check_timestamp(&given).map_err(|e| anyhow::anyhow!("{origin}: {e}; nothing was written"))?;
    Ok(given)
}

/// Refuses when a `#[derive(Model)]` struct linked into the program is missing from `schema![...]`: its table would
/// silently be left out of every migration. A struct left out on purpose says so with `#[model(unlisted)]`.
fn check_listed(project: &Project, models: &SchemaBuilder) -> anyhow::Result<()> {
    let unlisted = driftless_core::model::unlisted(&project.registered, models);
    if unlisted.is_empty() {
        return Ok(());
    }
    let mut text = format!("{} model(s) derive `Model` but are not in the schema; nothing was written", unlisted.len());
    for m in &unlisted {
        let name = m.path().rsplit("::").next().unwrap_or(m.path());
        text.push_str(&format!(
            "\n  `{}` (table `{}`): add {name} to driftless::schema![...], or mark it #[model(unlisted)] if it is \
             left out on purpose",
            m.path(),
            m.table()
        ));
    }
    bail!(text)
}

/// The note for a rename hint the snapshot already reflects. This snapshot no longer needs the hint, but a
/// checkout or database still behind the migration that did the rename does (regenerating there without it would
/// drop and add instead of renaming), so the note names that migration and says when the hint can go.
fn stale_hint_note(project: &Project, hint: &str) -> String {
    let applied_by = project
        .registry
        .iter()
        .rev()
        .find(|m| m.up.iter().any(|s| driftless_core::diff::hints_applied_by(s).iter().any(|h| h == hint)));
    match applied_by {
        Some(m) => format!(
            "note: the rename {hint} was applied by migration `{}`; its `renamed_from` can be removed once every \
             database has applied that migration",
            m.name
        ),
        None => format!(
            "note: the rename {hint} is already in {}, but no migration in the registry renames it (a hand-written \
             one may have); its `renamed_from` can be removed once every database has the new name",
            project.snapshot.display()
        ),
    }
}

pub(crate) fn read_renames(path: &Path) -> anyhow::Result<RenameHints> {
    let text = std::fs::read_to_string(path).with_context(|| format!("could not read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a renames file (expected {{\"tables\": [{{\"from\": \"a\", \"to\": \"b\"}}], \"columns\": \
             [{{\"table\": \"t\", \"from\": \"x\", \"to\": \"y\"}}], \"backfills\": [{{\"table\": \"t\", \"column\": \
             \"c\", \"value\": \"'SQL'\"}}]}})",
            path.display()
        )
    })
}

/// Refuses backfill answers from `file` (read from `path`) that name a table or column the models do not have, that
/// are empty, or that give a column a second, different value (in the file, or against the model's
/// `#[model(backfill = "...")]` in `models`): a column's existing rows get one value, and the user picks which.
pub(crate) fn check_backfill_answers(
    file: &RenameHints,
    models: &RenameHints,
    new: &Schema,
    path: &Path,
) -> anyhow::Result<()> {
    let shown = path.display();
    for (i, b) in file.backfills.iter().enumerate() {
        let what = format!("{shown}: the backfill for `{}.{}`", b.table, b.column);
        let Some(table) = new.table(&b.table) else {
            bail!("{what} names a table the models do not have: there is no table `{}`; nothing was written", b.table);
        };
        if table.column(&b.column).is_none() {
            bail!(
                "{what} names a column the models do not have: table `{}` has no column `{}`; nothing was written",
                b.table,
                b.column
            );
        }
        if b.value.trim().is_empty() {
            bail!("{what} has an empty value; give an SQL expression, for example \"'UTC'\"; nothing was written");
        }
        if let Some(other) =
            file.backfills[..i].iter().find(|o| o.table == b.table && o.column == b.column && o.value != b.value)
        {
            bail!(
                "{what} is given twice with different values, `{}` and `{}`; keep one of them; nothing was written",
                other.value,
                b.value
            );
        }
        if let Some(model) = models.backfill(&b.table, &b.column).filter(|v| *v != b.value) {
            bail!(
                "conflicting backfill values for `{}.{}`: the model says #[model(backfill = {model:?})] and {shown} \
                 says {:?}; remove one of them; nothing was written",
                b.table,
                b.column,
                b.value
            );
        }
    }
    Ok(())
}

pub(crate) fn inputs(project: &Project, models: Models<'_>, renames: Option<&Path>) -> anyhow::Result<Inputs> {
    let mut hints = models.builder().rename_hints();
    let mut new = models.build().context("the models do not form a valid schema")?;
    if let Some(path) = renames {
        let file = read_renames(path)?;
        check_backfill_answers(&file, &hints, &new, path)?;
        hints.merge(&file);
    }
    let snapshot_exists = project.snapshot.exists();
    if !snapshot_exists {
        let new_text = snapshot::Canonical::new(&new).into_text();
        let old = Schema::empty();
        return Ok(Inputs {
            new: Big::new(new),
            new_text,
            old: Big::new(old),
            old_text: None,
            hashes: None,
            snapshot_exists,
            hints,
        });
    }
    let text = std::fs::read_to_string(&project.snapshot)
        .with_context(|| format!("could not read {}", project.snapshot.display()))?;
    // The committed snapshot is read against the models' text: the tables whose text did not change (all but one or
    // two, usually) are not parsed again. Enum renames rewrite columns of every table: those read it whole.
    let by_table = hints.enums.is_empty() && hints.enum_values.is_empty();
    // When the snapshot differs, a migration names its hash and the new one's. The committed text is hashed on a
    // second thread while the models' text is printed and the snapshot read against it, and the models' text is
    // then hashed from where the two part (`HashStates`): both only read the two texts.
    let stop = AtomicBool::new(false);
    let printed: OnceLock<snapshot::Canonical<'_>> = OnceLock::new();
    let (ready, wait) = std::sync::mpsc::channel::<()>();
    let (read, hashes) = std::thread::scope(|s| {
        // Dropped with this closure if it fails before sending: the hashing thread then stops waiting.
        let ready = ready;
        let (text, stop, printed) = (&text, &stop, &printed);
        let hashing = s.spawn(move || {
            let states = snapshot::HashStates::new(text, stop)?;
            wait.recv().ok()?;
            let canonical = printed.get()?;
            (*text != canonical.text()).then(|| states.pair(text, canonical.text()))
        });
        let canonical = printed.get_or_init(|| snapshot::Canonical::new(&new));
        if *text == canonical.text() {
            stop.store(true, Ordering::Relaxed);
        }
        let _ = ready.send(());
        let read = match by_table.then(|| snapshot::changed_tables(text, canonical)).flatten() {
            Some(changed) => Ok(Ok(changed)),
            None => snapshot::from_str_reusing(text, &project.snapshot, canonical).map(Err),
        };
        (read, hashing.join().expect("hashing does not panic"))
    });
    let canonical = printed.into_inner().expect("the models' text is printed");
    let new_text = canonical.into_text();
    let (old, new) = match read? {
        // Only the changed tables and their neighbours are planned; the snapshot is still validated whole.
        Ok(mut changed) => {
            // The very text of the models' schema is that schema, validated when it was built.
            if !changed.is_empty() {
                changed.validate_old(&mut new, &project.snapshot)?;
            }
            let parts = changed.neighbourhood(&new, &hints);
            // The models' whole schema is not read again.
            drop(Big::new(new));
            parts
        }
        Err(old) => (old, new),
    };
    Ok(Inputs {
        new: Big::new(new),
        new_text,
        old: Big::new(old),
        old_text: Some(text),
        hashes,
        snapshot_exists,
        hints,
    })
}

/// Judges every migration of the registry (`driftless_core::judge`) and prints each one whose `.class(...)` label
/// is lower than the class of its steps, or that cannot be judged. Returns whether there was any.
pub(crate) fn report_mislabelled(project: &Project) -> bool {
    let lines = mislabelled(project);
    for line in &lines {
        eprintln!("{line}");
    }
    !lines.is_empty()
}

/// The messages of [`report_mislabelled`], two lines per migration.
fn mislabelled(project: &Project) -> Vec<String> {
    let mut out = Vec::new();
    let verdicts = Big::new(judge::judge_registry(&project.registry));
    for (m, verdict) in project.registry.iter().zip(verdicts.iter()) {
        let file = project.migrations.join(format!("{}.rs", m.name));
        match verdict {
            Ok(v) if !v.label_agrees() => {
                let worst = v.steps_worst();
                let mut codes: Vec<String> = Vec::new();
                for d in Dialect::all() {
                    for (_, c) in v.worst_first(d).into_iter().take_while(|(_, c)| c.class == worst) {
                        let code = format!("{} on {}", c.code, d.name());
                        if !codes.contains(&code) {
                            codes.push(code);
                        }
                    }
                }
                out.push(format!(
                    "mislabelled: {}: labelled {}, but its steps are {} ({}); the migrator judges the steps and \
                     refuses it",
                    file.display(),
                    v.declared,
                    worst,
                    codes.join(", ")
                ));
                out.push(format!(
                    "  fix: regenerate it, or correct its label to `.class(Class::{})`",
                    match worst {
                        Class::Safe => "Safe",
                        Class::ReviewRequired => "ReviewRequired",
                        Class::Dangerous => "Dangerous",
                    }
                ));
            }
            Ok(_) => {}
            Err(e) => out.push(format!("unjudged: {}: {e}", file.display())),
        }
    }
    out
}

pub(crate) fn run(project: &Project, models: Models<'_>, args: GenerateArgs) -> anyhow::Result<ExitCode> {
    check_listed(project, models.builder())?;
    let inputs = inputs(project, models, args.renames.as_deref())?;
    let plan = Big::new(classify::plan(&inputs.old, &inputs.new, &inputs.hints)?);
    for hint in &plan.stale_hints {
        eprintln!("{}", stale_hint_note(project, hint));
    }
    let shown = project.snapshot.display();
    if args.check {
        if plan.is_empty() {
            println!("up to date: the models match {shown}");
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!("the models differ from {shown} ({} change(s), {}):", plan.changes.len(), plan.class());
        for c in &plan.changes {
            eprintln!("  [{}] {}", c.class(), driftless_core::report::describe(&c.step));
        }
        eprintln!("run `cargo xtask migrate-generate --name <what_changed>` and commit the result");
        return Ok(ExitCode::from(1));
    }
    if !args.empty && plan.is_empty() {
        println!("up to date: the models match {shown}; nothing written");
        return Ok(ExitCode::SUCCESS);
    }
    // A key on a TEXT/BLOB/JSON column renders everywhere but fails on MySQL (MariaDB builds a prefix or hash index
    // instead): refuse it now, with the fix, rather than when the migration runs there.
    if !args.empty
        && let Err(e) = driftless_core::render::check_mysql_keys(&plan.up_steps(), &inputs.old)
    {
        bail!("the models cannot be migrated on MySQL/MariaDB: {e}");
    }
    let Some(name) = args.name else {
        print_plan(&plan);
        bail!(
            "the models differ from {shown}; name the migration: `cargo xtask migrate-generate --name <what_changed>`"
        );
    };
    if !write::is_valid_name(&name) {
        bail!(
            "`{name}` is not a valid migration name: use lowercase letters, digits and underscores, starting with a \
             letter (for example `add_user_timezone`)"
        );
    }
    let timestamp = timestamp(args.timestamp)?;
    let full_name = write::migration_name(&timestamp, &name);
    let registry_path = project.migrations.join("mod.rs");
    let mut names = match std::fs::read_to_string(&registry_path) {
        Ok(text) => write::parse_registry(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).with_context(|| format!("could not read {}", registry_path.display())),
    };
    check_new_name(&names, &full_name)?;
    // A mixed model change on online PostgreSQL: the type changes go to a migration of their own.
    if !args.empty && project.online && !args.no_split {
        match crate::generate_split::decide(&plan, &inputs, &project.snapshot)? {
            crate::generate_split::Decision::Split(split) => {
                crate::generate_split::write_all(project, inputs, &split, &name, &timestamp, names, &registry_path)?;
                return Ok(ExitCode::SUCCESS);
            }
            crate::generate_split::Decision::Whole(note) => note.iter().for_each(|n| eprintln!("{n}")),
        }
    }
    let command = format!("cargo xtask migrate-generate --name {name}");
    let file_path = project.migrations.join(format!("{full_name}.rs"));
    let mut contract = None;
    let file_text = if args.empty {
        if !plan.is_empty() {
            eprintln!(
                "warning: the models differ from {shown}; the skeleton does not include those changes (run without \
                 --empty to generate them)"
            );
        }
        write::empty_migration_file(&full_name, &format!("{command} --empty"), &project.crate_path)
    } else {
        let up = Big::new(plan.up_steps());
        let down = Big::new(plan.down_steps());
        let (parent, new_hash) = inputs.hashes();
        // Expand/contract on online PostgreSQL: the contract is a second migration, written now (not when the
        // project runs its migrations plain: nothing would expand).
        if project.online {
            contract = crate::generate_contract::contract_file(
                &full_name,
                &timestamp,
                &name,
                &up,
                &inputs.old,
                &project.crate_path,
            )?;
        }
        let text = write::migration_file(&MigrationFile {
            name: &full_name,
            command: &command,
            parent: Some(&parent),
            snapshot: Some(&new_hash),
            class: plan.class(),
            changes: plan.changes.iter().map(write::header_change).collect(),
            up: &up,
            down: &down,
            crate_path: &project.crate_path,
            locks: crate::header_locks::step_locks(&up, &inputs.old, project.online),
        });
        match &contract {
            Some(c) => write::with_header_section(&text, "Phases", &crate::generate_contract::expand_phases(&c.name)),
            None => text,
        }
    };
    names.push(full_name.clone());
    let mut files = vec![(file_path.clone(), file_text)];
    if let Some(c) = &contract {
        check_new_name(&names, &c.name)?;
        names.push(c.name.clone());
        files.push((project.migrations.join(format!("{}.rs", c.name)), c.text.clone()));
    }
    let first = !inputs.snapshot_exists || names.len() == 1;
    // A skeleton changes no snapshot.
    let snapshot = (!args.empty).then_some(inputs);
    commit_generated(project, files, &names, &registry_path, snapshot, args.empty)?;

    if args.empty {
        println!("wrote {} (hand-written skeleton)", file_path.display());
    } else {
        print_summary(&full_name, &plan);
        println!("wrote {}", file_path.display());
        if let Some(c) = &contract {
            println!(
                "wrote {} (the contract of {full_name}: online PostgreSQL runs the expand in {full_name} and the swap \
                 in this later migration; it can ship in a later pull request)",
                project.migrations.join(format!("{}.rs", c.name)).display()
            );
        }
        println!("updated {} and {}", registry_path.display(), shown);
        if plan.class() == Class::Dangerous {
            println!(
                "this migration is DANGEROUS: the migrator refuses it until a reviewer fills in `.acknowledged(...)` \
                 in the file"
            );
        }
    }
    if first {
        println!(
            "first migration: make sure the crate declares the registry module (`pub mod migrations;` for {})",
            registry_path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Checks the name of a migration about to be written against the registry `names`: it must be new and sort last.
pub(crate) fn check_new_name(names: &[String], name: &str) -> anyhow::Result<()> {
    if names.iter().any(|n| n == name) {
        bail!("a migration named {name} already exists; wait a second or pick another name");
    }
    if let Some(last) = names.last().filter(|last| last.as_str() > name) {
        bail!("{name} would sort before the latest migration {last}; check the clock or pass --timestamp");
    }
    Ok(())
}

/// Writes, all or nothing: the migration `files` (path, text), the registry naming `names` at `registry_path`, and,
/// from `snapshot`, the models' snapshot. The texts are formatted only where a project's own rustfmt.toml can change
/// them (the generated files are already rustfmt-clean), or always with `format_always` (a skeleton, whose one-line
/// builder chain depends on the name's length).
pub(crate) fn commit_generated(
    project: &Project,
    files: Vec<(PathBuf, String)>,
    names: &[String],
    registry_path: &Path,
    snapshot: Option<Inputs>,
    format_always: bool,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&project.migrations)
        .with_context(|| format!("could not create {}", project.migrations.display()))?;
    let registry_text = write::registry_file(names, &project.crate_path);
    let mut texts: Vec<&str> = files.iter().map(|(_, text)| text.as_str()).collect();
    texts.push(&registry_text);
    let mut formatted = if format_always {
        write::rustfmt_all(&texts, &project.migrations)?
    } else {
        write::rustfmt_if_configured(&texts, &project.migrations)?
    };
    let registry_text = formatted.pop().expect("one output per input");
    let mut staged: Vec<Staged> =
        files.iter().zip(formatted).map(|((path, _), text)| Staged::new(path, text)).collect();
    staged.push(Staged::new(registry_path, registry_text));
    if let Some(inputs) = snapshot {
        // The snapshot's previous text is known: `commit_all` need not read it again to be able to put it back.
        let snapshot = Staged::new(&project.snapshot, inputs.new_text);
        staged.push(match inputs.old_text {
            Some(previous) => snapshot.replacing(previous),
            None => snapshot,
        });
    }
    commit_all(&staged)
}

pub(crate) fn print_summary(name: &str, plan: &Plan) {
    println!("{name}: {} change(s), {}", plan.changes.len(), plan.class());
    print_plan(plan);
}

fn print_plan(plan: &Plan) {
    let mut changes: Vec<&Change> = plan.changes.iter().collect();
    changes.sort_by_key(|c| std::cmp::Reverse(c.class()));
    for c in changes {
        println!("  [{}] {}", c.class(), driftless_core::report::describe(&c.step));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftless_core::migration::Migration;
    use driftless_core::schema::{Column, ColumnType, Table};
    use driftless_core::step::Step;

    #[test]
    fn a_mislabelled_drop_is_reported_with_its_file_codes_and_fix() {
        let mut t = Table::new("users");
        t.columns.push(Column::new("id", ColumnType::BigInt));
        let registry = vec![
            Migration::new("m1_init").up([Step::CreateTable { table: t.clone() }]),
            Migration::new("m2_drop").up([Step::DropTable { table: t }]),
        ];
        let root = std::path::Path::new("/p");
        let project = Project::new(root, driftless_core::schema::SchemaBuilder::new())
            .with_migrations(root.join("migrations"), registry);
        assert_eq!(
            mislabelled(&project),
            [
                "mislabelled: /p/migrations/m2_drop.rs: labelled safe, but its steps are dangerous (drop_table on \
                 sqlite, drop_table on postgres, drop_table on mysql); the migrator judges the steps and refuses it",
                "  fix: regenerate it, or correct its label to `.class(Class::Dangerous)`",
            ]
        );
    }

    #[test]
    fn a_derived_model_missing_from_the_schema_is_named_with_its_table_and_fix() {
        use driftless_core::model::__private::registration;
        use driftless_core::schema::ModelDef;
        let mut models = driftless_core::schema::SchemaBuilder::new();
        let users = Table::new("users");
        models.model(ModelDef::new("User", users));
        let mut project = Project::new(std::path::Path::new("/p"), models);
        project.registered = vec![
            registration("app::models::AuditLog", "audit_log"),
            registration("app::models::User", "users"),
            registration("app::Draft", "drafts"),
        ];
        assert_eq!(
            check_listed(&project, &project.models).unwrap_err().to_string(),
            "2 model(s) derive `Model` but are not in the schema; nothing was written\n  `app::models::AuditLog` (table \
             `audit_log`): add AuditLog to driftless::schema![...], or mark it #[model(unlisted)] if it is left out on \
             purpose\n  `app::Draft` (table `drafts`): add Draft to driftless::schema![...], or mark it \
             #[model(unlisted)] if it is left out on purpose"
        );
        project.registered.retain(|r| r.table() == "users");
        assert!(check_listed(&project, &project.models).is_ok());
    }

    #[test]
    fn a_stale_hint_names_the_migration_that_applied_it() {
        let root = std::path::Path::new("/p");
        let registry = vec![
            Migration::new("m1_init"),
            Migration::new("m2_rename").up([Step::RenameColumn {
                table: "users".into(),
                from: "login".into(),
                to: "handle".into(),
            }]),
        ];
        let project = Project::new(root, driftless_core::schema::SchemaBuilder::new())
            .with_migrations(root.join("migrations"), registry);
        assert_eq!(
            stale_hint_note(&project, "column `users.login` -> `handle`"),
            "note: the rename column `users.login` -> `handle` was applied by migration `m2_rename`; its \
             `renamed_from` can be removed once every database has applied that migration"
        );
        assert_eq!(
            stale_hint_note(&project, "table `people` -> `users`"),
            "note: the rename table `people` -> `users` is already in /p/snapshots/schema.json, but no migration in \
             the registry renames it (a hand-written one may have); its `renamed_from` can be removed once every \
             database has the new name"
        );
    }
}

#[cfg(test)]
mod backfill_answers {
    use super::*;
    use driftless_core::define::{column, table};
    use driftless_core::schema::{ColumnBackfill, ColumnType};

    fn new() -> Schema {
        Schema {
            tables: vec![
                table("users")
                    .with_column(column("id", ColumnType::BigInt))
                    .with_column(column("tz", ColumnType::Text)),
            ],
            enums: vec![],
        }
    }

    fn answers(entries: &[(&str, &str, &str)]) -> RenameHints {
        RenameHints {
            backfills: entries
                .iter()
                .map(|(t, c, v)| ColumnBackfill { table: (*t).into(), column: (*c).into(), value: (*v).into() })
                .collect(),
            ..RenameHints::default()
        }
    }

    fn check(file: &[(&str, &str, &str)], models: &[(&str, &str, &str)]) -> String {
        match check_backfill_answers(&answers(file), &answers(models), &new(), Path::new("answers.json")) {
            Ok(()) => "ok".into(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn the_answers_file_is_checked_against_the_models() {
        assert_eq!(check(&[("users", "tz", "'UTC'")], &[]), "ok");
        assert_eq!(check(&[("users", "tz", "'UTC'")], &[("users", "tz", "'UTC'")]), "ok", "the same value twice");
        assert_eq!(
            check(&[("accounts", "tz", "'UTC'")], &[]),
            "answers.json: the backfill for `accounts.tz` names a table the models do not have: there is no table \
             `accounts`; nothing was written"
        );
        assert_eq!(
            check(&[("users", "zone", "'UTC'")], &[]),
            "answers.json: the backfill for `users.zone` names a column the models do not have: table `users` has no \
             column `zone`; nothing was written"
        );
        assert_eq!(
            check(&[("users", "tz", " ")], &[]),
            "answers.json: the backfill for `users.tz` has an empty value; give an SQL expression, for example \
             \"'UTC'\"; nothing was written"
        );
        assert_eq!(
            check(&[("users", "tz", "'UTC'"), ("users", "tz", "'GMT'")], &[]),
            "answers.json: the backfill for `users.tz` is given twice with different values, `'UTC'` and `'GMT'`; \
             keep one of them; nothing was written"
        );
        assert_eq!(
            check(&[("users", "tz", "'GMT'")], &[("users", "tz", "'UTC'")]),
            "conflicting backfill values for `users.tz`: the model says #[model(backfill = \"'UTC'\")] and \
             answers.json says \"'GMT'\"; remove one of them; nothing was written"
        );
    }
}
