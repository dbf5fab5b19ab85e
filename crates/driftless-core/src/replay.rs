//! Replays steps on a schema value in memory: the schema a migration leads to, without a database.
//!
//! The differ's property tests use it (applying `diff(a, b)` to `a` must give `b`), the classifier uses it to know
//! the state of a table just before a step, and migration verification replays the journal with it; the renderer
//! and the migrator keep the state at each step with it. With [`ReplayOptions::MODEL`] it is strict:
//! a step whose frozen definition does not match the state it is applied to (a dropped column that differs from the
//! column in the schema, an `AlterColumn` whose `from` is not the current column, a rename onto a name in use) is an
//! error, because it means the migration and the schema have drifted apart.
//!
//! What a database does implicitly is done here too: renaming a table updates the foreign keys that point at it,
//! renaming a column updates the keys, indexes and foreign keys (on both sides) that name it. SQL text (check
//! expressions, partial-index predicates, raw SQL) is opaque and never rewritten: hand-written SQL is replayed by
//! its declared effect (`raw_sql(...).changes_nothing()` / `.amounts_to([...])`), and undeclared SQL stops the
//! replay with [`ReplayError::UndeclaredRawSql`].
//!
//! There is one replay; what its callers need differently (the model's strict view, the database's view the
//! renderer keeps) is a named option, [`ReplayOptions`].
//!
//! Architecture Invariant: replay is pure; it never panics on a bad step, it returns a [`ReplayError`].

use crate::schema::{Column, ColumnType, DefaultValue, Literal, Schema, Table};
use crate::step::{RawEffect, Step};

/// A step that cannot be applied to the schema it was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The step names a table that does not exist at that point.
    #[error("while replaying {step}: table `{table}` does not exist; the migration does not match the schema")]
    UnknownTable {
        /// The step's kind (`add_column`, ...).
        step: &'static str,
        /// The table.
        table: String,
    },
    /// The step names a column, index, constraint or enum that does not exist at that point.
    #[error(
        "while replaying {step}: {what} `{name}` does not exist{}; the migration does not match the schema",
        in_table(table)
    )]
    Unknown {
        /// The step's kind.
        step: &'static str,
        /// What is missing (`column`, `index`, `foreign key`, ...).
        what: &'static str,
        /// The table, if the object lives in one.
        table: Option<String>,
        /// The missing object's name.
        name: String,
    },
    /// The step creates something whose name is already taken.
    #[error(
        "while replaying {step}: {what} `{name}` already exists{}; rename or drop the existing one first",
        in_table(table)
    )]
    AlreadyExists {
        /// The step's kind.
        step: &'static str,
        /// What exists already.
        what: &'static str,
        /// The table, if the object lives in one.
        table: Option<String>,
        /// The name.
        name: String,
    },
    /// The step's frozen definition of the object it removes or changes differs from the current one.
    #[error(
        "while replaying {step}: the step's definition of {what} `{name}`{} differs from the schema's; the migration \
         was written against another schema (was an applied migration edited?)",
        in_table(table)
    )]
    Mismatch {
        /// The step's kind.
        step: &'static str,
        /// The kind of object.
        what: &'static str,
        /// The table, if the object lives in one.
        table: Option<String>,
        /// The object's name.
        name: String,
    },
    /// Hand-written SQL that does not declare its effect on the schema: the schema after it is unknown.
    #[error(
        "step {} is hand-written SQL that does not declare its effect on the schema, so the schema after it is \
         unknown; declare it in the migration file: `raw_sql(...).changes_nothing()` if it changes nothing driftless \
         models (data, grants), or `raw_sql(...).amounts_to([...])` with the model steps it amounts to",
        index + 1
    )]
    UndeclaredRawSql {
        /// The step's index (from 0) in the steps replayed.
        index: usize,
    },
    /// A step declared as the effect of hand-written SQL (`amounts_to`) does not apply.
    #[error("the effect declared for hand-written SQL does not apply: {reason}")]
    Declared {
        /// Why the declared step does not apply (in the message, not `source()`, so a chain printer says it once).
        reason: Box<ReplayError>,
    },
    /// The step cannot be replayed at all (an irreversible placeholder).
    #[error("while replaying {step}: {reason}")]
    Opaque {
        /// The step's kind.
        step: &'static str,
        /// Why.
        reason: String,
    },
}

impl ReplayError {
    /// The error with the index of the step it came from, for errors that carry one.
    pub(crate) fn at_step(self, i: usize) -> ReplayError {
        match self {
            ReplayError::UndeclaredRawSql { .. } => ReplayError::UndeclaredRawSql { index: i },
            other => other,
        }
    }
}

fn in_table(table: &Option<String>) -> String {
    match table {
        Some(t) => format!(" in table `{t}`"),
        None => String::new(),
    }
}

/// The named options of a replay: the two ways callers need to read a list of steps.
///
/// There is one replay; what differs between its callers is spelled here. The differ, its property tests, the
/// classifier, `verify`, drift detection, `snapshot-repair` and `migrate-sql` read steps as the *model* sees them
/// ([`ReplayOptions::MODEL`]): a migration is checked against the schema it was written for. The renderer, the
/// migrator's planning, the judge and `migrate-review` read them as the *database* sees them
/// ([`ReplayOptions::DATABASE`]): they render and judge what they are given, and a renamed enum value follows into
/// the defaults that use it, as it does in the database.
///
/// Hand-written SQL is replayed the same way by both: its declared effect is applied
/// ([`RawEffect`](crate::step::RawEffect)), and undeclared SQL is a [`ReplayError::UndeclaredRawSql`], because the
/// schema after it is unknown. An `Irreversible` step is always an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplayOptions {
    /// Whether a step's frozen definitions must match the state: the object a step drops or changes must be
    /// exactly the one in the schema, and a step must not create a name in use. When `false`, the step's own
    /// definition wins (a create replaces, a drop of something absent is a no-op); only a step on a table, column or
    /// index that does not exist at all is an error, because nothing can be rendered against it.
    pub check_definitions: bool,
    /// Whether renaming an enum value also renames it in the column defaults that use it, as PostgreSQL does in
    /// place and the MySQL and SQLite renderings do explicitly. The differ emits a separate `AlterColumn` for such
    /// a default, so its view (strict `from` checks) keeps the default as it was until that step.
    pub enum_renames_follow_defaults: bool,
}

impl ReplayOptions {
    /// The model's view: strict definitions, defaults change only through their own steps.
    pub const MODEL: ReplayOptions = ReplayOptions { check_definitions: true, enum_renames_follow_defaults: false };
    /// The database's view, used to render: the step's definition wins, renamed enum values follow into defaults.
    pub const DATABASE: ReplayOptions = ReplayOptions { check_definitions: false, enum_renames_follow_defaults: true };
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions::MODEL
    }
}

/// Applies `steps` in order to a copy of `schema` and returns the result (normalized), with
/// [`ReplayOptions::MODEL`].
pub fn apply_steps<'a>(schema: &Schema, steps: impl IntoIterator<Item = &'a Step>) -> Result<Schema, ReplayError> {
    apply_steps_with(schema, steps, ReplayOptions::MODEL)
}

/// Applies `steps` in order to a copy of `schema` with `options` and returns the result (normalized). A
/// [`ReplayError::UndeclaredRawSql`] names the step's index in `steps`.
pub fn apply_steps_with<'a>(
    schema: &Schema,
    steps: impl IntoIterator<Item = &'a Step>,
    options: ReplayOptions,
) -> Result<Schema, ReplayError> {
    let mut state = schema.clone();
    state.normalize();
    for (i, step) in steps.into_iter().enumerate() {
        apply_step_with(&mut state, step, options).map_err(|e| e.at_step(i))?;
    }
    Ok(state)
}

/// Applies one step to `schema` in place, with [`ReplayOptions::MODEL`]. On error the schema is left unchanged.
///
/// The schema must be normalized (see [`Schema::normalize`]; [`apply_steps`] does it), and stays so: tables are
/// looked up by binary search.
pub fn apply_step(schema: &mut Schema, step: &Step) -> Result<(), ReplayError> {
    apply_step_with(schema, step, ReplayOptions::MODEL)
}

/// Applies one step to `schema` in place with `options` (see [`apply_step`]). On error the schema is left
/// unchanged; a [`ReplayError::UndeclaredRawSql`] says step index 0 (see [`apply_steps_with`]).
pub fn apply_step_with(schema: &mut Schema, step: &Step, options: ReplayOptions) -> Result<(), ReplayError> {
    let kind = step.kind();
    let r = Replayer { kind };
    let strict = options.check_definitions;
    match step {
        Step::CreateEnum { r#enum } => {
            if let Some(i) = schema.enums.iter().position(|e| e.name == r#enum.name) {
                if strict {
                    return Err(r.exists("enum", None, &r#enum.name));
                }
                schema.enums.remove(i);
            }
            insert_sorted(&mut schema.enums, r#enum.clone(), |e| &e.name);
        }
        Step::DropEnum { r#enum } => match schema.enums.iter().position(|e| e.name == r#enum.name) {
            Some(i) if strict && schema.enums[i] != *r#enum => return Err(r.mismatch("enum", None, &r#enum.name)),
            Some(i) => {
                schema.enums.remove(i);
            }
            None if strict => return Err(r.unknown("enum", None, &r#enum.name)),
            None => {}
        },
        Step::AlterEnum { from, to, renamed_values } => {
            if strict {
                if from.name != to.name {
                    return Err(r.mismatch("enum", None, &from.name));
                }
                let e = schema
                    .enums
                    .iter()
                    .find(|e| e.name == from.name)
                    .ok_or_else(|| r.unknown("enum", None, &from.name))?;
                if *e != *from {
                    return Err(r.mismatch("enum", None, &from.name));
                }
            }
            schema.enums.retain(|e| e.name != from.name && e.name != to.name);
            insert_sorted(&mut schema.enums, to.clone(), |e| &e.name);
            if options.enum_renames_follow_defaults {
                // A renamed value keeps its place in the database (PostgreSQL renames the label in place), and a
                // column default that used it follows.
                for t in &mut schema.tables {
                    for c in &mut t.columns {
                        if !matches!(&c.ty, ColumnType::Enum(e) if *e == from.name) {
                            continue;
                        }
                        c.ty = ColumnType::Enum(to.name.clone());
                        if let Some(DefaultValue::Value(Literal::String(v))) = &mut c.default
                            && let Some((_, new)) = renamed_values.iter().find(|(old, _)| old == v)
                        {
                            *v = new.clone();
                        }
                    }
                }
            }
        }
        Step::RenameEnum { from, to } => {
            let find = |s: &Schema, name: &str| s.enums.iter().position(|e| e.name == name);
            find(schema, from).ok_or_else(|| r.unknown("enum", None, from))?;
            if from != to
                && let Some(j) = schema.enums.iter().position(|e| e.name == *to)
            {
                if strict {
                    return Err(r.exists("enum", None, to));
                }
                // The step's definition wins: the enum it renames replaces the one of that name.
                schema.enums.remove(j);
            }
            let i = find(schema, from).ok_or_else(|| r.unknown("enum", None, from))?;
            let mut e = schema.enums.remove(i);
            e.name = to.clone();
            insert_sorted(&mut schema.enums, e, |e| &e.name);
            // The columns of the type follow the rename, in the model and in the database alike.
            for t in &mut schema.tables {
                for c in &mut t.columns {
                    if matches!(&c.ty, ColumnType::Enum(e) if e == from) {
                        c.ty = ColumnType::Enum(to.clone());
                    }
                }
            }
        }
        Step::CreateTable { table } => {
            if let Some(i) = find_table(schema, &table.name) {
                if strict {
                    return Err(r.exists("table", None, &table.name));
                }
                schema.tables.remove(i);
            }
            let mut t = table.clone();
            t.normalize();
            insert_sorted(&mut schema.tables, t, |t| &t.name);
        }
        Step::DropTable { table } => match find_table(schema, &table.name) {
            Some(i) if strict && schema.tables[i] != *table && !same_table(&schema.tables[i], table) => {
                return Err(r.mismatch("table", None, &table.name));
            }
            Some(i) => {
                schema.tables.remove(i);
            }
            None if strict => return Err(r.table_index(schema, &table.name).unwrap_err()),
            None => {}
        },
        Step::RenameTable { from, to } => {
            r.table_index(schema, from)?;
            if from != to
                && let Some(j) = find_table(schema, to)
            {
                if strict {
                    return Err(r.exists("table", None, to));
                }
                // The step's definition wins: the table it renames replaces the one of that name.
                schema.tables.remove(j);
            }
            let i = r.table_index(schema, from)?;
            let mut t = schema.tables.remove(i);
            t.name = to.clone();
            insert_sorted(&mut schema.tables, t, |t| &t.name);
            for t in &mut schema.tables {
                for fk in &mut t.foreign_keys {
                    if fk.ref_table == *from {
                        fk.ref_table = to.clone();
                    }
                }
            }
        }
        Step::AddColumn { table, column } => {
            let t = r.table_mut(schema, table)?;
            if let Some(c) = t.column_mut(&column.name) {
                if strict {
                    return Err(r.exists("column", Some(table), &column.name));
                }
                *c = column.clone();
            } else {
                t.columns.push(column.clone());
            }
        }
        Step::DropColumn { table, column } => {
            let t = r.table_mut(schema, table)?;
            match t.columns.iter().position(|c| c.name == column.name) {
                Some(i) if strict && t.columns[i] != *column => {
                    return Err(r.mismatch("column", Some(table), &column.name));
                }
                Some(i) => {
                    t.columns.remove(i);
                }
                None if strict => return Err(r.unknown("column", Some(table), &column.name)),
                None => {}
            }
        }
        Step::RenameColumn { table, from, to } => {
            let t = r.table_mut(schema, table)?;
            if t.column(from).is_none() {
                return Err(r.unknown("column", Some(table), from));
            }
            if strict && from != to && t.column(to).is_some() {
                return Err(r.exists("column", Some(table), to));
            }
            rename_column_in_table(t, from, to);
            for other in &mut schema.tables {
                for fk in &mut other.foreign_keys {
                    if fk.ref_table == *table {
                        rename_in(&mut fk.ref_columns, from, to);
                    }
                }
            }
        }
        Step::AlterColumn { table, from, to, .. } => {
            if strict && from.name != to.name {
                return Err(r.mismatch("column", Some(table), &from.name));
            }
            let t = r.table_mut(schema, table)?;
            let c = t.column_mut(&from.name).ok_or_else(|| r.unknown("column", Some(table), &from.name))?;
            if strict && *c != *from {
                return Err(r.mismatch("column", Some(table), &from.name));
            }
            *c = to.clone();
        }
        Step::SetPrimaryKey { table, from, to } => {
            let t = r.table_mut(schema, table)?;
            if strict && t.primary_key != *from {
                let name = from.as_ref().or(t.primary_key.as_ref()).map(|p| p.name.clone()).unwrap_or_default();
                return Err(r.mismatch("primary key", Some(table), &name));
            }
            t.primary_key = to.clone();
        }
        Step::CreateIndex { table, index } => {
            let t = r.table_mut(schema, table)?;
            add_named(&r, strict, &mut t.indexes, index, |i| &i.name, "index", table)?;
        }
        Step::DropIndex { table, index } => {
            let t = r.table_mut(schema, table)?;
            drop_named(&r, strict, &mut t.indexes, index, |i| &i.name, "index", table)?;
        }
        Step::RenameIndex { table, from, to } => {
            let t = r.table_mut(schema, table)?;
            let i =
                t.indexes.iter().position(|i| i.name == *from).ok_or_else(|| r.unknown("index", Some(table), from))?;
            if strict && from != to && t.indexes.iter().any(|i| i.name == *to) {
                return Err(r.exists("index", Some(table), to));
            }
            let mut index = t.indexes.remove(i);
            index.name = to.clone();
            insert_sorted(&mut t.indexes, index, |i| &i.name);
        }
        Step::AddUnique { table, unique } => {
            let t = r.table_mut(schema, table)?;
            add_named(&r, strict, &mut t.uniques, unique, |u| &u.name, "unique constraint", table)?;
        }
        Step::DropUnique { table, unique } => {
            let t = r.table_mut(schema, table)?;
            drop_named(&r, strict, &mut t.uniques, unique, |u| &u.name, "unique constraint", table)?;
        }
        Step::AddForeignKey { table, foreign_key } => {
            let t = r.table_mut(schema, table)?;
            add_named(&r, strict, &mut t.foreign_keys, foreign_key, |f| &f.name, "foreign key", table)?;
        }
        Step::DropForeignKey { table, foreign_key } => {
            let t = r.table_mut(schema, table)?;
            drop_named(&r, strict, &mut t.foreign_keys, foreign_key, |f| &f.name, "foreign key", table)?;
        }
        Step::AlterForeignKey { table, from, to } => {
            let t = r.table_mut(schema, table)?;
            if strict && from.name != to.name && t.foreign_keys.iter().any(|f| f.name == to.name) {
                return Err(r.exists("foreign key", Some(table), &to.name));
            }
            drop_named(&r, strict, &mut t.foreign_keys, from, |f| &f.name, "foreign key", table)?;
            add_named(&r, false, &mut t.foreign_keys, to, |f| &f.name, "foreign key", table)?;
        }
        Step::AddCheck { table, check } => {
            let t = r.table_mut(schema, table)?;
            add_named(&r, strict, &mut t.checks, check, |c| &c.name, "check", table)?;
        }
        Step::DropCheck { table, check } => {
            let t = r.table_mut(schema, table)?;
            drop_named(&r, strict, &mut t.checks, check, |c| &c.name, "check", table)?;
        }
        Step::SetTableComment { table, from, to } => {
            let t = r.table_mut(schema, table)?;
            if strict && t.comment != *from {
                return Err(r.mismatch("table comment", None, table));
            }
            t.comment = to.clone();
        }
        Step::RawSql { effect, .. } => match effect {
            None => return Err(ReplayError::UndeclaredRawSql { index: 0 }),
            Some(RawEffect::Nothing) => {}
            Some(RawEffect::Steps(steps)) => {
                // All or nothing, like every other step.
                let mut next = schema.clone();
                for s in steps {
                    apply_step_with(&mut next, s, options)
                        .map_err(|e| ReplayError::Declared { reason: Box::new(e) })?;
                }
                *schema = next;
            }
        },
        Step::Irreversible { reason } => {
            return Err(ReplayError::Opaque { step: kind, reason: format!("the step is irreversible: {reason}") });
        }
        // Data only: no schema effect, but the table and every column it sets must exist, under both views (the
        // UPDATE could not run otherwise). A backfill that sets nothing (an inverse with nothing to undo) names no
        // column.
        // A data step changes data only.
        Step::Data { .. } => {}
        // The type changed in the expand's migration: its contract changes no schema.
        Step::Contract { .. } => {}
        Step::Backfill { table, set, .. } => {
            let t = &schema.tables[r.table_index(schema, table)?];
            if let Some((column, _)) = set.iter().find(|(c, _)| !t.columns.iter().any(|col| col.name == *c)) {
                return Err(r.unknown("column", Some(table), column));
            }
        }
    }
    Ok(())
}

/// Adds a named object (index, constraint) to a table's sorted list: strict, a name in use is an error; otherwise
/// the step's definition replaces it.
fn add_named<T: Clone>(
    r: &Replayer,
    strict: bool,
    v: &mut Vec<T>,
    item: &T,
    key: impl Fn(&T) -> &String,
    what: &'static str,
    table: &str,
) -> Result<(), ReplayError> {
    if let Some(i) = v.iter().position(|x| key(x) == key(item)) {
        if strict {
            return Err(r.exists(what, Some(table), key(item)));
        }
        v.remove(i);
    }
    insert_sorted(v, item.clone(), key);
    Ok(())
}

/// Removes a named object from a table's list: strict, it must exist exactly as the step froze it; otherwise
/// whatever has that name goes, if anything.
fn drop_named<T: PartialEq>(
    r: &Replayer,
    strict: bool,
    v: &mut Vec<T>,
    item: &T,
    key: impl Fn(&T) -> &String,
    what: &'static str,
    table: &str,
) -> Result<(), ReplayError> {
    if strict {
        return remove_exact(v, item, &key).map_err(|e| r.lookup(e, what, table, key(item)));
    }
    v.retain(|x| key(x) != key(item));
    Ok(())
}

/// Renames a column inside one table: the column itself and every key, index, unique and foreign key of the table
/// that names it. (Foreign keys of other tables that point at it are the caller's business.)
fn rename_column_in_table(t: &mut Table, from: &str, to: &str) {
    if let Some(c) = t.column_mut(from) {
        c.name = to.to_owned();
    }
    if let Some(pk) = &mut t.primary_key {
        rename_in(&mut pk.columns, from, to);
    }
    for i in &mut t.indexes {
        i.rename_column(from, to);
    }
    for u in &mut t.uniques {
        rename_in(&mut u.columns, from, to);
    }
    for f in &mut t.foreign_keys {
        rename_in(&mut f.columns, from, to);
        if f.ref_table == t.name {
            rename_in(&mut f.ref_columns, from, to);
        }
    }
}

/// The position of table `name` in a normalized schema (tables sorted by name), found by binary search so that
/// replaying thousands of steps on thousands of tables stays fast.
fn find_table(schema: &Schema, name: &str) -> Option<usize> {
    schema.tables.binary_search_by(|t| t.name.as_str().cmp(name)).ok()
}

fn rename_in(cols: &mut [String], from: &str, to: &str) {
    for c in cols.iter_mut() {
        if c == from {
            *c = to.to_owned();
        }
    }
}

fn insert_sorted<T>(v: &mut Vec<T>, item: T, key: impl Fn(&T) -> &String) {
    let at = v.partition_point(|x| key(x) < key(&item));
    v.insert(at, item);
}

enum Lookup {
    Missing,
    Differs,
}

fn remove_exact<T: PartialEq>(v: &mut Vec<T>, item: &T, key: &impl Fn(&T) -> &String) -> Result<(), Lookup> {
    let i = v.iter().position(|x| key(x) == key(item)).ok_or(Lookup::Missing)?;
    if v[i] != *item {
        return Err(Lookup::Differs);
    }
    v.remove(i);
    Ok(())
}

/// Whether two tables are equal once their constraints are sorted by name.
fn same_table(a: &Table, b: &Table) -> bool {
    let mut a = a.clone();
    let mut b = b.clone();
    a.normalize();
    b.normalize();
    a == b
}

struct Replayer {
    kind: &'static str,
}

impl Replayer {
    fn table_index(&self, schema: &Schema, name: &str) -> Result<usize, ReplayError> {
        find_table(schema, name).ok_or_else(|| ReplayError::UnknownTable { step: self.kind, table: name.to_owned() })
    }

    fn table_mut<'s>(&self, schema: &'s mut Schema, name: &str) -> Result<&'s mut Table, ReplayError> {
        let i = self.table_index(schema, name)?;
        Ok(&mut schema.tables[i])
    }

    fn unknown(&self, what: &'static str, table: Option<&str>, name: &str) -> ReplayError {
        ReplayError::Unknown { step: self.kind, what, table: table.map(str::to_owned), name: name.to_owned() }
    }

    fn exists(&self, what: &'static str, table: Option<&str>, name: &str) -> ReplayError {
        ReplayError::AlreadyExists { step: self.kind, what, table: table.map(str::to_owned), name: name.to_owned() }
    }

    fn mismatch(&self, what: &'static str, table: Option<&str>, name: &str) -> ReplayError {
        ReplayError::Mismatch { step: self.kind, what, table: table.map(str::to_owned), name: name.to_owned() }
    }

    fn lookup(&self, e: Lookup, what: &'static str, table: &str, name: &str) -> ReplayError {
        match e {
            Lookup::Missing => self.unknown(what, Some(table), name),
            Lookup::Differs => self.mismatch(what, Some(table), name),
        }
    }
}

/// Whether two schemas describe the same database: equal once normalized, ignoring the order of columns (which is
/// never a change). This is the equality the differ guarantees: `apply_steps(a, diff(a, b))` is equivalent to `b`.
pub fn equivalent(a: &Schema, b: &Schema) -> bool {
    canonical(a) == canonical(b)
}

/// The schema normalized, with each table's columns sorted by name (see [`equivalent`]).
pub fn canonical(schema: &Schema) -> Schema {
    let mut s = schema.clone();
    s.normalize();
    for t in &mut s.tables {
        t.columns.sort_by(|a: &Column, b: &Column| a.name.cmp(&b.name));
    }
    s
}

#[cfg(test)]
mod tests;
