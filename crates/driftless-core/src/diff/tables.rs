//! Whole tables that go away or appear: phase 1 (drops, referencing tables first, foreign-key cycles cut) and
//! phase 5 (creates, referenced tables first, cyclic foreign keys deferred to phase 6), with the unhinted
//! possible-rename notes.

use std::collections::{BTreeMap, BTreeSet};

use crate::schema::{ForeignKey, Table};
use crate::step::Step;

use super::{DiffChange, Differ, Phases, PossibleRename, RenameKind, change, order};

impl<'a> Differ<'a> {
    pub(super) fn drop_tables(&self, dropped: &[&'a Table], created: &[&'a Table], ph: &mut Phases) {
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

    pub(super) fn create_tables(&self, created: &[&'a Table], dropped: &[&'a Table], ph: &mut Phases) {
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
