//! Auto-increment on a column that is not the primary key (a ticket number) on real databases: PostgreSQL makes it
//! an identity, MySQL/MariaDB an AUTO_INCREMENT column that leads a unique key, and SQLite refuses it (its
//! AUTOINCREMENT exists only on the INTEGER PRIMARY KEY) with the table and column named.

use driftless_core::render::render_steps;
use driftless_core::schema::{PrimaryKey, UniqueConstraint};
use driftless_core::step::Step;
use driftless_core::{Column, ColumnType, Dialect, Schema, Table};
use driftless_render_tests::db_test;

fn col(name: &str, ty: &str) -> Column {
    Column::new(name, ty.parse::<ColumnType>().unwrap())
}

fn rows(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter().map(|r| r.iter().map(|v| (*v).to_owned()).collect()).collect()
}

/// `tickets (id PK, number UNIQUE, title)`, with `number` auto-increment when `auto`.
fn tickets(auto: bool) -> Schema {
    let mut t = Table::new("tickets");
    t.columns.push(col("id", "i32"));
    t.columns.push(Column { auto_increment: auto, ..col("number", "i64") });
    t.columns.push(col("title", "varchar(50)"));
    t.primary_key = Some(PrimaryKey { name: "tickets_pkey".into(), columns: vec!["id".into()] });
    t.uniques.push(UniqueConstraint { name: "tickets_number_key".into(), columns: vec!["number".into()] });
    Schema { tables: vec![t], enums: vec![] }.normalized()
}

const SQLITE_REFUSAL: &str = "cannot be rendered for sqlite: column `tickets.number` is auto_increment but is not the \
                              table's only primary-key column, and SQLite generates values only for its INTEGER \
                              PRIMARY KEY; make `number` the primary key, or remove auto_increment from it and fill \
                              it from the application";

db_test!(add_auto_increment_to_a_non_key_column_with_rows, |h| {
    let s = tickets(false);
    h.create(&s).await;
    h.exec("INSERT INTO tickets (id, number, title) VALUES (1, 10, 'a'), (2, 20, 'b'), (3, 7, 'c')").await;
    let from = col("number", "i64");
    let to = Column { auto_increment: true, ..from.clone() };
    let steps = [Step::AlterColumn { table: "tickets".into(), from, to, backfill: None }];
    if h.dialect == Dialect::Sqlite {
        let err = render_steps(&steps, Dialect::Sqlite, &s).unwrap_err();
        assert_eq!(err.to_string(), format!("alter_column on table `tickets` {SQLITE_REFUSAL}"));
        return;
    }
    let after = h.up(&s, &steps).await;
    // The next generated number follows the largest existing one, and the rows kept theirs.
    h.exec("INSERT INTO tickets (id, title) VALUES (4, 'd')").await;
    h.exec("INSERT INTO tickets (id, title) VALUES (5, 'e')").await;
    assert_eq!(
        h.rows("SELECT id, number, title FROM tickets ORDER BY id").await,
        rows(&[&["1", "10", "a"], &["2", "20", "b"], &["3", "7", "c"], &["4", "21", "d"], &["5", "22", "e"]])
    );
    // The unique key still holds.
    h.exec_fails("INSERT INTO tickets (id, number, title) VALUES (6, 21, 'f')").await;
    h.down(&after, &steps).await;
    // Without auto-increment a number must be given again; every row is still there.
    h.exec_fails("INSERT INTO tickets (id, title) VALUES (6, 'f')").await;
    h.exec("INSERT INTO tickets (id, number, title) VALUES (6, 30, 'f')").await;
    assert_eq!(h.value("SELECT COUNT(*) FROM tickets").await, "6");
});

db_test!(create_table_with_a_non_key_auto_increment_column, |h| {
    let s = tickets(true);
    let steps = [Step::CreateTable { table: s.tables[0].clone() }];
    if h.dialect == Dialect::Sqlite {
        let err = render_steps(&steps, Dialect::Sqlite, &Schema::empty()).unwrap_err();
        assert_eq!(err.to_string(), format!("create_table on table `tickets` {SQLITE_REFUSAL}"));
        return;
    }
    let after = h.up(&Schema::empty(), &steps).await;
    assert_eq!(after, s);
    h.exec("INSERT INTO tickets (id, title) VALUES (1, 'a'), (2, 'b')").await;
    h.exec("INSERT INTO tickets (id, number, title) VALUES (3, 100, 'c')").await;
    assert_eq!(
        h.rows("SELECT id, number FROM tickets ORDER BY id").await,
        rows(&[&["1", "1"], &["2", "2"], &["3", "100"]])
    );
    h.down(&after, &steps).await;
});

#[test]
fn mysql_refuses_an_auto_increment_column_that_leads_no_key_and_says_how() {
    let mut s = tickets(false);
    s.tables[0].uniques.clear();
    let from = col("number", "i64");
    let to = Column { auto_increment: true, ..from.clone() };
    let steps = [Step::AlterColumn { table: "tickets".into(), from, to, backfill: None }];
    let err = render_steps(&steps, Dialect::Mysql, &s).unwrap_err();
    assert_eq!(
        err.to_string(),
        "alter_column on table `tickets` cannot be rendered for mysql: column `tickets.number` is auto_increment, and \
         MySQL/MariaDB need such a column to be the first column of a key; add a unique constraint on (number) in an \
         earlier migration (or in the same CREATE TABLE), then make it auto_increment"
    );
    // PostgreSQL makes any column an identity.
    let pg = render_steps(&steps, Dialect::Postgres, &s).unwrap();
    assert_eq!(
        pg.script(),
        "ALTER TABLE \"tickets\" ALTER COLUMN \"number\" ADD GENERATED BY DEFAULT AS IDENTITY;\nSELECT setval(pg_get_serial_sequence('\"tickets\"', 'number'), COALESCE(MAX(\"number\"), 0) + 1, false) FROM \"tickets\";\n"
    );
}
