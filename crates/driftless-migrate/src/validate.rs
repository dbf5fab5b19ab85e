//! Compares the registry with the tracking table: which migrations are pending, and what is wrong (dirty rows,
//! applied migrations missing from the registry, edited migrations, out-of-order pending migrations, unacknowledged
//! dangerous ones, merged branches). Pure: no database, no configuration; the migrator decides what to refuse.

use std::collections::{HashMap, HashSet};

use driftless_core::Dialect;
use driftless_core::judge::{ClassProblem, JudgeError, Verdict};
use driftless_core::migration::Migration;

use crate::error::Error;
use crate::outcome::{AppliedMigration, Problem};

/// The registry measured against the tracking table.
#[derive(Debug)]
pub(crate) struct Validation {
    /// Registry indexes of the pending migrations, in registry order.
    pub pending: Vec<usize>,
    /// Everything wrong, in the order the migrator refuses: dirty, missing, checksum, out of order,
    /// unacknowledged, conflicts.
    pub problems: Vec<Problem>,
}

/// Checks the registry itself: every name once.
pub(crate) fn check_registry(registry: &[Migration]) -> Result<(), Error> {
    let mut seen = HashSet::new();
    for m in registry {
        if !seen.insert(m.name.as_str()) {
            return Err(Error::DuplicateMigration { name: m.name.clone() });
        }
    }
    Ok(())
}

/// Compares `registry` (in its order) with `applied` (tracking rows in the order they were recorded); `checksums`
/// are the registry's current checksums and `verdicts` its computed classes (`driftless_core::judge`), index for
/// index. Classes are judged for `dialect`, the database's.
pub(crate) fn validate(
    registry: &[Migration],
    checksums: &[String],
    verdicts: &[Result<Verdict, JudgeError>],
    applied: &[AppliedMigration],
    dialect: Dialect,
) -> Validation {
    let position: HashMap<&str, usize> = registry.iter().enumerate().map(|(i, m)| (m.name.as_str(), i)).collect();
    let applied_names: HashSet<&str> = applied.iter().map(|a| a.name.as_str()).collect();
    let mut problems = Vec::new();

    for row in applied {
        let name = row.name.clone();
        match row.dirty {
            Some(direction) if crate::expand_contract::is_contract_pending(row) => {
                problems.push(Problem::ContractPending { name, direction })
            }
            Some(direction) => problems.push(Problem::Dirty { name, direction }),
            None => {}
        }
    }
    for row in applied {
        if !position.contains_key(row.name.as_str()) {
            problems.push(Problem::Missing { name: row.name.clone() });
        }
    }
    for row in applied {
        if let Some(&i) = position.get(row.name.as_str())
            && row.dirty.is_none()
            && checksums[i] != row.checksum
        {
            problems.push(Problem::ChecksumMismatch {
                name: row.name.clone(),
                recorded: row.checksum.clone(),
                current: checksums[i].clone(),
            });
        }
    }
    // Applied in an order the registry disagrees with: each row against the furthest-down migration before it.
    let mut furthest: Option<(usize, &str)> = None;
    for row in applied {
        let Some(&i) = position.get(row.name.as_str()) else { continue };
        match furthest {
            Some((f, later)) if i < f => {
                problems.push(Problem::AppliedOutOfOrder { earlier: row.name.clone(), later: later.to_owned() });
            }
            _ => furthest = Some((i, &row.name)),
        }
    }

    let pending: Vec<usize> =
        (0..registry.len()).filter(|&i| !applied_names.contains(registry[i].name.as_str())).collect();
    let last_applied = applied.iter().filter_map(|a| position.get(a.name.as_str()).copied()).max();
    if let Some(last) = last_applied {
        for &i in pending.iter().filter(|&&i| i < last) {
            problems.push(Problem::OutOfOrder {
                name: registry[i].name.clone(),
                last_applied: registry[last].name.clone(),
            });
        }
    }
    // A label that disagrees with the steps is wrong wherever the migration is; an acknowledgement is needed only
    // before a migration runs.
    for (i, m) in registry.iter().enumerate() {
        match &verdicts[i] {
            Ok(v) => {
                for p in v.problems(m, dialect) {
                    match p {
                        ClassProblem::LabelDisagrees { declared, computed } => {
                            problems.push(Problem::LabelDisagrees { name: m.name.clone(), declared, computed });
                        }
                        ClassProblem::Unacknowledged { codes } if !applied_names.contains(m.name.as_str()) => {
                            problems.push(Problem::Unacknowledged {
                                name: m.name.clone(),
                                codes: codes.iter().map(|c| (*c).to_owned()).collect(),
                            });
                        }
                        _ => {}
                    }
                }
            }
            Err(e) if !applied_names.contains(m.name.as_str()) => {
                problems.push(Problem::Unjudged { name: m.name.clone(), reason: e.to_string() });
            }
            Err(_) => {}
        }
    }
    let mut by_parent: HashMap<&str, &str> = HashMap::new();
    for m in registry {
        if let Some(parent) = m.parent.as_deref()
            && let Some(first) = by_parent.insert(parent, &m.name)
        {
            problems.push(Problem::Conflict { first: first.to_owned(), second: m.name.clone() });
        }
    }
    Validation { pending, problems }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Direction;
    use driftless_core::migration::Class;

    fn row(id: i64, name: &str, checksum: &str) -> AppliedMigration {
        AppliedMigration {
            id,
            name: name.into(),
            batch: 1,
            checksum: checksum.into(),
            class: "safe".into(),
            applied_at: String::new(),
            duration_ms: 0,
            dirty: None,
            statements_done: 0,
            statements_total: 0,
            failed_statement: None,
        }
    }

    fn judged(reg: &[Migration]) -> Vec<Result<Verdict, JudgeError>> {
        driftless_core::judge::judge_registry(reg)
    }

    fn registry(names: &[&str]) -> (Vec<Migration>, Vec<String>) {
        let ms: Vec<Migration> = names.iter().map(|n| Migration::new(*n)).collect();
        let sums = ms.iter().map(|m| m.checksum()).collect();
        (ms, sums)
    }

    #[test]
    fn pending_and_problems() {
        let (mut reg, sums) = registry(&["m1", "m2", "m3", "m4"]);
        let raw = driftless_core::step::Step::RawSql {
            sql: driftless_core::step::DialectSql { default: Some("DELETE FROM t".into()), ..Default::default() },
            effect: None,
        };
        reg[3] = Migration::new("m4").class(Class::Dangerous).up([raw]);
        let mut applied = vec![row(1, "m1", &sums[0]), row(2, "m3", "edited"), row(3, "gone", "x")];
        applied[0].dirty = Some(Direction::Up);
        let v = validate(&reg, &sums, &judged(&reg), &applied, Dialect::Postgres);
        assert_eq!(v.pending, vec![1, 3]);
        assert_eq!(
            v.problems,
            vec![
                Problem::Dirty { name: "m1".into(), direction: Direction::Up },
                Problem::Missing { name: "gone".into() },
                Problem::ChecksumMismatch { name: "m3".into(), recorded: "edited".into(), current: sums[2].clone() },
                Problem::OutOfOrder { name: "m2".into(), last_applied: "m3".into() },
                Problem::Unacknowledged { name: "m4".into(), codes: vec!["declared_dangerous".into()] },
            ]
        );
    }

    #[test]
    fn applied_rows_in_an_order_the_registry_disagrees_with() {
        let (reg, sums) = registry(&["m1", "m2", "m3", "m4"]);
        let applied = [row(1, "m1", &sums[0]), row(2, "m3", &sums[2]), row(3, "m2", &sums[1]), row(4, "m4", &sums[3])];
        let v = validate(&reg, &sums, &judged(&reg), &applied, Dialect::Sqlite);
        assert_eq!(v.problems, vec![Problem::AppliedOutOfOrder { earlier: "m2".into(), later: "m3".into() }]);
        let in_order = [row(1, "m1", &sums[0]), row(2, "m2", &sums[1])];
        assert_eq!(validate(&reg, &sums, &judged(&reg), &in_order, Dialect::Sqlite).problems, vec![]);
    }

    #[test]
    fn duplicates_and_conflicts() {
        let reg = vec![Migration::new("a").parent("p"), Migration::new("b").parent("p"), Migration::new("a")];
        assert_eq!(
            check_registry(&reg).unwrap_err().to_string(),
            "the migration registry lists a twice; remove the duplicate entry from the registry"
        );
        let sums: Vec<String> = reg.iter().map(|m| m.checksum()).collect();
        let v = validate(&reg[..2], &sums[..2], &judged(&reg[..2]), &[], Dialect::Sqlite);
        assert_eq!(v.problems, vec![Problem::Conflict { first: "a".into(), second: "b".into() }]);
    }
}
