//! Generated migrations at scale compile, evaluate to exactly the steps they were generated from, and run on the
//! default 8 MiB main-thread stack. `build.rs` writes the files with the real writer (the first migration of the
//! synthetic schema peers were timed on, 1,000 and 5,000 tables); they are compiled here as modules.

use driftless_core::classify;
use driftless_core::migration::Migration;
use driftless_core::schema::{RenameHints, Schema};
use driftless_core::testing::synthetic;

mod synthetic_1000 {
    include!(concat!(env!("OUT_DIR"), "/synthetic_1000.rs"));
}

mod synthetic_5000 {
    include!(concat!(env!("OUT_DIR"), "/synthetic_5000.rs"));
}

/// The default stack of a program's main thread.
const MAIN_STACK: usize = 8 * 1024 * 1024;

fn expected(n: usize) -> classify::Plan {
    classify::plan(&Schema::empty(), &synthetic(n), &RenameHints::default()).unwrap()
}

#[test]
fn a_1000_table_file_evaluates_to_the_steps_it_was_generated_from() {
    let plan = expected(1_000);
    let m = synthetic_1000::migration();
    assert_eq!(m.name, "m20261122_000000_synthetic_1000");
    assert_eq!(m.class, plan.class());
    assert_eq!(m.up.len(), plan.up_steps().len());
    assert_eq!(m.up, plan.up_steps());
    assert_eq!(m.down, plan.down_steps());
}

/// Builds, plans, renders and applies the 5,000-table migration to an in-memory SQLite database on a thread with
/// the main thread's default stack: a debug build of a user's xtask does this on its main thread.
#[test]
fn a_5000_table_migration_runs_on_the_default_main_thread_stack() {
    let handle = std::thread::Builder::new()
        .stack_size(MAIN_STACK)
        .spawn(|| {
            let m: Migration = synthetic_5000::migration();
            assert_eq!(m.up.len(), expected(5_000).up_steps().len());
            let sql = driftless_migrate::testing::migration_sql(
                std::slice::from_ref(&m),
                "m20261122_000000_synthetic_5000",
                driftless_migrate::Direction::Up,
                driftless_core::Dialect::Sqlite,
            )
            .unwrap();
            assert!(sql.contains("CREATE TABLE \"tbl_04999\""), "{}", &sql[..sql.len().min(2000)]);
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let pool = driftless_migrate::testing::sqlite_memory([m]).await.unwrap();
                let tables: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'tbl_%'")
                        .fetch_one(&pool)
                        .await
                        .unwrap();
                assert_eq!(tables, 5_000);
                let fks: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pragma_foreign_key_list('tbl_04999')")
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                assert_eq!(fks, 1);
            });
        })
        .unwrap();
    handle.join().expect("the 5,000-table migration ran within 8 MiB of stack");
}
