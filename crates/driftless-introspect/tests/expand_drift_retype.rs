//! Drift while the expand/contract of a type change other than an integer widening is paused (PostgreSQL):
//! `integer` → `numeric(12,2)` with a default and a comment, and `text` → `uuid` with a unique constraint. The
//! shadow columns have the new types and no default or comment yet; `drift` expects exactly that (the objects of
//! `driftless_migrate::expand_contract::expanded`), and after the contract the swapped columns with their default
//! and comment are the replay's schema: no drift either time. The control: a shadow column of another type is drift.

use driftless_core::define::*;
use driftless_core::migration::{Class, Migration};
use driftless_core::schema::{Column, ColumnType, Table};
use driftless_migrate::{Database, Migrator};
use driftless_testdb::TestDb;
use sqlx::Executor;

const CREATE: &str = "m20260101T000000_create_accounts";
const RETYPE: &str = "m20260102T000000_accounts_retype";
const MONEY: ColumnType = ColumnType::Decimal { precision: 12, scale: 2 };

fn amount(ty: ColumnType) -> Column {
    column("amount", ty).default_sql("0").comment("in cents")
}

fn accounts() -> Table {
    table("accounts")
        .with_column(column("id", ColumnType::BigInt).auto_increment())
        .with_column(amount(ColumnType::Integer))
        .with_column(column("token", ColumnType::Text))
        .primary_key("accounts_pkey", &["id"])
        .index(index("accounts_amount_idx", &["amount"]))
        .unique("accounts_token_key", &["token"])
}

fn registry() -> Vec<Migration> {
    let token = |ty| column("token", ty);
    vec![
        Migration::new(CREATE).up([create_table(accounts())]).down([drop_table(accounts())]),
        Migration::new(RETYPE)
            .class(Class::Dangerous)
            .acknowledged("the test", "text to uuid fails on a value that is not one; the probe refuses first")
            .up([
                alter_column("accounts", amount(ColumnType::Integer), amount(MONEY)),
                alter_column("accounts", token(ColumnType::Text), token(ColumnType::Uuid)),
            ]),
    ]
}

#[tokio::test]
async fn a_paused_retype_is_not_drift_and_the_contract_reaches_the_replay() {
    let Some(testdb) = TestDb::postgres().await else { return };
    let db = Database::connect(testdb.url()).await.unwrap();
    let Database::Postgres(pool) = &db else { unreachable!("a PostgreSQL URL") };
    Migrator::new(db.clone(), registry()[..1].to_vec()).migrate().await.unwrap();
    pool.execute("INSERT INTO accounts (amount, token) SELECT g, md5(g::text) FROM generate_series(1, 50) g")
        .await
        .unwrap();
    let report = Migrator::new(db.clone(), registry()).migrate().await.unwrap();
    assert_eq!(report.contract_pending.as_deref(), Some(RETYPE), "paused after the expand");

    let expand = format!(
        "expand   in progress for {RETYPE}: contract pending (the next `migrate` runs it); not drift: column \
         accounts.amount__driftless_new, trigger accounts_amount__driftless_new on accounts and its function \
         accounts_amount__driftless_new(), column accounts.token__driftless_new, trigger \
         accounts_token__driftless_new on accounts and its function accounts_token__driftless_new(), check \
         accounts_amount__driftless_new_not_null on accounts, check accounts_token__driftless_new_not_null on \
         accounts, index accounts_token_key__driftless_new on accounts, index accounts_amount_idx__driftless_new on \
         accounts\n"
    );
    let drift = driftless_introspect::drift(&db, &registry()).await.unwrap();
    assert_eq!(drift.differences, vec![]);
    assert_eq!(
        drift.to_string(),
        format!("{expand}no drift: the database matches the schema of its applied migrations\n")
    );

    // Control: the shadow column with another type is drift.
    pool.execute("ALTER TABLE accounts ALTER COLUMN amount__driftless_new TYPE numeric(14,2)").await.unwrap();
    let drift = driftless_introspect::drift(&db, &registry()).await.unwrap();
    assert_eq!(drift.differences.len(), 1, "{drift}");
    pool.execute("ALTER TABLE accounts ALTER COLUMN amount__driftless_new TYPE numeric(12,2)").await.unwrap();

    // After the contract: the swapped columns, their default and comment, are the replay's schema.
    Migrator::new(db.clone(), registry()).migrate().await.unwrap();
    let drift = driftless_introspect::drift(&db, &registry()).await.unwrap();
    assert_eq!(drift.to_string(), "no drift: the database matches the schema of its applied migrations\n");
    db.close().await;
    testdb.close().await.unwrap();
}
