//! PostgreSQL 12+ runs `ALTER TYPE ... ADD VALUE` inside a transaction, so a migration that adds an enum value is
//! atomic like any other: a later failing statement rolls the value back too. Only when a later step of the same
//! migration uses the new value (PostgreSQL refuses that before the value is committed) does the `ADD VALUE` run on
//! its own and the migration step by step.

use driftless_core::define::*;
use driftless_core::migration::{Class, Migration};
use driftless_core::schema::{ColumnType, DefaultValue, Literal};
use driftless_core::step::Step;
use driftless_migrate::{Database, Error, Migrator};
use driftless_testdb::TestDb;

const CREATE: &str = "m20260101T000000_create_tickets";
const ADD: &str = "m20260102T000000_add_archived";

fn create() -> Migration {
    let tickets = table("tickets")
        .with_column(column("id", ColumnType::BigInt))
        .with_column(column("status", ColumnType::Enum("ticket_status".into())))
        .primary_key("tickets_pkey", &["id"]);
    Migration::new(CREATE)
        .up([create_enum(enum_type("ticket_status", &["open", "closed"])), create_table(tickets.clone())])
        .down([drop_table(tickets), drop_enum(enum_type("ticket_status", &["open", "closed"]))])
}

fn add_value(then: Step) -> Migration {
    let (before, after) =
        (enum_type("ticket_status", &["open", "closed"]), enum_type("ticket_status", &["open", "closed", "archived"]));
    Migration::new(ADD)
        .class(Class::ReviewRequired)
        .up([alter_enum(before.clone(), after.clone(), &[]), then])
        .down([alter_enum(after, before, &[])])
}

async fn values(pool: &sqlx::PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT unnest(enum_range(NULL::ticket_status))::text").fetch_all(pool).await.unwrap()
}

async fn applied(migrator: &Migrator) -> Vec<String> {
    migrator.history().await.unwrap().into_iter().map(|r| r.name).collect()
}

#[tokio::test]
async fn an_added_enum_value_rolls_back_with_a_failing_migration() {
    let Some(testdb) = TestDb::postgres().await else { return };
    let db = Database::connect(testdb.url()).await.unwrap();
    let Database::Postgres(pool) = &db else { unreachable!("a PostgreSQL URL") };
    let failing = add_value(raw_sql(sql("INSERT INTO no_such_table (id) VALUES (1)")));
    let migrator = Migrator::new(db.clone(), [create(), failing]);
    let err = migrator.migrate().await.unwrap_err();
    assert!(matches!(err, Error::Statement { partial: false, index: 1, total: 2, .. }), "{err}");
    assert_eq!(values(pool).await, ["open", "closed"], "the new value went with the transaction");
    assert_eq!(applied(&migrator).await, [CREATE], "no row, dirty or not, for the failed migration");

    // Fixed, it applies in one go and the value is there.
    let fixed = add_value(raw_sql(sql("SELECT 1")));
    let migrator = Migrator::new(db.clone(), [create(), fixed]);
    migrator.migrate().await.unwrap();
    assert_eq!(values(pool).await, ["open", "closed", "archived"]);
    db.close().await;
}

#[tokio::test]
async fn an_enum_value_used_in_the_same_migration_is_added_before_it() {
    let Some(testdb) = TestDb::postgres().await else { return };
    let db = Database::connect(testdb.url()).await.unwrap();
    let Database::Postgres(pool) = &db else { unreachable!("a PostgreSQL URL") };
    let mut archived = column("archived_as", ColumnType::Enum("ticket_status".into()));
    archived.default = Some(DefaultValue::Value(Literal::String("archived".into())));
    let migrator = Migrator::new(db.clone(), [create(), add_value(add_column("tickets", archived))]);
    migrator.migrate().await.unwrap();
    assert_eq!(values(pool).await, ["open", "closed", "archived"]);
    let default: String = sqlx::query_scalar(
        "SELECT column_default FROM information_schema.columns WHERE table_name = 'tickets' AND column_name = \
         'archived_as'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(default, "'archived'::ticket_status");
    assert_eq!(applied(&migrator).await, [CREATE, ADD]);
    db.close().await;
}
