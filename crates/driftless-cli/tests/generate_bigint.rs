//! `int` → `bigint` on a primary key that another table references, end to end: `migrate-generate` writes the two
//! type changes as one migration N and, because online PostgreSQL runs them as expand/contract, a second migration
//! N+1 holding `contract(N)` (both files are the committed fixtures byte for byte, so they are frozen and compile:
//! they are modules of this test). N's header names the expand/contract verdict, the locks of both phases and its
//! contract migration; N+1's names the expand it contracts, the contract's locks and its empty down. With both
//! registered, the first `migrate` on PostgreSQL expands N, records it applied and stops, and the next runs N+1.
//! Registered without N+1 (the single-file form of older projects), N keeps the old behaviour: the first `migrate`
//! expands and stops with N's row dirty at the contract marker, the next one contracts. SQLite runs the plain form
//! (a table rebuild) in one go. MariaDB is left out here (see `driftless-migrate/tests/expand_contract_file.rs`).
//!
//! Regenerate the fixtures with `DRIFTLESS_UPDATE_FIXTURES=1 cargo test -p driftless-cli --test generate_bigint`.

use std::path::Path;
use std::process::ExitCode;

use driftless_cli::{Project, run};
use driftless_core::define::*;
use driftless_core::migration::Migration;
use driftless_core::schema::{ColumnType, ReferentialAction, Table};
use driftless_migrate::{Database, Migrator};
use driftless_testdb::TestDb;

mod common;
use common::{command, exec, header, number};

// The generated text, byte for byte: the workspace's wider rustfmt.toml would join its short builder chain.
#[rustfmt::skip]
#[path = "fixtures/bigint/m20261129_110001_contract_orders_id_bigint.rs"]
mod contract_file;
#[path = "fixtures/bigint/m20261129_100000_init.rs"]
mod init_file;
#[path = "fixtures/bigint/m20261129_110000_orders_id_bigint.rs"]
mod widen_file;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/bigint");
const WIDEN: &str = "m20261129_110000_orders_id_bigint";
const CONTRACT: &str = "m20261129_110001_contract_orders_id_bigint";

fn orders(ty: ColumnType) -> Table {
    table("orders")
        .with_column(column("id", ty).auto_increment())
        .with_column(column("note", ColumnType::Text))
        .primary_key("orders_pkey", &["id"])
}

fn items(ty: ColumnType) -> Table {
    table("items")
        .with_column(column("id", ColumnType::BigInt).auto_increment())
        .with_column(column("order_id", ty))
        .primary_key("items_pkey", &["id"])
        .index(index("items_order_id_idx", &["order_id"]))
        .foreign_key(
            foreign_key("items_order_id_fkey", &["order_id"], "orders", &["id"]).on_delete(ReferentialAction::Cascade),
        )
}

fn project(dir: &Path, ty: ColumnType) -> Project {
    common::project(dir, vec![("Order", orders(ty.clone())), ("Item", items(ty))])
}

#[test]
fn the_generated_file_is_the_fixture_and_names_both_phases() {
    let dir = tempfile::tempdir().unwrap();
    let p = project(dir.path(), ColumnType::Integer);
    assert_eq!(run(&p, ["migrate-generate", "--name", "init", "--timestamp", "20261129_100000"]), ExitCode::SUCCESS);
    let p = project(dir.path(), ColumnType::BigInt);
    let args = ["migrate-generate", "--name", "orders_id_bigint", "--timestamp", "20261129_110000"];
    assert_eq!(run(&p, args), ExitCode::SUCCESS);
    for name in ["m20261129_100000_init.rs", &format!("{WIDEN}.rs"), &format!("{CONTRACT}.rs")] {
        common::check_fixture(dir.path(), FIXTURES, name);
    }
    let widen = std::fs::read_to_string(Path::new(FIXTURES).join(format!("{WIDEN}.rs"))).unwrap();
    insta::assert_snapshot!("orders_id_bigint_header", header(&widen));
    for line in [
        "so online PostgreSQL runs it in two phases. Expand (this `migrate`): a shadow column `id__driftless_new`",
        "Contract (the next `migrate`, or `migrate --contract`)",
        "moves the identity (its sequence carries on)",
        "none: the migrator stops here after the expand; the next `migrate` runs the contract",
        "MySQL table copy",
        ".class(Class::ReviewRequired)",
    ] {
        assert!(widen.replace("\n//!   ", " ").contains(line), "missing {line}:\n{widen}");
    }
    let m = widen_file::migration();
    let kinds: Vec<&str> = m.up.iter().map(|s| s.kind()).collect();
    assert_eq!(kinds, ["alter_column", "alter_column"], "the file holds the model change, not the recipe");
    // The contract migration: one contract step naming N, an empty down, registered after N; the models are up to
    // date with both files.
    let contract = std::fs::read_to_string(Path::new(FIXTURES).join(format!("{CONTRACT}.rs"))).unwrap();
    insta::assert_snapshot!("contract_orders_id_bigint_file", contract);
    let c = contract_file::migration();
    assert_eq!(c.up, [driftless_core::define::contract(WIDEN)]);
    assert!(c.down.is_empty() && c.parent.is_none() && c.snapshot.is_none(), "{c:?}");
    let registry = std::fs::read_to_string(dir.path().join("migrations/mod.rs")).unwrap();
    let at = |name: &str| registry.find(name).unwrap_or_else(|| panic!("{name} in {registry}"));
    assert!(at("m20261129_100000_init") < at(WIDEN) && at(WIDEN) < at(CONTRACT), "{registry}");
    assert_eq!(run(&p, ["migrate-generate", "--check"]), ExitCode::SUCCESS, "up to date after both files");
}

fn registry() -> Vec<Migration> {
    vec![init_file::migration(), widen_file::migration()]
}

async fn end_to_end(testdb: TestDb) {
    let url = testdb.url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let project = project(dir.path(), ColumnType::BigInt).with_migrations(dir.path().join("migrations"), registry());
    let db = Database::connect(&url).await.unwrap();
    let args = |cmd: &str| vec![cmd.to_owned(), "--database-url".to_owned(), url.clone()];
    assert_eq!(command(&project, args("migrate-up")).await, ExitCode::SUCCESS, "the first migration");
    exec(&db, "INSERT INTO orders (note) VALUES ('a'), ('b'), ('c')").await;
    exec(&db, "INSERT INTO items (order_id) VALUES (1), (2), (2), (3)").await;

    let is_pg = matches!(db, Database::Postgres(_));
    assert_eq!(command(&project, args("migrate")).await, ExitCode::SUCCESS);
    let history = Migrator::new(db.clone(), registry()).history().await.unwrap();
    if is_pg {
        // Expanded, stopped before the contract: the row is dirty at the contract marker.
        let row = history.iter().find(|r| r.name == WIDEN).expect("a row for the expand");
        assert_eq!(row.dirty, Some(driftless_migrate::Direction::Up), "{row:?}");
        assert_eq!(number(&db, "SELECT COUNT(*) FROM orders WHERE id__driftless_new = id").await, 3);
        exec(&db, "INSERT INTO orders (note) VALUES ('during')").await;
        assert_eq!(command(&project, args("migrate")).await, ExitCode::SUCCESS, "the contract");
        let bigint = "SELECT COUNT(*) FROM information_schema.columns WHERE data_type = 'bigint' AND \
                      ((table_name = 'orders' AND column_name = 'id') OR (table_name = 'items' AND column_name = 'order_id'))";
        assert_eq!(number(&db, bigint).await, 2);
    }
    let history = Migrator::new(db.clone(), registry()).history().await.unwrap();
    assert_eq!(history.iter().filter(|r| r.dirty.is_none()).count(), 2, "{history:?}");
    exec(&db, "INSERT INTO orders (note) VALUES ('after')").await;
    exec(&db, "INSERT INTO items (order_id) SELECT MAX(id) FROM orders").await;
    assert_eq!(number(&db, "SELECT COUNT(*) FROM items i JOIN orders o ON o.id = i.order_id").await, 5);
    // The foreign key still cascades.
    exec(&db, "DELETE FROM orders WHERE id = 2").await;
    assert_eq!(number(&db, "SELECT COUNT(*) FROM items").await, 3);

    assert_eq!(command(&project, args("migrate-down")).await, ExitCode::SUCCESS, "down");
    exec(&db, "INSERT INTO orders (note) VALUES ('down')").await;
    assert_eq!(number(&db, "SELECT COUNT(*) FROM orders").await, if is_pg { 5 } else { 4 });
    db.close().await;
    testdb.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_runs_the_plain_change() {
    end_to_end(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_expands_then_contracts() {
    let Some(testdb) = TestDb::postgres().await else { return };
    end_to_end(testdb).await;
}

/// `migrate-verify` applies each migration in its own run on a scratch database: the expand/contract migration runs
/// both phases there (nobody writes), and its schema is the replay's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_verify_runs_both_phases_on_a_scratch_postgres() {
    let Some(scratch) = TestDb::postgres().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let p = project(dir.path(), ColumnType::Integer);
    assert_eq!(run(&p, ["migrate-generate", "--name", "init", "--timestamp", "20261129_100000"]), ExitCode::SUCCESS);
    let p = project(dir.path(), ColumnType::BigInt);
    let args = ["migrate-generate", "--name", "orders_id_bigint", "--timestamp", "20261129_110000"];
    assert_eq!(run(&p, args), ExitCode::SUCCESS);
    let p = p.with_migrations(dir.path().join("migrations"), registry_with_contract());
    let url = scratch.url().to_owned();
    let args = vec!["migrate-verify".to_owned(), "--database-url".to_owned(), url];
    assert_eq!(command(&p, args).await, ExitCode::SUCCESS);
    scratch.close().await.unwrap();
}

fn registry_with_contract() -> Vec<Migration> {
    vec![init_file::migration(), widen_file::migration(), contract_file::migration()]
}

/// The two-file form through the CLI on PostgreSQL: `migrate` expands N, records it applied and stops; status has
/// N applied and the contract pending, and the expand's objects are not drift; the next `migrate` contracts; down
/// of the contract changes nothing, down of N restores `integer`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_runs_the_contract_as_the_next_migration() {
    let Some(testdb) = TestDb::postgres().await else { return };
    let url = testdb.url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let project = project(dir.path(), ColumnType::BigInt)
        .with_migrations(dir.path().join("migrations"), registry_with_contract());
    let db = Database::connect(&url).await.unwrap();
    let args = |cmd: &str| vec![cmd.to_owned(), "--database-url".to_owned(), url.clone()];
    assert_eq!(command(&project, args("migrate-up")).await, ExitCode::SUCCESS, "the first migration");
    exec(&db, "INSERT INTO orders (note) VALUES ('a'), ('b'), ('c')").await;
    exec(&db, "INSERT INTO items (order_id) VALUES (1), (2), (2), (3)").await;

    assert_eq!(command(&project, args("migrate")).await, ExitCode::SUCCESS, "the expand");
    let migrator = Migrator::new(db.clone(), registry_with_contract());
    let history = migrator.history().await.unwrap();
    assert!(history.iter().any(|r| r.name == WIDEN && r.dirty.is_none()), "N applied: {history:?}");
    assert!(!history.iter().any(|r| r.name == CONTRACT));
    assert_eq!(number(&db, "SELECT COUNT(*) FROM orders WHERE id__driftless_new = id").await, 3);
    let status = migrator.status().await.unwrap();
    assert_eq!((status.pending.as_slice(), status.problems.len()), ([CONTRACT.to_owned()].as_slice(), 0));
    let drift = driftless_introspect::drift::drift(&db, &registry_with_contract()).await.unwrap();
    assert!(drift.is_clean(), "{drift}");
    let shown = drift.to_string();
    assert!(
        shown.starts_with(&format!(
            "expand   in progress for {WIDEN}: contract pending in migration {CONTRACT} (the next `migrate` runs it); \
             not drift: column items.order_id__driftless_new"
        )),
        "{shown}"
    );
    // The control: a column added by hand is drift.
    exec(&db, "ALTER TABLE orders ADD COLUMN extra integer").await;
    let drift = driftless_introspect::drift::drift(&db, &registry_with_contract()).await.unwrap();
    assert_eq!(drift.differences.len(), 1, "{drift}");
    exec(&db, "ALTER TABLE orders DROP COLUMN extra").await;

    exec(&db, "INSERT INTO orders (note) VALUES ('during')").await;
    assert_eq!(command(&project, args("migrate")).await, ExitCode::SUCCESS, "the contract");
    let bigint = "SELECT COUNT(*) FROM information_schema.columns WHERE data_type = 'bigint' AND ((table_name = \
                  'orders' AND column_name = 'id') OR (table_name = 'items' AND column_name = 'order_id'))";
    assert_eq!(number(&db, bigint).await, 2);
    assert_eq!(number(&db, "SELECT COUNT(*) FROM orders").await, 4);
    assert!(migrator.status().await.unwrap().is_up_to_date());
    let drift = driftless_introspect::drift::drift(&db, &registry_with_contract()).await.unwrap();
    assert!(drift.is_clean() && drift.expand_in_progress.is_none(), "{drift}");

    assert_eq!(command(&project, args("migrate-down")).await, ExitCode::SUCCESS, "down of the contract");
    assert_eq!(number(&db, bigint).await, 2, "reverting the contract changes nothing");
    assert_eq!(command(&project, args("migrate-down")).await, ExitCode::SUCCESS, "down of N");
    assert_eq!(number(&db, bigint).await, 0);
    assert_eq!(number(&db, "SELECT COUNT(*) FROM items").await, 4);
    db.close().await;
    testdb.close().await.unwrap();
}
