//! A mixed model change on online PostgreSQL: `int` → `bigint` on `orders.id` (referenced by `items.order_id`),
//! together with a column added to `users` and a new table `refunds` whose foreign key points at the widened key.
//! `migrate-generate` splits it: `<name>_prepare` (A, the new column), `<name>` (N, the two type changes only, so
//! online PostgreSQL runs them as expand/contract), `contract_<name>` (N+1) and `<name>_finish` (B, the new table,
//! whose foreign key uses the widened key). The files are the committed fixtures byte for byte (modules of this
//! test, so they compile). `--no-split` writes today's single migration; on PostgreSQL its type change runs as one
//! plain `ALTER … TYPE`.
//!
//! Regenerate the fixtures with `DRIFTLESS_UPDATE_FIXTURES=1 cargo test -p driftless-cli --test generate_split`.

use std::path::Path;
use std::process::ExitCode;

use driftless_cli::{Project, run};
use driftless_core::define::*;
use driftless_core::migration::Migration;
use driftless_core::schema::{ColumnType, Table};
use driftless_migrate::{Database, Migrator};
use driftless_testdb::TestDb;

mod common;
use common::{command, exec, number};

// The generated text, byte for byte: the workspace's wider rustfmt.toml would join its short builder chains.
#[rustfmt::skip]
#[path = "fixtures/split/m20261129_110002_contract_orders_bigint.rs"]
mod contract_file;
#[rustfmt::skip]
#[path = "fixtures/split/m20261129_110003_orders_bigint_finish.rs"]
mod finish_file;
#[rustfmt::skip]
#[path = "fixtures/split/m20261129_100000_init.rs"]
mod init_file;
#[rustfmt::skip]
#[path = "fixtures/split/m20261129_110000_orders_bigint_prepare.rs"]
mod prepare_file;
#[rustfmt::skip]
#[path = "fixtures/split/m20261129_110001_orders_bigint.rs"]
mod types_file;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/split");
const PREPARE: &str = "m20261129_110000_orders_bigint_prepare";
const TYPES: &str = "m20261129_110001_orders_bigint";
const CONTRACT: &str = "m20261129_110002_contract_orders_bigint";
const FINISH: &str = "m20261129_110003_orders_bigint_finish";

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
        .foreign_key(foreign_key("items_order_id_fkey", &["order_id"], "orders", &["id"]))
}

fn users(email: bool) -> Table {
    let t = table("users").with_column(column("id", ColumnType::BigInt).auto_increment());
    let t = t.with_column(column("name", ColumnType::Text));
    let t = if email { t.with_column(column("email", ColumnType::Text).nullable()) } else { t };
    t.primary_key("users_pkey", &["id"])
}

fn refunds() -> Table {
    table("refunds")
        .with_column(column("id", ColumnType::BigInt).auto_increment())
        .with_column(column("order_id", ColumnType::BigInt))
        .primary_key("refunds_pkey", &["id"])
        .foreign_key(foreign_key("refunds_order_id_fkey", &["order_id"], "orders", &["id"]))
}

fn before(dir: &Path) -> Project {
    common::project(
        dir,
        vec![("Order", orders(ColumnType::Integer)), ("Item", items(ColumnType::Integer)), ("User", users(false))],
    )
}

fn after(dir: &Path) -> Project {
    common::project(
        dir,
        vec![
            ("Order", orders(ColumnType::BigInt)),
            ("Item", items(ColumnType::BigInt)),
            ("User", users(true)),
            ("Refund", refunds()),
        ],
    )
}

/// Generates the first migration, then the mixed change with `extra` arguments; returns the tempdir.
fn generate(extra: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let args = ["migrate-generate", "--name", "init", "--timestamp", "20261129_100000"];
    assert_eq!(run(&before(dir.path()), args), ExitCode::SUCCESS);
    let mut args = vec!["migrate-generate", "--name", "orders_bigint", "--timestamp", "20261129_110000"];
    args.extend(extra);
    assert_eq!(run(&after(dir.path()), args), ExitCode::SUCCESS);
    dir
}

fn registry() -> Vec<Migration> {
    vec![
        init_file::migration(),
        prepare_file::migration(),
        types_file::migration(),
        contract_file::migration(),
        finish_file::migration(),
    ]
}

fn kinds(m: &Migration) -> (Vec<&'static str>, Vec<&'static str>) {
    (m.up.iter().map(|s| s.kind()).collect(), m.down.iter().map(|s| s.kind()).collect())
}

#[test]
fn the_mixed_change_is_split_into_the_fixtures() {
    let dir = generate(&[]);
    let names = ["m20261129_100000_init", PREPARE, TYPES, CONTRACT, FINISH];
    for name in names {
        common::check_fixture(dir.path(), FIXTURES, &format!("{name}.rs"));
    }
    let registry_text = std::fs::read_to_string(dir.path().join("migrations/mod.rs")).unwrap();
    let at = |name: &str| registry_text.find(&format!("{name}::migration()")).unwrap_or_else(|| panic!("{name}"));
    assert!(names.windows(2).all(|w| at(w[0]) < at(w[1])), "registered in order: {registry_text}");
    assert_eq!(std::fs::read_dir(dir.path().join("migrations")).unwrap().count(), names.len() + 1, "and nothing else");

    // Each file holds its part of the change, and its down undoes exactly its own up.
    let [init, prepare, types, contract, finish] = <[Migration; 5]>::try_from(registry()).unwrap();
    assert_eq!(kinds(&prepare), (vec!["add_column"], vec!["drop_column"]));
    assert_eq!(kinds(&types), (vec!["alter_column", "alter_column"], vec!["alter_column", "alter_column"]));
    assert_eq!(contract.up, [driftless_core::define::contract(TYPES)]);
    assert_eq!(kinds(&finish), (vec!["create_table"], vec!["drop_table"]));
    for m in [&prepare, &types, &finish] {
        let inverse: Vec<_> = m.up.iter().rev().map(|s| s.inverse()).collect();
        assert_eq!(m.down, inverse, "{}", m.name);
    }
    // The type changes alone: online PostgreSQL runs them as expand/contract (against the schema after A).
    let after_init = driftless_core::replay::apply_steps(&driftless_core::schema::Schema::empty(), &init.up).unwrap();
    let after_a = driftless_core::replay::apply_steps(&after_init, &prepare.up).unwrap();
    assert!(driftless_migrate::contract_file::runs_expand_contract(&types.up, &after_a));

    // The hash chain: each file's parent is the snapshot of the one before; the contract names none; no two share
    // a parent (so the branch-conflict check sees none), and the last one's snapshot is the committed one.
    assert_eq!(prepare.parent, init.snapshot);
    assert_eq!(types.parent, prepare.snapshot);
    assert_eq!(finish.parent, types.snapshot);
    assert!(contract.parent.is_none() && contract.snapshot.is_none());
    let committed = std::fs::read_to_string(dir.path().join("snapshots/schema.json")).unwrap();
    assert_eq!(finish.snapshot, Some(driftless_core::snapshot::hash_text(&committed)));
    assert_eq!(
        types.snapshot,
        Some(driftless_core::snapshot::hash(&driftless_core::replay::apply_steps(&after_a, &types.up).unwrap()))
    );

    // The headers say each file was split out, why, and the order of the four.
    for (text, line) in [
        (
            PREPARE,
            "This migration holds the steps of the model change that run before its type changes, in their order",
        ),
        (TYPES, "This migration holds only the type changes of the model change. Split out because online PostgreSQL"),
        (FINISH, "they run after the contract, on the new type"),
    ] {
        let file = std::fs::read_to_string(Path::new(FIXTURES).join(format!("{text}.rs"))).unwrap();
        let joined = file.replace("\n//!   ", " ");
        assert!(joined.contains(line), "{text}: missing {line}:\n{file}");
        assert!(joined.contains(&format!("`{PREPARE}` (the other steps), then `{TYPES}` (the type changes, expand), then `{CONTRACT}` (their contract), then `{FINISH}` (the steps that use the changed columns)")), "{file}");
        assert!(joined.contains("`--no-split` writes it as one migration"), "{file}");
    }
    insta::assert_snapshot!(
        "orders_bigint_prepare_header",
        common::header(&std::fs::read_to_string(Path::new(FIXTURES).join(format!("{PREPARE}.rs"))).unwrap())
    );

    // The models, the snapshot and the migrations agree.
    let p = after(dir.path()).with_migrations(dir.path().join("migrations"), registry());
    assert_eq!(run(&p, ["migrate-generate", "--check"]), ExitCode::SUCCESS, "up to date after the split");
    assert_eq!(run(&p, ["snapshot-repair", "--check"]), ExitCode::SUCCESS, "the snapshot is the replay");
    assert!(driftless_introspect::history::branch_conflicts(&registry()).is_empty());
}

/// The control: `--no-split` (and a project with online off) writes today's single migration, whose type changes
/// online PostgreSQL runs as one plain `ALTER … TYPE` (the classifier says why).
#[test]
fn no_split_writes_one_migration() {
    for (extra, online) in [(&["--no-split"][..], true), (&[][..], false)] {
        let dir = tempfile::tempdir().unwrap();
        let args = ["migrate-generate", "--name", "init", "--timestamp", "20261129_100000"];
        assert_eq!(run(&before(dir.path()), args), ExitCode::SUCCESS);
        let mut args = vec!["migrate-generate", "--name", "orders_bigint", "--timestamp", "20261129_110000"];
        args.extend(extra);
        assert_eq!(run(&after(dir.path()).online(online), args), ExitCode::SUCCESS);
        let mut files: Vec<String> = std::fs::read_dir(dir.path().join("migrations"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(files, ["m20261129_100000_init.rs", "m20261129_110000_orders_bigint.rs", "mod.rs"], "{extra:?}");
        let text = std::fs::read_to_string(dir.path().join("migrations/m20261129_110000_orders_bigint.rs")).unwrap();
        let joined = text.replace("\n//!   ", " ");
        assert!(!joined.contains("Split:"), "{text}");
        assert!(
            joined.contains(
                "so it runs as one ALTER … TYPE (a migration of eligible type changes only runs as expand/contract"
            ),
            "{text}"
        );
        assert!(joined.contains("add_column(\"users\""), "{text}");
        assert!(joined.contains("create_table(table(\"refunds\")"), "{text}");
        let p = after(dir.path());
        assert_eq!(run(&p, ["migrate-generate", "--check"]), ExitCode::SUCCESS);
    }
}

/// The PostgreSQL SQL of `--no-split`'s single migration (the steps of A, N and B in one): online PostgreSQL runs
/// its type changes as plain `ALTER … TYPE`; the split's N alone runs them as expand/contract.
#[test]
fn the_unsplit_migration_runs_a_plain_alter_type_on_postgres() {
    let [init, prepare, types, _, finish] = <[Migration; 5]>::try_from(registry()).unwrap();
    let before = driftless_core::replay::apply_steps(&driftless_core::schema::Schema::empty(), &init.up).unwrap();
    let whole: Vec<_> = prepare.up.iter().chain(&types.up).chain(&finish.up).cloned().collect();
    assert!(!driftless_migrate::contract_file::runs_expand_contract(&whole, &before));
    let sql = driftless_core::render::render_steps(&whole, driftless_core::Dialect::Postgres, &before).unwrap();
    // What online PostgreSQL runs for it: the plain ALTER … TYPE, no shadow column.
    let online = driftless_migrate::expand_contract::online_postgres_with(&whole, &sql, Some(&before));
    let text: Vec<&str> = online.statements.iter().map(|s| s.sql.as_str()).collect();
    assert!(!text.iter().any(|s| s.contains("__driftless_new")), "{text:#?}");
    assert!(text.contains(&"ALTER TABLE \"orders\" ALTER COLUMN \"id\" TYPE BIGINT USING \"id\"::BIGINT"), "{text:#?}");
    // The split's N, against the schema after A: the expand (a shadow column), no plain ALTER … TYPE.
    let after_a = driftless_core::replay::apply_steps(&before, &prepare.up).unwrap();
    let sql = driftless_core::render::render_steps(&types.up, driftless_core::Dialect::Postgres, &after_a).unwrap();
    let online = driftless_migrate::expand_contract::online_postgres_with(&types.up, &sql, Some(&after_a));
    let text: Vec<&str> = online.statements.iter().map(|s| s.sql.as_str()).collect();
    assert!(text.iter().any(|s| s.contains("ADD COLUMN \"id__driftless_new\" bigint")), "{text:#?}");
    assert!(!text.iter().any(|s| s.contains("TYPE BIGINT")), "{text:#?}");
}

/// Runs the split files: up (on PostgreSQL the first `migrate` stops after the expand, the next runs the contract
/// and the finish), rows intact, then every migration down, then up again.
async fn end_to_end(testdb: TestDb) {
    let url = testdb.url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let project = after(dir.path()).with_migrations(dir.path().join("migrations"), registry());
    let db = Database::connect(&url).await.unwrap();
    let args = |cmd: &str| vec![cmd.to_owned(), "--database-url".to_owned(), url.clone()];
    assert_eq!(command(&project, args("migrate-up")).await, ExitCode::SUCCESS, "the first migration");
    exec(&db, "INSERT INTO orders (note) VALUES ('a'), ('b'), ('c')").await;
    exec(&db, "INSERT INTO items (order_id) VALUES (1), (2), (2), (3)").await;
    exec(&db, "INSERT INTO users (name) VALUES ('ann')").await;
    let is_pg = matches!(db, Database::Postgres(_));
    let migrator = Migrator::new(db.clone(), registry());

    assert_eq!(command(&project, args("migrate")).await, ExitCode::SUCCESS);
    if is_pg {
        // A ran, N expanded and stopped: the contract and the finish are pending.
        let status = migrator.status().await.unwrap();
        assert_eq!(status.pending, [CONTRACT.to_owned(), FINISH.to_owned()]);
        assert_eq!(number(&db, "SELECT COUNT(*) FROM orders WHERE id__driftless_new = id").await, 3);
        assert_eq!(number(&db, "SELECT COUNT(*) FROM users WHERE email IS NULL").await, 1, "A applied");
        let refunds = "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'refunds'";
        assert_eq!(number(&db, refunds).await, 0, "B waits for the contract");
        exec(&db, "INSERT INTO orders (note) VALUES ('during')").await;
        assert_eq!(command(&project, args("migrate")).await, ExitCode::SUCCESS, "the contract, then B");
        let bigint = "SELECT COUNT(*) FROM information_schema.columns WHERE data_type = 'bigint' AND ((table_name = \
                      'orders' AND column_name = 'id') OR (table_name = 'items' AND column_name = 'order_id'))";
        assert_eq!(number(&db, bigint).await, 2);
        let shadows = "SELECT COUNT(*) FROM information_schema.columns WHERE column_name LIKE '%driftless_new'";
        assert_eq!(number(&db, shadows).await, 0);
    }
    assert!(migrator.status().await.unwrap().is_up_to_date());
    let orders = if is_pg { 4 } else { 3 };
    assert_eq!(number(&db, "SELECT COUNT(*) FROM orders").await, orders, "rows intact");
    assert_eq!(number(&db, "SELECT COUNT(*) FROM items i JOIN orders o ON o.id = i.order_id").await, 4);
    exec(&db, "UPDATE users SET email = 'ann@example.com'").await;
    exec(&db, "INSERT INTO refunds (order_id) SELECT MAX(id) FROM orders").await;
    assert_eq!(number(&db, "SELECT COUNT(*) FROM refunds r JOIN orders o ON o.id = r.order_id").await, 1);

    // Down all four (each undoes its own steps, the last first), then up again.
    exec(&db, "DELETE FROM refunds").await;
    let mut to = args("migrate-to");
    to.insert(1, "m20261129_100000_init".to_owned());
    assert_eq!(command(&project, to).await, ExitCode::SUCCESS, "down to the first migration");
    let history = migrator.history().await.unwrap();
    assert_eq!(history.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["m20261129_100000_init"]);
    assert_eq!(number(&db, "SELECT COUNT(*) FROM orders").await, orders, "rows intact after down");
    assert_eq!(command(&project, args("migrate")).await, ExitCode::SUCCESS, "redo");
    if is_pg {
        assert_eq!(command(&project, args("migrate")).await, ExitCode::SUCCESS, "redo: the contract, then B");
    }
    assert!(migrator.status().await.unwrap().is_up_to_date());
    assert_eq!(number(&db, "SELECT COUNT(*) FROM items i JOIN orders o ON o.id = i.order_id").await, 4);
    db.close().await;
    testdb.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_runs_the_split_files_plainly() {
    end_to_end(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_expands_then_contracts_then_finishes() {
    let Some(testdb) = TestDb::postgres().await else { return };
    end_to_end(testdb).await;
}

/// `migrate-verify` on a scratch database (every migration up, then down, each checked against the replay): the
/// split files on SQLite (in memory) and on PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_verify_passes_on_sqlite_and_postgres() {
    let dir = generate(&[]);
    let p = after(dir.path()).with_migrations(dir.path().join("migrations"), registry());
    assert_eq!(command(&p, vec!["migrate-verify".to_owned()]).await, ExitCode::SUCCESS, "sqlite");
    let Some(scratch) = TestDb::postgres().await else { return };
    let args = vec!["migrate-verify".to_owned(), "--database-url".to_owned(), scratch.url().to_owned()];
    assert_eq!(command(&p, args).await, ExitCode::SUCCESS, "postgres");
    scratch.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_runs_the_split_files_plainly() {
    let Some(testdb) = TestDb::mysql().await else { return };
    end_to_end(testdb).await;
}
