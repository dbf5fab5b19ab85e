//! The differ: a pure function from (old schema, new schema, rename hints) to the ordered list of [`Step`]s that
//! turns the old database into the new one.
//!
//! Contract:
//! - **Total.** Every difference becomes a step, or the whole diff fails with a [`DiffError`] naming the table
//!   and column; nothing is silently dropped. `replay::apply_steps(old, steps)` is equivalent to `new` (column order
//!   aside, which is never a change).
//! - **Deterministic.** The same inputs give the same steps in the same order, whatever order the models were
//!   listed in.
//! - **Dependency-correct.** Hinted enum type renames (`RenameEnum`) come first of all, so that every later step,
//!   which carries definitions from the old schema, names enums as the new schema does. Then steps run in phases,
//!   each of which only needs what earlier phases did:
//!   1. foreign keys that go away or change are dropped (and those that reference a primary key whose columns
//!      change, added back in phase 6), then indexes, uniques and checks that go away or change,
//!      then tables that go away (tables that reference others first; a foreign-key cycle is cut by dropping one
//!      foreign key first);
//!   2. hinted renames: tables, then columns (each chain back to front), then indexes whose definition is unchanged
//!      apart from their name (usually a generated name that followed a table or column rename);
//!   3. enums are created and altered (first, an enum column whose default is a value the enum loses drops that
//!      default, so that neither direction ever sets a default its enum does not hold);
//!   4. on each kept table: columns are added and altered, the primary key is set, uniques, indexes and checks are
//!      added, the comment is set;
//!   5. new tables are created, referenced tables first (a foreign-key cycle is cut: the table is created without
//!      the cyclic foreign key, which is added in phase 6);
//!   6. foreign keys are added or altered;
//!   7. columns that go away are dropped;
//!   8. enums that go away are dropped.
//! - **Renames come only from hints.** An unhinted drop + add of compatible columns in one table (or of tables with
//!   the same column names) is still a drop and an add, each carrying a [`PossibleRename`] note with the exact
//!   attribute to add; the classifier makes them dangerous. The differ never guesses.
//! - Index renames: an index that is unchanged apart from its name becomes a `RenameIndex`. Other named constraints
//!   that only changed name (a generated `<table>_pkey`, `<table>_<column>_key`, `..._fkey` or `..._check` after a
//!   rename) are expressed with the existing vocabulary: `SetPrimaryKey` with the same columns, `AlterForeignKey`
//!   with the same definition, or a drop + add of the unique or check.
//!
//! Layout by phase: this file holds the types, the input checks and `Differ::run`, which computes phase 2's table
//! and column renames and assembles the phases in order; `kept.rs` diffs the tables present on both sides (phase 4
//! and their share of phases 1, 2, 6 and 7), `tables.rs` drops and creates whole tables (phases 1 and 5),
//! `enums.rs` handles phases 3 and 8, `relations.rs` the pivot-table relation changes, `hints.rs` and `order.rs`
//! the rename hints and their ordering.
//!
//! Architecture Invariant: the differ never touches the file system, never classifies and never renders.

mod backfills;
mod enums;
mod hints;
mod kept;
mod keys;
mod order;
mod relations;
mod tables;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::schema::{ColumnType, Index, RenameHints, Schema, Table};
use crate::step::Step;

pub use backfills::{DEFAULT_VALUE as BACKFILL_DEFAULT, is_volatile_default};
pub use hints::hints_applied_by;
pub use relations::{Relation, RelationChange, RelationChangeKind, pivot_relations, relations};

/// Why two schemas could not be diffed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DiffError {
    /// A rename hint names something that is in neither schema the way the hint says.
    #[error("rename hint {hint} matches nothing: {detail}; fix the names in the hint or remove it")]
    UnmatchedHint {
        /// The hint, as text (`table `a` -> `b``).
        hint: String,
        /// What did not match.
        detail: String,
    },
    /// Two hints contradict each other.
    #[error("conflicting rename hints: {detail}; keep only one of them")]
    ConflictingHints {
        /// What conflicts.
        detail: String,
    },
    /// A difference that driftless cannot express as steps.
    #[error("unsupported change in table `{table}`{}: {detail}", column.as_ref().map(|c| format!(", column `{c}`")).unwrap_or_default())]
    Unsupported {
        /// The table.
        table: String,
        /// The column, if the change concerns one.
        column: Option<String>,
        /// What is unsupported and how to get there instead.
        detail: String,
    },
    /// One of the schemas is malformed in a way that makes diffing meaningless (a duplicate name).
    #[error("the {side} schema is malformed: {detail}; fix it (Schema::validate lists every problem)")]
    MalformedSchema {
        /// `old` or `new`.
        side: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// A backfill value (`#[model(backfill = "...")]`, or the answers file's `backfills`) for a column that the new
    /// schema does not have, or two different values for one column.
    #[error("backfill for `{table}.{column}`: {detail}")]
    BadBackfill {
        /// The table (its new name).
        table: String,
        /// The column (its new name).
        column: String,
        /// What is wrong and what to do.
        detail: String,
    },
    /// An enum change that driftless cannot express as steps.
    #[error("unsupported change to enum `{name}`: {detail}")]
    UnsupportedEnum {
        /// The enum.
        name: String,
        /// What is unsupported and how to get there instead.
        detail: String,
    },
}

/// The differ's output: ordered steps plus what the report needs to say about them.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Diff {
    /// The steps, in the order they must run.
    pub changes: Vec<DiffChange>,
    /// Many-to-many relations (pivot tables) that appear or disappear.
    pub relations: Vec<RelationChange>,
    /// Hints that were already applied by an earlier migration (the old schema already has the new name); they are
    /// ignored and can be removed.
    pub stale_hints: Vec<String>,
}

impl Diff {
    /// Whether the schemas are equivalent.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The steps alone, in order.
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.changes.iter().map(|c| &c.step)
    }
}

/// One step and the notes the differ attaches to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiffChange {
    /// The step.
    pub step: Step,
    /// Set when the step is half of an unhinted drop + add that may be a rename.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub possible_renames: Vec<PossibleRename>,
}

/// What a possible rename is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RenameKind {
    /// A table.
    Table,
    /// A column.
    Column,
}

/// An unhinted drop of `from` and add of `to` that may be a rename.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PossibleRename {
    /// Table or column.
    pub kind: RenameKind,
    /// For a column: its table (new name). For a table: the new table.
    pub table: String,
    /// The dropped name.
    pub from: String,
    /// The added name.
    pub to: String,
}

impl PossibleRename {
    /// The attribute that declares the rename: `#[model(renamed_from = "from")]`.
    pub fn attribute(&self) -> String {
        format!("#[model(renamed_from = \"{}\")]", self.from)
    }

    /// Where to put the attribute, as an instruction: `add #[model(renamed_from = "bio")] to field about of table
    /// users`.
    pub fn advice(&self) -> String {
        match self.kind {
            RenameKind::Column => format!("add {} to field {} of table {}", self.attribute(), self.to, self.table),
            RenameKind::Table => format!("add {} to the model of table {}", self.attribute(), self.to),
        }
    }

    /// The same hint as an entry of the renames file (`--renames FILE`).
    pub fn renames_file_entry(&self) -> String {
        match self.kind {
            RenameKind::Column => format!(
                "{{\"columns\": [{{\"table\": \"{}\", \"from\": \"{}\", \"to\": \"{}\"}}]}}",
                self.table, self.from, self.to
            ),
            RenameKind::Table => format!("{{\"tables\": [{{\"from\": \"{}\", \"to\": \"{}\"}}]}}", self.from, self.to),
        }
    }
}

/// Whether a dropped column of type `a` and an added one of type `b` look like the same data: the same type, or
/// both text, both integers, both numbers with a fraction, or both timestamps.
pub fn compatible_types(a: &ColumnType, b: &ColumnType) -> bool {
    use ColumnType as T;
    let family = |t: &ColumnType| -> u8 {
        match t {
            T::Text | T::Varchar(_) | T::Char(_) => 1,
            T::SmallInt | T::Integer | T::BigInt => 2,
            T::Real | T::Double | T::Decimal { .. } => 3,
            T::DateTime | T::TimestampTz => 4,
            _ => 0,
        }
    };
    a == b || (family(a) != 0 && family(a) == family(b))
}

/// Diffs two schemas. See the module documentation for the contract.
pub fn diff(old: &Schema, new: &Schema, hints: &RenameHints) -> Result<Diff, DiffError> {
    let old = normalized(old);
    let new = normalized(new);
    let old_idx = index_tables(&old, "old")?;
    let new_idx = index_tables(&new, "new")?;
    check_enum_names(&old, "old")?;
    check_enum_names(&new, "new")?;
    let hints = hints::resolve(&old_idx, &new_idx, &old, &new, hints)?;
    if hints.enums.is_empty() {
        return Differ::new(&old, &new, &old_idx, &hints).run();
    }
    // Enum renames run first of all (phase 0), so that every later step, which carries definitions from the old
    // schema, already names the enums by their new names: the rest is diffed against the old schema with the renames
    // applied.
    let order = order::order_renames(&hints.enums).map_err(|cycle| DiffError::UnsupportedEnum {
        name: cycle.first().copied().unwrap_or_default().to_owned(),
        detail: format!(
            "the enums {} swap names, which needs a temporary name; rename one of them in an earlier migration",
            cycle.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ")
        ),
    })?;
    let renames: Vec<Step> =
        order.into_iter().map(|(from, to)| Step::RenameEnum { from: from.to_owned(), to: to.to_owned() }).collect();
    let mapped = crate::replay::apply_steps(&old, &renames)
        .map_err(|e| DiffError::MalformedSchema { side: "old", detail: format!("renaming its enums failed: {e}") })?;
    let mapped_idx = index_tables(&mapped, "old")?;
    let mut diff = Differ::new(&mapped, &new, &mapped_idx, &hints).run()?;
    diff.changes.splice(0..0, renames.into_iter().map(change));
    Ok(diff)
}

fn normalized(s: &Schema) -> Cow<'_, Schema> {
    fn sorted<'x>(names: impl Iterator<Item = &'x String>) -> bool {
        let mut prev: Option<&String> = None;
        for n in names {
            if prev.is_some_and(|p| p >= n) {
                return false;
            }
            prev = Some(n);
        }
        true
    }
    let ok = sorted(s.tables.iter().map(|t| &t.name))
        && sorted(s.enums.iter().map(|e| &e.name))
        && s.tables.iter().all(|t| {
            sorted(t.indexes.iter().map(|i| &i.name))
                && sorted(t.uniques.iter().map(|u| &u.name))
                && sorted(t.foreign_keys.iter().map(|f| &f.name))
                && sorted(t.checks.iter().map(|c| &c.name))
        });
    if ok { Cow::Borrowed(s) } else { Cow::Owned(s.clone().normalized()) }
}

fn index_tables<'a>(s: &'a Schema, side: &'static str) -> Result<HashMap<&'a str, &'a Table>, DiffError> {
    let mut idx = HashMap::with_capacity(s.tables.len());
    for t in &s.tables {
        if idx.insert(t.name.as_str(), t).is_some() {
            return Err(DiffError::MalformedSchema { side, detail: format!("table `{}` is defined twice", t.name) });
        }
        let dup = if t.columns.len() <= 32 {
            t.columns.iter().enumerate().find(|(i, c)| t.columns[..*i].iter().any(|o| o.name == c.name)).map(|(_, c)| c)
        } else {
            let mut cols = HashSet::with_capacity(t.columns.len());
            t.columns.iter().find(|c| !cols.insert(c.name.as_str()))
        };
        if let Some(c) = dup {
            return Err(DiffError::MalformedSchema {
                side,
                detail: format!("column `{}.{}` is defined twice", t.name, c.name),
            });
        }
        // The lists are sorted by name, so a duplicate sits next to its twin.
        let dups = [
            ("index", twin(t.indexes.iter().map(|i| &i.name))),
            ("unique constraint", twin(t.uniques.iter().map(|u| &u.name))),
            ("foreign key", twin(t.foreign_keys.iter().map(|f| &f.name))),
            ("check", twin(t.checks.iter().map(|c| &c.name))),
        ];
        if let Some((what, Some(name))) = dups.into_iter().find(|(_, d)| d.is_some()) {
            return Err(DiffError::MalformedSchema {
                side,
                detail: format!("{what} `{name}` is defined twice in table `{}`", t.name),
            });
        }
    }
    Ok(idx)
}

/// The first name equal to the one before it.
fn twin<'x>(mut names: impl Iterator<Item = &'x String>) -> Option<&'x String> {
    let mut prev: Option<&String> = None;
    names.find(|n| prev.replace(*n) == Some(*n))
}

fn check_enum_names(s: &Schema, side: &'static str) -> Result<(), DiffError> {
    if let Some(w) = s.enums.windows(2).find(|w| w[0].name == w[1].name) {
        return Err(DiffError::MalformedSchema { side, detail: format!("enum `{}` is defined twice", w[0].name) });
    }
    Ok(())
}

/// A table present on both sides (possibly renamed).
struct Pair<'a> {
    old: &'a Table,
    new: &'a Table,
    /// Old column name → new column name, from hints.
    col_renames: BTreeMap<&'a str, &'a str>,
}

/// The marker put in a mapped foreign key's `ref_table` when the referenced table is dropped, so that it never
/// equals a foreign key of the new schema (which may reuse the name for another table).
const DROPPED_REF: &str = "\u{0}dropped";

struct Differ<'a> {
    old: &'a Schema,
    new: &'a Schema,
    old_idx: &'a HashMap<&'a str, &'a Table>,
    hints: &'a hints::Resolved<'a>,
    /// Old table name → new table name for every kept table.
    succ: HashMap<&'a str, &'a str>,
    /// Old table name → its column renames, for kept tables that have any.
    col_renames_by_old: HashMap<&'a str, BTreeMap<&'a str, &'a str>>,
    /// Old names of tables that are renamed, have renamed columns or are dropped: foreign keys pointing at them must
    /// be mapped before comparing.
    touched: HashSet<&'a str>,
}

#[derive(Default)]
struct Phases {
    drop_fks: Vec<DiffChange>,
    drop_constraints: Vec<DiffChange>,
    drop_tables: Vec<DiffChange>,
    rename_tables: Vec<DiffChange>,
    rename_columns: Vec<DiffChange>,
    rename_indexes: Vec<(String, Index, Index, String)>,
    /// Enum columns losing a default the enum is about to lose (runs before `enums`).
    pre_enums: Vec<DiffChange>,
    enums: Vec<DiffChange>,
    alter_tables: Vec<DiffChange>,
    create_tables: Vec<DiffChange>,
    add_fks: Vec<DiffChange>,
    drop_columns: Vec<DiffChange>,
    drop_enums: Vec<DiffChange>,
}

fn change(step: Step) -> DiffChange {
    DiffChange { step, possible_renames: Vec::new() }
}

impl<'a> Differ<'a> {
    fn new(
        old: &'a Schema,
        new: &'a Schema,
        old_idx: &'a HashMap<&'a str, &'a Table>,
        hints: &'a hints::Resolved<'a>,
    ) -> Self {
        Differ {
            old,
            new,
            old_idx,
            hints,
            succ: HashMap::new(),
            col_renames_by_old: HashMap::new(),
            touched: HashSet::new(),
        }
    }

    fn run(mut self) -> Result<Diff, DiffError> {
        let renamed_to: HashMap<&str, &str> = self.hints.tables.iter().map(|(f, t)| (*t, *f)).collect();
        let mut pairs: Vec<Pair<'a>> = Vec::new();
        let mut created: Vec<&'a Table> = Vec::new();
        for nt in &self.new.tables {
            let pred = match renamed_to.get(nt.name.as_str()) {
                Some(from) => Some(*from),
                None => Some(nt.name.as_str())
                    .filter(|n| self.old_idx.contains_key(n) && !self.hints.tables.contains_key(n)),
            };
            match pred.and_then(|p| self.old_idx.get(p)) {
                Some(ot) => {
                    let col_renames = self.hints.columns.get(nt.name.as_str()).cloned().unwrap_or_default();
                    self.succ.insert(ot.name.as_str(), nt.name.as_str());
                    if ot.name != nt.name || !col_renames.is_empty() {
                        self.touched.insert(ot.name.as_str());
                    }
                    pairs.push(Pair { old: ot, new: nt, col_renames });
                }
                None => created.push(nt),
            }
        }
        for p in &pairs {
            if !p.col_renames.is_empty() {
                self.col_renames_by_old.insert(p.old.name.as_str(), p.col_renames.clone());
            }
        }
        let dropped: Vec<&'a Table> =
            self.old.tables.iter().filter(|t| !self.succ.contains_key(t.name.as_str())).collect();
        self.touched.extend(dropped.iter().map(|t| t.name.as_str()));

        let mut ph = Phases::default();

        // Phase 2 (renames) is computed first because it can fail.
        let table_order = order::order_renames(&self.hints.tables).map_err(|cycle| DiffError::Unsupported {
            table: cycle.first().copied().unwrap_or_default().to_owned(),
            column: None,
            detail: format!(
                "the tables {} swap names, which needs a temporary name; rename one of them in an earlier migration",
                cycle.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")
            ),
        })?;
        for (from, to) in table_order {
            ph.rename_tables.push(change(Step::RenameTable { from: from.to_owned(), to: to.to_owned() }));
        }
        for p in &pairs {
            let order = order::order_renames(&p.col_renames).map_err(|cycle| DiffError::Unsupported {
                table: p.new.name.clone(),
                column: cycle.first().map(|c| (*c).to_owned()),
                detail: format!(
                    "the columns {} swap names, which needs a temporary name; rename one of them in an earlier \
                     migration",
                    cycle.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
                ),
            })?;
            for (from, to) in order {
                ph.rename_columns.push(change(Step::RenameColumn {
                    table: p.new.name.clone(),
                    from: from.to_owned(),
                    to: to.to_owned(),
                }));
            }
        }

        for p in &pairs {
            self.diff_pair(p, &mut ph);
        }
        self.lift_foreign_keys_over_keys(&pairs, &mut ph);
        self.order_index_renames(&mut ph);
        self.drop_tables(&dropped, &created, &mut ph);
        self.create_tables(&created, &dropped, &mut ph);
        self.diff_enums(&mut ph);

        let relations = self.relation_changes();
        let Phases {
            drop_fks,
            drop_constraints,
            drop_tables,
            rename_tables,
            rename_columns,
            rename_indexes,
            pre_enums,
            enums,
            alter_tables,
            create_tables,
            add_fks,
            drop_columns,
            drop_enums,
        } = ph;
        let rename_indexes = rename_indexes
            .into_iter()
            .map(|(table, from, to, _)| change(Step::RenameIndex { table, from: from.name, to: to.name }));
        let changes = drop_fks
            .into_iter()
            .chain(drop_constraints)
            .chain(drop_tables)
            .chain(rename_tables)
            .chain(rename_columns)
            .chain(rename_indexes)
            .chain(pre_enums)
            .chain(enums)
            .chain(alter_tables)
            .chain(create_tables)
            .chain(add_fks)
            .chain(drop_columns)
            .chain(drop_enums)
            .collect();
        Ok(Diff { changes, relations, stale_hints: self.hints.stale.clone() })
    }
}
