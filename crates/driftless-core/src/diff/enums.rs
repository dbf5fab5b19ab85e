//! Enums: phase 3 (created and altered) and phase 8 (dropped).

use crate::step::Step;

use super::{Differ, Phases, change};

impl<'a> Differ<'a> {
    pub(super) fn diff_enums(&self, ph: &mut Phases) {
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
}
