//! Reading a snapshot by the tables that changed: what an incremental `migrate-generate` does, where the committed
//! `schema.json` and the models' canonical text differ in a table or two out of thousands.
//!
//! [`changed_tables`] compares the snapshot's text with the models' canonical text ([`Canonical`]) table object by
//! table object and parses only the objects that differ: the snapshot's versions of the tables that changed or that
//! the models dropped. It answers `None` (read the whole snapshot with [`from_str_reusing`](super::from_str_reusing)
//! instead) whenever the text is not laid out exactly as canonical text, a table object does not parse, a table name
//! repeats, or the enums differ. Canonical text is printed from a normalized table, so equal text is an equal table.
//!
//! [`Changed::validate_old`] validates the snapshot's whole schema exactly as [`from_str`](super::from_str) does,
//! without copying it: the unchanged tables are the models' own, moved out of the models' schema and back.
//! [`Changed::neighbourhood`] gives the parts of both schemas the differ and the classifier read: the changed tables,
//! the tables their foreign keys reference and those referencing them, the tables a rename or backfill hint names,
//! the foreign-key targets of every possible pivot table among those (a pivot's relation names both of its tables),
//! and every enum. The unchanged tables in it are the same on both sides, so the plan of the two parts is the plan
//! of the two whole schemas; a test compares them on randomized changes.

use std::path::Path;

use super::canonical::{Canonical, key, split};
use super::{SnapshotError, is_normalized};
use crate::hash::{FastMap, FastSet};
use crate::schema::{RenameHints, Schema, Table, validate_knowing};

/// The tables in which a snapshot differs from the models (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct Changed {
    /// The snapshot's versions of the tables whose text differs from the models' or that the models do not have,
    /// parsed and normalized, sorted by name.
    old: Vec<Table>,
    /// The names of the models' tables whose text differs from the snapshot's or that the snapshot does not have.
    new: Vec<String>,
}

/// The tables in which snapshot `text` differs from `known`'s canonical text, or `None` when the text has to be
/// read as a whole (see the module documentation).
pub fn changed_tables(text: &str, known: &Canonical<'_>) -> Option<Changed> {
    let (known_text, known_tables, known_rest) = known.parts();
    let by_key: FastMap<&str, usize> =
        known_tables.iter().enumerate().map(|(i, r)| (key(&known_text[r.clone()]), i)).collect();
    if by_key.len() != known_tables.len() {
        return None;
    }
    let object_of = |i: usize| &known_text[known_tables[i].clone()];
    let split = split(text, |rest| by_key.get(key(rest)).map(|&i| object_of(i)))?;
    if text[split.rest..] != known_text[known_rest..] {
        return None;
    }
    let mut seen = vec![false; known_tables.len()];
    let mut old_keys: FastSet<&str> = FastSet::default();
    let mut old = Vec::new();
    let mut new = Vec::new();
    for range in split.tables {
        let object = &text[range];
        if !old_keys.insert(key(object)) {
            return None;
        }
        let known_index = by_key.get(key(object)).copied();
        if let Some(i) = known_index {
            seen[i] = true;
            if object_of(i) == object {
                continue;
            }
        }
        let mut table: Table = serde_json::from_str(object).ok()?;
        if let Some(i) = known_index {
            let name = &known.schema().tables[i].name;
            if *name != table.name {
                return None;
            }
            new.push(name.clone());
        }
        table.normalize();
        old.push(table);
    }
    new.extend(seen.iter().zip(&known.schema().tables).filter(|(s, _)| !**s).map(|(_, t)| t.name.clone()));
    old.sort_by(|a, b| a.name.cmp(&b.name));
    if old.windows(2).any(|w| w[0].name == w[1].name) {
        return None;
    }
    new.sort();
    Some(Changed { old, new })
}

impl Changed {
    /// Whether the snapshot is the models' schema.
    pub fn is_empty(&self) -> bool {
        self.old.is_empty() && self.new.is_empty()
    }

    /// Calls `f` with the snapshot's whole schema: `new` (the models' schema, normalized) with the changed tables
    /// replaced by the snapshot's. The tables are moved, not copied, and moved back before returning.
    pub fn with_old<R>(&mut self, new: &mut Schema, f: impl FnOnce(&Schema) -> R) -> R {
        debug_assert!(is_normalized(new));
        let changed: FastSet<&str> = self.new.iter().map(String::as_str).collect();
        let mut aside: Vec<(usize, Table)> = Vec::with_capacity(self.new.len());
        let mut tables: Vec<Table> = Vec::with_capacity(new.tables.len() + self.old.len());
        for (i, t) in std::mem::take(&mut new.tables).into_iter().enumerate() {
            if changed.contains(t.name.as_str()) { aside.push((i, t)) } else { tables.push(t) }
        }
        let kept = tables.len();
        let snapshot_own: FastSet<String> = self.old.iter().map(|t| t.name.clone()).collect();
        tables.append(&mut self.old);
        // Both runs are sorted: the stable sort merges them.
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        let old = Schema { tables, enums: std::mem::take(&mut new.enums) };
        let out = f(&old);
        let Schema { tables, enums } = old;
        new.enums = enums;
        let mut kept_tables = Vec::with_capacity(kept);
        for t in tables {
            if snapshot_own.contains(&t.name) { self.old.push(t) } else { kept_tables.push(t) }
        }
        let mut kept_tables = kept_tables.into_iter();
        let mut aside = aside.into_iter().peekable();
        new.tables = (0..kept + aside.len())
            .map(|i| match aside.next_if(|(j, _)| *j == i) {
                Some((_, t)) => t,
                None => kept_tables.next().expect("every kept table is put back"),
            })
            .collect();
        out
    }

    /// Validates the snapshot's whole schema (see [`Changed::with_old`]) as [`from_str`](super::from_str) does,
    /// with its error.
    ///
    /// `new` must be the models' schema as built, which validated: the tables the snapshot shares with it are not
    /// checked again on their own (`schema::validate_knowing`), only with the changed ones.
    pub fn validate_old(&mut self, new: &mut Schema, origin: &Path) -> Result<(), SnapshotError> {
        let snapshot_own: FastSet<String> = self.old.iter().map(|t| t.name.clone()).collect();
        self.with_old(new, |old| validate_knowing(old, |t| !snapshot_own.contains(t.name.as_str())))
            .map_err(|errors| SnapshotError::Invalid { path: origin.to_owned(), errors })
    }

    /// The parts of the snapshot's schema and of `new` (the models' schema) that planning the change reads, as
    /// `(old, new)` (see the module documentation).
    pub fn neighbourhood(self, new: &Schema, hints: &RenameHints) -> (Schema, Schema) {
        let by_name: FastMap<&str, &Table> = new.tables.iter().map(|t| (t.name.as_str(), t)).collect();
        let changed: FastSet<&str> =
            self.new.iter().map(String::as_str).chain(self.old.iter().map(|t| t.name.as_str())).collect();
        let mut context: FastSet<&str> = FastSet::default();
        let mut pending: Vec<&str> = Vec::new();
        // The changed tables' targets, on both sides.
        for t in self.old.iter().chain(self.new.iter().filter_map(|n| by_name.get(n.as_str()).copied())) {
            pending.extend(t.foreign_keys.iter().map(|f| f.ref_table.as_str()));
        }
        // The tables referencing a changed table.
        for t in &new.tables {
            if t.foreign_keys.iter().any(|f| changed.contains(f.ref_table.as_str())) {
                pending.push(t.name.as_str());
            }
        }
        for h in &hints.tables {
            pending.extend([h.from.as_str(), h.to.as_str()]);
        }
        pending.extend(hints.columns.iter().map(|c| c.table.as_str()));
        pending.extend(hints.backfills.iter().map(|b| b.table.as_str()));
        while let Some(name) = pending.pop() {
            if changed.contains(name) || !context.insert(name) {
                continue;
            }
            // A possible pivot table: its relation names both of the tables its foreign keys reference.
            if let Some(t) = by_name.get(name).filter(|t| t.foreign_keys.len() >= 2) {
                pending.extend(t.foreign_keys.iter().map(|f| f.ref_table.as_str()));
            }
        }
        let shared: Vec<Table> = new.tables.iter().filter(|t| context.contains(t.name.as_str())).cloned().collect();
        let new_tables: Vec<Table> = new
            .tables
            .iter()
            .filter(|t| context.contains(t.name.as_str()) || changed.contains(t.name.as_str()))
            .cloned()
            .collect();
        let mut old_tables = self.old;
        old_tables.extend(shared);
        let mut old = Schema { tables: old_tables, enums: new.enums.clone() };
        old.tables.sort_by(|a, b| a.name.cmp(&b.name));
        (old, Schema { tables: new_tables, enums: new.enums.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{from_str, to_string};
    use super::*;
    use crate::classify;
    use crate::schema::{Column, ColumnRename, ColumnType, TableRename};
    use crate::testing::synthetic;

    fn origin() -> &'static Path {
        Path::new("schema.json")
    }

    /// A small deterministic generator (no dependency): `next(m)` is in `0..m`.
    fn generator(seed: u64) -> impl FnMut(usize) -> usize {
        let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x2545_f491_4f6c_dd1d;
        move |m| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) as usize) % m
        }
    }

    /// `synthetic(n)` with a pivot table, and the models after changes chosen by `seed`: columns added, dropped,
    /// renamed (with a hint) and altered, indexes added, foreign keys dropped, tables dropped, added (pivots among
    /// them) and renamed (with a hint), and a hint already applied.
    fn case(n: usize, seed: u64) -> (Schema, Schema, RenameHints) {
        let mut next = generator(seed);
        let pivot = |name: &str, a: &str, b: &str| {
            let mut t = synthetic(1).tables.remove(0);
            t.name = name.into();
            t.columns.truncate(1);
            t.columns[0].auto_increment = false;
            t.columns[0].name = "a_id".into();
            let mut b_id = t.columns[0].clone();
            b_id.name = "b_id".into();
            t.columns.push(b_id);
            let mut fk = synthetic(2).tables.remove(1).foreign_keys.remove(0);
            fk.on_delete = Default::default();
            let fk_a = ForeignKeyOf { name: format!("{name}_a_fkey"), column: "a_id", table: a }.build(&fk);
            let fk_b = ForeignKeyOf { name: format!("{name}_b_fkey"), column: "b_id", table: b }.build(&fk);
            t.foreign_keys = vec![fk_a, fk_b];
            t.indexes.clear();
            t.primary_key = Some(crate::schema::PrimaryKey {
                name: format!("{name}_pkey"),
                columns: vec!["a_id".into(), "b_id".into()],
            });
            t
        };
        let mut before = synthetic(n);
        before.tables.push(pivot("piv_0", "tbl_00001", &format!("tbl_{:05}", n - 2)));
        let before = before.normalized();
        let mut after = before.clone();
        let mut hints = RenameHints::default();
        let name_of = |i: usize| format!("tbl_{i:05}");
        for _ in 0..1 + next(4) {
            let i = next(n);
            let Some(t) = after.tables.iter_mut().find(|t| t.name == name_of(i)) else { continue };
            match next(8) {
                0 => t.columns.push(Column { nullable: true, ..Column::new("extra", ColumnType::Text) }),
                1 => t.columns.retain(|c| c.name != "score"),
                2 => {
                    if let Some(c) = t.columns.iter_mut().find(|c| c.name == "price") {
                        c.nullable = false;
                    }
                }
                3 => {
                    if let Some(c) = t.columns.iter_mut().find(|c| c.name == "description") {
                        c.name = "details".into();
                        hints.columns.push(ColumnRename {
                            table: t.name.clone(),
                            from: "description".into(),
                            to: "details".into(),
                        });
                    }
                }
                4 => {
                    let mut x = t.indexes[0].clone();
                    x.name = format!("{}_name_idx", t.name);
                    x.columns = vec!["name".into()];
                    if t.indexes.iter().all(|y| y.name != x.name) {
                        t.indexes.push(x);
                    }
                }
                5 => t.foreign_keys.clear(),
                6 => {
                    let name = format!("piv_{}", 1 + next(1000));
                    let (a, b) = (name_of(next(n)), name_of(next(n)));
                    if a != b && after.tables.iter().all(|t| t.name != name) {
                        after.tables.push(pivot(&name, &a, &b));
                    }
                }
                _ => {
                    let name = name_of(i);
                    if after.tables.iter().all(|o| o.foreign_keys.iter().all(|f| f.ref_table != name)) {
                        after.tables.retain(|t| t.name != name);
                    }
                }
            }
        }
        if next(3) == 0 {
            // The last table: nothing references it.
            let from = name_of(n - 1);
            if let Some(t) = after.tables.iter_mut().find(|t| t.name == from) {
                t.name = "renamed".into();
                hints.tables.push(TableRename { from, to: "renamed".into() });
            }
        }
        if next(2) == 0 {
            // Applied by an earlier migration: `tbl_00002` was `old_two` (a stale hint).
            hints.tables.push(TableRename { from: "old_two".into(), to: name_of(2) });
        }
        (before, after.normalized(), hints)
    }

    struct ForeignKeyOf<'a> {
        name: String,
        column: &'a str,
        table: &'a str,
    }

    impl ForeignKeyOf<'_> {
        fn build(self, like: &crate::schema::ForeignKey) -> crate::schema::ForeignKey {
            crate::schema::ForeignKey {
                name: self.name,
                columns: vec![self.column.into()],
                ref_table: self.table.into(),
                ..like.clone()
            }
        }
    }

    #[test]
    fn the_neighbourhood_plans_what_the_whole_schemas_plan() {
        let mut planned = 0;
        for seed in 0..150 {
            let (before, mut after, hints) = case(30, seed);
            assert!(after.validate().is_ok(), "seed {seed}: the case is a valid schema");
            let text = to_string(&before);
            let known = Canonical::new(&after);
            let mut changed = changed_tables(&text, &known).expect("canonical text is read by its tables");
            drop(known);
            let models = after.clone();
            // The snapshot's whole schema is what from_str reads, and the models are put back as they were.
            let read = from_str(&text, origin()).unwrap();
            assert!(changed.with_old(&mut after, |old| *old == read), "seed {seed}");
            assert_eq!(after, models, "seed {seed}");
            changed.validate_old(&mut after, origin()).unwrap();
            assert_eq!(after, models, "seed {seed}");
            let (old_part, new_part) = changed.neighbourhood(&after, &hints);
            assert!(old_part.tables.len() < before.tables.len(), "seed {seed}: a part");
            let whole = classify::plan(&before, &after, &hints).map_err(|e| e.to_string());
            let part = classify::plan(&old_part, &new_part, &hints).map_err(|e| e.to_string());
            assert_eq!(part, whole, "seed {seed}");
            planned += usize::from(whole.is_ok_and(|p| !p.is_empty()));
        }
        assert!(planned > 100, "most cases plan changes ({planned})");
    }

    #[test]
    fn an_edited_snapshot_is_refused_as_from_str_refuses_it() {
        let before = synthetic(6);
        let mut after = before.clone();
        after.tables[3].columns.push(Column { nullable: true, ..Column::new("extra", ColumnType::Text) });
        let text = to_string(&before);
        // Within one table (a duplicate column), and across tables (an index named as another table's).
        let duplicate = text.replacen("\"name\": \"prev_id\"", "\"name\": \"score\"", 4);
        let clash = text.replacen("\"name\": \"tbl_00002_code_idx\"", "\"name\": \"tbl_00004_code_idx\"", 1);
        for bad in [duplicate, clash] {
            let known = Canonical::new(&after);
            let mut changed = changed_tables(&bad, &known).expect("still laid out canonically");
            drop(known);
            let expected = from_str(&bad, origin()).unwrap_err().to_string();
            assert_eq!(changed.validate_old(&mut after, origin()).unwrap_err().to_string(), expected);
        }
    }

    /// `text` with `edit` applied to the object of table `name` only.
    fn edit_table(text: &str, name: &str, edit: impl Fn(&str) -> String) -> String {
        let start = text.find(&format!("{{\n      \"name\": \"{name}\"")).expect("the table is there");
        let end = start + text[start..].find("\n    }").expect("the object ends");
        format!("{}{}{}", &text[..start], edit(&text[start..end]), &text[end..])
    }

    #[test]
    fn edits_that_break_unchanged_tables_are_refused_as_from_str_refuses_them() {
        // The tables the snapshot shares with the models are not checked again on their own: these edits of one
        // table make another, unchanged one invalid (its foreign key), or clash across tables.
        let before = synthetic(8);
        let mut after = before.clone();
        after.tables[6].columns.push(Column { nullable: true, ..Column::new("extra", ColumnType::Text) });
        let text = to_string(&before);
        let edits: Vec<(&str, String)> = vec![
            ("a referenced key's type", edit_table(&text, "tbl_00003", |o| o.replacen("\"i32\"", "\"i64\"", 1))),
            ("a referenced column renamed", edit_table(&text, "tbl_00003", |o| o.replace("\"id\"", "\"ident\""))),
            ("a referenced table dropped", {
                let mut dropped = before.clone();
                dropped.tables.retain(|t| t.name != "tbl_00003");
                to_string(&dropped)
            }),
            ("an index named as another table", {
                edit_table(&text, "tbl_00002", |o| o.replacen("\"tbl_00002_code_idx\"", "\"tbl_00005\"", 1))
            }),
            ("a changed table's key named as its own index", {
                edit_table(&text, "tbl_00006", |o| o.replacen("\"tbl_00006_pkey\"", "\"tbl_00006_code_idx\"", 1))
            }),
            ("a changed table's index named as an unchanged table's key", {
                edit_table(&text, "tbl_00006", |o| o.replacen("\"tbl_00006_code_idx\"", "\"tbl_00001_pkey\"", 1))
            }),
            ("a changed table's key made nullable", {
                edit_table(&text, "tbl_00006", |o| {
                    o.replacen("\"auto_increment\": true", "\"nullable\": true, \"auto_increment\": true", 1)
                })
            }),
            ("a foreign key to an unknown table", {
                edit_table(&text, "tbl_00005", |o| {
                    o.replacen("\"ref_table\": \"tbl_00004\"", "\"ref_table\": \"gone\"", 1)
                })
            }),
        ];
        for (what, bad) in edits {
            assert_ne!(bad, text, "{what}: the edit applies");
            let expected = from_str(&bad, origin()).map(|_| ()).map_err(|e| e.to_string());
            let known = Canonical::new(&after);
            let mut changed = changed_tables(&bad, &known).expect("still laid out canonically");
            drop(known);
            let got = changed.validate_old(&mut after, origin()).map_err(|e| e.to_string());
            assert_eq!(got, expected, "{what}");
            assert!(got.is_err(), "{what}: the edit breaks the schema");
        }
    }

    #[test]
    fn text_laid_out_otherwise_or_other_enums_are_read_as_a_whole() {
        let before = synthetic(4);
        let known = Canonical::new(&before);
        let text = to_string(&before);
        assert!(changed_tables(&text, &known).unwrap().is_empty());
        let compact = serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&text).unwrap()).unwrap();
        assert_eq!(changed_tables(&compact, &known), None);
        let mut with_enum = before.clone();
        with_enum.enums.push(crate::schema::EnumType { name: "mood".into(), values: vec!["ok".into()] });
        assert_eq!(changed_tables(&to_string(&with_enum), &known), None);
        let bad_type = text.replacen("\"type\": \"text\"", "\"type\": \"integer\"", 1);
        assert_eq!(changed_tables(&bad_type, &known), None, "a table that does not parse");
        let twice = text.replacen("\"name\": \"tbl_00001\"", "\"name\": \"tbl_00000\"", 1);
        assert_eq!(changed_tables(&twice, &known), None, "a name twice");
    }
}
