//! Replays steps on a schema value in memory: the schema a migration leads to, without a database.
//!
//! The differ's property tests use it (applying `diff(a, b)` to `a` must give `b`), the classifier uses it to know
//! the state of a table just before a step, and migration verification replays the journal with it. It is strict:
//! a step whose frozen definition does not match the state it is applied to (a dropped column that differs from the
//! column in the schema, an `AlterColumn` whose `from` is not the current column, a rename onto a name in use) is an
//! error, because it means the migration and the schema have drifted apart.
//!
//! What a database does implicitly is done here too: renaming a table updates the foreign keys that point at it,
//! renaming a column updates the keys, indexes and foreign keys (on both sides) that name it. SQL text (check
//! expressions, partial-index predicates, raw SQL) is opaque and never rewritten.
//!
//! Architecture Invariant: replay is pure; it never panics on a bad step, it returns a [`ReplayError`].

use crate::schema::{Column, Schema, Table};
use crate::step::Step;

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
    /// The step cannot be replayed at all (hand-written SQL, or an irreversible placeholder).
    #[error("while replaying {step}: {reason}")]
    Opaque {
        /// The step's kind.
        step: &'static str,
        /// Why.
        reason: String,
    },
}

fn in_table(table: &Option<String>) -> String {
    match table {
        Some(t) => format!(" in table `{t}`"),
        None => String::new(),
    }
}

/// Applies `steps` in order to a copy of `schema` and returns the result (normalized).
pub fn apply_steps<'a>(schema: &Schema, steps: impl IntoIterator<Item = &'a Step>) -> Result<Schema, ReplayError> {
    let mut state = schema.clone();
    state.normalize();
    for step in steps {
        apply_step(&mut state, step)?;
    }
    Ok(state)
}

/// Applies one step to `schema` in place. On error the schema is left unchanged.
///
/// The schema must be normalized (see [`Schema::normalize`]; [`apply_steps`] does it), and stays so: tables are
/// looked up by binary search.
pub fn apply_step(schema: &mut Schema, step: &Step) -> Result<(), ReplayError> {
    let kind = step.kind();
    let r = Replayer { kind };
    match step {
        Step::CreateEnum { r#enum } => {
            if schema.enum_type(&r#enum.name).is_some() {
                return Err(r.exists("enum", None, &r#enum.name));
            }
            insert_sorted(&mut schema.enums, r#enum.clone(), |e| &e.name);
        }
        Step::DropEnum { r#enum } => {
            let i = schema
                .enums
                .iter()
                .position(|e| e.name == r#enum.name)
                .ok_or_else(|| r.unknown("enum", None, &r#enum.name))?;
            if schema.enums[i] != *r#enum {
                return Err(r.mismatch("enum", None, &r#enum.name));
            }
            schema.enums.remove(i);
        }
        Step::AlterEnum { from, to, .. } => {
            if from.name != to.name {
                return Err(r.mismatch("enum", None, &from.name));
            }
            let e = schema
                .enums
                .iter_mut()
                .find(|e| e.name == from.name)
                .ok_or_else(|| r.unknown("enum", None, &from.name))?;
            if *e != *from {
                return Err(r.mismatch("enum", None, &from.name));
            }
            *e = to.clone();
        }
        Step::CreateTable { table } => {
            if find_table(schema, &table.name).is_some() {
                return Err(r.exists("table", None, &table.name));
            }
            let mut t = table.clone();
            t.normalize();
            insert_sorted(&mut schema.tables, t, |t| &t.name);
        }
        Step::DropTable { table } => {
            let i = r.table_index(schema, &table.name)?;
            if schema.tables[i] != *table && !same_table(&schema.tables[i], table) {
                return Err(r.mismatch("table", None, &table.name));
            }
            schema.tables.remove(i);
        }
        Step::RenameTable { from, to } => {
            let i = r.table_index(schema, from)?;
            if from != to && find_table(schema, to).is_some() {
                return Err(r.exists("table", None, to));
            }
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
            if t.column(&column.name).is_some() {
                return Err(r.exists("column", Some(table), &column.name));
            }
            t.columns.push(column.clone());
        }
        Step::DropColumn { table, column } => {
            let t = r.table_mut(schema, table)?;
            let i = t
                .columns
                .iter()
                .position(|c| c.name == column.name)
                .ok_or_else(|| r.unknown("column", Some(table), &column.name))?;
            if t.columns[i] != *column {
                return Err(r.mismatch("column", Some(table), &column.name));
            }
            t.columns.remove(i);
        }
        Step::RenameColumn { table, from, to } => {
            let t = r.table_mut(schema, table)?;
            if t.column(from).is_none() {
                return Err(r.unknown("column", Some(table), from));
            }
            if from != to && t.column(to).is_some() {
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
            if from.name != to.name {
                return Err(r.mismatch("column", Some(table), &from.name));
            }
            let t = r.table_mut(schema, table)?;
            let c = t.column_mut(&from.name).ok_or_else(|| r.unknown("column", Some(table), &from.name))?;
            if *c != *from {
                return Err(r.mismatch("column", Some(table), &from.name));
            }
            *c = to.clone();
        }
        Step::SetPrimaryKey { table, from, to } => {
            let t = r.table_mut(schema, table)?;
            if t.primary_key != *from {
                let name = from.as_ref().or(t.primary_key.as_ref()).map(|p| p.name.clone()).unwrap_or_default();
                return Err(r.mismatch("primary key", Some(table), &name));
            }
            t.primary_key = to.clone();
        }
        Step::CreateIndex { table, index } => {
            let t = r.table_mut(schema, table)?;
            if t.indexes.iter().any(|i| i.name == index.name) {
                return Err(r.exists("index", Some(table), &index.name));
            }
            insert_sorted(&mut t.indexes, index.clone(), |i| &i.name);
        }
        Step::DropIndex { table, index } => {
            let t = r.table_mut(schema, table)?;
            remove_exact(&mut t.indexes, index, |i| &i.name).map_err(|e| r.lookup(e, "index", table, &index.name))?;
        }
        Step::RenameIndex { table, from, to } => {
            let t = r.table_mut(schema, table)?;
            let i =
                t.indexes.iter().position(|i| i.name == *from).ok_or_else(|| r.unknown("index", Some(table), from))?;
            if from != to && t.indexes.iter().any(|i| i.name == *to) {
                return Err(r.exists("index", Some(table), to));
            }
            let mut index = t.indexes.remove(i);
            index.name = to.clone();
            insert_sorted(&mut t.indexes, index, |i| &i.name);
        }
        Step::AddUnique { table, unique } => {
            let t = r.table_mut(schema, table)?;
            if t.uniques.iter().any(|u| u.name == unique.name) {
                return Err(r.exists("unique constraint", Some(table), &unique.name));
            }
            insert_sorted(&mut t.uniques, unique.clone(), |u| &u.name);
        }
        Step::DropUnique { table, unique } => {
            let t = r.table_mut(schema, table)?;
            remove_exact(&mut t.uniques, unique, |u| &u.name)
                .map_err(|e| r.lookup(e, "unique constraint", table, &unique.name))?;
        }
        Step::AddForeignKey { table, foreign_key } => {
            let t = r.table_mut(schema, table)?;
            if t.foreign_keys.iter().any(|f| f.name == foreign_key.name) {
                return Err(r.exists("foreign key", Some(table), &foreign_key.name));
            }
            insert_sorted(&mut t.foreign_keys, foreign_key.clone(), |f| &f.name);
        }
        Step::DropForeignKey { table, foreign_key } => {
            let t = r.table_mut(schema, table)?;
            remove_exact(&mut t.foreign_keys, foreign_key, |f| &f.name)
                .map_err(|e| r.lookup(e, "foreign key", table, &foreign_key.name))?;
        }
        Step::AlterForeignKey { table, from, to } => {
            let t = r.table_mut(schema, table)?;
            if from.name != to.name && t.foreign_keys.iter().any(|f| f.name == to.name) {
                return Err(r.exists("foreign key", Some(table), &to.name));
            }
            remove_exact(&mut t.foreign_keys, from, |f| &f.name)
                .map_err(|e| r.lookup(e, "foreign key", table, &from.name))?;
            insert_sorted(&mut t.foreign_keys, to.clone(), |f| &f.name);
        }
        Step::AddCheck { table, check } => {
            let t = r.table_mut(schema, table)?;
            if t.checks.iter().any(|c| c.name == check.name) {
                return Err(r.exists("check", Some(table), &check.name));
            }
            insert_sorted(&mut t.checks, check.clone(), |c| &c.name);
        }
        Step::DropCheck { table, check } => {
            let t = r.table_mut(schema, table)?;
            remove_exact(&mut t.checks, check, |c| &c.name).map_err(|e| r.lookup(e, "check", table, &check.name))?;
        }
        Step::SetTableComment { table, from, to } => {
            let t = r.table_mut(schema, table)?;
            if t.comment != *from {
                return Err(r.mismatch("table comment", None, table));
            }
            t.comment = to.clone();
        }
        Step::RawSql { .. } => {
            return Err(ReplayError::Opaque {
                step: kind,
                reason: "hand-written SQL cannot be replayed in memory; compare against a database instead".into(),
            });
        }
        Step::Irreversible { reason } => {
            return Err(ReplayError::Opaque { step: kind, reason: format!("the step is irreversible: {reason}") });
        }
    }
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
        rename_in(&mut i.columns, from, to);
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

fn remove_exact<T: PartialEq>(v: &mut Vec<T>, item: &T, key: impl Fn(&T) -> &String) -> Result<(), Lookup> {
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
mod tests {
    use super::*;
    use crate::schema::{ColumnType, ForeignKey, Index, PrimaryKey, ReferentialAction};

    fn users() -> Table {
        let mut t = Table::new("users");
        t.columns = vec![Column::new("id", ColumnType::BigInt), Column::new("email", ColumnType::Text)];
        t.primary_key = Some(PrimaryKey { name: "users_pkey".into(), columns: vec!["id".into()] });
        t.indexes = vec![Index {
            name: "users_email_idx".into(),
            columns: vec!["email".into()],
            unique: true,
            predicate: None,
        }];
        t
    }

    fn posts() -> Table {
        let mut t = Table::new("posts");
        t.columns = vec![Column::new("id", ColumnType::BigInt), Column::new("author_id", ColumnType::BigInt)];
        t.foreign_keys = vec![ForeignKey {
            name: "posts_author_id_fkey".into(),
            columns: vec!["author_id".into()],
            ref_table: "users".into(),
            ref_columns: vec!["id".into()],
            on_delete: ReferentialAction::Cascade,
            on_update: ReferentialAction::NoAction,
        }];
        t
    }

    #[test]
    fn renames_follow_references() {
        let s = Schema { tables: vec![users(), posts()], enums: vec![] }.normalized();
        let out = apply_steps(
            &s,
            &[
                Step::RenameTable { from: "users".into(), to: "people".into() },
                Step::RenameColumn { table: "people".into(), from: "id".into(), to: "person_id".into() },
            ],
        )
        .unwrap();
        let fk = &out.table("posts").unwrap().foreign_keys[0];
        assert_eq!((fk.ref_table.as_str(), fk.ref_columns.as_slice()), ("people", &["person_id".to_owned()][..]));
        assert_eq!(out.table("people").unwrap().primary_key.as_ref().unwrap().columns, ["person_id"]);
    }

    #[test]
    fn frozen_definitions_must_match() {
        let s = Schema { tables: vec![users()], enums: vec![] };
        let mut wrong = Column::new("email", ColumnType::Varchar(10));
        wrong.nullable = true;
        let err = apply_steps(&s, &[Step::DropColumn { table: "users".into(), column: wrong }]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "while replaying drop_column: the step's definition of column `email` in table `users` differs from the \
             schema's; the migration was written against another schema (was an applied migration edited?)"
        );
        let err = apply_steps(&s, &[Step::CreateTable { table: users() }]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "while replaying create_table: table `users` already exists; rename or drop the existing one first"
        );
        let err = apply_steps(&s, &[Step::RenameIndex { table: "users".into(), from: "x".into(), to: "y".into() }])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "while replaying rename_index: index `x` does not exist in table `users`; the migration does not match \
             the schema"
        );
    }

    #[test]
    fn inverse_steps_restore_the_schema() {
        let s = Schema { tables: vec![users(), posts()], enums: vec![] }.normalized();
        let steps = [
            Step::DropForeignKey { table: "posts".into(), foreign_key: posts().foreign_keys[0].clone() },
            Step::DropTable { table: users() },
            Step::AddColumn { table: "posts".into(), column: Column::new("title", ColumnType::Text) },
        ];
        let after = apply_steps(&s, &steps).unwrap();
        let inverses: Vec<Step> = steps.iter().rev().map(Step::inverse).collect();
        let back = apply_steps(&after, &inverses).unwrap();
        assert!(equivalent(&back, &s));
        assert_eq!(back, s);
    }
}
