//! The SQLite table rebuild on a parent table whose children reference it with `ON DELETE CASCADE`, executed
//! through the migrator: `PRAGMA foreign_keys = OFF` outside the transaction, `BEGIN IMMEDIATE`, the statements,
//! `PRAGMA foreign_key_check` (no rows), `COMMIT`, `PRAGMA foreign_keys = ON`.

use driftless_core::render::{self, RenderedMigration};
use driftless_core::replay::{self, ReplayOptions};
use driftless_core::step::Step;
use driftless_core::{Column, ColumnType, Dialect};
use driftless_render_tests::Harness;
use driftless_render_tests::fixtures::{SEED, USERS, base, seeded_users, table};

fn widen_role_name() -> Vec<Step> {
    let from = table("roles").column("name").unwrap().clone();
    let to = Column { ty: ColumnType::Varchar(100), ..from.clone() };
    vec![Step::AlterColumn { table: "roles".into(), from, to, backfill: None }]
}

async fn seeded_sqlite() -> Harness {
    let mut h = Harness::open(Dialect::Sqlite).await.expect("sqlite always runs");
    h.create(&base()).await;
    h.exec(SEED).await;
    h
}

#[tokio::test]
async fn rebuilding_a_parent_keeps_its_childrens_rows() {
    let mut h = seeded_sqlite().await;
    let steps = widen_role_name();
    let m = render::render_steps(&steps, Dialect::Sqlite, &base()).unwrap();
    assert!(m.sqlite_foreign_keys_off, "a rebuild must ask for foreign keys off");
    assert!(m.statements.iter().any(|s| s.sql.starts_with("DROP TABLE \"roles\"")), "{}", m.script());
    h.apply(&m).await.unwrap();
    assert_eq!(h.rows(USERS).await, seeded_users());
    assert_eq!(h.value("PRAGMA foreign_keys").await, "1", "foreign keys are switched back on");
    // The new parent is wired to the children: a long name fits, and deleting a role still cascades.
    h.exec(&format!("UPDATE roles SET name = '{}' WHERE id = 2", "n".repeat(80))).await;
    h.exec("DELETE FROM roles WHERE id = 2").await;
    assert_eq!(h.rows("SELECT id FROM users ORDER BY id").await, [["1"]]);
    // And back down, again without losing a child.
    h.exec("UPDATE roles SET name = 'admin' WHERE id = 1").await;
    let after = replay::apply_steps_with(&base(), &steps, ReplayOptions::DATABASE).unwrap();
    h.down(&after, &steps).await;
    assert_eq!(h.rows("SELECT id, role_id, email FROM users").await, [["1", "1", "ann@example.com"]]);
    h.close().await;
}

#[tokio::test]
async fn without_foreign_keys_off_the_same_rebuild_deletes_the_children() {
    // The control experiment: the statements alone, inside a transaction with foreign keys on, cascade the DROP
    // TABLE into `users`. This is the bug the pragma dance exists to prevent, and proves the test above can fail.
    let mut h = seeded_sqlite().await;
    let m = render::render_steps(&widen_role_name(), Dialect::Sqlite, &base()).unwrap();
    let careless = RenderedMigration { sqlite_foreign_keys_off: false, ..m };
    h.apply(&careless).await.unwrap();
    assert_eq!(h.value("SELECT COUNT(*) FROM users").await, "0");
    h.close().await;
}

#[tokio::test]
async fn a_rebuild_that_leaves_broken_references_is_rolled_back() {
    let mut h = seeded_sqlite().await;
    // An orphan slipped in while foreign keys were off.
    h.exec("PRAGMA foreign_keys = OFF").await;
    h.exec("INSERT INTO users (role_id, email) VALUES (99, 'orphan@example.com')").await;
    h.exec("PRAGMA foreign_keys = ON").await;
    let from = table("users").column("bio").unwrap().clone();
    let to = Column { ty: ColumnType::Varchar(200), ..from.clone() };
    let steps = [Step::AlterColumn { table: "users".into(), from, to, backfill: None }];
    let m = render::render_steps(&steps, Dialect::Sqlite, &base()).unwrap();
    let e = h.apply(&m).await.unwrap_err();
    assert!(e.contains("foreign_key_check"), "{e}");
    // Rolled back: the old definition and every row are still there.
    let ty = h.value("SELECT type FROM pragma_table_info('users') WHERE name = 'bio'").await;
    assert_eq!(ty, "TEXT");
    assert_eq!(h.value("SELECT COUNT(*) FROM users").await, "4");
    h.close().await;
}

#[tokio::test]
async fn several_rebuild_steps_on_one_table_are_one_rebuild() {
    use driftless_core::schema::{Check, UniqueConstraint};
    let mut h = seeded_sqlite().await;
    let from = table("users").column("bio").unwrap().clone();
    let to = Column { ty: ColumnType::Varchar(200), ..from.clone() };
    let code = table("users").column("code").unwrap().clone();
    let code_to = Column { nullable: false, ..code.clone() };
    let steps = vec![
        Step::AlterColumn { table: "users".into(), from, to, backfill: None },
        Step::AlterColumn { table: "users".into(), from: code, to: code_to, backfill: Some("'0'".into()) },
        Step::AddUnique {
            table: "users".into(),
            unique: UniqueConstraint { name: "users_code_key".into(), columns: vec!["code".into()] },
        },
        Step::AddCheck {
            table: "users".into(),
            check: Check { name: "users_email_check".into(), expr: "email LIKE '%@%'".into() },
        },
    ];
    let m = render::render_steps(&steps, Dialect::Sqlite, &base()).unwrap();
    let count = |prefix: &str| m.statements.iter().filter(|s| s.sql.starts_with(prefix)).count();
    assert_eq!(count("CREATE TABLE \"__new_users\""), 1, "{}", m.script());
    assert_eq!(count("DROP TABLE \"users\""), 1, "{}", m.script());
    assert_eq!(count("INSERT INTO \"__new_users\""), 1, "{}", m.script());
    let insert = m.statements.iter().find(|s| s.sql.starts_with("INSERT INTO \"__new_users\"")).unwrap();
    assert!(insert.sql.contains("COALESCE(\"code\", '0')"), "{}", insert.sql);
    assert!(m.sqlite_foreign_keys_off);
    h.apply(&m).await.unwrap();
    assert_eq!(h.rows(USERS).await, seeded_users());
    assert_eq!(h.rows("SELECT code FROM users ORDER BY id").await, [["42"], ["0"], ["7"]]);
    // Every merged change holds: the unique, the check and NOT NULL.
    assert!(h.try_exec("INSERT INTO users (role_id, email, code) VALUES (1, 'dan@example.com', '42')").await.is_err());
    assert!(h.try_exec("INSERT INTO users (role_id, email, code) VALUES (1, 'no-at-sign', '9')").await.is_err());
    assert!(h.try_exec("INSERT INTO users (role_id, email, code) VALUES (1, 'eve@example.com', NULL)").await.is_err());
    h.exec("INSERT INTO users (role_id, email, code) VALUES (1, 'fay@example.com', '9')").await;
    // Down is merged too, and keeps the rows.
    let after = replay::apply_steps_with(&base(), &steps, ReplayOptions::DATABASE).unwrap();
    let down: Vec<Step> = steps.iter().rev().map(Step::inverse).collect();
    let md = render::render_steps(&down, Dialect::Sqlite, &after).unwrap();
    assert_eq!(
        md.statements.iter().filter(|s| s.sql.starts_with("DROP TABLE \"users\"")).count(),
        1,
        "{}",
        md.script()
    );
    h.apply(&md).await.unwrap();
    assert_eq!(h.value("SELECT COUNT(*) FROM users").await, "4");
    h.exec("INSERT INTO users (role_id, email, code) VALUES (1, 'no-at-sign', NULL)").await;
    h.close().await;
}

#[tokio::test]
async fn a_rebuilt_table_keeps_its_triggers_and_views() {
    let mut h = seeded_sqlite().await;
    h.exec("CREATE TABLE audit (what TEXT NOT NULL)").await;
    h.exec(
        "CREATE TRIGGER users_audit AFTER INSERT ON users BEGIN INSERT INTO audit VALUES ('user ' || new.email); END",
    )
    .await;
    h.exec("CREATE VIEW active_users AS SELECT id, email FROM users WHERE status = 'active'").await;
    // A trigger on another table whose body names the rebuilt table survives the drop by itself, and must still
    // work after the rename.
    h.exec(
        "CREATE TRIGGER roles_touch AFTER UPDATE ON roles BEGIN UPDATE users SET age = age WHERE role_id = new.id; END",
    )
    .await;
    let from = table("users").column("bio").unwrap().clone();
    let to = Column { ty: ColumnType::Varchar(200), ..from.clone() };
    let steps = vec![Step::AlterColumn { table: "users".into(), from, to, backfill: None }];
    let m = render::render_steps(&steps, Dialect::Sqlite, &base()).unwrap();
    assert_eq!(m.sqlite_rebuilt_tables, ["users"]);
    h.apply(&m).await.unwrap();
    assert_eq!(h.rows(USERS).await, seeded_users());
    assert_eq!(
        h.rows("SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'view') ORDER BY name").await,
        [["view", "active_users"], ["trigger", "roles_touch"], ["trigger", "users_audit"]]
    );
    assert_eq!(
        h.rows("SELECT id, email FROM active_users ORDER BY id").await,
        [["1", "ann@example.com"], ["3", "cy@example.com"]]
    );
    h.exec("INSERT INTO users (role_id, email, status) VALUES (1, 'dan@example.com', 'active')").await;
    assert_eq!(h.rows("SELECT what FROM audit").await, [["user dan@example.com"]]);
    h.exec("UPDATE roles SET name = 'owner' WHERE id = 1").await;
    assert_eq!(h.value("PRAGMA legacy_alter_table").await, "0", "the connection's setting is restored");
    // And down keeps them too.
    let after = replay::apply_steps_with(&base(), &steps, ReplayOptions::DATABASE).unwrap();
    h.down(&after, &steps).await;
    h.exec("INSERT INTO users (role_id, email, status) VALUES (1, 'eve@example.com', 'banned')").await;
    assert_eq!(
        h.rows("SELECT what FROM audit ORDER BY what").await,
        [["user dan@example.com"], ["user eve@example.com"]]
    );
    assert_eq!(h.value("SELECT COUNT(*) FROM active_users").await, "3");
    h.close().await;
}

#[tokio::test]
async fn without_the_rebuilt_tables_listed_a_view_stops_the_rebuild() {
    // The control experiment for the test above: the same statements without the migrator's care fail at the
    // rename (SQLite checks every view against the schema), and are rolled back.
    let mut h = seeded_sqlite().await;
    h.exec("CREATE VIEW active_users AS SELECT id, email FROM users WHERE status = 'active'").await;
    let from = table("users").column("bio").unwrap().clone();
    let to = Column { ty: ColumnType::Varchar(200), ..from.clone() };
    let steps = [Step::AlterColumn { table: "users".into(), from, to, backfill: None }];
    let m = render::render_steps(&steps, Dialect::Sqlite, &base()).unwrap();
    let careless = RenderedMigration { sqlite_rebuilt_tables: Vec::new(), ..m };
    let e = h.apply(&careless).await.unwrap_err();
    assert!(e.contains("error in view active_users"), "{e}");
    assert_eq!(h.value("SELECT COUNT(*) FROM users").await, "3");
    h.close().await;
}
