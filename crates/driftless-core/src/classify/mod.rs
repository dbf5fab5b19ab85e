//! The classifier: each step × dialect → [`Class`] (`safe` / `review_required` / `dangerous`) with a stable code, a
//! one-line reason and, where one exists, a safer alternative; and [`Plan`], the differ's output with every change
//! classified on every dialect, up and down.
//!
//! The rules are in `rules.rs`, one function per step kind; `docs/classification.md` is the catalogue generated from
//! them (a test keeps it current). A step is judged against the schema state just before it (the classifier replays
//! the plan in memory), so it knows whether a table is new, which columns were just added, and which tables
//! reference a table that SQLite must rebuild.
//!
//! Architecture Invariant: classification is pure and total: every step gets a classification on every dialect,
//! and nothing here renders SQL or touches a database.

mod rules;

use std::collections::{BTreeSet, HashSet};

use serde::Serialize;

use crate::dialect::Dialect;
use crate::diff::{self, Diff, DiffError, PossibleRename, RelationChange};
use crate::replay;
use crate::schema::{ColumnType, RenameHints, Schema, Table};
use crate::step::Step;

pub use crate::migration::Class;
pub use rules::{
    MysqlAlgorithm, SHADOW_SUFFIX, enum_values_used_later, expand_contract_eligible, is_integer_widening,
    mysql_algorithm, needs_sqlite_rebuild, sqlite_rebuild_tables,
};

/// The verdict on one step for one dialect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classification {
    /// How risky the step is.
    pub class: Class,
    /// The stable code of the rule that decided it (`drop_column`, `add_column_not_null_no_default`, ...). Codes are
    /// never reused for another meaning; the catalogue lists them all.
    pub code: &'static str,
    /// One line saying why, specific to the dialect.
    pub reason: String,
    /// A safer way to reach the same schema, where one exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub safer_alternative: Option<String>,
}

impl Classification {
    pub(crate) fn new(class: Class, code: &'static str, reason: impl Into<String>) -> Self {
        Classification { class, code, reason: reason.into(), safer_alternative: None }
    }

    pub(crate) fn safe(code: &'static str, reason: impl Into<String>) -> Self {
        Self::new(Class::Safe, code, reason)
    }

    pub(crate) fn review(code: &'static str, reason: impl Into<String>) -> Self {
        Self::new(Class::ReviewRequired, code, reason)
    }

    pub(crate) fn dangerous(code: &'static str, reason: impl Into<String>) -> Self {
        Self::new(Class::Dangerous, code, reason)
    }

    pub(crate) fn or(mut self, alternative: impl Into<String>) -> Self {
        self.safer_alternative = Some(alternative.into());
        self
    }
}

/// One value per dialect. Serialised as an object with the keys `sqlite`, `postgres`, `mysql`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PerDialect<T> {
    /// SQLite.
    pub sqlite: T,
    /// PostgreSQL.
    pub postgres: T,
    /// MySQL/MariaDB.
    pub mysql: T,
}

impl<T> PerDialect<T> {
    /// Builds the value for each dialect.
    pub fn from_fn(mut f: impl FnMut(Dialect) -> T) -> Self {
        PerDialect { sqlite: f(Dialect::Sqlite), postgres: f(Dialect::Postgres), mysql: f(Dialect::Mysql) }
    }

    /// The value for `dialect`.
    pub fn get(&self, dialect: Dialect) -> &T {
        match dialect {
            Dialect::Sqlite => &self.sqlite,
            Dialect::Postgres => &self.postgres,
            Dialect::Mysql => &self.mysql,
        }
    }

    /// `(dialect, value)` pairs in the fixed dialect order.
    pub fn iter(&self) -> impl Iterator<Item = (Dialect, &T)> {
        Dialect::all().into_iter().map(move |d| (d, self.get(d)))
    }
}

impl PerDialect<Classification> {
    /// The worst class among `dialects`.
    pub fn worst(&self, dialects: &[Dialect]) -> Class {
        dialects.iter().map(|d| self.get(*d).class).max().unwrap_or(Class::Safe)
    }
}

/// One change of a plan: the step, its inverse, and their classifications.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// The step `up` runs.
    pub step: Step,
    /// The step `down` runs to undo it (`Step::inverse`, or `Irreversible` with the reason).
    pub down: Step,
    /// Set when the step is half of an unhinted drop + add that may be a rename.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub possible_renames: Vec<PossibleRename>,
    /// The step's classification on each dialect.
    pub classes: PerDialect<Classification>,
    /// The down step's classification on each dialect.
    pub down_classes: PerDialect<Classification>,
}

impl Change {
    /// The worst class of the step on any dialect.
    pub fn class(&self) -> Class {
        self.classes.worst(&Dialect::all())
    }

    /// The step's class on `dialect`.
    pub fn class_for(&self, dialect: Dialect) -> Class {
        self.classes.get(dialect).class
    }
}

/// A classified plan: the differ's ordered changes, each judged on every dialect.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Plan {
    /// The changes in the order `up` runs them. `down` runs their `down` steps in reverse order.
    pub changes: Vec<Change>,
    /// Many-to-many relations (pivot tables) that appear or disappear.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub relations: Vec<RelationChange>,
    /// Rename hints that were already applied by an earlier migration and can be removed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stale_hints: Vec<String>,
}

impl Plan {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The plan's class: its worst change on any dialect (`safe` when empty).
    pub fn class(&self) -> Class {
        self.class_among(&Dialect::all())
    }

    /// The plan's class on one dialect.
    pub fn class_for(&self, dialect: Dialect) -> Class {
        self.class_among(&[dialect])
    }

    /// The plan's class over the given dialects.
    pub fn class_among(&self, dialects: &[Dialect]) -> Class {
        self.changes.iter().map(|c| c.classes.worst(dialects)).max().unwrap_or(Class::Safe)
    }

    /// The class of rolling the plan back on any dialect.
    pub fn down_class(&self) -> Class {
        self.changes.iter().map(|c| c.down_classes.worst(&Dialect::all())).max().unwrap_or(Class::Safe)
    }

    /// The `up` steps in order.
    pub fn up_steps(&self) -> Vec<Step> {
        self.changes.iter().map(|c| c.step.clone()).collect()
    }

    /// The `down` steps in the order they run (the reverse of `up`), leaving out those that do nothing (the inverse
    /// of a backfill with nothing to undo, see `Step::does_nothing`).
    pub fn down_steps(&self) -> Vec<Step> {
        self.changes.iter().rev().map(|c| c.down.clone()).filter(|s| !s.does_nothing()).collect()
    }
}

/// Diffs and classifies: `diff::diff` followed by [`classify`].
pub fn plan(old: &Schema, new: &Schema, hints: &RenameHints) -> Result<Plan, DiffError> {
    let d = diff::diff(old, new, hints)?;
    Ok(classify(old, new, d))
}

/// What the classifier knows about the moment a step runs.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The schema just before the step: at least every table the plan touches, the tables whose foreign keys
    /// point at those, the tables using an enum the plan alters, and every enum (the classifier leaves the rest out
    /// of its replay).
    pub before: &'a Schema,
    /// Tables created earlier in the same plan (they hold no rows yet).
    pub new_tables: &'a BTreeSet<String>,
    /// Columns `(table, column)` added earlier in the same plan (every existing row holds their default).
    pub new_columns: &'a BTreeSet<(String, String)>,
    /// Columns `(table, column)` added earlier in the same plan nullable, without a default and not auto-increment,
    /// and not written since (no backfill, no raw SQL): every existing row holds NULL in them.
    pub null_columns: &'a BTreeSet<(String, String)>,
    /// Unique constraints and unique indexes (without a predicate) dropped earlier in the same plan, as `(table,
    /// sorted columns)`, whose columns no later step has changed (no column altered, renamed or dropped, no raw SQL):
    /// the existing rows still hold distinct values for them.
    pub dropped_uniques: &'a BTreeSet<(String, Vec<String>)>,
    /// Columns `(table, column)` that a backfill earlier in the same plan filled where they were NULL (its condition
    /// is `column IS NULL`): making one NOT NULL next fails only on a row written NULL since.
    pub backfilled: &'a BTreeSet<(String, String)>,
    /// Why online PostgreSQL runs this plan's type changes as plain `ALTER … TYPE` instead of expand/contract
    /// (`rules/expand_contract.rs`), if it does: `None` for a plan of eligible type changes only. `Some("")` for a
    /// `down` (which runs as written), otherwise the first other step, for the reason.
    pub expand_blocker: Option<&'a str>,
}

/// Classifies a diff: each step and its inverse on every dialect. `old` and `new` are the schemas the diff was made
/// from; each step is judged against the state the plan has reached when it runs.
pub fn classify(old: &Schema, new: &Schema, diff: Diff) -> Plan {
    let Diff { changes, relations, stale_hints } = diff;
    let downs: Vec<Step> = changes.iter().map(|c| c.step.inverse()).collect();
    let up = classify_refs(old, &changes.iter().map(|c| &c.step).collect::<Vec<_>>(), true);
    let mut down = classify_refs(new, &downs.iter().rev().collect::<Vec<_>>(), false);
    down.reverse();
    let changes = changes
        .into_iter()
        .zip(downs)
        .zip(up.into_iter().zip(down))
        .map(|((c, down_step), (mut classes, mut down_classes))| {
            if !c.possible_renames.is_empty() {
                classes = PerDialect::from_fn(|_| rules::possible_rename(&c.step, &c.possible_renames));
            }
            if matches!(c.step, Step::DropTable { .. } | Step::DropColumn { .. }) {
                for cl in [&mut down_classes.sqlite, &mut down_classes.postgres, &mut down_classes.mysql] {
                    cl.reason.push_str("; the rows dropped by `up` are not restored");
                }
            }
            Change { step: c.step, down: down_step, possible_renames: c.possible_renames, classes, down_classes }
        })
        .collect();
    Plan { changes, relations, stale_hints }
}

/// Classifies steps that run in order starting from `schema` (a migration's `up`), on every dialect. The schema is
/// replayed in memory as the steps go, so each step is judged against the state just before it. A step that does
/// not apply to the state is still classified (against the state as it was).
pub fn classify_steps(schema: &Schema, steps: &[Step]) -> Vec<PerDialect<Classification>> {
    classify_refs(schema, &steps.iter().collect::<Vec<_>>(), true)
}

/// [`classify_steps`] for steps that run exactly as written, never as expand/contract: the declared effect of
/// hand-written SQL (the migrator runs a migration holding raw SQL plainly) and a `down`.
pub(crate) fn classify_steps_as_written(schema: &Schema, steps: &[Step]) -> Vec<PerDialect<Classification>> {
    classify_refs(schema, &steps.iter().collect::<Vec<_>>(), false)
}

fn classify_refs(schema: &Schema, steps: &[&Step], up: bool) -> Vec<PerDialect<Classification>> {
    let mut state = relevant_part(schema, steps);
    let blocker = if up { rules::expand_blocker(steps, &state) } else { Some(String::new()) };
    let unobserved = unobserved_creations(steps);
    let mut new_tables = BTreeSet::new();
    let mut new_columns = BTreeSet::new();
    let mut null_columns = BTreeSet::new();
    let mut dropped_uniques = BTreeSet::new();
    let mut backfilled = BTreeSet::new();
    let mut out = Vec::with_capacity(steps.len());
    for (i, step) in steps.iter().enumerate() {
        let ctx = Context {
            before: &state,
            new_tables: &new_tables,
            new_columns: &new_columns,
            null_columns: &null_columns,
            dropped_uniques: &dropped_uniques,
            backfilled: &backfilled,
            expand_blocker: blocker.as_deref(),
        };
        out.push(PerDialect::from_fn(|d| classify_step(step, d, &ctx)));
        track_guarantees(step, &mut null_columns, &mut dropped_uniques);
        rules::track_backfilled(step, &mut backfilled);
        match step {
            Step::CreateTable { table } => {
                new_tables.insert(table.name.clone());
            }
            Step::AddColumn { table, column } => {
                new_columns.insert((table.clone(), column.name.clone()));
            }
            Step::RenameTable { from, to } if new_tables.remove(from) => {
                new_tables.insert(to.clone());
            }
            _ => {}
        }
        // A step that does not apply leaves the state as it was; classification goes on regardless. A table no
        // later step can observe is not copied into the state (a first migration creates thousands).
        if !unobserved[i] {
            let _ = replay::apply_step(&mut state, step);
        }
    }
    // An enum value added and then used in the same migration: the one verdict that depends on later steps.
    for (i, step) in steps.iter().enumerate() {
        let used = rules::enum_values_used_later(step, steps[i + 1..].iter().copied());
        if !used.is_empty() {
            out[i].postgres = rules::enum_value_added_then_used(step, &used);
        }
    }
    out
}

/// Keeps [`Context::null_columns`] and [`Context::dropped_uniques`] current after `step`: a step that may write the
/// rows (raw SQL) forgets everything; a step that changes, renames or drops a column forgets what it knew about that
/// column (a rename of a NULL column is followed).
fn track_guarantees(
    step: &Step,
    null_columns: &mut BTreeSet<(String, String)>,
    dropped_uniques: &mut BTreeSet<(String, Vec<String>)>,
) {
    let key = |cols: &[String]| {
        let mut v = cols.to_vec();
        v.sort();
        v
    };
    let forget = |table: &str,
                  column: &str,
                  nulls: &mut BTreeSet<(String, String)>,
                  uniques: &mut BTreeSet<(String, Vec<String>)>| {
        nulls.remove(&(table.to_owned(), column.to_owned()));
        uniques.retain(|(t, cols)| t != table || !cols.iter().any(|c| c == column));
    };
    match step {
        Step::AddColumn { table, column } if column.nullable && column.default.is_none() && !column.auto_increment => {
            null_columns.insert((table.clone(), column.name.clone()));
        }
        Step::DropUnique { table, unique } => {
            dropped_uniques.insert((table.clone(), key(&unique.columns)));
        }
        Step::DropIndex { table, index } if index.unique && index.predicate.is_none() && index.prefixes.is_empty() => {
            dropped_uniques.insert((table.clone(), key(&index.columns)));
        }
        Step::SetPrimaryKey { table, from: Some(pk), to } if to.as_ref() != Some(pk) => {
            dropped_uniques.insert((table.clone(), key(&pk.columns)));
        }
        Step::AlterColumn { table, from, .. } | Step::DropColumn { table, column: from } => {
            forget(table, &from.name, null_columns, dropped_uniques);
        }
        Step::RenameColumn { table, from, to } => {
            let was_null = null_columns.contains(&(table.clone(), from.clone()));
            forget(table, from, null_columns, dropped_uniques);
            if was_null {
                null_columns.insert((table.clone(), to.clone()));
            }
        }
        Step::DropTable { table } => {
            null_columns.retain(|(t, _)| *t != table.name);
            dropped_uniques.retain(|(t, _)| *t != table.name);
        }
        Step::RenameTable { from, to } => {
            let moved: Vec<_> = null_columns.iter().filter(|(t, _)| t == from).cloned().collect();
            for (_, c) in moved {
                null_columns.remove(&(from.clone(), c.clone()));
                null_columns.insert((to.clone(), c));
            }
            let moved: Vec<_> = dropped_uniques.iter().filter(|(t, _)| t == from).cloned().collect();
            for (_, cols) in moved {
                dropped_uniques.remove(&(from.clone(), cols.clone()));
                dropped_uniques.insert((to.clone(), cols));
            }
        }
        Step::RawSql { .. } => {
            null_columns.clear();
            dropped_uniques.clear();
        }
        // A data step may write anything.
        Step::Data { .. } => {
            null_columns.clear();
            dropped_uniques.clear();
        }
        // A backfill writes the columns it sets: what was known about their values is gone.
        Step::Backfill { table, set, .. } => {
            for (column, _) in set {
                forget(table, column, null_columns, dropped_uniques);
            }
        }
        _ => {}
    }
}

/// For each step, whether it creates a table that no other step of the list can observe, so that the classifier's
/// replay may leave it out of its state (as [`relevant_part`] leaves unrelated tables out): no other step names it
/// (as its table, a rename's source or a foreign key's target), and its foreign keys point at no table another step
/// names (a SQLite rebuild of that table lists the tables referencing it). Steps that can observe tables beyond the
/// ones they name (enum changes, raw SQL and whatever has no table) make every creation observed.
fn unobserved_creations(steps: &[&Step]) -> Vec<bool> {
    let mut observed: HashSet<&str> = HashSet::new();
    let mut created: HashSet<&str> = HashSet::new();
    for step in steps {
        match step {
            Step::CreateTable { table } => {
                if !created.insert(&table.name) {
                    observed.insert(&table.name);
                }
            }
            Step::CreateEnum { .. } => {}
            Step::RenameTable { from, to } => {
                observed.insert(from);
                observed.insert(to);
            }
            Step::AddForeignKey { table, foreign_key } => {
                observed.insert(table);
                observed.insert(&foreign_key.ref_table);
            }
            Step::AlterForeignKey { table, from, to } => {
                observed.insert(table);
                observed.insert(&from.ref_table);
                observed.insert(&to.ref_table);
            }
            other => match other.table() {
                Some(t) => {
                    observed.insert(t);
                }
                None => return vec![false; steps.len()],
            },
        }
    }
    steps
        .iter()
        .map(|step| match step {
            Step::CreateTable { table } => {
                !observed.contains(table.name.as_str())
                    && !table.foreign_keys.iter().any(|f| observed.contains(f.ref_table.as_str()))
            }
            _ => false,
        })
        .collect()
}

/// The part of `schema` that the steps can observe, normalized: the tables they name, the tables whose foreign keys
/// point at those, the tables with a column of an enum they alter, and every enum. Replaying a large schema for a
/// small plan then copies a few tables instead of all of them.
fn relevant_part(schema: &Schema, steps: &[&Step]) -> Schema {
    let mut names: HashSet<&str> = HashSet::new();
    let mut enums: HashSet<&str> = HashSet::new();
    for step in steps {
        match step {
            Step::RenameTable { from, to } => {
                names.insert(from);
                names.insert(to);
            }
            Step::AlterEnum { from, .. } => {
                enums.insert(&from.name);
            }
            Step::RenameEnum { from, .. } => {
                enums.insert(from);
            }
            other => {
                if let Some(t) = other.table() {
                    names.insert(t);
                }
            }
        }
    }
    let keep = |t: &Table| {
        names.contains(t.name.as_str())
            || t.foreign_keys.iter().any(|f| names.contains(f.ref_table.as_str()))
            || (!enums.is_empty()
                && t.columns.iter().any(|c| matches!(&c.ty, ColumnType::Enum(e) if enums.contains(e.as_str()))))
    };
    Schema { tables: schema.tables.iter().filter(|t| keep(t)).cloned().collect(), enums: schema.enums.clone() }
        .normalized()
}

/// Classifies one step on one dialect.
pub fn classify_step(step: &Step, dialect: Dialect, ctx: &Context<'_>) -> Classification {
    rules::classify(step, dialect, ctx)
}
