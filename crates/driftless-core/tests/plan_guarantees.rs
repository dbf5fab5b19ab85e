//! What the plan itself guarantees (`add_foreign_key_null_column`, `unique_contains_key`,
//! `unique_superset_of_dropped`): the guarantee holds only while nothing in between can have written the rows, and
//! the physical cost keeps its own code (PostgreSQL index build, SQLite rebuild, MySQL table copy).

use driftless_core::classify::{Class, classify_steps};
use driftless_core::define::*;
use driftless_core::dialect::Dialect;
use driftless_core::schema::Literal;
use driftless_core::step::Step;
use driftless_core::{ColumnType, Schema};

fn schema() -> Schema {
    let users = table("users")
        .with_column(column("id", ColumnType::BigInt))
        .with_column(column("email", ColumnType::Text))
        .with_column(column("name", ColumnType::Text))
        .with_column(column("manager_id", ColumnType::BigInt).nullable())
        .primary_key("users_pkey", &["id"])
        .unique("users_email_key", &["email"]);
    Schema { tables: vec![users], enums: vec![] }
}

fn manager_fk() -> driftless_core::schema::ForeignKey {
    foreign_key("users_boss_id_fkey", &["boss_id"], "users", &["id"])
}

/// `(class, code)` of the last step on each dialect (SQLite, PostgreSQL, MySQL).
fn last(steps: &[Step]) -> Vec<(Class, &'static str)> {
    let per = classify_steps(&schema(), steps).pop().unwrap();
    Dialect::all().into_iter().map(|d| (per.get(d).class, per.get(d).code)).collect()
}

const REVIEW: Class = Class::ReviewRequired;
const SAFE: Class = Class::Safe;

#[test]
fn foreign_key_on_a_column_added_without_default_is_safe_until_something_writes_it() {
    let boss = column("boss_id", ColumnType::BigInt).nullable();
    let add = add_column("users", boss.clone());
    let fk = add_foreign_key("users", manager_fk());
    assert_eq!(
        last(&[add.clone(), fk.clone()]),
        [(REVIEW, "sqlite_rebuild"), (SAFE, "add_foreign_key_null_column"), (SAFE, "add_foreign_key_null_column")]
    );
    // Raw SQL in between may have filled the column.
    let fill = raw_sql(sql("UPDATE users SET boss_id = manager_id"));
    assert_eq!(last(&[add.clone(), fill, fk.clone()])[1], (REVIEW, "add_foreign_key"));
    // So may a change of the column (here: NOT NULL with a backfill).
    let mut filled = boss.clone();
    filled.nullable = false;
    let backfill = alter_column_with_backfill("users", boss.clone(), filled, "1");
    assert_eq!(last(&[add.clone(), backfill, fk.clone()])[1], (REVIEW, "add_foreign_key"));
    // A column with a default holds that default, not NULL.
    let with_default = add_column("users", boss.clone().default_value(Literal::Int(1)));
    assert_eq!(last(&[with_default, fk.clone()])[2], (REVIEW, "add_foreign_key"));
    // A rename keeps it NULL.
    let renamed = add_foreign_key("users", foreign_key("users_chief_id_fkey", &["chief_id"], "users", &["id"]));
    assert_eq!(
        last(&[add, rename_column("users", "boss_id", "chief_id"), renamed])[1],
        (SAFE, "add_foreign_key_null_column")
    );
    // A column that existed before may hold anything.
    let existing = add_foreign_key("users", foreign_key("users_manager_id_fkey", &["manager_id"], "users", &["id"]));
    assert_eq!(last(&[existing])[1], (REVIEW, "add_foreign_key"));
}

#[test]
fn unique_containing_a_key_cannot_fail_and_keeps_the_index_build_visible() {
    let idx = create_index("users", index("users_id_name_idx", &["name", "id"]).unique());
    assert_eq!(
        last(&[idx]),
        [(SAFE, "unique_contains_key"), (REVIEW, "create_index_blocking"), (SAFE, "unique_contains_key")]
    );
    let con = add_unique("users", unique("users_email_name_key", &["email", "name"]));
    assert_eq!(
        last(&[con]),
        [(REVIEW, "sqlite_rebuild"), (REVIEW, "create_index_blocking"), (SAFE, "unique_contains_key")]
    );
    // A partial unique index is not a key.
    let partial = index("users_name_idx", &["name"]).unique().predicate("manager_id IS NOT NULL");
    let mut s = schema();
    s.tables[0].indexes.push(partial);
    let wider = create_index("users", index("users_name_manager_idx", &["name", "manager_id"]).unique());
    let per = classify_steps(&s, &[wider]).pop().unwrap();
    assert_eq!(per.mysql.code, "create_unique_index");
}

#[test]
fn unique_superset_of_a_dropped_unique_is_safe_unless_its_columns_changed() {
    let drop = drop_unique("users", unique("users_email_key", &["email"]));
    let add = add_unique("users", unique("users_email_name_key", &["name", "email"]));
    assert_eq!(
        last(&[drop.clone(), add.clone()]),
        [(REVIEW, "sqlite_rebuild"), (REVIEW, "create_index_blocking"), (SAFE, "unique_superset_of_dropped")]
    );
    // The column was changed in between (a narrowing can make values collide).
    let email = column("email", ColumnType::Text);
    let narrow = alter_column("users", email.clone(), column("email", ColumnType::Varchar(5)));
    assert_eq!(last(&[drop.clone(), narrow, add.clone()])[2], (REVIEW, "add_unique"));
    // Raw SQL in between may have written duplicates.
    let write = raw_sql(sql("UPDATE users SET email = 'x'"));
    assert_eq!(last(&[drop.clone(), write, add.clone()])[2], (REVIEW, "add_unique"));
    // A dropped primary key is a dropped unique key.
    let drop_pk = set_primary_key("users", Some(primary_key("users_pkey", &["id"])), None);
    let id_name = add_unique("users", unique("users_id_name_key", &["id", "name"]));
    assert_eq!(last(&[drop_pk, id_name])[2], (SAFE, "unique_superset_of_dropped"));
}
