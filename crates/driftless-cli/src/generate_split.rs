//! `migrate-generate` splits a mixed model change so that its rewriting type changes run online: online PostgreSQL
//! runs a type change as expand/contract only when its migration holds nothing else
//! (`driftless_migrate::contract_file::runs_expand_contract`). When the plan's `up` holds such type changes together
//! with other steps, the generator writes, in one all-or-nothing write:
//!
//! - `<name>_prepare` (A): the other steps that do not depend on the type changes, in their order;
//! - `<name>` (N): only the type changes (the user's name stays on them), followed by its contract migration
//!   `contract_<name>` (N+1, `generate_contract.rs`);
//! - `<name>_finish` (B): the other steps that use a changed column (a foreign key to the widened key, an index or
//!   a check on it), when they all come after the type changes in the plan.
//!
//! Each file has its own classification, header, locks and `down` (the inverse of its own `up`), and the parent and
//! snapshot hashes of the schemas between them (computed by replaying the steps on the whole committed snapshot),
//! so `migrate-generate --check`, `snapshot-repair --check` and the branch-conflict check (by parent hash) see one
//! chain. The split is conservative: it is made only when replaying A, N and B gives exactly the models' snapshot and
//! N still runs as expand/contract after A; otherwise the change stays one migration (today's form, with the
//! classifier's reason), and a note says why. `--no-split` and `project.online == false` turn it off.

use anyhow::Context as _;
use driftless_core::classify::{self, Plan, expand_contract_eligible};
use driftless_core::diff::{Diff, DiffChange};
use driftless_core::replay;
use driftless_core::schema::{ColumnType, Schema};
use driftless_core::snapshot;
use driftless_core::step::Step;
use driftless_write::{self as write, MigrationFile};

use std::path::Path;

use driftless_core::migration::Class;

use crate::Project;
use crate::generate::Inputs;

/// One file of a split: its role, its steps' plan, and the schemas before and after it.
pub(crate) struct Part {
    pub(crate) role: Role,
    pub(crate) plan: Plan,
    before: Schema,
    parent: String,
    snapshot: String,
}

/// What a part of the split holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// A: the steps that do not depend on the type changes.
    Prepare,
    /// N: the type changes only.
    Types,
    /// B: the steps that use the changed columns, after N's contract.
    Finish,
}

/// The split of a plan, in the order the files run (A when there is one, N, B when there is one).
pub(crate) struct Split {
    pub(crate) parts: Vec<Part>,
}

/// Whether the model change is split, and when it is not but could have been, why (a note for the user).
pub(crate) enum Decision {
    Split(Split),
    /// Not split; the note when the plan mixes eligible type changes with other steps.
    Whole(Option<String>),
}

/// The columns `(table, column)` whose type change online PostgreSQL can run as expand/contract against `old`.
fn eligible_type_changes(plan: &Plan, old: &Schema) -> Vec<usize> {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    let mut out = Vec::new();
    for (i, c) in plan.changes.iter().enumerate() {
        if let Step::AlterColumn { table, from, to, backfill: None } = &c.step
            && !seen.contains(&(table.as_str(), from.name.as_str()))
            && expand_contract_eligible(table, from, to, old).is_ok()
        {
            seen.push((table, &from.name));
            out.push(i);
        }
    }
    out
}

/// Whether `text` may mention `column` (a conservative, case-insensitive text search).
fn mentions(text: &str, column: &str) -> bool {
    text.to_ascii_lowercase().contains(&column.to_ascii_lowercase())
}

/// Whether `step` may depend on one of the changed columns `cols` (`(table, column)`), or on their tables in a way
/// the split cannot see through (renames, keys, raw SQL): such a step keeps its place before or after the type
/// changes. Errs on the side of `true`.
fn uses(step: &Step, cols: &[(String, String)]) -> bool {
    let on_table = |t: &str| cols.iter().any(|(ct, _)| ct == t);
    let any_col = |t: &str, names: &[String]| cols.iter().any(|(ct, c)| ct == t && names.contains(c));
    let any_mention = |t: &str, text: &str| cols.iter().any(|(ct, c)| ct == t && mentions(text, c));
    let fk = |t: &str, fk: &driftless_core::schema::ForeignKey| {
        any_col(t, &fk.columns) || any_col(&fk.ref_table, &fk.ref_columns)
    };
    match step {
        Step::AddColumn { .. } | Step::SetTableComment { .. } => false,
        Step::DropColumn { table, column } => any_col(table, std::slice::from_ref(&column.name)),
        Step::AlterColumn { table, from, backfill, .. } => {
            any_col(table, std::slice::from_ref(&from.name))
                || backfill.as_deref().is_some_and(|b| any_mention(table, b))
                || matches!(from.ty, ColumnType::Enum(_))
        }
        Step::CreateTable { table } | Step::DropTable { table } => {
            on_table(&table.name) || table.foreign_keys.iter().any(|f| fk(&table.name, f))
        }
        Step::CreateIndex { table, index } | Step::DropIndex { table, index } => {
            on_table(table)
                && (any_col(table, &index.columns)
                    || index.expression.is_some()
                    || index.predicate.as_deref().is_some_and(|p| any_mention(table, p)))
        }
        Step::AddUnique { table, unique } | Step::DropUnique { table, unique } => any_col(table, &unique.columns),
        Step::AddForeignKey { table, foreign_key } | Step::DropForeignKey { table, foreign_key } => {
            fk(table, foreign_key)
        }
        Step::AlterForeignKey { table, from, to } => fk(table, from) || fk(table, to),
        Step::AddCheck { table, check } | Step::DropCheck { table, check } => any_mention(table, &check.expr),
        Step::RenameTable { from, to } => on_table(from) || on_table(to),
        Step::RenameColumn { table, .. } | Step::SetPrimaryKey { table, .. } | Step::RenameIndex { table, .. } => {
            on_table(table)
        }
        // Enums, raw SQL, backfills, contracts and anything newer: kept in place.
        _ => true,
    }
}

/// The full schema before the plan: the committed snapshot parsed whole (`inputs.old` may hold only the tables the
/// plan reads).
fn whole_old(inputs: &Inputs, origin: &std::path::Path) -> anyhow::Result<Option<Schema>> {
    match &inputs.old_text {
        Some(text) => {
            Ok(Some(snapshot::from_str(text, origin).with_context(|| format!("could not read {}", origin.display()))?))
        }
        None => Ok(None),
    }
}

/// Decides the split of `plan` (the models against the committed snapshot, `inputs`, read from `origin`).
pub(crate) fn decide(plan: &Plan, inputs: &Inputs, origin: &std::path::Path) -> anyhow::Result<Decision> {
    let types = eligible_type_changes(plan, &inputs.old);
    if types.is_empty() || types.len() == plan.changes.len() {
        return Ok(Decision::Whole(None));
    }
    let not_split = |why: &str| {
        Ok(Decision::Whole(Some(format!(
            "note: not split: the model change mixes type changes that online PostgreSQL runs as expand/contract \
             with other steps, but {why}; it stays one migration, whose type changes run as one blocking `ALTER … \
             TYPE` on PostgreSQL (generate the other changes in a migration of their own to run them online)"
        ))))
    };
    let Some(old) = whole_old(inputs, origin)? else { return Ok(Decision::Whole(None)) };
    let cols: Vec<(String, String)> = types
        .iter()
        .filter_map(|&i| match &plan.changes[i].step {
            Step::AlterColumn { table, from, .. } => Some((table.clone(), from.name.clone())),
            _ => None,
        })
        .collect();
    let (first, last) = (types[0], *types.last().expect("not empty"));
    let (mut prepare, mut finish) = (Vec::new(), Vec::new());
    for (i, c) in plan.changes.iter().enumerate() {
        if types.contains(&i) {
            continue;
        }
        if !uses(&c.step, &cols) || i < first {
            prepare.push(i);
        } else if i > last {
            finish.push(i);
        } else {
            return not_split(&format!(
                "a step between them uses a changed column ({})",
                driftless_core::report::describe(&c.step)
            ));
        }
    }
    let steps = |ix: &[usize]| ix.iter().map(|&i| plan.changes[i].step.clone()).collect::<Vec<_>>();
    let groups = [(Role::Prepare, prepare), (Role::Types, types), (Role::Finish, finish)];
    let mut parts = Vec::new();
    let mut before = old;
    for (role, ix) in groups.into_iter().filter(|(_, ix)| !ix.is_empty()) {
        let up = steps(&ix);
        let Ok(after) = replay::apply_steps(&before, &up) else {
            return not_split("its steps do not replay in the split order");
        };
        if role == Role::Types && !driftless_migrate::contract_file::runs_expand_contract(&up, &before) {
            return not_split("after the other steps the type changes are no longer eligible");
        }
        let diff = Diff {
            changes: ix
                .iter()
                .map(|&i| DiffChange {
                    step: plan.changes[i].step.clone(),
                    possible_renames: plan.changes[i].possible_renames.clone(),
                })
                .collect(),
            relations: if parts.is_empty() { plan.relations.clone() } else { Vec::new() },
            stale_hints: Vec::new(),
        };
        let plan = classify::classify(&before, &after, diff);
        parts.push(Part {
            role,
            plan,
            parent: snapshot::hash(&before),
            snapshot: snapshot::hash(&after),
            before: std::mem::replace(&mut before, after),
        });
    }
    // The chain must end at the models' snapshot, exactly; the first file's parent is the committed snapshot, byte
    // for byte (as for a migration that is not split).
    let (parent, models) = inputs.hashes();
    if parts.last().map(|p| &p.snapshot) != Some(&models) {
        return not_split("replaying its steps in the split order does not give the models' snapshot exactly");
    }
    parts[0].parent = parent;
    Ok(Decision::Split(Split { parts }))
}

/// The user-given name of a part (`name` is the user's).
pub(crate) fn part_name(role: Role, name: &str) -> String {
    let suffix = match role {
        Role::Prepare => "_prepare",
        Role::Types => "",
        Role::Finish => "_finish",
    };
    // The whole name stays a valid name (at most 60 characters).
    let keep = 60 - suffix.len();
    format!("{}{suffix}", name.chars().take(keep).collect::<String>().trim_end_matches('_'))
}

/// One file to write: its full name and text.
pub(crate) struct Written {
    pub(crate) name: String,
    pub(crate) text: String,
    /// Whether it is a contract migration (its text comes from `generate_contract`).
    pub(crate) contract_of: Option<String>,
}

/// The files of `split`, in registry order (A, N, N+1, B), the first at `timestamp`, each a second after the one
/// before. `name` is the user's; `command` the command line the headers name.
pub(crate) fn files(
    split: &Split,
    name: &str,
    timestamp: &str,
    crate_path: &str,
    online: bool,
) -> anyhow::Result<Vec<Written>> {
    let next = |t: &str| write::next_timestamp(t).map_err(|e| anyhow::anyhow!("{e}; nothing was written"));
    let command = format!("cargo xtask migrate-generate --name {name}");
    // The full names and timestamps first: each header names the others.
    let (mut names, mut stamps) = (Vec::new(), Vec::new());
    let mut contract_name = String::new();
    let mut at = timestamp.to_owned();
    for part in &split.parts {
        names.push(write::migration_name(&at, &part_name(part.role, name)));
        stamps.push(at.clone());
        if part.role == Role::Types {
            // The contract migration takes the next second.
            contract_name = crate::generate_contract::contract_name(&at, name)?;
            at = next(&at)?;
        }
        at = next(&at)?;
    }
    let of = |role: Role| split.parts.iter().position(|p| p.role == role).map(|i| names[i].clone());
    let (prepare, types, finish) = (of(Role::Prepare), of(Role::Types).expect("a split has N"), of(Role::Finish));
    let mut out = Vec::new();
    for ((part, full), at) in split.parts.iter().zip(&names).zip(&stamps) {
        let up = part.plan.up_steps();
        let down = part.plan.down_steps();
        let mut text = write::migration_file(&MigrationFile {
            name: full,
            command: &command,
            parent: Some(&part.parent),
            snapshot: Some(&part.snapshot),
            class: part.plan.class(),
            changes: part.plan.changes.iter().map(write::header_change).collect(),
            up: &up,
            down: &down,
            crate_path,
            locks: crate::header_locks::step_locks(&up, &part.before, online),
        });
        let contract = if part.role == Role::Types {
            let c = crate::generate_contract::contract_file(full, at, name, &up, &part.before, crate_path)?
                .context("the type changes of a split run as expand/contract")?;
            text = write::with_header_section(&text, "Phases", &crate::generate_contract::expand_phases(&c.name));
            Some(c)
        } else {
            None
        };
        let lines = split_lines(part.role, prepare.as_deref(), &types, &contract_name, finish.as_deref());
        text = write::with_header_section(&text, "Split", &lines);
        out.push(Written { name: full.clone(), text, contract_of: None });
        if let Some(c) = contract {
            out.push(Written { name: c.name, text: c.text, contract_of: Some(full.clone()) });
        }
    }
    Ok(out)
}

/// The "Split" section of a part's header.
fn split_lines(role: Role, prepare: Option<&str>, types: &str, contract: &str, finish: Option<&str>) -> Vec<String> {
    let why = "online PostgreSQL runs a type change that rewrites the table as expand/contract only in a migration \
               that holds nothing else, so `migrate-generate` split the model change (`--no-split` writes it as one \
               migration, whose type changes then run as one blocking `ALTER … TYPE`)";
    let mut order = Vec::new();
    order.extend(prepare.map(|p| format!("`{p}` (the other steps)")));
    order.push(format!("`{types}` (the type changes, expand)"));
    order.push(format!("`{contract}` (their contract)"));
    order.extend(finish.map(|f| format!("`{f}` (the steps that use the changed columns)")));
    let mine = match role {
        Role::Prepare => "This migration holds the steps of the model change that run before its type changes, in \
                          their order: those that do not use a changed column, and those that came before the type \
                          changes."
            .to_owned(),
        Role::Types => "This migration holds only the type changes of the model change.".to_owned(),
        Role::Finish => "This migration holds the steps of the model change that use a column whose type changes \
                         (a foreign key, an index or a check on it): they run after the contract, on the new type. Holding \
                         the contract back to a later pull request holds this migration back with it."
            .to_owned(),
    };
    vec![
        format!("{mine} Split out because {why}."),
        format!("The model change, in order: {}; the snapshot is the one after the last.", order.join(", then ")),
        "Down: each file undoes its own steps; reverting all of them in order restores the schema before the model \
         change."
            .to_owned(),
    ]
}

/// Writes the files of `split` (the first at `timestamp`), the registry (`names` so far, at `registry_path`) and the
/// models' snapshot in one all-or-nothing write, then says what was written.
pub(crate) fn write_all(
    project: &Project,
    inputs: Inputs,
    split: &Split,
    name: &str,
    timestamp: &str,
    mut names: Vec<String>,
    registry_path: &Path,
) -> anyhow::Result<()> {
    let files = files(split, name, timestamp, &project.crate_path, project.online)?;
    for f in &files {
        crate::generate::check_new_name(&names, &f.name)?;
        names.push(f.name.clone());
    }
    let path = |f: &Written| project.migrations.join(format!("{}.rs", f.name));
    let texts = files.iter().map(|f| (path(f), f.text.clone())).collect();
    crate::generate::commit_generated(project, texts, &names, registry_path, Some(inputs), false)?;

    println!(
        "split into {} migrations so that online PostgreSQL runs the type changes as expand/contract (`--no-split` \
         writes one migration)",
        files.len()
    );
    let mut parts = split.parts.iter();
    for f in &files {
        match &f.contract_of {
            Some(n) => println!(
                "wrote {} (the contract of {n}: online PostgreSQL runs the expand in {n} and the swap in this later \
                 migration; it can ship in a later pull request, with the migrations after it)",
                path(f).display()
            ),
            None => {
                let part = parts.next().expect("one part per file that is not a contract");
                crate::generate::print_summary(&f.name, &part.plan);
                let what = match part.role {
                    Role::Prepare => "split out: the steps that run before the type changes",
                    Role::Types => {
                        "split out: the type changes only, so online PostgreSQL runs them as expand/contract"
                    }
                    Role::Finish => "split out: the steps that use the changed columns, after the contract",
                };
                println!("wrote {} ({what})", path(f).display());
            }
        }
    }
    println!("updated {} and {}", registry_path.display(), project.snapshot.display());
    if split.parts.iter().any(|p| p.plan.class() == Class::Dangerous) {
        println!(
            "a migration is DANGEROUS: the migrator refuses it until a reviewer fills in `.acknowledged(...)` in the \
             file"
        );
    }
    Ok(())
}

#[cfg(test)]
#[path = "generate_split_tests.rs"]
mod tests;
