//! Every refusal, on every backend, with its exact message: an edited applied migration, an applied migration
//! missing from the registry, an out-of-order pending migration, an unacknowledged dangerous migration, a rollback
//! in production, and a lock held by another migrator. A refusal changes nothing.

mod common;

use std::time::Duration;

use common::*;
use driftless_core::Dialect;
use driftless_core::migration::{Class, Migration};
use driftless_migrate::{Error, Problem};

/// `M2` with different SQL: what editing an applied migration file looks like.
fn edited() -> Vec<Migration> {
    let mut r = first(2);
    r[1] = raw(M2)
        .up([sql(
            "CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT)",
            "CREATE TABLE posts (id BIGINT PRIMARY KEY, title TEXT)",
            "CREATE TABLE posts (id BIGINT PRIMARY KEY, title TEXT)",
        )])
        .down([same("DROP TABLE posts")]);
    r
}

async fn an_edited_applied_migration(t: Target) {
    t.migrator(first(2)).migrate().await.unwrap();
    let recorded = first(2)[1].checksum();
    let current = edited()[1].checksum();
    let err = t.migrator(edited()).migrate().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "migration {M2} was edited after it was applied (checksum {} recorded, {} now); revert the edit and put \
             the change in a new migration (`cargo xtask migrate-generate`), or, if the edit changes nothing in the \
             database, set dangerous_ignore_checksums",
            &recorded[..12],
            &current[..12]
        )
    );
    // Reverting is refused too: the edited `down` would run against the original schema.
    assert!(matches!(t.migrator(edited()).down().await, Err(Error::ChecksumMismatch { .. })));
    let status = t.migrator(edited()).status().await.unwrap();
    assert_eq!(status.problems, [Problem::ChecksumMismatch { name: M2.into(), recorded, current }]);

    // The escape hatch: explicit, and logged in the report.
    let mut with_more = edited();
    with_more.push(history().remove(2));
    let report = t.migrator(with_more).dangerous_ignore_checksums(true).migrate().await.unwrap();
    assert_eq!(report.applied(), [M3]);
    assert_eq!(report.warnings.len(), 1);
    assert!(report.warnings[0].starts_with(&format!("migration {M2} was edited after it was applied")));
    assert!(report.warnings[0].ends_with("continuing because dangerous_ignore_checksums is set"));
    assert!(report.summary().ends_with(", 1 warning"), "{}", report.summary());
}
on_every_backend!(an_edited_applied_migration);

async fn an_applied_migration_missing_from_the_registry(t: Target) {
    t.migrator(first(3)).migrate().await.unwrap();
    let without_m2: Vec<Migration> = history().into_iter().filter(|m| m.name != M2).collect();
    let err = t.migrator(without_m2.clone()).migrate().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "migration {M2} is applied in the database but missing from the registry; restore it from version \
             control (was it deleted or renamed?), or run `cargo xtask migrate-status` to see every difference"
        )
    );
    assert_eq!(t.migrator(first(3)).status().await.unwrap().pending, Vec::<String>::new());
}
on_every_backend!(an_applied_migration_missing_from_the_registry);

async fn an_out_of_order_pending_migration(t: Target) {
    // M2 arrives from a branch after M3 was applied.
    let without_m2: Vec<Migration> = first(3).into_iter().filter(|m| m.name != M2).collect();
    t.migrator(without_m2).migrate().await.unwrap();
    let err = t.migrator(first(3)).migrate().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "pending migration {M2} is older than the last applied migration {M3} (merged from another branch?); \
             regenerate it on top of {M3}, or allow out-of-order migrations (allow_out_of_order)"
        )
    );
    assert!(matches!(t.migrator(first(3)).up().await, Err(Error::OutOfOrder { .. })));
    assert!(!t.has_table("posts").await);
    let report = t.migrator(first(3)).allow_out_of_order(true).migrate().await.unwrap();
    assert_eq!(report.applied(), [M2]);
}
on_every_backend!(an_out_of_order_pending_migration);

fn drop_posts(acknowledged: bool) -> Migration {
    let m = Migration::new("m20260106T000000_drop_posts")
        .class(Class::Dangerous)
        .up([same("DROP TABLE posts")])
        .down([same("CREATE TABLE posts (id INTEGER PRIMARY KEY)")]);
    if acknowledged { m.acknowledged("ana", "posts moved to the archive service") } else { m }
}

async fn an_unacknowledged_dangerous_migration(t: Target) {
    let mut registry = first(2);
    registry.push(drop_posts(false));
    let err = t.migrator(registry.clone()).migrate().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "refusing to run migration m20260106T000000_drop_posts (m20260106T000000_drop_posts.rs): it is dangerous \
             on {} (declared dangerous in its file) and has no acknowledgement; review it, then fill in the \
             `.acknowledged(\"\", \"\")` in m20260106T000000_drop_posts.rs with who reviewed it and why the data loss \
             is fine (add the call if the file has none)",
            t.dialect.name()
        )
    );
    // Refused before anything ran: not even the safe migrations before it were applied.
    assert!(!t.has_table("users").await);
    // `up` runs only the next migration, which is safe.
    assert_eq!(t.migrator(registry.clone()).up().await.unwrap().applied(), [M1]);
    assert!(t.migrator(registry.clone()).to(M2).await.is_ok());
    assert!(matches!(t.migrator(registry.clone()).up().await, Err(Error::Unacknowledged { .. })));

    registry[2] = drop_posts(true);
    let report = t.migrator(registry).migrate().await.unwrap();
    assert_eq!(report.steps[0].class, Class::Dangerous);
    assert!(!t.has_table("posts").await);
}
on_every_backend!(an_unacknowledged_dangerous_migration);

async fn a_rollback_in_production(t: Target) {
    let all = history();
    t.migrator(first(3)).migrate().await.unwrap();
    t.migrator(all.clone()).migrate().await.unwrap();
    let prod = || t.migrator(all.clone()).environment("production");
    let err = prod().down().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "refusing to run migrate-down in production (environment=production): it would revert {M5}, {M4}; pass \
             --force-production if you really mean to"
        )
    );
    let err = prod().to(M1).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "refusing to run migrate-to in production (environment=production): it would revert {M5}, {M4}, {M3}, \
             {M2}; pass --force-production if you really mean to"
        )
    );
    assert!(matches!(prod().reset(true).await, Err(Error::Production { command: "migrate-reset", .. })));
    // Going forward is allowed in production; nothing was reverted above.
    assert_eq!(t.migrator(all.clone()).history().await.unwrap().len(), 5);
    assert!(prod().migrate().await.unwrap().steps.is_empty());
    // Other environments, and forcing.
    assert_eq!(t.migrator(all.clone()).environment("staging").down().await.unwrap().reverted(), [M5, M4]);
    assert_eq!(prod().force_production(true).down().await.unwrap().reverted(), [M3, M2, M1]);
}
on_every_backend!(a_rollback_in_production);

/// A migration that holds the lock for a while.
fn slow(dialect: Dialect) -> Migration {
    raw("m20260101T000000_slow").up([slow_statement(dialect)])
}

async fn a_lock_held_by_another_migrator(t: Target) {
    let holder = t.migrator([slow(t.dialect)]);
    let running = tokio::spawn(async move { holder.migrate().await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let err = t.migrator([slow(t.dialect)]).lock_timeout(Duration::from_millis(200)).migrate().await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::LockTimeout { .. }), "{msg}");
    assert!(msg.starts_with("timed out after "), "{msg}");
    assert!(
        msg.ends_with(
            "): another migrator is running against this database; wait for it to finish and run again, or raise \
             the lock timeout"
        ),
        "{msg}"
    );
    let lock = match t.dialect {
        Dialect::Postgres => " ms waiting for the migration lock (PostgreSQL advisory lock ",
        Dialect::Mysql => " ms waiting for the migration lock (MySQL GET_LOCK('driftless_",
        _ => ".driftless-lock): another migrator",
    };
    assert!(msg.contains(lock), "{msg}");
    assert_eq!(running.await.unwrap().unwrap().applied().len(), 1);
    // Released: the next migrator gets it at once and finds nothing to do.
    let report = t.migrator([slow(t.dialect)]).lock_timeout(Duration::from_millis(200)).migrate().await.unwrap();
    assert_eq!(report.applied().len(), 0);
}
on_every_backend!(a_lock_held_by_another_migrator);
