//! A migration that fails half way. On PostgreSQL and SQLite it runs in one transaction: nothing of it remains and
//! the tracking table is unchanged. On MariaDB (DDL commits implicitly), and for a migration marked
//! non-transactional anywhere, the row is left dirty, the error names the failed statement, and the next run
//! refuses until the migration is resolved.

mod common;

use common::*;
use driftless_core::Dialect;
use driftless_core::migration::Migration;
use driftless_migrate::{Direction, Error};

const HALF: &str = "m20260110T000000_half_way";
const BAD: &str = "INSERT INTO no_such_table (id) VALUES (1)";

fn half_way(fixed: bool) -> Migration {
    raw(HALF)
        .up([
            same("CREATE TABLE half (id INTEGER)"),
            same("INSERT INTO half (id) VALUES (1)"),
            if fixed { same("INSERT INTO half (id) VALUES (2)") } else { same(BAD) },
        ])
        .down([same("DROP TABLE half")])
}

fn registry(last: Migration) -> Vec<Migration> {
    let mut r = first(2);
    r.push(last);
    r
}

fn resolution() -> String {
    format!(
        "fix the database by hand, then run `cargo xtask migrate-resolve --applied {HALF}` if the migration is now \
         completely applied, or `cargo xtask migrate-resolve --rolled-back {HALF}` if it is completely undone"
    )
}

/// The dirty path: the row says which statement failed, and every run refuses until resolved.
async fn assert_dirty_then_resolve(t: &Target, registry: Vec<Migration>, fixed: Vec<Migration>) {
    let err = t.migrator(registry.clone()).migrate().await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with(&format!("while applying migration {HALF}: statement 3 of 3 failed: ")), "{msg}");
    assert!(msg.contains(&format!("\n    {BAD}\n")), "{msg}");
    assert!(
        msg.ends_with(&format!(
            "the migration could not run in one transaction (statements 1 to 2 stayed applied), so {HALF} is marked \
             dirty and the migrator refuses to run until it is resolved: {}",
            resolution()
        )),
        "{msg}"
    );
    assert!(matches!(err, Error::Statement { partial: true, index: 2, total: 3, .. }));

    let rows = t.migrator(registry.clone()).history().await.unwrap();
    let row = rows.iter().find(|r| r.name == HALF).unwrap();
    assert_eq!(row.dirty, Some(Direction::Up));
    assert_eq!((row.statements_done, row.statements_total), (2, 3));
    assert_eq!(row.failed_statement.as_deref(), Some(BAD));
    assert_eq!(t.count("SELECT COUNT(*) FROM half").await, 1);

    // Every later run refuses, whatever it is asked to do, and says how to get out.
    let dirty = format!(
        "migration {HALF} did not finish applying on an earlier run: statement 3 of 3 failed ({BAD}) and the \
         statements before it stayed applied, so the database is partly migrated; {}",
        resolution()
    );
    for attempt in [t.migrator(fixed.clone()).migrate().await, t.migrator(fixed.clone()).down().await] {
        assert_eq!(attempt.unwrap_err().to_string(), dirty);
    }
    let status = t.migrator(fixed.clone()).status().await.unwrap();
    assert_eq!(status.problems, [driftless_migrate::Problem::Dirty { name: HALF.into(), direction: Direction::Up }]);

    // Undo by hand, tell the migrator, and run the fixed migration.
    t.exec("DROP TABLE half").await;
    let err = t.migrator(fixed.clone()).resolve_rolled_back(M1).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "migration {M1} is not marked dirty, so there is nothing to resolve; use `cargo xtask migrate-down` to \
             revert an applied migration"
        )
    );
    t.migrator(fixed.clone()).resolve_rolled_back(HALF).await.unwrap();
    let report = t.migrator(fixed.clone()).migrate().await.unwrap();
    assert_eq!(report.applied(), [HALF]);
    assert_eq!(t.count("SELECT COUNT(*) FROM half").await, 2);
}

async fn a_migration_failing_half_way(t: Target) {
    t.migrator(first(2)).migrate().await.unwrap();
    let before = t.migrator(first(2)).history().await.unwrap();
    if t.dialect == Dialect::Mysql {
        assert_dirty_then_resolve(&t, registry(half_way(false)), registry(half_way(true))).await;
        return;
    }
    let err = t.migrator(registry(half_way(false))).migrate().await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with(&format!("while applying migration {HALF}: statement 3 of 3 failed: ")), "{msg}");
    assert!(
        msg.ends_with(&format!(
            "\n    {BAD}\nthe migration was rolled back and the database is unchanged; fix {HALF} and run again"
        )),
        "{msg}"
    );
    assert!(!t.has_table("half").await, "nothing of the failed migration remains");
    assert_eq!(t.migrator(first(2)).history().await.unwrap(), before, "the tracking table is unchanged");
    // Nothing to resolve: the fixed migration simply runs.
    let report = t.migrator(registry(half_way(true))).migrate().await.unwrap();
    assert_eq!(report.applied(), [HALF]);
    assert_eq!(t.count("SELECT COUNT(*) FROM half").await, 2);
}
on_every_backend!(a_migration_failing_half_way);

async fn a_non_transactional_migration_failing_half_way(t: Target) {
    t.migrator(first(2)).migrate().await.unwrap();
    assert_dirty_then_resolve(
        &t,
        registry(half_way(false).non_transactional()),
        registry(half_way(true).non_transactional()),
    )
    .await;
}
on_every_backend!(a_non_transactional_migration_failing_half_way);

async fn a_dirty_migration_completed_by_hand_is_resolved_as_applied(t: Target) {
    t.migrator(first(2)).migrate().await.unwrap();
    let broken = registry(half_way(false).non_transactional());
    t.migrator(broken.clone()).migrate().await.unwrap_err();
    t.exec("INSERT INTO half (id) VALUES (2)").await;
    let report = t.migrator(broken.clone()).resolve_applied(HALF).await.unwrap();
    assert_eq!(report.resolved, [HALF]);
    let rows = t.migrator(broken.clone()).history().await.unwrap();
    let row = rows.iter().find(|r| r.name == HALF).unwrap();
    assert_eq!((row.dirty, row.statements_done, row.failed_statement.as_deref()), (None, 3, None));
    assert!(t.migrator(broken.clone()).status().await.unwrap().is_up_to_date());
    let report = t.migrator(broken).down().await.unwrap();
    assert_eq!(report.reverted(), [HALF]);
}
on_every_backend!(a_dirty_migration_completed_by_hand_is_resolved_as_applied);
