//! Tables present on both sides (possibly renamed): phase 4 (columns added and altered, the primary key, uniques,
//! indexes, checks, the comment) and each kept table's share of phases 1 (constraint drops), 2 (index renames),
//! 6 (foreign keys) and 7 (column drops).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use crate::schema::{Column, ColumnType, DefaultValue, ForeignKey, Index, Literal, Table};
use crate::step::Step;

use super::{
    DROPPED_REF, DiffChange, Differ, Pair, Phases, PossibleRename, RenameKind, backfills, change, compatible_types,
    order,
};

impl<'a> Differ<'a> {
    /// The old table as it looks after the renames of phase 2: new table name, new column names everywhere, and
    /// foreign keys pointing at the new names of the tables and columns they reference.
    pub(super) fn mapped(&self, p: &Pair<'a>) -> Cow<'a, Table> {
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
            i.prefixes = std::mem::take(&mut i.prefixes)
                .into_iter()
                .map(|(mut c, len)| {
                    ren(&mut c, &p.col_renames);
                    (c, len)
                })
                .collect();
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
    pub(super) fn map_fk_target(&self, f: &mut ForeignKey) {
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
    pub(super) fn without_stale_enum_default(&self, c: &Column) -> Option<Column> {
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

    pub(super) fn diff_pair(&self, p: &Pair<'a>, ph: &mut Phases) {
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
                            // Made NOT NULL with a backfill value: the NULLs are filled in batches first.
                            let fill = self.hints.backfill(new_name, &nc.name);
                            let keyed = m.primary_key.is_some();
                            match backfills::tighten(new_name, &from, nc, fill, keyed) {
                                Some(steps) => altered.extend(steps),
                                None => altered.push(Step::AlterColumn {
                                    table: new_name.clone(),
                                    from,
                                    to: nc.clone(),
                                    backfill: None,
                                }),
                            }
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
            // Rows that need a value (a backfill given, or a per-row default): added nullable, then filled in
            // batches, then made NOT NULL; the notes stay on the `AddColumn`.
            let fill = self.hints.backfill(new_name, &nc.name);
            let mut steps = backfills::add_column(new_name, nc, fill, m.primary_key.is_some())
                .unwrap_or_else(|| vec![Step::AddColumn { table: new_name.clone(), column: (*nc).clone() }])
                .into_iter();
            if let Some(first) = steps.next() {
                ph.alter_tables.push(DiffChange { step: first, possible_renames: notes });
            }
            ph.alter_tables.extend(steps.map(change));
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
        let same_index = |a: &Index, b: &Index| a == &Index { name: a.name.clone(), ..b.clone() };
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
    pub(super) fn order_index_renames(&self, ph: &mut Phases) {
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
}

/// The definition of a named constraint as it is in the old schema (before renames), for drop steps that run
/// before the renames.
pub(super) fn original<T: Clone>(list: &[T], fallback: &T, key: impl Fn(&T) -> &String) -> T {
    let name = key(fallback);
    list.iter().find(|x| key(x) == name).unwrap_or(fallback).clone()
}
