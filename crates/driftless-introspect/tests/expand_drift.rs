//! Drift while an online expand/contract is paused (PostgreSQL): between the expand and the contract the database
//! holds the shadow columns, their `IS NOT NULL` checks and the copied indexes. `drift` expects exactly the objects
//! the paused migration's expand plan created (`driftless_migrate::expand_contract::expanded`) and lists them as
//! the expand in progress, not as drift; anything else still is drift (the control: an unrelated column, and a
//! copied index dropped by hand).

use driftless_core::migration::{Class, Migration};
use driftless_core::testing::orders_items::{WIDEN, create, widen_up};
use driftless_migrate::{Database, Migrator};
use driftless_testdb::TestDb;
use sqlx::Executor;

fn registry() -> Vec<Migration> {
    vec![create(), Migration::new(WIDEN).class(Class::ReviewRequired).up(widen_up())]
}

#[tokio::test]
async fn a_paused_expand_is_not_drift_but_anything_else_is() {
    let Some(testdb) = TestDb::postgres().await else { return };
    let db = Database::connect(testdb.url()).await.unwrap();
    let Database::Postgres(pool) = &db else { unreachable!("a PostgreSQL URL") };
    Migrator::new(db.clone(), registry()[..1].to_vec()).migrate().await.unwrap();
    pool.execute("INSERT INTO orders SELECT FROM generate_series(1, 50)").await.unwrap();
    pool.execute("INSERT INTO items (order_id) SELECT id FROM orders").await.unwrap();
    let report = Migrator::new(db.clone(), registry()).migrate().await.unwrap();
    assert_eq!(report.contract_pending.as_deref(), Some(WIDEN), "paused after the expand");

    let expand = format!(
        "expand   in progress for {WIDEN}: contract pending (the next `migrate` runs it); not drift: column \
         orders.id__driftless_new, trigger orders_id__driftless_new on orders and its function \
         orders_id__driftless_new(), check orders_id__driftless_new_not_null on orders, index \
         orders_pkey__driftless_new on orders, column items.order_id__driftless_new, trigger \
         items_order_id__driftless_new on items and its function items_order_id__driftless_new(), check \
         items_order_id__driftless_new_not_null on items, index items_order_id_idx__driftless_new on items\n"
    );
    let drift = driftless_introspect::drift(&db, &registry()).await.unwrap();
    assert_eq!(drift.differences, vec![]);
    assert_eq!(
        drift.to_string(),
        format!("{expand}no drift: the database matches the schema of its applied migrations\n")
    );

    // Control: an unrelated column, and a copied index dropped by hand, are drift during the pause.
    pool.execute("ALTER TABLE orders ADD COLUMN extra integer").await.unwrap();
    pool.execute("DROP INDEX items_order_id_idx__driftless_new").await.unwrap();
    let drift = driftless_introspect::drift(&db, &registry()).await.unwrap();
    let lines: Vec<String> = drift.differences.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "index `items_order_id_idx__driftless_new` on `items` is missing from the database",
            "column `orders`.`extra` is in the database but not in the expected schema",
        ]
    );
    assert!(drift.to_string().starts_with(&expand), "{drift}");

    // After the contract, nothing of the expand is expected any more: the schema is the replay's.
    pool.execute("ALTER TABLE orders DROP COLUMN extra").await.unwrap();
    pool.execute("CREATE INDEX items_order_id_idx__driftless_new ON items (order_id__driftless_new)").await.unwrap();
    Migrator::new(db.clone(), registry()).migrate().await.unwrap();
    let drift = driftless_introspect::drift(&db, &registry()).await.unwrap();
    assert_eq!(drift.to_string(), "no drift: the database matches the schema of its applied migrations\n");
    db.close().await;
    testdb.close().await.unwrap();
}
