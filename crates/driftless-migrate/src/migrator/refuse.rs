//! The refusal of a run: the problems found validating the applied rows against the registry, turned into the
//! error that stops the run (or a warning, for a checksum mismatch the user chose to ignore).

use crate::error::Error;
use crate::outcome::{AppliedMigration, Problem, Report};
use crate::validate::Validation;

use super::Migrator;

impl Migrator {
    /// Turns problems into a refusal, in the order: dirty, missing, edited, out of order (when applying),
    /// unacknowledged (for migrations about to run). An ignored checksum mismatch becomes a warning.
    pub(super) fn refuse(
        &self,
        v: &Validation,
        applied: &[AppliedMigration],
        to_apply: &[usize],
        applying: bool,
        report: &mut Report,
    ) -> Result<(), Error> {
        for problem in &v.problems {
            match problem {
                Problem::Dirty { name, direction }
                | Problem::ContractPending { name, direction }
                | Problem::Resumable { name, direction, .. } => {
                    let row = applied.iter().find(|a| a.name == *name);
                    return Err(Error::Dirty {
                        name: name.clone(),
                        direction: *direction,
                        statements_done: row.map_or(0, |r| r.statements_done),
                        statements_total: row.map_or(0, |r| r.statements_total),
                        failed_statement: row.and_then(|r| r.failed_statement.clone()),
                    });
                }
                Problem::Missing { name } => return Err(Error::MissingMigration { name: name.clone() }),
                Problem::ChecksumMismatch { name, recorded, current } => {
                    if !self.ignore_checksums {
                        return Err(Error::ChecksumMismatch {
                            name: name.clone(),
                            recorded: recorded.clone(),
                            current: current.clone(),
                        });
                    }
                    report.warnings.push(format!(
                        "migration {name} was edited after it was applied (checksum {} recorded, {} now); \
                         continuing because dangerous_ignore_checksums is set",
                        crate::outcome::short(recorded),
                        crate::outcome::short(current)
                    ));
                }
                Problem::OutOfOrder { name, last_applied } => {
                    if applying && !self.allow_out_of_order {
                        return Err(Error::OutOfOrder { name: name.clone(), last_applied: last_applied.clone() });
                    }
                }
                Problem::Unacknowledged { name, codes } => {
                    if to_apply.iter().any(|&i| self.migrations[i].name == *name) {
                        return Err(Error::Unacknowledged {
                            name: name.clone(),
                            file: self.file_of(name),
                            dialect: self.db.dialect(),
                            codes: codes.clone(),
                        });
                    }
                }
                Problem::LabelDisagrees { name, declared, computed } => {
                    if to_apply.iter().any(|&i| self.migrations[i].name == *name) {
                        return Err(Error::LabelDisagrees {
                            name: name.clone(),
                            file: self.file_of(name),
                            declared: *declared,
                            computed: *computed,
                        });
                    }
                }
                Problem::Unjudged { name, reason } => {
                    if to_apply.iter().any(|&i| self.migrations[i].name == *name) {
                        return Err(Error::Unjudged { name: name.clone(), reason: reason.clone() });
                    }
                }
                Problem::AppliedOutOfOrder { earlier, later } => {
                    if applying && !self.allow_out_of_order {
                        return Err(Error::AppliedOutOfOrder { earlier: earlier.clone(), later: later.clone() });
                    }
                }
                Problem::Conflict { .. } => {}
            }
        }
        Ok(())
    }
}
