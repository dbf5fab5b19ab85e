//! Property tests of the differ on random valid schemas: an equal or reordered schema diffs to nothing; the steps
//! of `diff(a, b)` replayed on `a` give `b`; their inverses, in reverse, take `b` back to `a`; the classifier
//! judges every step of such a plan.

use driftless_core::classify::plan;
use driftless_core::diff::diff;
use driftless_core::replay::{apply_steps, canonical, equivalent};
use driftless_core::schema::RenameHints;
use driftless_core::testing;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn generated_schemas_are_valid(s in testing::schema()) {
        prop_assert!(s.validate().is_ok(), "{:?}", s.validate());
    }

    #[test]
    fn a_schema_diffs_to_nothing_against_itself_and_any_reordering(s in testing::schema()) {
        let d = diff(&s, &s, &RenameHints::default()).unwrap();
        prop_assert!(d.is_empty(), "{:#?}", d.changes);
        let d = diff(&s, &testing::shuffled(&s), &RenameHints::default()).unwrap();
        prop_assert!(d.is_empty(), "{:#?}", d.changes);
    }

    #[test]
    fn replaying_the_diff_gives_the_new_schema_and_the_inverse_gives_the_old((a, b, hints) in testing::schema_pair()) {
        let d = diff(&a, &b, &hints).unwrap();
        let up: Vec<_> = d.steps().cloned().collect();
        let after = apply_steps(&a, &up);
        prop_assert!(after.is_ok(), "up failed: {:?}\nsteps: {:#?}", after.as_ref().err(), up);
        let after = after.unwrap();
        prop_assert!(equivalent(&after, &b), "up gave\n{:#?}\nexpected\n{:#?}\nsteps: {:#?}", canonical(&after), canonical(&b), up);
        let down: Vec<_> = up.iter().rev().map(|s| s.inverse()).collect();
        let back = apply_steps(&after, &down);
        prop_assert!(back.is_ok(), "down failed: {:?}\nsteps: {:#?}", back.as_ref().err(), down);
        prop_assert!(equivalent(&back.unwrap(), &a));
        // Deterministic, and a second diff from the result is empty.
        prop_assert_eq!(diff(&a, &b, &hints).unwrap(), d);
        prop_assert!(diff(&after, &b, &RenameHints::default()).unwrap().is_empty());
    }

    #[test]
    fn every_step_is_classified_on_every_dialect((a, b, hints) in testing::schema_pair()) {
        let p = plan(&a, &b, &hints).unwrap();
        for c in &p.changes {
            for (_, cl) in c.classes.iter().chain(c.down_classes.iter()) {
                prop_assert!(!cl.code.is_empty() && !cl.reason.is_empty());
            }
        }
        prop_assert!(p.changes.iter().all(|c| c.class() <= p.class()));
    }
}

/// The pairs above do exercise the expand steps: some plans fill a column through a backfill step.
#[test]
fn some_random_pairs_backfill_a_column() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = testing::schema_pair();
    let backfills = (0..256)
        .filter(|_| {
            let (a, b, hints) = strategy.new_tree(&mut runner).unwrap().current();
            diff(&a, &b, &hints).unwrap().steps().any(|s| s.kind() == "backfill")
        })
        .count();
    assert!(backfills > 0, "no random pair used a backfill");
}
