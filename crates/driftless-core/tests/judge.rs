//! The computed class of a generated migration equals the class the generator writes in its label, for every
//! scenario of `tests/fixtures/diff/`, on every dialect: judging at apply time and in review agrees with
//! generation, so an honest file is never refused and an edited label always is.

use std::fs;

use driftless_core::classify::{Class, plan};
use driftless_core::dialect::Dialect;
use driftless_core::judge::{ClassProblem, judge};
use driftless_core::migration::Migration;
use driftless_core::schema::RenameHints;
use driftless_core::snapshot;

#[test]
fn judging_a_generated_migration_gives_its_label_on_every_scenario() {
    let mut judged = 0;
    let mut dangerous = 0;
    insta::glob!("fixtures/diff/*/old.json", |old_path| {
        let dir = old_path.parent().expect("a scenario folder");
        let old = read_fixture(old_path).unwrap();
        let new = read_fixture(&dir.join("new.json")).unwrap();
        let hints: RenameHints =
            fs::read_to_string(dir.join("renames.json")).map(|t| serde_json::from_str(&t).unwrap()).unwrap_or_default();
        let Ok(p) = plan(&old, &new, &hints) else { return };
        if p.is_empty() {
            return;
        }
        let m = Migration::new("m").class(p.class()).up(p.up_steps()).down(p.down_steps());
        let v = judge(&old, &m);
        assert!(v.label_agrees(), "{}: label {} but judged {}", dir.display(), p.class(), v.worst());
        assert_eq!(v.steps_worst(), p.class(), "{}", dir.display());
        for d in Dialect::all() {
            assert_eq!(*v.steps_class.get(d), p.class_for(d), "{} on {}", dir.display(), d.name());
        }
        if p.class() == Class::Dangerous {
            dangerous += 1;
            let problems = v.problems(&m, Dialect::all().into_iter().find(|&d| v.needs_acknowledgement(d)).unwrap());
            assert!(matches!(problems.as_slice(), [ClassProblem::Unacknowledged { .. }]), "{problems:?}");
            // Relabelled as safe, it is still dangerous and now also mislabelled.
            let tampered = m.clone().class(Class::Safe);
            let v = judge(&old, &tampered);
            assert_eq!(v.worst(), Class::Dangerous);
            assert!(!v.label_agrees());
        }
        judged += 1;
    });
    assert!(judged > 100, "only {judged} scenarios judged");
    assert!(dangerous > 10, "only {dangerous} dangerous scenarios");
}

/// A fixture's schema.json (driftless-core does no file I/O: its tests read their fixtures themselves).
fn read_fixture(path: &std::path::Path) -> Result<driftless_core::Schema, snapshot::SnapshotError> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    snapshot::from_str(&text, path)
}
