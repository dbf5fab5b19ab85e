//! Foreign keys that depend on a primary key whose columns change: PostgreSQL refuses to drop a key a foreign key
//! uses ("cannot drop constraint ... because other objects depend on it") and MySQL an index one needs, so such
//! foreign keys are dropped in phase 1 and added back in phase 6, around the key change of phase 4 (and, inverted,
//! around it in `down` too).

use std::collections::BTreeMap;

use crate::step::Step;

use super::{Differ, Pair, Phases, change, kept::original};

impl<'a> Differ<'a> {
    /// Wraps every kept foreign key that references columns of a primary key whose columns change (by the table's
    /// new name) in a drop before and an add after. A foreign key the diff already drops in phase 1 needs nothing;
    /// one it alters in phase 6 (an `AlterForeignKey`, rendered there as drop + add) becomes a drop in phase 1 and
    /// an add in phase 6.
    pub(super) fn lift_foreign_keys_over_keys(&self, pairs: &[Pair<'a>], ph: &mut Phases) {
        let changed: BTreeMap<String, Vec<String>> = ph
            .alter_tables
            .iter()
            .filter_map(|c| match &c.step {
                Step::SetPrimaryKey { table, from: Some(f), to }
                    if to.as_ref().is_none_or(|t| t.columns != f.columns) =>
                {
                    Some((table.clone(), f.columns.clone()))
                }
                _ => None,
            })
            .collect();
        if changed.is_empty() {
            return;
        }
        for p in pairs {
            let m = self.mapped(p);
            for mf in &m.foreign_keys {
                let Some(key) = changed.get(&mf.ref_table) else { continue };
                if !mf.ref_columns.iter().all(|c| key.contains(c)) {
                    continue;
                }
                let dropped_already = ph.drop_fks.iter().any(|c| {
                    matches!(&c.step, Step::DropForeignKey { table, foreign_key }
                        if *table == p.old.name && foreign_key.name == original(&p.old.foreign_keys, mf, |f| &f.name).name)
                });
                if dropped_already {
                    continue;
                }
                let drop = change(Step::DropForeignKey {
                    table: p.old.name.clone(),
                    foreign_key: original(&p.old.foreign_keys, mf, |f| &f.name),
                });
                let altered = ph.add_fks.iter().position(|c| {
                    matches!(&c.step, Step::AlterForeignKey { table, from, .. } if *table == p.new.name && from.name == mf.name)
                });
                if let Some(k) = altered {
                    if let Step::AlterForeignKey { table, to, .. } = ph.add_fks[k].step.clone() {
                        ph.add_fks[k] = change(Step::AddForeignKey { table, foreign_key: to });
                        ph.drop_fks.push(drop);
                    }
                    continue;
                }
                if let Some(nf) = p.new.foreign_keys.iter().find(|f| *f == mf) {
                    ph.drop_fks.push(drop);
                    ph.add_fks.push(change(Step::AddForeignKey { table: p.new.name.clone(), foreign_key: nf.clone() }));
                }
            }
        }
    }
}
