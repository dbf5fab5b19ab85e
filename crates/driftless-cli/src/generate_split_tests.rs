//! Unit tests of [`super::decide`]: which steps go before the type changes, which after, and when the change is not
//! split (with the note that says why).

use super::*;
use crate::at_exit::Big;
use driftless_core::define::*;
use driftless_core::schema::{ColumnType, RenameHints, Schema, Table};

fn orders() -> Table {
    table("orders")
        .with_column(column("id", ColumnType::Integer).auto_increment())
        .with_column(column("note", ColumnType::Text))
        .primary_key("orders_pkey", &["id"])
}

fn items() -> Table {
    table("items")
        .with_column(column("id", ColumnType::BigInt).auto_increment())
        .with_column(column("order_id", ColumnType::Integer))
        .primary_key("items_pkey", &["id"])
        .index(index("items_order_id_idx", &["order_id"]))
        .foreign_key(foreign_key("items_order_id_fkey", &["order_id"], "orders", &["id"]))
}

fn users() -> Table {
    table("users").with_column(column("id", ColumnType::BigInt).auto_increment()).primary_key("users_pkey", &["id"])
}

fn old() -> Schema {
    Schema { tables: vec![orders(), items(), users()], enums: vec![] }
}

fn widen_items() -> Step {
    alter_column("items", column("order_id", ColumnType::Integer), column("order_id", ColumnType::BigInt))
}

fn widen_orders() -> Step {
    alter_column(
        "orders",
        column("id", ColumnType::Integer).auto_increment(),
        column("id", ColumnType::BigInt).auto_increment(),
    )
}

fn add_email() -> Step {
    add_column("users", column("email", ColumnType::Text).nullable())
}

/// The decision for `steps` run in this order from [`old`] (the models are their replay).
fn decide_for(steps: Vec<Step>) -> Decision {
    let old = old();
    let new = driftless_core::replay::apply_steps(&old, &steps).unwrap();
    let diff = Diff {
        changes: steps.into_iter().map(|step| DiffChange { step, possible_renames: vec![] }).collect(),
        relations: vec![],
        stale_hints: vec![],
    };
    let plan = classify::classify(&old, &new, diff);
    let inputs = Inputs {
        new_text: snapshot::to_string(&new),
        old_text: Some(snapshot::to_string(&old)),
        new: Big::new(new),
        old: Big::new(old),
        hashes: None,
        snapshot_exists: true,
        hints: RenameHints::default(),
    };
    decide(&plan, &inputs, Path::new("snapshots/schema.json")).unwrap()
}

/// The roles of the parts and the kinds of their steps; or the note when not split.
fn shape(d: Decision) -> Result<Vec<(Role, Vec<&'static str>)>, Option<String>> {
    match d {
        Decision::Split(s) => {
            Ok(s.parts.iter().map(|p| (p.role, p.plan.changes.iter().map(|c| c.step.kind()).collect())).collect())
        }
        Decision::Whole(note) => Err(note),
    }
}

#[test]
fn steps_that_do_not_use_the_changed_columns_go_first_in_their_order() {
    let split = shape(decide_for(vec![
        widen_items(),
        add_email(),
        widen_orders(),
        add_column("orders", column("paid", ColumnType::Boolean).nullable()),
    ]));
    assert_eq!(
        split,
        Ok(vec![
            (Role::Prepare, vec!["add_column", "add_column"]),
            (Role::Types, vec!["alter_column", "alter_column"]),
        ])
    );
}

#[test]
fn steps_that_use_a_changed_column_keep_their_side() {
    // Before the type changes (dropping the index on the column): in A. After (an index on it): in B.
    let drop = Step::DropIndex { table: "items".into(), index: index("items_order_id_idx", &["order_id"]) };
    let add = Step::CreateIndex { table: "orders".into(), index: index("orders_id_note_idx", &["id", "note"]) };
    let split = shape(decide_for(vec![drop, widen_items(), widen_orders(), add_email(), add]));
    assert_eq!(
        split,
        Ok(vec![
            (Role::Prepare, vec!["drop_index", "add_column"]),
            (Role::Types, vec!["alter_column", "alter_column"]),
            (Role::Finish, vec!["create_index"]),
        ])
    );
    // Only steps after: no A.
    let check = Step::AddCheck { table: "orders".into(), check: check("orders_id_positive", "id > 0") };
    assert_eq!(
        shape(decide_for(vec![widen_items(), widen_orders(), check])),
        Ok(vec![(Role::Types, vec!["alter_column", "alter_column"]), (Role::Finish, vec!["add_check"])])
    );
}

#[test]
fn a_step_between_the_type_changes_that_uses_one_keeps_the_change_whole() {
    let add = Step::CreateIndex { table: "orders".into(), index: index("orders_id_note_idx", &["id", "note"]) };
    let Err(Some(note)) = shape(decide_for(vec![widen_items(), add, widen_orders(), add_email()])) else {
        panic!("not split")
    };
    assert_eq!(
        note,
        "note: not split: the model change mixes type changes that online PostgreSQL runs as expand/contract with \
         other steps, but a step between them uses a changed column (create index `orders_id_note_idx` on `orders` \
         (id, note)); it stays one migration, whose type changes run as one blocking `ALTER … TYPE` on PostgreSQL \
         (generate the other changes in a migration of their own to run them online)"
    );
}

#[test]
fn nothing_to_split_says_nothing() {
    // Only the type changes: today's N + contract.
    assert!(matches!(decide_for(vec![widen_items(), widen_orders()]), Decision::Whole(None)));
    // No eligible type change (a rename of the column is not one).
    let rename = Step::RenameColumn { table: "orders".into(), from: "note".into(), to: "memo".into() };
    assert!(matches!(decide_for(vec![rename, add_email()]), Decision::Whole(None)));
}

#[test]
fn the_parts_chain_their_snapshot_hashes() {
    let Decision::Split(split) = decide_for(vec![add_email(), widen_items(), widen_orders()]) else { panic!() };
    let old = old();
    assert_eq!(split.parts[0].parent, snapshot::hash_text(&snapshot::to_string(&old)));
    assert_eq!(split.parts[0].snapshot, split.parts[1].parent);
    let a = driftless_core::replay::apply_steps(&old, &[add_email()]).unwrap();
    assert_eq!(split.parts[0].snapshot, snapshot::hash(&a));
    assert_eq!(part_name(Role::Prepare, "x"), "x_prepare");
    assert_eq!(part_name(Role::Finish, &"a".repeat(60)).len(), 60);
}
