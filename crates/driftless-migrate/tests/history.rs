//! The whole history on every backend: apply in batches, roll back batch by batch to empty, apply again; data
//! seeded between steps survives every step that does not drop it.

mod common;

use common::*;
use driftless_migrate::{Direction, Operation};

async fn apply_roll_back_and_reapply(t: Target) {
    // Batch 1: the first two migrations.
    let report = t.migrator(first(2)).migrate().await.unwrap();
    assert_eq!(report.applied(), [M1, M2]);
    assert_eq!(report.batch, Some(1));
    t.exec("INSERT INTO users (id, name) VALUES (1, 'Ada')").await;
    t.exec("INSERT INTO posts (id, user_id, title) VALUES (10, 1, 'hello')").await;

    // Batch 2: two more, then batch 3 with `up` (one migration), then nothing to do.
    let all = history();
    let report = t.migrator(first(4)).migrate().await.unwrap();
    assert_eq!(report.applied(), [M3, M4]);
    assert_eq!(report.batch, Some(2));
    assert_eq!(report.summary().split(" (").next().unwrap(), "migrate: applied 2 migrations in batch 2");
    t.exec("INSERT INTO users (id, name, email) VALUES (2, 'Bob', 'bob@b.example')").await;
    let report = t.migrator(all.clone()).up().await.unwrap();
    assert_eq!(report.applied(), [M5]);
    assert_eq!(report.batch, Some(3));
    assert_eq!(t.strings("SELECT email FROM users ORDER BY id").await, ["ada@example.com", "bob@b.example"]);
    let report = t.migrator(all.clone()).migrate().await.unwrap();
    assert!(report.steps.is_empty());
    assert!(report.summary().starts_with("migrate: nothing to do ("), "{}", report.summary());
    assert!(report.summary().ends_with("5 applied, 0 pending"), "{}", report.summary());

    let status = t.migrator(all.clone()).status().await.unwrap();
    assert!(status.is_up_to_date(), "{status:?}");
    let batches: Vec<(String, i64)> = status.applied.iter().map(|a| (a.name.clone(), a.batch)).collect();
    let expected = [(M1, 1), (M2, 1), (M3, 2), (M4, 2), (M5, 3)].map(|(n, b)| (n.to_owned(), b));
    assert_eq!(batches, expected);
    for row in &status.applied {
        assert_eq!(row.class, "review_required", "hand-written SQL is recorded as the migrator judged it");
        assert!(row.dirty.is_none());
        assert!(row.applied_at.len() >= 20 && row.applied_at.ends_with('Z'), "{}", row.applied_at);
        assert_eq!(row.checksum.len(), 64);
    }
    assert_eq!(t.migrator(all.clone()).history().await.unwrap(), status.applied);

    // Down, batch by batch. The data stays until the migration that holds it is reverted.
    let report = t.migrator(all.clone()).down().await.unwrap();
    assert_eq!(report.reverted(), [M5]);
    assert_eq!(report.operation, Operation::Down);
    assert_eq!(t.count("SELECT COUNT(*) FROM users").await, 2);
    let report = t.migrator(all.clone()).down().await.unwrap();
    assert_eq!(report.reverted(), [M4, M3]);
    assert!(report.steps.iter().all(|s| s.direction == Direction::Down));
    assert_eq!(t.strings("SELECT name FROM users ORDER BY id").await, ["Ada", "Bob"]);
    assert_eq!(t.strings("SELECT title FROM posts").await, ["hello"]);
    let report = t.migrator(all.clone()).down().await.unwrap();
    assert_eq!(report.reverted(), [M2, M1]);
    assert!(!t.has_table("users").await && !t.has_table("posts").await);
    assert!(t.migrator(all.clone()).history().await.unwrap().is_empty());
    let report = t.migrator(all.clone()).down().await.unwrap();
    assert!(report.steps.is_empty());

    // And everything again, as one batch.
    let report = t.migrator(all.clone()).migrate().await.unwrap();
    assert_eq!(report.applied(), [M1, M2, M3, M4, M5]);
    assert_eq!(report.batch, Some(1));
    assert!(t.has_table("posts").await);
}
on_every_backend!(apply_roll_back_and_reapply);

async fn to_moves_both_ways_and_reset_empties(t: Target) {
    let all = history();
    let report = t.migrator(all.clone()).to(M3).await.unwrap();
    assert_eq!(report.applied(), [M1, M2, M3]);
    let report = t.migrator(all.clone()).to(M5).await.unwrap();
    assert_eq!(report.applied(), [M4, M5]);
    let report = t.migrator(all.clone()).to(M2).await.unwrap();
    assert_eq!(report.reverted(), [M5, M4, M3]);
    assert_eq!(t.migrator(all.clone()).status().await.unwrap().pending, [M3, M4, M5]);
    let err = t.migrator(all.clone()).to("m_nope").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown migration m_nope: it is not in the registry; run `cargo xtask migrate-status` to list them"
    );

    let err = t.migrator(all.clone()).reset(false).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "migrate-reset reverts every applied migration (2) and loses the data they hold; pass --force to confirm"
    );
    let report = t.migrator(all.clone()).reset(true).await.unwrap();
    assert_eq!(report.reverted(), [M2, M1]);
    assert!(report.summary().starts_with("migrate-reset: reverted 2 migrations ("), "{}", report.summary());
    assert!(!t.has_table("users").await);
}
on_every_backend!(to_moves_both_ways_and_reset_empties);

async fn resolve_applied_baselines_an_existing_database(t: Target) {
    // The schema of the first migration exists already (an adopted database): record it without running it.
    let all = history();
    let create = match t.dialect {
        driftless_core::Dialect::Mysql => {
            "CREATE TABLE users (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL)"
        }
        _ => "CREATE TABLE users (id BIGINT PRIMARY KEY, name TEXT NOT NULL)",
    };
    t.exec(create).await;
    let report = t.migrator(all.clone()).resolve_applied(M1).await.unwrap();
    assert_eq!(report.resolved, [M1]);
    assert!(report.summary().starts_with(&format!("migrate-resolve --applied: recorded {M1} without running it (")));
    let err = t.migrator(all.clone()).resolve_applied(M1).await.unwrap_err();
    assert_eq!(err.to_string(), format!("migration {M1} is already applied; there is nothing to resolve"));
    let report = t.migrator(all.clone()).migrate().await.unwrap();
    assert_eq!(report.applied(), [M2, M3, M4, M5]);
    assert_eq!(report.batch, Some(2));
}
on_every_backend!(resolve_applied_baselines_an_existing_database);

#[tokio::test]
async fn the_test_helper_gives_a_migrated_in_memory_database() {
    let pool = driftless_migrate::testing::sqlite_memory(history()).await.unwrap();
    sqlx::query("INSERT INTO users (name, email) VALUES ('x', NULL)").execute(&pool).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM driftless_migrations").fetch_one(&pool).await.unwrap();
    assert_eq!(n, 5);
    // A second helper database is a different database.
    let other = driftless_migrate::testing::sqlite_memory(first(1)).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&other).await.unwrap();
    assert_eq!(n, 0);
}
