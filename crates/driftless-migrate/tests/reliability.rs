//! What the migrator says when things go wrong around a run: a run killed mid-statement names every statement that
//! may have run; a failing statement too long for its tracking column is still recorded; `status` tells a
//! migration being applied right now from one that stopped; applied migrations recorded in an order the registry
//! disagrees with are reported and refused; connection errors name the address at once, without the password;
//! PostgreSQL errors keep their DETAIL; SQLite lock files do not outlive the run.

mod common;

use std::time::{Duration, Instant};

use common::*;
use driftless_core::Dialect;
use driftless_core::migration::Migration;
use driftless_migrate::{Database, Direction, Error, Problem};

const KILLED: &str = "m20260110T000000_killed";

/// Five statements, the third slow: a run cancelled while it runs stops inside statement 3.
fn five_statements(dialect: Dialect) -> Migration {
    raw(KILLED)
        .up([
            same("CREATE TABLE k1 (id INTEGER)"),
            same("CREATE TABLE k2 (id INTEGER)"),
            slow_statement(dialect),
            same("CREATE TABLE k4 (id INTEGER)"),
            same("CREATE TABLE k5 (id INTEGER)"),
        ])
        .down([same("DROP TABLE k5")])
        .non_transactional()
}

/// A migrator killed while statement 3 of 5 runs: the next run names statement 3 as started (it may have run)
/// and statements 1 to 2 as finished — not "stopped after statement 2", which hides that 3 may have run. On
/// MariaDB every migration runs statement by statement; elsewhere a non-transactional one does.
async fn a_run_killed_mid_statement_names_every_statement_that_may_have_run(t: Target) {
    let registry = vec![five_statements(t.dialect)];
    let killed = tokio::time::timeout(Duration::from_millis(500), t.migrator(registry.clone()).migrate()).await;
    assert!(killed.is_err(), "the run was cut off during the slow statement");
    // The killed session may hold the lock until the server finishes the statement: the next run waits for it.
    let err = t.migrator(registry.clone()).migrate().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "migration {KILLED} did not finish applying on an earlier run: the migrator was killed or crashed after \
             starting statement 3 of 5, which may or may not have run; statements 1 to 2 finished, so the database \
             may be partly migrated; fix the database by hand, then run `cargo xtask migrate-resolve --applied \
             {KILLED}` if the migration is now completely applied, or `cargo xtask migrate-resolve --rolled-back \
             {KILLED}` if it is completely undone"
        )
    );
    let row = t.migrator(registry.clone()).history().await.unwrap().remove(0);
    assert_eq!((row.dirty, row.statements_done, row.statements_total), (Some(Direction::Up), 2, 5));
    assert!(t.has_table("k2").await && !t.has_table("k4").await);
}
on_every_backend!(a_run_killed_mid_statement_names_every_statement_that_may_have_run);

/// A failing statement longer than MariaDB's `TEXT` column (65,535 bytes) is recorded cut, with a marker, so the
/// next run names it and its failure instead of claiming the migrator crashed.
async fn a_failing_statement_longer_than_its_column_is_recorded(t: Target) {
    let bad = format!("INSERT INTO no_such_table (id) VALUES (1) /* {} */", "x".repeat(70_000));
    let name = "m20260111T000000_long_failure";
    let registry = vec![raw(name).up([same("CREATE TABLE long_failure (id INTEGER)"), same(&bad)]).non_transactional()];
    let err = t.migrator(registry.clone()).migrate().await.unwrap_err();
    assert!(matches!(err, Error::Statement { index: 1, partial: true, .. }), "{err}");

    let row = t.migrator(registry.clone()).history().await.unwrap().remove(0);
    let recorded = row.failed_statement.expect("the failed statement is recorded");
    assert!(recorded.starts_with("INSERT INTO no_such_table (id) VALUES (1) /* xxx"), "{}", &recorded[..60]);
    assert!(recorded.ends_with(" ... [cut: the statement is 70048 bytes long]"), "{}", recorded.len());
    assert!(recorded.len() <= 60_000);

    let msg = t.migrator(registry).migrate().await.unwrap_err().to_string();
    assert!(
        msg.starts_with(&format!(
            "migration {name} did not finish applying on an earlier run: statement 2 of 2 failed (INSERT INTO \
             no_such_table (id) VALUES (1) /* xxxx"
        )),
        "{msg}"
    );
    assert!(!msg.contains("crashed"), "{msg}");
}
on_every_backend!(a_failing_statement_longer_than_its_column_is_recorded);

/// While another migrator applies a migration statement by statement, its row is unfinished: `status` says it is
/// being applied (the lock is held), not that it is dirty.
async fn status_during_a_run_is_not_dirty(t: Target) {
    let name = "m20260112T000000_running";
    let registry = vec![
        raw(name)
            .up([same("CREATE TABLE running (id INTEGER)"), slow_statement(t.dialect)])
            .down([same("DROP TABLE running")])
            .non_transactional(),
    ];
    let holder = t.migrator(registry.clone());
    let run = tokio::spawn(async move { holder.migrate().await });
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        let status = t.migrator(registry.clone()).status().await.unwrap();
        if !status.applied.is_empty() || Instant::now() > deadline {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(status.in_progress, [name]);
    assert_eq!(status.problems, []);
    assert_eq!(status.applied[0].dirty, Some(Direction::Up));
    assert_eq!(run.await.unwrap().unwrap().applied(), [name]);
    let status = t.migrator(registry).status().await.unwrap();
    assert!(status.is_up_to_date(), "{status:?}");
}
on_every_backend!(status_during_a_run_is_not_dirty);

/// A dirty row with nobody holding the lock is still reported dirty by `status`.
async fn status_after_a_failure_is_dirty(t: Target) {
    let name = "m20260113T000000_failed";
    let registry = vec![raw(name).up([same("INSERT INTO no_such_table (id) VALUES (1)")]).non_transactional()];
    t.migrator(registry.clone()).migrate().await.unwrap_err();
    let status = t.migrator(registry).status().await.unwrap();
    assert_eq!(status.problems, [Problem::Dirty { name: name.into(), direction: Direction::Up }]);
    assert_eq!(status.in_progress, Vec::<String>::new());
}
on_every_backend!(status_after_a_failure_is_dirty);

/// The registry reordered after M2 and M3 were applied: `status` reports it, `migrate` refuses (before running
/// anything) naming both and what to do, and `allow_out_of_order` accepts it.
async fn applied_migrations_in_an_order_the_registry_disagrees_with(t: Target) {
    t.migrator(first(3)).migrate().await.unwrap();
    let mut reordered = first(4);
    reordered.swap(1, 2);
    let status = t.migrator(reordered.clone()).status().await.unwrap();
    assert_eq!(status.problems, [Problem::AppliedOutOfOrder { earlier: M3.into(), later: M2.into() }]);
    assert_eq!(
        status.problems[0].to_string(),
        format!(
            "{M3}: applied after {M2}, but the registry lists it before {M2}; put it back after {M2} in the \
             registry, or run with --allow-out-of-order if that order was meant"
        )
    );
    let err = t.migrator(reordered.clone()).migrate().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "migration {M2} was applied before {M3}, but the registry lists {M3} first (was the registry reordered \
             after they were applied?); put {M3} back after {M2} in the registry, or, if {M3} was applied out of \
             order on purpose, run with --allow-out-of-order (allow_out_of_order)"
        )
    );
    assert_eq!(t.migrator(first(4)).status().await.unwrap().pending, [M4], "nothing ran");
    let report = t.migrator(reordered).allow_out_of_order(true).migrate().await.unwrap();
    assert_eq!(report.applied(), [M4]);
}
on_every_backend!(applied_migrations_in_an_order_the_registry_disagrees_with);

/// A closed port fails at once (not after the pool's 30 s of retries), naming the address, without the password.
#[tokio::test]
async fn a_refused_port_is_named_at_once_without_the_password() {
    for (url, shown) in [
        ("postgres://postgres:pa%2Fss%40w@127.0.0.1:1/test", "postgres://postgres:***@127.0.0.1:1/test"),
        ("mysql://root:hunter2@127.0.0.1:1/test", "mysql://root:***@127.0.0.1:1/test"),
        ("mariadb://root@127.0.0.1:1/test?password=hunter2", "mariadb://root@127.0.0.1:1/test?password=***"),
    ] {
        let start = Instant::now();
        let err = Database::connect(url).await.unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(5), "{url}: {:?}", start.elapsed());
        assert_eq!(
            err.to_string(),
            format!(
                "could not connect to {shown}: connection refused at 127.0.0.1:1; check DATABASE_URL and that the \
                 database is running"
            )
        );
        assert!(std::error::Error::source(&err).is_none(), "the cause is in the message, not repeated in a chain");
    }
}

/// A password with an unencoded `/` and `@` breaks URL parsing (the authority becomes `postgres:pa`); the
/// message still does not show it.
#[tokio::test]
async fn an_unparsable_url_does_not_show_its_password() {
    let err = Database::connect("postgres://postgres:pa/ss@w@127.0.0.1:1/test").await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("could not connect to postgres://postgres:***@127.0.0.1:1/test: "), "{msg}");
    assert!(!msg.contains("pa/ss") && !msg.contains("ss@w"), "{msg}");
}

/// PostgreSQL's DETAIL (which key is duplicated) is in the message; sqlx's `at line N` (a line of the server's C
/// source) is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_errors_keep_their_detail() {
    let Some(t) = Target::new(driftless_testdb::Backend::Postgres).await else { return };
    let name = "m20260114T000000_duplicate";
    let registry = vec![raw(name).up([
        same("CREATE TABLE dup (id INTEGER PRIMARY KEY)"),
        same("INSERT INTO dup (id) VALUES (1)"),
        same("INSERT INTO dup (id) VALUES (1)"),
    ])];
    let msg = t.migrator(registry).migrate().await.unwrap_err().to_string();
    assert!(
        msg.starts_with(&format!(
            "while applying migration {name}: statement 3 of 3 failed: duplicate key value violates unique \
             constraint \"dup_pkey\" (DETAIL: Key (id)=(1) already exists.)\n    INSERT INTO dup (id) VALUES (1)\n"
        )),
        "{msg}"
    );
    assert!(!msg.contains(" at line "), "{msg}");
}

/// SQLite: a migrator removes its lock file when it finishes, so runs leave nothing beside the database.
#[tokio::test]
async fn sqlite_lock_files_are_removed() {
    let dir = std::env::temp_dir().join(driftless_testdb::unique_name("driftless_lockfiles"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("app.db").display());
    let db = Database::connect(&url).await.unwrap();
    let migrator = driftless_migrate::Migrator::new(db.clone(), first(2));
    migrator.migrate().await.unwrap();
    migrator.status().await.unwrap();
    migrator.down().await.unwrap();
    db.close().await;
    let mut left: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    assert_eq!(left, ["app.db"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// SQLite: the lock follows the database file, whatever path opened it — a symbolic link, a `..` detour, a hard
/// link in another folder: a second migrator through any of them waits for the first.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_paths_to_one_file_share_the_lock() {
    let dir = std::env::temp_dir().join(driftless_testdb::unique_name("driftless_lockpaths"));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let real = dir.join("real.db");
    let holder_db = Database::connect(&format!("sqlite://{}?mode=rwc", real.display())).await.unwrap();
    std::os::unix::fs::symlink(&real, dir.join("link.db")).unwrap();
    std::fs::hard_link(&real, dir.join("sub/hard.db")).unwrap();
    let slow = raw("m20260101T000000_slow").up([slow_statement(Dialect::Sqlite)]);
    let holder = driftless_migrate::Migrator::new(holder_db.clone(), [slow.clone()]);
    let running = tokio::spawn(async move { holder.migrate().await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    for other in ["link.db", "sub/../real.db", "sub/hard.db"] {
        let db = Database::connect(&format!("sqlite://{}", dir.join(other).display())).await.unwrap();
        let err = driftless_migrate::Migrator::new(db.clone(), [slow.clone()])
            .lock_timeout(Duration::from_millis(200))
            .migrate()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::LockTimeout { .. }), "{other}: {err}");
        db.close().await;
    }
    assert_eq!(running.await.unwrap().unwrap().applied().len(), 1);
    holder_db.close().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
