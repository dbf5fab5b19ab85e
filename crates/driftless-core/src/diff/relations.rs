//! Many-to-many relations: a pivot table is one whose two foreign keys together form its primary key or one of its
//! unique sets. The report shows pivot tables appearing or disappearing as relation changes, because "posts and
//! tags are now many-to-many" is what a reviewer wants to read, not "create table post_tags".

use std::collections::BTreeSet;

use serde::Serialize;

use crate::schema::{Schema, Table};

use super::Differ;

/// A many-to-many relation carried by a pivot table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Relation {
    /// The pivot table.
    pub pivot: String,
    /// The two related tables, sorted (the same table twice for a self-relation).
    pub tables: [String; 2],
}

/// Whether a relation was added or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationChangeKind {
    /// The new schema has the relation and the old one does not.
    Added,
    /// The old schema has the relation and the new one does not.
    Removed,
}

/// A many-to-many relation that appears or disappears.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RelationChange {
    /// Added or removed.
    pub kind: RelationChangeKind,
    /// The relation (names as in the schema it belongs to).
    pub relation: Relation,
}

/// The many-to-many relations a table carries, if it is a pivot table: every pair of its foreign keys whose columns
/// together are exactly its primary key or one of its unique sets (constraints or full unique indexes).
pub fn pivot_relations(t: &Table) -> Vec<Relation> {
    if t.foreign_keys.len() < 2 {
        return Vec::new();
    }
    let mut keys: Vec<BTreeSet<&str>> = Vec::new();
    if let Some(pk) = &t.primary_key {
        keys.push(pk.columns.iter().map(String::as_str).collect());
    }
    keys.extend(t.uniques.iter().map(|u| u.columns.iter().map(String::as_str).collect()));
    keys.extend(
        t.indexes
            .iter()
            .filter(|i| i.unique && i.predicate.is_none())
            .map(|i| i.columns.iter().map(String::as_str).collect()),
    );
    let mut out = BTreeSet::new();
    for (i, a) in t.foreign_keys.iter().enumerate() {
        for b in &t.foreign_keys[i + 1..] {
            let cols: BTreeSet<&str> = a.columns.iter().chain(&b.columns).map(String::as_str).collect();
            if cols.len() != a.columns.len() + b.columns.len() {
                continue;
            }
            if keys.contains(&cols) {
                let mut pair = [a.ref_table.clone(), b.ref_table.clone()];
                pair.sort();
                out.insert(Relation { pivot: t.name.clone(), tables: pair });
            }
        }
    }
    out.into_iter().collect()
}

/// Every many-to-many relation in a schema.
pub fn relations(schema: &Schema) -> Vec<Relation> {
    schema.tables.iter().flat_map(pivot_relations).collect()
}

impl Differ<'_> {
    pub(super) fn relation_changes(&self) -> Vec<RelationChange> {
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
