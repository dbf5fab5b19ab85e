//! The runtime commands while another migrator works: `migrate-status` reports a migration being applied right now
//! with exit 0 (not a dirty one, exit 1), and `migrate --lock-timeout` gives up after that many seconds.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use driftless_cli::{Project, run};
use driftless_core::migration::{Class, Migration};
use driftless_core::schema::{ColumnType, SchemaBuilder};
use driftless_core::step::{DialectSql, Step};
use driftless_migrate::{Database, Migrator};
use driftless_testdb::{Backend, TestDb};

const RUNNING: &str = "m20260101T000000_running";

fn same(text: &str) -> Step {
    Step::RawSql { sql: DialectSql { default: Some(text.to_owned()), ..DialectSql::default() }, effect: None }
}

/// A migration applied statement by statement whose second statement runs for a second or two.
fn running(backend: Backend) -> Migration {
    let slow = match backend {
        Backend::Postgres => "SELECT pg_sleep(2)",
        Backend::Mysql => "DO SLEEP(2)",
        _ => {
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000) SELECT count(*) FROM c"
        }
    };
    Migration::new(RUNNING)
        .class(Class::ReviewRequired)
        // Declared, so that `migrate-status` can check drift past it afterwards.
        .up([
            same("CREATE TABLE running (id BIGINT)").amounts_to([Step::CreateTable {
                table: driftless_core::define::table("running")
                    .with_column(driftless_core::define::column("id", ColumnType::BigInt).nullable()),
            }]),
            same(slow).changes_nothing(),
        ])
        .down([same("DROP TABLE running")])
        .non_transactional()
}

fn project(root: &Path, registry: Vec<Migration>) -> Project {
    Project::new(root, SchemaBuilder::new()).with_migrations(root.join("migrations"), registry)
}

async fn command(project: &Project, args: &[&str]) -> ExitCode {
    let project = project.clone();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || run(&project, args)).await.unwrap()
}

async fn while_another_migrator_runs(backend: Backend) {
    let Some(testdb) = TestDb::new(backend).await else { return };
    let url = testdb.url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let project = project(dir.path(), vec![running(backend)]);
    let db = Database::connect(&url).await.unwrap();
    let holder = Migrator::new(db.clone(), vec![running(backend)]);
    let applying = tokio::spawn(async move { holder.migrate().await });
    // Wait until the row is written (the first statement ran, the slow one is running).
    let watcher = Migrator::new(db.clone(), vec![running(backend)]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while watcher.history().await.unwrap().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let code = command(&project, &["migrate-status", "--database-url", &url]).await;
    assert_eq!(code, ExitCode::SUCCESS, "{backend}: a migration being applied is not a problem");
    let start = Instant::now();
    let code = command(&project, &["migrate", "--database-url", &url, "--lock-timeout", "0.3"]).await;
    assert_eq!(code, ExitCode::from(2), "{backend}: the lock timeout");
    assert!(start.elapsed() < Duration::from_millis(1500), "{backend}: {:?}", start.elapsed());

    assert_eq!(applying.await.unwrap().unwrap().applied(), [RUNNING]);
    assert_eq!(command(&project, &["migrate-status", "--database-url", &url]).await, ExitCode::SUCCESS);
    db.close().await;
    testdb.close().await.unwrap();
}

/// A dirty row nobody is working on is a problem: exit 1.
async fn a_dirty_row_is_a_problem(backend: Backend) {
    let Some(testdb) = TestDb::new(backend).await else { return };
    let url = testdb.url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let broken = Migration::new(RUNNING).up([same("INSERT INTO no_such_table (id) VALUES (1)")]).non_transactional();
    let project = project(dir.path(), vec![broken]);
    assert_eq!(command(&project, &["migrate", "--database-url", &url]).await, ExitCode::from(2));
    assert_eq!(command(&project, &["migrate-status", "--database-url", &url]).await, ExitCode::from(1));
    testdb.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_and_lock_timeout_on_sqlite() {
    while_another_migrator_runs(Backend::Sqlite).await;
    a_dirty_row_is_a_problem(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_and_lock_timeout_on_postgres() {
    while_another_migrator_runs(Backend::Postgres).await;
    a_dirty_row_is_a_problem(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_and_lock_timeout_on_mariadb() {
    while_another_migrator_runs(Backend::Mysql).await;
    a_dirty_row_is_a_problem(Backend::Mysql).await;
}

/// The default SQLite database is `driftless.db` at the project root, whatever the current directory, and the
/// read-only commands never create it: they say there is none. Run in a child process (this test binary, filtered
/// to this test) whose current directory is elsewhere, so the check does not depend on this repository's own
/// `driftless.db` (which the README's main job creates).
#[test]
fn read_only_commands_never_create_the_default_database() {
    const NAME: &str = "read_only_commands_never_create_the_default_database";
    let files = |dir: &Path| {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    };
    if let Some(root) = std::env::var_os("DRIFTLESS_TEST_PROJECT_ROOT") {
        let root = std::path::PathBuf::from(root);
        let cwd = std::env::current_dir().unwrap();
        let project = project(&root, Vec::new());
        assert_eq!(run(&project, ["migrate-status"]), ExitCode::SUCCESS);
        assert_eq!(run(&project, ["migrate-history"]), ExitCode::SUCCESS);
        assert_eq!(files(&root), Vec::<String>::new(), "read-only commands created a file at the root");
        assert_eq!(run(&project, ["migrate"]), ExitCode::SUCCESS);
        assert_eq!(files(&root), ["driftless.db"], "migrate creates the default file at the project root");
        assert_eq!(files(&cwd), Vec::<String>::new(), "nothing in the current directory");
        return;
    }
    let (root, cwd) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", NAME, "--nocapture", "--test-threads=1"])
        .env("DRIFTLESS_TEST_PROJECT_ROOT", root.path())
        .env_remove("DATABASE_URL")
        .current_dir(cwd.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let expected = format!(
        "no SQLite database at {}: nothing is applied there yet; `cargo xtask migrate` creates it\n",
        root.path().join("driftless.db").display()
    );
    assert_eq!(stderr.matches(&expected).count(), 2, "{stderr}");
}
