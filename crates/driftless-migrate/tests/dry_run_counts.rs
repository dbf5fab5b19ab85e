//! `migrate --dry-run` says what failed when it cannot count a table's rows (or the rows a backfill would fill)
//! although the table should be there: here it was dropped by hand. The control: the same dry run with the table
//! in place counts its rows and reports no failure.

mod common;

use common::*;
use driftless_core::Dialect;
use driftless_core::migration::prelude::*;

const BASE: &str = "m20260101T000000_base";
const FILL: &str = "m20260102T000000_fill";

fn users() -> driftless_core::Table {
    table("users")
        .with_column(column("id", ColumnType::BigInt))
        .with_column(column("tz", ColumnType::Text).nullable())
        .primary_key("users_pkey", &["id"])
}

fn registry() -> Vec<Migration> {
    vec![
        Migration::new(BASE).up([create_table(users())]).down([drop_table(users())]),
        Migration::new(FILL)
            .class(Class::ReviewRequired)
            .up([backfill("users", &[("tz", "'UTC'")]).when("tz IS NULL").batch_size(10)]),
    ]
}

async fn a_failed_count_says_what_failed(t: Target) {
    t.migrator(registry()[..1].to_vec()).migrate().await.unwrap();
    t.exec("INSERT INTO users (id) VALUES (1), (2), (3)").await;

    // The control: the table is there, its rows and the rows to fill are counted, nothing failed.
    let plan = t.migrator(registry()).dry_run().await.unwrap();
    let s = &plan.migrations[0].statements[0];
    assert_eq!((s.rows.clone(), s.to_fill, s.count_failed.clone()), (Some(("users".into(), Some(3))), Some(3), None));

    t.exec("DROP TABLE users").await;
    let plan = t.migrator(registry()).dry_run().await.unwrap();
    let s = &plan.migrations[0].statements[0];
    assert_eq!((s.rows.clone(), s.to_fill), (Some(("users".into(), None)), None));
    let failed = s.count_failed.clone().unwrap();
    let missing = match t.dialect {
        Dialect::Sqlite => "no such table: users".to_owned(),
        Dialect::Postgres => "relation \"users\" does not exist".to_owned(),
        _ => "users' doesn't exist".to_owned(),
    };
    assert!(failed.starts_with("counting the rows of `users` failed: error returned from database: "), "{failed}");
    assert!(failed.contains("; counting the rows to fill failed: error returned from database: "), "{failed}");
    assert_eq!(failed.matches(missing.as_str()).count(), 2, "{failed}");
    let text = plan.to_string();
    let line = text.lines().find(|l| l.trim_start().starts_with("lock: ")).unwrap();
    assert!(
        line.contains("(online); users: rows unknown; not counted: counting the rows of `users` failed: "),
        "{line}"
    );
}

on_every_backend!(a_failed_count_says_what_failed);
