//! MariaDB refuses an `AUTO_INCREMENT` column without a key at every statement (error 1075), so a column added
//! with its primary key must be one `ALTER TABLE` (and so must the key dropped with the column on the way down).
//! Checked on the server with rows; PostgreSQL and SQLite run the same steps as before.

use driftless_core::define::*;
use driftless_core::render;
use driftless_core::step::Step;
use driftless_core::{ColumnType, Dialect, Schema};
use driftless_render_tests::Harness;

fn events() -> Schema {
    let mut s = Schema::empty();
    s.tables.push(table("events").with_column(column("name", ColumnType::Varchar(20))));
    s
}

fn steps() -> Vec<Step> {
    vec![
        add_column("events", column("id", ColumnType::BigInt).auto_increment()),
        set_primary_key("events", None, Some(primary_key("events_pkey", &["id"]))),
    ]
}

#[test]
fn mysql_adds_the_column_and_its_key_in_one_statement_and_drops_them_together() {
    let up = render::render_steps(&steps(), Dialect::Mysql, &events()).unwrap();
    assert_eq!(
        up.script().trim(),
        "ALTER TABLE `events` ADD COLUMN `id` BIGINT NOT NULL AUTO_INCREMENT, ADD PRIMARY KEY (`id`);"
    );
    let after = driftless_core::replay::apply_steps(&events(), &steps()).unwrap();
    let down: Vec<Step> = steps().iter().rev().map(Step::inverse).collect();
    let down = render::render_steps(&down, Dialect::Mysql, &after).unwrap();
    assert_eq!(down.script().trim(), "ALTER TABLE `events` DROP PRIMARY KEY, DROP COLUMN `id`;");
    // A column that is not auto-increment keeps its two statements.
    let plain = [
        add_column("events", column("id", ColumnType::BigInt)),
        set_primary_key("events", None, Some(primary_key("events_pkey", &["id"]))),
    ];
    let sql = render::render_steps(&plain, Dialect::Mysql, &events()).unwrap();
    assert_eq!(sql.statements.len(), 2);
}

#[tokio::test]
async fn every_dialect_adds_an_auto_increment_key_column_to_a_table_with_rows_and_back() {
    for d in [Dialect::Mysql, Dialect::Postgres, Dialect::Sqlite] {
        let Some(mut h) = Harness::open(d).await else { continue };
        h.create(&events()).await;
        h.exec("INSERT INTO events (name) VALUES ('a'), ('b')").await;
        let after = h.up(&events(), &steps()).await;
        assert_eq!(h.rows("SELECT id, name FROM events ORDER BY id").await, [["1", "a"], ["2", "b"]], "{d}");
        h.exec("INSERT INTO events (name) VALUES ('c')").await;
        assert_eq!(h.value("SELECT id FROM events WHERE name = 'c'").await, "3", "{d}");
        h.down(&after, &steps()).await;
        assert_eq!(h.columns("events").await, ["name"], "{d}");
        assert_eq!(h.value("SELECT COUNT(*) FROM events").await, "3", "{d}");
        h.close().await;
    }
}
