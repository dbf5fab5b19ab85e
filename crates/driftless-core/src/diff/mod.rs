//! The differ: a pure function from (old schema, new schema, rename hints) to the ordered list of [`Step`]s that
//! turns the old database into the new one.
//!
//! Contract:
//! - **Total.** Every difference becomes a step, or the whole diff fails with a [`DiffError`] naming the table
//!   and column; nothing is silently dropped. `replay::apply_steps(old, steps)` is equivalent to `new` (column order
//!   aside, which is never a change).
//! - **Deterministic.** The same inputs give the same steps in the same order, whatever order the models were
//!   listed in.
//! - **Dependency-correct.** Steps run in phases, each of which only needs what earlier phases did:
//!   1. foreign keys that go away or change are dropped, then indexes, uniques and checks that go away or change,
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
//! Architecture Invariant: the differ never touches the file system, never classifies and never renders.

mod hints;
mod order;
mod relations;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::Serialize;

use crate::schema::{Column, ColumnType, DefaultValue, ForeignKey, Index, Literal, RenameHints, Schema, Table};
use crate::step::Step;

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
    Differ::new(&old, &new, &old_idx, &hints).run()
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

    /// The old table as it looks after the renames of phase 2: new table name, new column names everywhere, and
    /// foreign keys pointing at the new names of the tables and columns they reference.
    fn mapped(&self, p: &Pair<'a>) -> Cow<'a, Table> {
        let needs = p.old.name != p.new.name
            || !p.col_renames.is_empty()
            || p.old.foreign_keys.iter().any(|f| self.touched.contains(f.ref_table.as_str()));
        if !needs {
            return Cow::Borrowed(p.old);
        }
        let mut t = p.old.clone();
        t.name = p.new.name.clone();
        let ren = |c: &mut String, map: &BTreeMap<&str, &str>| {
            if let Some(to) = map.get(c.as_str()) {
                *c = (*to).to_owned();
            }
        };
        for c in &mut t.columns {
            ren(&mut c.name, &p.col_renames);
        }
        if let Some(pk) = &mut t.primary_key {
            pk.columns.iter_mut().for_each(|c| ren(c, &p.col_renames));
        }
        for i in &mut t.indexes {
            i.columns.iter_mut().for_each(|c| ren(c, &p.col_renames));
        }
        for u in &mut t.uniques {
            u.columns.iter_mut().for_each(|c| ren(c, &p.col_renames));
        }
        for f in &mut t.foreign_keys {
            f.columns.iter_mut().for_each(|c| ren(c, &p.col_renames));
            self.map_fk_target(f);
        }
        Cow::Owned(t)
    }

    /// Points a foreign key of the old schema at the new names of what it references.
    fn map_fk_target(&self, f: &mut ForeignKey) {
        let old_ref = f.ref_table.as_str();
        if let Some(map) = self.col_renames_by_old.get(old_ref) {
            for c in &mut f.ref_columns {
                if let Some(to) = map.get(c.as_str()) {
                    *c = (*to).to_owned();
                }
            }
        }
        f.ref_table = match self.succ.get(old_ref) {
            Some(n) => (*n).to_owned(),
            None => format!("{DROPPED_REF}{old_ref}"),
        };
    }

    /// The column without its default, when the column is of an enum whose values change and its default is a value
    /// the new enum does not hold.
    fn without_stale_enum_default(&self, c: &Column) -> Option<Column> {
        let ColumnType::Enum(name) = &c.ty else { return None };
        let Some(DefaultValue::Value(Literal::String(v))) = &c.default else { return None };
        let new = self.new.enum_type(name)?;
        if new.values.contains(v) {
            return None;
        }
        let mut mid = c.clone();
        mid.default = None;
        Some(mid)
    }

    fn diff_pair(&self, p: &Pair<'a>, ph: &mut Phases) {
        let mapped = self.mapped(p);
        let m = mapped.as_ref();
        let n = p.new;
        if m == n {
            return;
        }
        let old_name = &p.old.name;
        let new_name = &n.name;

        // Columns: after the renames, a new column's predecessor is the mapped column of the same name.
        let mut added = Vec::new();
        let mut altered = Vec::new();
        for nc in &n.columns {
            match m.column(&nc.name) {
                Some(mc) => {
                    if mc != nc {
                        let mut from = mc.clone();
                        if let Some(mid) = self.without_stale_enum_default(mc) {
                            // The default names a value the enum is about to lose: drop it before the enum changes
                            // (and, in `down`, set it back only after the enum has its old values again).
                            ph.pre_enums.push(change(Step::AlterColumn {
                                table: new_name.clone(),
                                from: mc.clone(),
                                to: mid.clone(),
                                backfill: None,
                            }));
                            from = mid;
                        }
                        if from != *nc {
                            altered.push(Step::AlterColumn {
                                table: new_name.clone(),
                                from,
                                to: nc.clone(),
                                backfill: None,
                            });
                        }
                    }
                }
                None => added.push(nc),
            }
        }
        let dropped: Vec<&Column> = m.columns.iter().filter(|c| n.column(&c.name).is_none()).collect();
        for nc in &added {
            let notes = dropped
                .iter()
                .filter(|d| compatible_types(&d.ty, &nc.ty))
                .map(|d| PossibleRename {
                    kind: RenameKind::Column,
                    table: new_name.clone(),
                    from: d.name.clone(),
                    to: nc.name.clone(),
                })
                .collect();
            ph.alter_tables.push(DiffChange {
                step: Step::AddColumn { table: new_name.clone(), column: (*nc).clone() },
                possible_renames: notes,
            });
        }
        ph.alter_tables.extend(altered.into_iter().map(change));
        for d in &dropped {
            let mut gone = (*d).clone();
            if let Some(mid) = self.without_stale_enum_default(d) {
                // As for a kept column: the enum must not change while the column still has the lost default.
                ph.pre_enums.push(change(Step::AlterColumn {
                    table: new_name.clone(),
                    from: (*d).clone(),
                    to: mid.clone(),
                    backfill: None,
                }));
                gone = mid;
            }
            let notes = added
                .iter()
                .filter(|nc| compatible_types(&d.ty, &nc.ty))
                .map(|nc| PossibleRename {
                    kind: RenameKind::Column,
                    table: new_name.clone(),
                    from: d.name.clone(),
                    to: nc.name.clone(),
                })
                .collect();
            ph.drop_columns.push(DiffChange {
                step: Step::DropColumn { table: new_name.clone(), column: gone },
                possible_renames: notes,
            });
        }

        // Primary key (a name-only change included: `<table>_pkey` follows a table rename).
        if m.primary_key != n.primary_key {
            ph.alter_tables.push(change(Step::SetPrimaryKey {
                table: new_name.clone(),
                from: m.primary_key.clone(),
                to: n.primary_key.clone(),
            }));
        }

        // Indexes: same name and definition → nothing; same definition, other name → rename; otherwise drop + create.
        let same_index =
            |a: &Index, b: &Index| a.columns == b.columns && a.unique == b.unique && a.predicate == b.predicate;
        let mut new_unmatched: Vec<&Index> = Vec::new();
        let mut old_unmatched: Vec<&Index> = Vec::new();
        for ni in &n.indexes {
            match m.indexes.iter().find(|i| i.name == ni.name) {
                Some(mi) if mi == ni => {}
                Some(_) => {
                    ph.drop_constraints.push(change(Step::DropIndex {
                        table: old_name.clone(),
                        index: original(&p.old.indexes, ni, |i| &i.name),
                    }));
                    ph.alter_tables.push(change(Step::CreateIndex { table: new_name.clone(), index: ni.clone() }));
                }
                None => new_unmatched.push(ni),
            }
        }
        for mi in &m.indexes {
            if !n.indexes.iter().any(|i| i.name == mi.name) {
                old_unmatched.push(mi);
            }
        }
        let mut taken = vec![false; new_unmatched.len()];
        for mi in old_unmatched {
            match new_unmatched.iter().enumerate().find(|(k, ni)| !taken[*k] && same_index(mi, ni)) {
                Some((k, ni)) => {
                    taken[k] = true;
                    ph.rename_indexes.push((new_name.clone(), mi.clone(), (*ni).clone(), old_name.clone()));
                }
                None => ph.drop_constraints.push(change(Step::DropIndex {
                    table: old_name.clone(),
                    index: original(&p.old.indexes, mi, |i| &i.name),
                })),
            }
        }
        for (k, ni) in new_unmatched.iter().enumerate() {
            if !taken[k] {
                ph.alter_tables.push(change(Step::CreateIndex { table: new_name.clone(), index: (*ni).clone() }));
            }
        }

        // Uniques and checks: anything not equal by name is dropped and added (constraints have no portable
        // rename).
        for mu in &m.uniques {
            if !n.uniques.contains(mu) {
                ph.drop_constraints.push(change(Step::DropUnique {
                    table: old_name.clone(),
                    unique: original(&p.old.uniques, mu, |u| &u.name),
                }));
            }
        }
        for mc in &m.checks {
            if !n.checks.contains(mc) {
                ph.drop_constraints.push(change(Step::DropCheck {
                    table: old_name.clone(),
                    check: original(&p.old.checks, mc, |c| &c.name),
                }));
            }
        }
        for nu in &n.uniques {
            if !m.uniques.contains(nu) {
                ph.alter_tables.push(change(Step::AddUnique { table: new_name.clone(), unique: nu.clone() }));
            }
        }
        for nc in &n.checks {
            if !m.checks.contains(nc) {
                ph.alter_tables.push(change(Step::AddCheck { table: new_name.clone(), check: nc.clone() }));
            }
        }

        // Foreign keys: same target and columns but other actions or another name → AlterForeignKey; otherwise
        // drop + add.
        let same_target = |a: &ForeignKey, b: &ForeignKey| {
            a.columns == b.columns && a.ref_table == b.ref_table && a.ref_columns == b.ref_columns
        };
        let mut fk_new_unmatched: Vec<&ForeignKey> = Vec::new();
        let mut fk_old_unmatched: Vec<&ForeignKey> = Vec::new();
        for nf in &n.foreign_keys {
            match m.foreign_keys.iter().find(|f| f.name == nf.name) {
                Some(mf) if mf == nf => {}
                Some(mf) if same_target(mf, nf) => ph.add_fks.push(change(Step::AlterForeignKey {
                    table: new_name.clone(),
                    from: mf.clone(),
                    to: nf.clone(),
                })),
                Some(mf) => {
                    ph.drop_fks.push(change(Step::DropForeignKey {
                        table: old_name.clone(),
                        foreign_key: original(&p.old.foreign_keys, mf, |f| &f.name),
                    }));
                    ph.add_fks.push(change(Step::AddForeignKey { table: new_name.clone(), foreign_key: nf.clone() }));
                }
                None => fk_new_unmatched.push(nf),
            }
        }
        for mf in &m.foreign_keys {
            if !n.foreign_keys.iter().any(|f| f.name == mf.name) {
                fk_old_unmatched.push(mf);
            }
        }
        let mut taken = vec![false; fk_new_unmatched.len()];
        for mf in fk_old_unmatched {
            let exact =
                |nf: &ForeignKey| same_target(mf, nf) && mf.on_delete == nf.on_delete && mf.on_update == nf.on_update;
            match fk_new_unmatched.iter().enumerate().find(|(k, nf)| !taken[*k] && exact(nf)) {
                Some((k, nf)) => {
                    taken[k] = true;
                    ph.add_fks.push(change(Step::AlterForeignKey {
                        table: new_name.clone(),
                        from: mf.clone(),
                        to: (*nf).clone(),
                    }));
                }
                None => ph.drop_fks.push(change(Step::DropForeignKey {
                    table: old_name.clone(),
                    foreign_key: original(&p.old.foreign_keys, mf, |f| &f.name),
                })),
            }
        }
        for (k, nf) in fk_new_unmatched.iter().enumerate() {
            if !taken[k] {
                ph.add_fks.push(change(Step::AddForeignKey { table: new_name.clone(), foreign_key: (*nf).clone() }));
            }
        }

        if m.comment != n.comment {
            ph.alter_tables.push(change(Step::SetTableComment {
                table: new_name.clone(),
                from: m.comment.clone(),
                to: n.comment.clone(),
            }));
        }
    }

    /// Orders index renames so each target name is free when it runs (index names share one namespace on
    /// PostgreSQL); renames that would swap names are turned into drop + create instead.
    fn order_index_renames(&self, ph: &mut Phases) {
        let mut renames = std::mem::take(&mut ph.rename_indexes);
        loop {
            let map: BTreeMap<&str, &str> =
                renames.iter().map(|(_, from, to, _)| (from.name.as_str(), to.name.as_str())).collect();
            match order::order_renames(&map) {
                Ok(order) => {
                    let pos: HashMap<&str, usize> = order.iter().enumerate().map(|(i, (f, _))| (*f, i)).collect();
                    let mut keyed: Vec<(usize, (String, Index, Index, String))> = renames
                        .iter()
                        .map(|r| (pos.get(r.1.name.as_str()).copied().unwrap_or(usize::MAX), r.clone()))
                        .collect();
                    keyed.sort_by_key(|(i, _)| *i);
                    ph.rename_indexes = keyed.into_iter().map(|(_, r)| r).collect();
                    return;
                }
                Err(cycle) => {
                    let victim = cycle.first().map(|s| (*s).to_owned()).unwrap_or_default();
                    let Some(k) = renames.iter().position(|r| r.1.name == victim) else {
                        ph.rename_indexes = renames;
                        return;
                    };
                    let (table, from, to, old_table) = renames.remove(k);
                    let original_index = self
                        .old_idx
                        .get(old_table.as_str())
                        .and_then(|t| t.indexes.iter().find(|i| i.name == from.name))
                        .cloned()
                        .unwrap_or(from);
                    ph.drop_constraints.push(change(Step::DropIndex { table: old_table, index: original_index }));
                    ph.alter_tables.push(change(Step::CreateIndex { table, index: to }));
                }
            }
        }
    }

    fn drop_tables(&self, dropped: &[&'a Table], created: &[&'a Table], ph: &mut Phases) {
        let names: BTreeSet<&str> = dropped.iter().map(|t| t.name.as_str()).collect();
        let mut working: BTreeMap<&str, Table> = dropped.iter().map(|t| (t.name.as_str(), (*t).clone())).collect();
        // A table is dropped after every dropped table that references it.
        let mut deps: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for t in dropped {
            for f in &t.foreign_keys {
                if let Some(target) = names.get(f.ref_table.as_str()) {
                    deps.entry(*target).or_default().insert(t.name.as_str());
                }
            }
        }
        let mut cut: BTreeMap<&str, Vec<Step>> = BTreeMap::new();
        let order = order::topo_order(&names, &deps, |target, referencing| {
            for r in referencing {
                if let Some(rt) = working.get_mut(r) {
                    let (gone, kept): (Vec<ForeignKey>, Vec<ForeignKey>) =
                        std::mem::take(&mut rt.foreign_keys).into_iter().partition(|f| f.ref_table == target);
                    rt.foreign_keys = kept;
                    for f in gone {
                        cut.entry(target)
                            .or_default()
                            .push(Step::DropForeignKey { table: (*r).to_owned(), foreign_key: f });
                    }
                }
            }
        });
        for name in order {
            for s in cut.remove(name).unwrap_or_default() {
                ph.drop_tables.push(change(s));
            }
            if let Some(t) = working.remove(name) {
                let notes = possible_table_renames(&t, created, true);
                ph.drop_tables.push(DiffChange { step: Step::DropTable { table: t }, possible_renames: notes });
            }
        }
    }

    fn create_tables(&self, created: &[&'a Table], dropped: &[&'a Table], ph: &mut Phases) {
        let names: BTreeSet<&str> = created.iter().map(|t| t.name.as_str()).collect();
        let mut working: BTreeMap<&str, Table> = created.iter().map(|t| (t.name.as_str(), (*t).clone())).collect();
        // A table is created after every new table it references.
        let mut deps: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for t in created {
            for f in &t.foreign_keys {
                if let Some(target) = names.get(f.ref_table.as_str()) {
                    deps.entry(t.name.as_str()).or_default().insert(*target);
                }
            }
        }
        let mut deferred: Vec<Step> = Vec::new();
        let order = order::topo_order(&names, &deps, |table, pending| {
            if let Some(t) = working.get_mut(table) {
                let (later, now): (Vec<ForeignKey>, Vec<ForeignKey>) = std::mem::take(&mut t.foreign_keys)
                    .into_iter()
                    .partition(|f| pending.contains(f.ref_table.as_str()));
                t.foreign_keys = now;
                deferred
                    .extend(later.into_iter().map(|f| Step::AddForeignKey { table: table.to_owned(), foreign_key: f }));
            }
        });
        for name in order {
            if let Some(t) = working.remove(name) {
                let notes = possible_table_renames(&t, dropped, false);
                ph.create_tables.push(DiffChange { step: Step::CreateTable { table: t }, possible_renames: notes });
            }
        }
        ph.add_fks.extend(deferred.into_iter().map(change));
    }

    fn diff_enums(&self, ph: &mut Phases) {
        for ne in &self.new.enums {
            match self.old.enum_type(&ne.name) {
                None => ph.enums.push(change(Step::CreateEnum { r#enum: ne.clone() })),
                Some(oe) if oe != ne => {
                    let renamed_values = self
                        .hints
                        .enum_values
                        .get(ne.name.as_str())
                        .map(|m| {
                            oe.values
                                .iter()
                                .filter_map(|v| m.get(v.as_str()).map(|to| (v.clone(), (*to).to_owned())))
                                .collect()
                        })
                        .unwrap_or_default();
                    ph.enums.push(change(Step::AlterEnum { from: oe.clone(), to: ne.clone(), renamed_values }));
                }
                Some(_) => {}
            }
        }
        for oe in &self.old.enums {
            if self.new.enum_type(&oe.name).is_none() {
                ph.drop_enums.push(change(Step::DropEnum { r#enum: oe.clone() }));
            }
        }
    }

    fn relation_changes(&self) -> Vec<RelationChange> {
        let old_rel = relations(self.old);
        let new_rel: BTreeSet<Relation> = relations(self.new).into_iter().collect();
        let map = |n: &str| -> Option<String> { self.succ.get(n).map(|s| (*s).to_owned()) };
        let mut mapped_old: BTreeSet<Relation> = BTreeSet::new();
        let mut out = Vec::new();
        for r in old_rel {
            let m = match (map(&r.pivot), map(&r.tables[0]), map(&r.tables[1])) {
                (Some(p), Some(a), Some(b)) => {
                    let mut tables = [a, b];
                    tables.sort();
                    Some(Relation { pivot: p, tables })
                }
                _ => None,
            };
            match m {
                Some(m) if new_rel.contains(&m) => {
                    mapped_old.insert(m);
                }
                _ => out.push(RelationChange { kind: RelationChangeKind::Removed, relation: r }),
            }
        }
        for r in new_rel {
            if !mapped_old.contains(&r) {
                out.push(RelationChange { kind: RelationChangeKind::Added, relation: r });
            }
        }
        out.sort();
        out
    }
}

/// The definition of a named constraint as it is in the old schema (before renames), for drop steps that run
/// before the renames.
fn original<T: Clone>(list: &[T], fallback: &T, key: impl Fn(&T) -> &String) -> T {
    let name = key(fallback);
    list.iter().find(|x| key(x) == name).unwrap_or(fallback).clone()
}

/// Unhinted table renames: a dropped and a created table with exactly the same column names.
fn possible_table_renames(t: &Table, others: &[&Table], t_is_old: bool) -> Vec<PossibleRename> {
    if others.is_empty() {
        return Vec::new();
    }
    let cols = |t: &Table| -> BTreeSet<String> { t.columns.iter().map(|c| c.name.clone()).collect() };
    let mine = cols(t);
    others
        .iter()
        .filter(|o| cols(o) == mine)
        .map(|o| {
            let (from, to) = if t_is_old { (&t.name, &o.name) } else { (&o.name, &t.name) };
            PossibleRename { kind: RenameKind::Table, table: to.clone(), from: from.clone(), to: to.clone() }
        })
        .collect()
}
