//! `migrate-status` (the CLI's output, exactly) while an online expand/contract is paused on PostgreSQL: the row is
//! "contract pending", the expand's objects are listed as in progress and not as drift; the control: an unrelated
//! column added by hand during the pause is drift (exit 1, one drift). The test runs itself again in a child process
//! to capture the command's stdout and stderr.

use std::path::Path;
use std::process::ExitCode;

use driftless_cli::{Project, run};
use driftless_core::migration::{Class, Migration};
use driftless_core::schema::SchemaBuilder;
use driftless_core::testing::orders_items::{WIDEN, create, widen_up};
use driftless_migrate::{Database, Migrator};
use driftless_testdb::TestDb;
use sqlx::Executor;

const NAME: &str = "status_lists_a_paused_expand_as_in_progress_not_drift";

fn registry() -> Vec<Migration> {
    vec![create(), Migration::new(WIDEN).class(Class::ReviewRequired).up(widen_up())]
}

fn project(dir: &Path) -> Project {
    let mut p = Project::new(dir, SchemaBuilder::new()).with_migrations(dir.join("migrations"), registry());
    p.registered.clear();
    p
}

/// `migrate-status` in a child process: (exit code, stdout, stderr).
fn status(url: &str) -> (i32, String, String) {
    let root = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", NAME, "--nocapture", "--test-threads=1"])
        .env("DRIFTLESS_TEST_STATUS_URL", url)
        .env("DRIFTLESS_TEST_STATUS_ROOT", root.path())
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let code = text(&out.stdout).lines().find_map(|l| l.strip_prefix("exit ").map(|c| c.parse().unwrap()));
    (code.expect("the child printed its exit code"), text(&out.stdout), text(&out.stderr))
}

/// The lines of `text` that `migrate-status` printed (the test harness prints its own around them).
fn lines(text: &str, prefixes: &[&str]) -> Vec<String> {
    text.lines().filter(|l| prefixes.iter().any(|p| l.starts_with(p))).map(str::to_owned).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_lists_a_paused_expand_as_in_progress_not_drift() {
    if let (Ok(url), Some(root)) =
        (std::env::var("DRIFTLESS_TEST_STATUS_URL"), std::env::var_os("DRIFTLESS_TEST_STATUS_ROOT"))
    {
        let project = project(Path::new(&root));
        let args = vec!["migrate-status".to_owned(), "--database-url".to_owned(), url];
        let code = tokio::task::spawn_blocking(move || run(&project, args)).await.unwrap();
        println!("exit {}", if code == ExitCode::SUCCESS { 0 } else { 1 });
        return;
    }
    let Some(testdb) = TestDb::postgres().await else { return };
    let url = testdb.url().to_owned();
    let db = Database::connect(&url).await.unwrap();
    let Database::Postgres(pool) = &db else { unreachable!("a PostgreSQL URL") };
    Migrator::new(db.clone(), registry()[..1].to_vec()).migrate().await.unwrap();
    pool.execute("INSERT INTO orders SELECT FROM generate_series(1, 20)").await.unwrap();
    pool.execute("INSERT INTO items (order_id) SELECT id FROM orders").await.unwrap();
    let report = Migrator::new(db.clone(), registry()).migrate().await.unwrap();
    assert_eq!(report.contract_pending.as_deref(), Some(WIDEN));

    let expand = format!(
        "expand   in progress for {WIDEN}: contract pending (the next `migrate` runs it); not drift: column \
         orders.id__driftless_new, trigger orders_id__driftless_new on orders and its function \
         orders_id__driftless_new(), check orders_id__driftless_new_not_null on orders, index \
         orders_pkey__driftless_new on orders, column items.order_id__driftless_new, trigger \
         items_order_id__driftless_new on items and its function items_order_id__driftless_new(), check \
         items_order_id__driftless_new_not_null on items, index items_order_id_idx__driftless_new on items"
    );
    let problem = format!(
        "problem  {WIDEN}: expanded (online expand/contract); its contract runs on the next `migrate` (or `migrate \
         --contract`); `migrate-down` undoes the expand instead"
    );
    let (code, out, err) = status(&url);
    assert_eq!(code, 1, "a pending contract is a problem: {out}{err}");
    let widen_row = lines(&out, &[&format!("applied  {WIDEN}")]);
    assert!(widen_row[0].ends_with("  contract pending (up stopped part-way)"), "{out}");
    assert_eq!(
        lines(&out, &["expand ", "drift ", "no drift", "2 applied"]),
        [
            expand.clone(),
            "no drift: the database matches the schema of its applied migrations".to_owned(),
            "2 applied, 0 pending, 1 problem(s), 0 drift(s)".to_owned(),
        ]
    );
    assert_eq!(lines(&err, &["problem "]), std::slice::from_ref(&problem));

    // Control: an unrelated column added during the pause is drift.
    pool.execute("ALTER TABLE orders ADD COLUMN extra integer").await.unwrap();
    let (code, out, err) = status(&url);
    assert_eq!(code, 1);
    assert_eq!(
        lines(&out, &["expand ", "drift ", "no drift", "2 applied"]),
        [
            expand,
            "drift    column `orders`.`extra` is in the database but not in the expected schema".to_owned(),
            "2 applied, 0 pending, 1 problem(s), 1 drift(s)".to_owned(),
        ]
    );
    assert_eq!(lines(&err, &["problem "]), [problem]);
    db.close().await;
    testdb.close().await.unwrap();
}
