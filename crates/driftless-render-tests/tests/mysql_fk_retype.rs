//! `int` → `bigint` on a key other tables reference, and on the columns referencing it (as `migrate-generate`
//! writes it for `i32` → `i64`): MariaDB refuses the `MODIFY` of a column a foreign key uses (errors 1832/1833, with
//! or without `foreign_key_checks`), so the MySQL rendering drops the foreign keys first and re-adds them, with their
//! names and actions, once both sides are `bigint`, in `up` and in `down`. Checked on the servers with rows: the
//! migration applies and reverts, rows are intact, the foreign key is there and enforced (and still cascades).
//! Online (the migrator on MariaDB), the re-add runs the online foreign-key recipe (`ALGORITHM=INPLACE` between two
//! orphan probes) instead of a second table copy.
//! PostgreSQL and SQLite run the same steps as before (their SQL is asserted unchanged). The control: the plain
//! `MODIFY`s with the foreign key in place fail on MariaDB (1833, 1832).

use driftless_core::define::*;
use driftless_core::render;
use driftless_core::schema::{Column, ReferentialAction, Table};
use driftless_core::step::Step;
use driftless_core::{ColumnType, Dialect, Schema};
use driftless_render_tests::Harness;

fn id(ty: ColumnType) -> Column {
    column("id", ty).auto_increment()
}

fn order_id(ty: ColumnType) -> Column {
    column("order_id", ty)
}

fn orders() -> Table {
    table("orders").with_column(id(ColumnType::Integer)).primary_key("orders_pkey", &["id"])
}

fn items() -> Table {
    table("items")
        .with_column(column("id", ColumnType::Integer))
        .with_column(order_id(ColumnType::Integer))
        .primary_key("items_pkey", &["id"])
        .foreign_key(
            foreign_key("items_order_id_fkey", &["order_id"], "orders", &["id"]).on_delete(ReferentialAction::Cascade),
        )
}

fn before() -> Schema {
    let mut s = Schema::empty();
    s.tables.push(orders());
    s.tables.push(items());
    s
}

fn steps() -> Vec<Step> {
    vec![
        alter_column("items", order_id(ColumnType::Integer), order_id(ColumnType::BigInt)),
        alter_column("orders", id(ColumnType::Integer), id(ColumnType::BigInt)),
    ]
}

fn down_steps() -> Vec<Step> {
    steps().iter().rev().map(Step::inverse).collect()
}

fn after() -> Schema {
    driftless_core::replay::apply_steps(&before(), &steps()).unwrap()
}

fn script(steps: &[Step], d: Dialect, ctx: &Schema) -> String {
    render::render_steps(steps, d, ctx).unwrap().script()
}

#[test]
fn mysql_drops_the_foreign_key_before_the_modifies_and_re_adds_it_after_both() {
    let fk = "ALTER TABLE `items` ADD CONSTRAINT `items_order_id_fkey` FOREIGN KEY (`order_id`) REFERENCES `orders` \
              (`id`) ON DELETE CASCADE;";
    assert_eq!(
        script(&steps(), Dialect::Mysql, &before()),
        format!(
            "ALTER TABLE `items` DROP FOREIGN KEY `items_order_id_fkey`;\n\
             ALTER TABLE `items` MODIFY COLUMN `order_id` BIGINT NOT NULL;\n\
             ALTER TABLE `orders` MODIFY COLUMN `id` BIGINT NOT NULL AUTO_INCREMENT;\n{fk}\n"
        )
    );
    assert_eq!(
        script(&down_steps(), Dialect::Mysql, &after()),
        format!(
            "ALTER TABLE `items` DROP FOREIGN KEY `items_order_id_fkey`;\n\
             ALTER TABLE `orders` MODIFY COLUMN `id` INT NOT NULL AUTO_INCREMENT;\n\
             ALTER TABLE `items` MODIFY COLUMN `order_id` INT NOT NULL;\n{fk}\n"
        )
    );
    // The online plan: the drop is instant, the MODIFYs copy the tables (classified `mysql_table_copy`), the re-add
    // runs the online foreign-key recipe (INPLACE with foreign_key_checks=0 between two orphan probes).
    let plain = render::render_steps(&steps(), Dialect::Mysql, &before()).unwrap();
    let online = render::mysql_online::online_mysql(&steps(), &plain);
    let sql: Vec<&str> = online.statements.iter().map(|s| s.sql.as_str()).collect();
    assert_eq!(
        sql,
        [
            "ALTER TABLE `items` DROP FOREIGN KEY `items_order_id_fkey`, ALGORITHM=INSTANT, LOCK=NONE",
            "ALTER TABLE `items` MODIFY COLUMN `order_id` BIGINT NOT NULL, ALGORITHM=COPY, LOCK=SHARED",
            "ALTER TABLE `orders` MODIFY COLUMN `id` BIGINT NOT NULL AUTO_INCREMENT, ALGORITHM=COPY, LOCK=SHARED",
            "ALTER TABLE `items` ADD CONSTRAINT `items_order_id_fkey` FOREIGN KEY (`order_id`) REFERENCES `orders` \
             (`id`) ON DELETE CASCADE, ALGORITHM=INPLACE, LOCK=NONE",
        ]
    );
    let (table, fk) = render::mysql_online::online_foreign_key(&steps()[1], sql[3]).expect("the online recipe");
    assert_eq!(
        (table.as_str(), fk.name.as_str(), &fk.columns[..]),
        ("items", "items_order_id_fkey", &["order_id".to_owned()][..])
    );
    assert_eq!((fk.ref_table.as_str(), &fk.ref_columns[..]), ("orders", &["id".to_owned()][..]));
    assert!(render::mysql_online::online_foreign_key(&steps()[1], sql[2]).is_none());
    // A change that keeps the type leaves the foreign key alone.
    let nullable = [alter_column("items", order_id(ColumnType::Integer), order_id(ColumnType::Integer).nullable())];
    assert_eq!(script(&nullable, Dialect::Mysql, &before()), "ALTER TABLE `items` MODIFY COLUMN `order_id` INT;\n");
}

#[test]
fn postgres_and_sqlite_change_the_columns_with_the_foreign_key_in_place() {
    assert_eq!(
        script(&steps(), Dialect::Postgres, &before()),
        "ALTER TABLE \"items\" ALTER COLUMN \"order_id\" TYPE BIGINT USING \"order_id\"::BIGINT;\n\
         ALTER TABLE \"orders\" ALTER COLUMN \"id\" TYPE BIGINT USING \"id\"::BIGINT;\n"
    );
    let sqlite = script(&steps(), Dialect::Sqlite, &before());
    assert!(!sqlite.contains("DROP FOREIGN KEY"), "{sqlite}");
    assert!(sqlite.contains("FOREIGN KEY (\"order_id\") REFERENCES \"orders\" (\"id\") ON DELETE CASCADE"), "{sqlite}");
}

#[tokio::test]
async fn every_dialect_widens_a_referenced_key_with_rows_and_back() {
    for d in [Dialect::Mysql, Dialect::Postgres, Dialect::Sqlite] {
        let Some(mut h) = Harness::open(d).await else { continue };
        h.create(&before()).await;
        h.exec("INSERT INTO orders (id) VALUES (1), (2), (3)").await;
        h.exec("INSERT INTO items (id, order_id) VALUES (10, 1), (11, 2), (12, 2)").await;
        if d == Dialect::Mysql {
            // The control: the plain MODIFYs with the foreign key in place are what MariaDB refuses (1833 on the
            // referenced side, 1832 on the referencing one), even with foreign_key_checks=0.
            h.exec("SET SESSION foreign_key_checks = 0").await;
            let refused = h.exec_fails("ALTER TABLE `orders` MODIFY COLUMN `id` BIGINT NOT NULL AUTO_INCREMENT").await;
            assert!(refused.contains("1833") && refused.contains("used in a foreign key constraint"), "{refused}");
            let refused = h.exec_fails("ALTER TABLE `items` MODIFY COLUMN `order_id` BIGINT NOT NULL").await;
            assert!(refused.contains("1832") && refused.contains("used in a foreign key constraint"), "{refused}");
            h.exec("SET SESSION foreign_key_checks = 1").await;
        }
        let rows = "SELECT i.id, i.order_id, o.id FROM items i JOIN orders o ON o.id = i.order_id ORDER BY i.id";
        let seeded = [["10", "1", "1"], ["11", "2", "2"], ["12", "2", "2"]];
        h.up(&before(), &steps()).await;
        assert_eq!(h.rows(rows).await, seeded, "{d}");
        if d != Dialect::Sqlite {
            let types = "SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() \
                         AND ((table_name = 'orders' AND column_name = 'id') OR (table_name = 'items' AND \
                         column_name = 'order_id'))";
            let types =
                if d == Dialect::Mysql { types.replace("current_schema()", "DATABASE()") } else { types.into() };
            assert_eq!(h.rows(&types).await, [["bigint"], ["bigint"]], "{d}");
        }
        assert_foreign_key(&mut h, d, "5000000000").await;
        h.down(&after(), &steps()).await;
        assert_eq!(h.rows(rows).await, [["10", "1", "1"]], "{d}: the cascade deleted order 2's items");
        assert_foreign_key(&mut h, d, "99").await;
        h.close().await;
    }
}

/// The foreign key is there, enforced and cascading: an orphan is refused, deleting order 2 deletes its items.
async fn assert_foreign_key(h: &mut Harness, d: Dialect, orphan: &str) {
    if d == Dialect::Sqlite {
        h.exec("PRAGMA foreign_keys = ON").await;
    }
    let refused = h.exec_fails(&format!("INSERT INTO items (id, order_id) VALUES (999999, {orphan})")).await;
    assert!(refused.to_lowercase().contains("foreign key"), "{d}: {refused}");
    if d == Dialect::Mysql {
        let named = "SELECT CONSTRAINT_NAME, DELETE_RULE FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE \
                     CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 'items'";
        assert_eq!(h.rows(named).await, [["items_order_id_fkey", "CASCADE"]]);
    }
    h.exec("DELETE FROM orders WHERE id = 2").await;
    assert_eq!(h.value("SELECT COUNT(*) FROM items WHERE order_id = 2").await, "0", "{d}");
    h.exec("INSERT INTO orders (id) VALUES (2)").await;
}

/// Through the migrator on MariaDB, online (the default): the up runs the four statements with their algorithms,
/// the down reverts them, the rows and the foreign key survive both.
#[tokio::test]
async fn the_migrator_widens_and_narrows_a_referenced_key_on_mariadb() {
    use driftless_core::migration::{Class, Migration};
    use driftless_migrate::{Database, Migrator};
    let Some(mut h) = Harness::open(Dialect::Mysql).await else { return };
    let create = Migration::new("m20260101T000000_create")
        .up([create_table(orders()), create_table(items())])
        .down([drop_table(items()), drop_table(orders())]);
    let widen = Migration::new("m20260102T000000_widen").up(steps()).down(down_steps()).class(Class::ReviewRequired);
    let db = Database::connect(h.url()).await.unwrap();
    Migrator::new(db.clone(), [create.clone()]).migrate().await.unwrap();
    h.exec("INSERT INTO orders (id) SELECT seq FROM seq_1_to_1000").await;
    h.exec("INSERT INTO items (id, order_id) SELECT seq, seq % 1000 + 1 FROM seq_1_to_3000").await;
    let digest = "SELECT COUNT(*), SUM(i.id), SUM(i.order_id) FROM items i JOIN orders o ON o.id = i.order_id";
    let seeded = h.rows(digest).await;
    assert_eq!(seeded, [["3000", "4501500", "1501500"]]);
    let migrator = Migrator::new(db.clone(), [create, widen]);
    let report = migrator.migrate().await.unwrap();
    assert_eq!(report.applied(), ["m20260102T000000_widen"]);
    let ran: Vec<&str> = report.steps[0].algorithms.iter().map(|a| a.sql.as_str()).collect();
    assert_eq!(ran.len(), 4, "{ran:?}");
    assert!(ran[0].ends_with("DROP FOREIGN KEY `items_order_id_fkey`, ALGORITHM=INSTANT, LOCK=NONE"), "{ran:?}");
    assert!(ran[3].contains("ADD CONSTRAINT `items_order_id_fkey` FOREIGN KEY"), "{ran:?}");
    assert!(ran[3].ends_with("ALGORITHM=INPLACE, LOCK=NONE"), "the online foreign-key recipe: {ran:?}");
    assert_eq!(h.rows(digest).await, seeded);
    assert_foreign_key(&mut h, Dialect::Mysql, "5000000000").await;
    let cascaded = [["2997", "4498497", "1501494"]];
    assert_eq!(h.rows(digest).await, cascaded, "order 2's three items (1, 1001, 2001) were cascaded");
    let report = migrator.down().await.unwrap();
    assert_eq!(report.reverted(), ["m20260102T000000_widen"]);
    assert_eq!(h.rows(digest).await, cascaded);
    assert_foreign_key(&mut h, Dialect::Mysql, "99999").await;
    db.close().await;
    h.close().await;
}
