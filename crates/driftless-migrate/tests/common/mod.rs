//! Shared by the integration tests: a macro that runs one async body on SQLite, PostgreSQL and MariaDB, and a
//! small migration history written as hand-written SQL per dialect.
#![allow(dead_code, reason = "each test binary uses a different part of this module")]

use driftless_core::Dialect;
use driftless_core::migration::{Class, Migration};
use driftless_core::step::{DialectSql, Step};
use driftless_migrate::{Database, Migrator};
use driftless_testdb::TestDb;

/// One test database and a pool on it.
pub struct Target {
    pub db: TestDb,
    pub pool: Database,
    pub dialect: Dialect,
}

impl Target {
    pub async fn new(backend: driftless_testdb::Backend) -> Option<Target> {
        let db = TestDb::new(backend).await?;
        let pool = Database::connect(db.url()).await.expect("connect to the test database");
        let dialect = pool.dialect();
        Some(Target { db, pool, dialect })
    }

    /// A quiet migrator over `migrations` on this database.
    pub fn migrator(&self, migrations: impl IntoIterator<Item = Migration>) -> Migrator {
        Migrator::new(self.pool.clone(), migrations)
    }

    /// Runs a statement (test set-up and checks).
    pub async fn exec(&self, sql: &str) {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match &self.pool {
            Database::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(drop),
            Database::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(drop),
            Database::Mysql(p) => sqlx::raw_sql(sql).execute(p).await.map(drop),
            _ => unreachable!(),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}", sql = "test statement"))
    }

    /// The first column of every row of `sql`, as text.
    pub async fn strings(&self, sql: &str) -> Vec<String> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match &self.pool {
            Database::Sqlite(p) => sqlx::query_scalar(sql).fetch_all(p).await,
            Database::Postgres(p) => sqlx::query_scalar(sql).fetch_all(p).await,
            Database::Mysql(p) => sqlx::query_scalar(sql).fetch_all(p).await,
            _ => unreachable!(),
        }
        .expect("query")
    }

    /// A count.
    pub async fn count(&self, sql: &str) -> i64 {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match &self.pool {
            Database::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await,
            Database::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await,
            Database::Mysql(p) => sqlx::query_scalar(sql).fetch_one(p).await,
            _ => unreachable!(),
        }
        .expect("count")
    }

    /// Whether a table exists.
    pub async fn has_table(&self, table: &str) -> bool {
        let sql = match self.dialect {
            Dialect::Sqlite => format!("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'"),
            Dialect::Postgres => {
                format!("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = '{table}'")
            }
            _ => format!(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '{table}'"
            ),
        };
        self.count(&sql).await > 0
    }
}

/// Runs an `async fn(Target)` on every backend: `sqlite`, `postgres` and `mysql` tests in a module named after it.
/// Servers that are not running are skipped loudly (or fail, under `DRIFTLESS_REQUIRE_DBS=1`).
#[macro_export]
macro_rules! on_every_backend {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let t = $crate::common::Target::new(driftless_testdb::Backend::Sqlite).await.unwrap();
                super::$name(t).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(t) = $crate::common::Target::new(driftless_testdb::Backend::Postgres).await {
                    super::$name(t).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                if let Some(t) = $crate::common::Target::new(driftless_testdb::Backend::Mysql).await {
                    super::$name(t).await;
                }
            }
        }
    };
}

/// A raw SQL step with text per dialect.
pub fn sql(sqlite: &str, postgres: &str, mysql: &str) -> Step {
    Step::RawSql {
        sql: DialectSql {
            default: None,
            sqlite: Some(sqlite.to_owned()),
            postgres: Some(postgres.to_owned()),
            mysql: Some(mysql.to_owned()),
        },
        effect: None,
    }
}

/// A statement that runs for a second or two on each dialect (holding the migration lock meanwhile).
pub fn slow_statement(dialect: Dialect) -> Step {
    match dialect {
        Dialect::Postgres => same("SELECT pg_sleep(1.5)"),
        Dialect::Mysql => same("DO SLEEP(1.5)"),
        _ => same(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000) SELECT count(*) FROM c",
        ),
    }
}

/// A raw SQL step with the same text everywhere.
pub fn same(text: &str) -> Step {
    Step::RawSql { sql: DialectSql { default: Some(text.to_owned()), ..DialectSql::default() }, effect: None }
}

pub const M1: &str = "m20260101T000000_create_users";
pub const M2: &str = "m20260102T000000_create_posts";
pub const M3: &str = "m20260103T000000_add_user_email";
pub const M4: &str = "m20260104T000000_index_post_titles";
pub const M5: &str = "m20260105T000000_backfill_emails";

/// A migration of hand-written SQL, labelled as the migrator judges raw SQL: at least `review_required`.
pub fn raw(name: &str) -> Migration {
    Migration::new(name).class(Class::ReviewRequired)
}

/// The example history: users, posts referencing users, a new column, an index, a data migration.
pub fn history() -> Vec<Migration> {
    vec![
        raw(M1)
            .up([sql(
                "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
                "CREATE TABLE users (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL)",
                "CREATE TABLE users (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL)",
            )])
            .down([same("DROP TABLE users")]),
        raw(M2)
            .up([sql(
                "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id) \
                 ON DELETE CASCADE, title TEXT NOT NULL)",
                "CREATE TABLE posts (id BIGSERIAL PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users (id) \
                 ON DELETE CASCADE, title TEXT NOT NULL)",
                "CREATE TABLE posts (id BIGINT AUTO_INCREMENT PRIMARY KEY, user_id BIGINT NOT NULL, \
                 title VARCHAR(200) NOT NULL, FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE)",
            )])
            .down([same("DROP TABLE posts")]),
        raw(M3)
            .up([sql(
                "ALTER TABLE users ADD COLUMN email TEXT",
                "ALTER TABLE users ADD COLUMN email TEXT",
                "ALTER TABLE users ADD COLUMN email VARCHAR(200) NULL",
            )])
            .down([same("ALTER TABLE users DROP COLUMN email")]),
        raw(M4).up([same("CREATE INDEX posts_title ON posts (title)")]).down([sql(
            "DROP INDEX posts_title",
            "DROP INDEX posts_title",
            "DROP INDEX posts_title ON posts",
        )]),
        raw(M5).up([sql(
            "UPDATE users SET email = lower(name) || '@example.com' WHERE email IS NULL",
            "UPDATE users SET email = lower(name) || '@example.com' WHERE email IS NULL",
            "UPDATE users SET email = CONCAT(LOWER(name), '@example.com') WHERE email IS NULL",
        )]),
    ]
}

/// The first `n` migrations of [`history`].
pub fn first(n: usize) -> Vec<Migration> {
    history().into_iter().take(n).collect()
}

/// A MariaDB test database with the migrator's `Database` and a pool on it (the online MySQL tests).
pub struct MysqlDb {
    pub _testdb: TestDb,
    pub url: String,
    pub db: Database,
    pub pool: sqlx::MySqlPool,
}

/// A MariaDB test database on which `create` was migrated and `seed` (SQL) run; `None` when MariaDB is not there.
pub async fn mysql_seeded(create: Vec<Migration>, seed: &str) -> Option<MysqlDb> {
    use sqlx::Executor as _;
    let testdb = TestDb::mysql().await?;
    let url = testdb.url().to_owned();
    let db = Database::connect(&url).await.unwrap();
    let Database::Mysql(pool) = &db else { unreachable!("a MySQL URL") };
    let pool = pool.clone();
    Migrator::new(db.clone(), create).migrate().await.unwrap();
    pool.execute(sqlx::AssertSqlSafe(seed.to_owned())).await.unwrap();
    Some(MysqlDb { _testdb: testdb, url, db, pool })
}
