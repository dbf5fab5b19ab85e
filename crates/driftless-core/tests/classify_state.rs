//! The classifier's replay leaves out of its state the tables a plan creates that no other step can observe (a first
//! migration creates thousands): the verdicts stay those of a full replay. A created table that references a table
//! a later step rebuilds on SQLite is observed (the rebuild note lists it), and so is one a later step names.

use driftless_core::classify::{Class, classify_steps};
use driftless_core::define::*;
use driftless_core::dialect::Dialect;
use driftless_core::schema::ReferentialAction;
use driftless_core::step::Step;
use driftless_core::{ColumnType, Schema};

fn users() -> driftless_core::schema::Table {
    table("users")
        .with_column(column("id", ColumnType::BigInt))
        .with_column(column("name", ColumnType::Varchar(50)))
        .primary_key("users_pkey", &["id"])
}

fn posts(name: &str) -> driftless_core::schema::Table {
    table(name)
        .with_column(column("id", ColumnType::BigInt))
        .with_column(column("author_id", ColumnType::BigInt))
        .primary_key(&format!("{name}_pkey"), &["id"])
        .foreign_key(
            foreign_key(&format!("{name}_author_id_fkey"), &["author_id"], "users", &["id"])
                .on_delete(ReferentialAction::Cascade),
        )
}

fn widen_name() -> Step {
    alter_column("users", column("name", ColumnType::Varchar(50)), column("name", ColumnType::Text))
}

#[test]
fn a_created_table_referencing_a_rebuilt_table_is_listed_by_the_rebuild() {
    let before = Schema { tables: vec![users()], enums: vec![] };
    let steps = [
        create_table(table("audit").with_column(column("id", ColumnType::BigInt))),
        create_table(posts("posts")),
        widen_name(),
    ];
    let sqlite = classify_steps(&before, &steps).pop().unwrap().get(Dialect::Sqlite).clone();
    assert_eq!((sqlite.class, sqlite.code), (Class::ReviewRequired, "sqlite_rebuild_cascade"));
    assert!(
        sqlite.reason.contains("it is referenced by posts.posts_author_id_fkey (ON DELETE CASCADE)"),
        "{}",
        sqlite.reason
    );
    assert!(!sqlite.reason.contains("audit"), "{}", sqlite.reason);
}

#[test]
fn a_created_table_a_later_step_names_is_in_the_state() {
    // `posts` is created, then renamed: the rename is judged against the created table, and the rebuild of `users`
    // lists the table under its new name.
    let before = Schema { tables: vec![users()], enums: vec![] };
    let steps = [create_table(posts("posts")), rename_table("posts", "articles"), widen_name()];
    let verdicts = classify_steps(&before, &steps);
    let sqlite = verdicts[2].get(Dialect::Sqlite);
    assert!(sqlite.reason.contains("it is referenced by articles.posts_author_id_fkey"), "{}", sqlite.reason);
    // Unrelated creations change no verdict: the same steps after a thousand new tables.
    let mut many: Vec<Step> = (0..1000)
        .map(|i| create_table(table(&format!("t{i:04}")).with_column(column("id", ColumnType::BigInt))))
        .collect();
    many.extend(steps.iter().cloned());
    let with_many = classify_steps(&before, &many);
    assert_eq!(&with_many[1000..], &verdicts[..]);
}
