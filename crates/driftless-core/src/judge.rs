//! The class of a migration as a computed fact: its `up` steps classified against the schema just before it.
//!
//! A migration file carries a `.class(...)` label, written by the generator for the reader. The label is
//! documentation: the migrator, `migrate-generate --check`, `migrate-status` and `migrate-review` judge every
//! migration themselves with [`judge`] / [`judge_registry`], and treat a label that disagrees with the verdict as an
//! error. Changing `Class::Dangerous` to `Class::Safe` in a file, or writing a `drop_table` by hand in an `--empty`
//! migration, therefore buys nothing: the drop is dangerous and needs its acknowledgement.
//!
//! Raw SQL cannot be judged, so a migration holding any is at least `review_required`; SQL that declares the model
//! steps it amounts to is also judged as those steps (the worse verdict wins). A label may declare a
//! migration higher than its steps (a hand-written `DELETE` declared `Dangerous` then needs an acknowledgement),
//! never lower: a label below the class of the steps is a disagreement, and refused.
//!
//! Architecture Invariant: judging is pure: it replays steps in memory and classifies them, and knows nothing of
//! files, databases or how a refusal is worded.

use std::fmt;

use crate::classify::{self, Class, Classification, PerDialect};
use crate::dialect::Dialect;
use crate::migration::Migration;
use crate::replay::{ReplayOptions, apply_step_with};
use crate::schema::Schema;
use crate::step::{RawEffect, Step};

/// A migration's computed class.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The migration's name.
    pub name: String,
    /// Each `up` step's classification on every dialect, in the order of `Migration::up`.
    pub steps: Vec<PerDialect<Classification>>,
    /// The class of the steps per dialect: the worst step; with raw SQL at least `review_required`.
    pub steps_class: PerDialect<Class>,
    /// The computed class per dialect: the class of the steps, raised to the declared label where the author
    /// declared it higher (a label can make a migration stricter, never laxer).
    pub class: PerDialect<Class>,
    /// The class written in the file (`.class(...)`): documentation only.
    pub declared: Class,
}

impl Verdict {
    /// The computed class on `dialect`.
    pub fn class_for(&self, dialect: Dialect) -> Class {
        *self.class.get(dialect)
    }

    /// The computed class on any dialect.
    pub fn worst(&self) -> Class {
        Dialect::all().into_iter().map(|d| self.class_for(d)).max().unwrap_or(Class::Safe)
    }

    /// The class of the steps on any dialect: the least the file's label may say (the generator writes exactly
    /// this).
    pub fn steps_worst(&self) -> Class {
        Dialect::all().into_iter().map(|d| *self.steps_class.get(d)).max().unwrap_or(Class::Safe)
    }

    /// Whether the file's label is at least the class of its steps. A lower label is the one that misleads a
    /// reviewer (a drop relabelled `Safe`); a higher one is the author asking for more care, and counts.
    pub fn label_agrees(&self) -> bool {
        self.declared >= self.steps_worst()
    }

    /// Whether running the migration on `dialect` needs a reviewer's acknowledgement.
    pub fn needs_acknowledgement(&self, dialect: Dialect) -> bool {
        self.class_for(dialect) == Class::Dangerous
    }

    /// The classifications of the steps on `dialect`, worst first (ties keep step order), with their step index.
    pub fn worst_first(&self, dialect: Dialect) -> Vec<(usize, &Classification)> {
        let mut v: Vec<(usize, &Classification)> = self.steps.iter().map(|s| s.get(dialect)).enumerate().collect();
        v.sort_by_key(|(i, c)| (std::cmp::Reverse(c.class), *i));
        v
    }
}

/// Why a migration could not be judged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JudgeError {
    /// The schema before the migration cannot be computed: an earlier migration's `up` does not replay.
    #[error(
        "cannot judge migration {name}: the schema before it cannot be computed, because replaying migration \
         {broken} failed: {reason}"
    )]
    Replay {
        /// The migration that could not be judged.
        name: String,
        /// The earlier (or same) migration whose `up` did not replay.
        broken: String,
        /// What went wrong.
        reason: String,
    },
}

/// Judges one migration against the schema just before it.
pub fn judge(before: &Schema, migration: &Migration) -> Verdict {
    let mut steps = classify::classify_steps(before, &migration.up);
    judge_declared_effects(before, &migration.up, &mut steps);
    let has_raw_sql = migration.up.iter().any(|s| matches!(s, Step::RawSql { .. }));
    let steps_class = PerDialect::from_fn(|d| {
        let worst = steps.iter().map(|s| s.get(d).class).max().unwrap_or(Class::Safe);
        if has_raw_sql { worst.max(Class::ReviewRequired) } else { worst }
    });
    let class = PerDialect::from_fn(|d| (*steps_class.get(d)).max(migration.class));
    Verdict { name: migration.name.clone(), steps, steps_class, class, declared: migration.class }
}

/// Hand-written SQL that declares the model steps it amounts to (`amounts_to`) is judged as those steps too, and
/// keeps the worse verdict per dialect: SQL declared to drop a column is as dangerous as the drop, and needs its
/// acknowledgement. (It stays at least `review_required` either way: the SQL itself is not read.)
fn judge_declared_effects(before: &Schema, up: &[Step], out: &mut [PerDialect<Classification>]) {
    if !up.iter().any(|s| matches!(s, Step::RawSql { effect: Some(RawEffect::Steps(_)), .. })) {
        return;
    }
    let mut state = before.clone();
    state.normalize();
    for (i, step) in up.iter().enumerate() {
        if let Step::RawSql { effect: Some(RawEffect::Steps(declared)), .. } = step {
            let judged = classify::classify_steps_as_written(&state, declared);
            let raised = PerDialect::from_fn(|d| {
                let own = out[i].get(d);
                let worst = judged.iter().map(|c| c.get(d)).filter(|c| c.class > own.class).max_by_key(|c| c.class);
                match worst {
                    Some(c) => Classification {
                        reason: format!("hand-written SQL declared to amount to this: {}", c.reason),
                        ..c.clone()
                    },
                    None => own.clone(),
                }
            });
            out[i] = raised;
        }
        // The state just before each step; past a step that does not replay, the rest is judged as written.
        if apply_step_with(&mut state, step, ReplayOptions::DATABASE).is_err() {
            return;
        }
    }
}

/// Judges every migration of a registry, in order, replaying the `up` steps in memory from the empty schema (the
/// same replay, with the same options, the migrator renders with: [`ReplayOptions::DATABASE`]). A migration whose
/// before-schema cannot be computed (after hand-written SQL that does not declare its effect, or a step that does
/// not apply) gets an error naming the migration that broke the replay, and so does every later one except
/// migrations of hand-written SQL alone, which are judged without a schema.
pub fn judge_registry(registry: &[Migration]) -> Vec<Result<Verdict, JudgeError>> {
    let mut out = Vec::with_capacity(registry.len());
    let mut state: Result<Schema, (String, String)> = Ok(Schema::empty());
    for (i, m) in registry.iter().enumerate() {
        match &mut state {
            Ok(before) => {
                out.push(Ok(judge(before, m)));
                // The one state is replayed in place (no copy of the whole schema per migration), and not past the
                // last migration, whose after-schema nothing reads.
                if i + 1 < registry.len() {
                    for (j, step) in m.up.iter().enumerate() {
                        if let Err(e) = apply_step_with(before, step, ReplayOptions::DATABASE) {
                            state = Err((m.name.clone(), e.at_step(j).to_string()));
                            break;
                        }
                    }
                }
            }
            // Hand-written SQL is judged without a schema, so it can still be judged after a broken replay.
            Err(_) if m.up.iter().all(|s| matches!(s, Step::RawSql { .. } | Step::Irreversible { .. })) => {
                out.push(Ok(judge(&Schema::empty(), m)));
            }
            Err((broken, reason)) => out.push(Err(JudgeError::Replay {
                name: m.name.clone(),
                broken: broken.clone(),
                reason: reason.clone(),
            })),
        }
    }
    out
}

/// What is wrong with a migration's class or acknowledgement, on one dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClassProblem {
    /// The file's `.class(...)` label disagrees with the computed class.
    LabelDisagrees {
        /// The label.
        declared: Class,
        /// The class of the steps (worst over all dialects).
        computed: Class,
    },
    /// The migration is dangerous on the dialect and its acknowledgement is missing or blank.
    Unacknowledged {
        /// The codes of the dangerous steps, in step order.
        codes: Vec<&'static str>,
    },
}

impl fmt::Display for ClassProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClassProblem::LabelDisagrees { declared, computed } => {
                write!(f, "labelled {declared}, but its steps are {computed}")
            }
            ClassProblem::Unacknowledged { codes } => {
                write!(f, "dangerous ({}) and not acknowledged", codes.join(", "))
            }
        }
    }
}

impl Verdict {
    /// Every problem with the migration's class and acknowledgement when it runs on `dialect`: a label that
    /// disagrees (on any dialect), then a missing acknowledgement (on this dialect).
    pub fn problems(&self, migration: &Migration, dialect: Dialect) -> Vec<ClassProblem> {
        let mut out = Vec::new();
        if !self.label_agrees() {
            out.push(ClassProblem::LabelDisagrees { declared: self.declared, computed: self.steps_worst() });
        }
        if self.needs_acknowledgement(dialect) && !migration.is_acknowledged() {
            let mut codes: Vec<&'static str> = self
                .steps
                .iter()
                .map(|s| s.get(dialect))
                .filter(|c| c.class == Class::Dangerous)
                .map(|c| c.code)
                .collect();
            if codes.is_empty() {
                codes.push("declared_dangerous");
            }
            codes.dedup();
            out.push(ClassProblem::Unacknowledged { codes });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, ColumnType, Table};
    use crate::step::DialectSql;

    fn users() -> Table {
        let mut t = Table::new("users");
        t.columns.push(Column::new("id", ColumnType::BigInt));
        t
    }

    fn registry(drop_label: Class) -> Vec<Migration> {
        vec![
            Migration::new("m1").up([Step::CreateTable { table: users() }]).down([Step::DropTable { table: users() }]),
            Migration::new("m2").class(drop_label).up([Step::DropTable { table: users() }]),
        ]
    }

    #[test]
    fn a_drop_labelled_safe_is_dangerous_and_the_label_disagrees() {
        let v = judge_registry(&registry(Class::Safe));
        let create = v[0].as_ref().unwrap();
        assert!(create.label_agrees());
        assert_eq!(create.worst(), Class::Safe);
        let drop = v[1].as_ref().unwrap();
        assert_eq!(drop.worst(), Class::Dangerous);
        assert_eq!(drop.declared, Class::Safe);
        assert!(!drop.label_agrees());
        let reg = registry(Class::Safe);
        assert_eq!(
            drop.problems(&reg[1], Dialect::Postgres),
            vec![
                ClassProblem::LabelDisagrees { declared: Class::Safe, computed: Class::Dangerous },
                ClassProblem::Unacknowledged { codes: vec!["drop_table"] },
            ]
        );
        assert_eq!(
            drop.problems(&reg[1], Dialect::Postgres)[1].to_string(),
            "dangerous (drop_table) and not acknowledged"
        );
    }

    #[test]
    fn an_acknowledged_correctly_labelled_drop_has_no_problem() {
        let mut reg = registry(Class::Dangerous);
        reg[1] = reg[1].clone().acknowledged("ana", "the table was never used");
        let v = judge_registry(&reg);
        assert!(v[1].as_ref().unwrap().problems(&reg[1], Dialect::Sqlite).is_empty());
    }

    #[test]
    fn raw_sql_is_judged_as_the_steps_it_declares_when_they_are_worse() {
        let mut before = Schema { tables: vec![users()], enums: vec![] };
        before.tables[0].columns.push(Column::new("bio", ColumnType::Text));
        let bio = Column::new("bio", ColumnType::Text);
        let drop = Step::RawSql {
            sql: DialectSql { default: Some("ALTER TABLE users DROP COLUMN bio".into()), ..Default::default() },
            effect: Some(RawEffect::Steps(vec![Step::DropColumn { table: "users".into(), column: bio }])),
        };
        let v = judge(&before, &Migration::new("m").class(Class::ReviewRequired).up([drop]));
        assert_eq!(v.steps_worst(), Class::Dangerous);
        let c = v.steps[0].get(Dialect::Postgres);
        assert_eq!(c.code, "drop_column");
        assert!(c.reason.starts_with("hand-written SQL declared to amount to this: "), "{}", c.reason);
        assert!(!v.label_agrees());
        // A harmless declared step leaves the raw SQL's own verdict.
        let add = Step::RawSql {
            sql: DialectSql { default: Some("ALTER TABLE users ADD COLUMN tz TEXT".into()), ..Default::default() },
            effect: Some(RawEffect::Steps(vec![Step::AddColumn {
                table: "users".into(),
                column: Column { nullable: true, ..Column::new("tz", ColumnType::Text) },
            }])),
        };
        let v = judge(&before, &Migration::new("m").class(Class::ReviewRequired).up([add]));
        assert_eq!(v.steps_worst(), Class::ReviewRequired);
        assert_eq!(v.steps[0].get(Dialect::Sqlite).code, "raw_sql");
    }

    #[test]
    fn raw_sql_declared_as_a_type_change_is_judged_as_the_plain_alter_it_runs() {
        let mut before = Schema { tables: vec![users()], enums: vec![] };
        before.tables[0].columns.push(Column::new("n", ColumnType::Integer));
        before.tables[0].primary_key =
            Some(crate::schema::PrimaryKey { name: "users_pkey".into(), columns: vec!["id".into()] });
        let narrow = Step::RawSql {
            sql: DialectSql { default: Some("ALTER TABLE users ALTER n TYPE smallint".into()), ..Default::default() },
            effect: Some(RawEffect::Steps(vec![Step::AlterColumn {
                table: "users".into(),
                from: Column::new("n", ColumnType::Integer),
                to: Column::new("n", ColumnType::SmallInt),
                backfill: None,
            }])),
        };
        let v = judge(&before, &Migration::new("m").class(Class::ReviewRequired).up([narrow.clone()]));
        let c = v.steps[0].get(Dialect::Postgres);
        assert_eq!((c.class, c.code), (Class::Dangerous, "narrow_type"), "{}", c.reason);
        assert!(!c.reason.contains("expand"), "{}", c.reason);
        // Control: the same change as a model step is one the migrator runs as expand/contract.
        let Step::RawSql { effect: Some(RawEffect::Steps(steps)), .. } = narrow else { unreachable!() };
        assert_eq!(classify::classify_steps(&before, &steps)[0].get(Dialect::Postgres).code, "expand_contract_type");
    }

    #[test]
    fn raw_sql_is_at_least_review_required_and_may_be_declared_higher() {
        let raw = Step::RawSql {
            sql: DialectSql { default: Some("DELETE FROM users".into()), ..Default::default() },
            effect: None,
        };
        let safe = Migration::new("m").up([raw.clone()]);
        let v = judge(&Schema::empty(), &safe);
        assert_eq!(v.worst(), Class::ReviewRequired);
        assert!(!v.label_agrees());
        let declared = Migration::new("m").class(Class::Dangerous).up([raw]);
        let v = judge(&Schema::empty(), &declared);
        assert_eq!(v.worst(), Class::Dangerous);
        assert!(v.label_agrees());
        assert_eq!(
            v.problems(&declared, Dialect::Mysql),
            vec![ClassProblem::Unacknowledged { codes: vec!["declared_dangerous"] }]
        );
    }

    #[test]
    fn a_label_may_raise_builder_steps_but_not_lower_them() {
        let add = Step::AddColumn {
            table: "users".into(),
            column: Column { nullable: true, ..Column::new("bio", ColumnType::Text) },
        };
        let before = Schema { tables: vec![users()], enums: vec![] };
        let raised = Migration::new("m").class(Class::Dangerous).up([add.clone()]);
        let v = judge(&before, &raised);
        assert_eq!((v.steps_worst(), v.worst()), (Class::Safe, Class::Dangerous));
        assert!(v.label_agrees());
        assert!(v.needs_acknowledgement(Dialect::Postgres));
        let honest = Migration::new("m").up([add]);
        assert!(judge(&before, &honest).problems(&honest, Dialect::Sqlite).is_empty());
    }

    #[test]
    fn a_broken_replay_names_the_migration() {
        let reg = vec![
            Migration::new("m1")
                .up([Step::AddColumn { table: "nowhere".into(), column: Column::new("id", ColumnType::BigInt) }]),
            Migration::new("m2").up([Step::CreateTable { table: users() }]),
        ];
        let v = judge_registry(&reg);
        assert!(v[0].is_ok());
        let err = v[1].as_ref().unwrap_err().to_string();
        assert!(err.starts_with("cannot judge migration m2: the schema before it cannot be computed, because replaying migration m1 failed: "), "{err}");
    }
}
