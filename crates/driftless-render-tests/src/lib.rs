//! Test-only crate: applies rendered migration steps to real SQLite, PostgreSQL and MariaDB databases and checks
//! what survives. The library half is the [`Harness`]; the tests are in `tests/`.
//!
//! The harness applies a [`RenderedMigration`] through the migrator's own apply code
//! ([`driftless_migrate::testing::apply_rendered`]): the same lock, transactions (`BEGIN IMMEDIATE` on SQLite,
//! foreign keys off around a rebuild with `PRAGMA foreign_key_check` before `COMMIT`, statement by statement where
//! a statement must run outside a transaction and on MySQL) and tracking-table rows as `migrate`, so these tests
//! exercise what runs in production rather than a copy of it. Its own connection serves the assertions.
//!
//! Rows are read back as text (`None` for NULL) through each server's text protocol, so one assertion reads the
//! same on every dialect.

use driftless_core::render::{self, RenderedMigration};
use driftless_core::step::Step;
use driftless_core::{Dialect, Schema};
use driftless_migrate::Database;
use driftless_testdb::{Backend, TestDb};
use sqlx::{AssertSqlSafe, Connection, MySqlConnection, PgConnection, Row, SqliteConnection, ValueRef};

/// A connection to one backend.
#[derive(Debug)]
enum Conn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
    Mysql(MySqlConnection),
}

/// One fresh test database with a connection and the migrator's execution rules.
#[derive(Debug)]
pub struct Harness {
    /// The dialect of the database.
    pub dialect: Dialect,
    conn: Conn,
    /// The migrator's pool on the same database.
    pool: Database,
    /// How many migrations were applied, to name the next one in the tracking table.
    applied: usize,
    db: TestDb,
}

macro_rules! rows_as_text {
    ($rows:expr) => {{
        let mut out = Vec::new();
        for row in $rows {
            let mut values = Vec::new();
            for i in 0..row.len() {
                let raw = row.try_get_raw(i).map_err(|e| e.to_string())?;
                values.push(if raw.is_null() {
                    None
                } else {
                    Some(row.try_get_unchecked::<String, _>(i).map_err(|e| e.to_string())?)
                });
            }
            out.push(values);
        }
        out
    }};
}

impl Harness {
    /// A fresh database for `dialect`, or `None` when its server is unavailable (printed loudly by
    /// `driftless-testdb`; a panic under `DRIFTLESS_REQUIRE_DBS=1`).
    pub async fn open(dialect: Dialect) -> Option<Harness> {
        let backend = match dialect {
            Dialect::Sqlite => Backend::Sqlite,
            Dialect::Postgres => Backend::Postgres,
            _ => Backend::Mysql,
        };
        let db = TestDb::new(backend).await?;
        let conn = match backend {
            Backend::Sqlite => Conn::Sqlite(SqliteConnection::connect(db.url()).await.expect("connect to sqlite")),
            Backend::Postgres => Conn::Postgres(PgConnection::connect(db.url()).await.expect("connect to postgres")),
            Backend::Mysql => Conn::Mysql(MySqlConnection::connect(db.url()).await.expect("connect to mysql")),
        };
        let pool = Database::connect(db.url()).await.expect("open the migrator's pool");
        Some(Harness { dialect, conn, pool, applied: 0, db })
    }

    /// The test database's URL (for a migrator of the test's own).
    pub fn url(&self) -> &str {
        self.db.url()
    }

    /// Closes the connection and removes the database.
    pub async fn close(self) {
        self.pool.close().await;
        let closed = match self.conn {
            Conn::Sqlite(c) => c.close().await,
            Conn::Postgres(c) => c.close().await,
            Conn::Mysql(c) => c.close().await,
        };
        closed.expect("close the connection");
        self.db.close().await.expect("remove the test database");
    }

    /// Runs one SQL text (possibly several statements), returning the server's error as text.
    pub async fn try_exec(&mut self, sql: &str) -> Result<(), String> {
        let q = sqlx::raw_sql(AssertSqlSafe(sql.to_owned()));
        let done = match &mut self.conn {
            Conn::Sqlite(c) => q.execute(c).await.map(drop),
            Conn::Postgres(c) => q.execute(c).await.map(drop),
            Conn::Mysql(c) => q.execute(c).await.map(drop),
        };
        done.map_err(|e| format!("{e} (while running: {sql})"))
    }

    /// Runs SQL that must succeed.
    pub async fn exec(&mut self, sql: &str) {
        if let Err(e) = self.try_exec(sql).await {
            panic!("{}: {e}", self.dialect);
        }
    }

    /// Runs SQL that must fail (a constraint doing its job), returning the error text.
    pub async fn exec_fails(&mut self, sql: &str) -> String {
        match self.try_exec(sql).await {
            Ok(()) => panic!("{}: expected an error from {sql}", self.dialect),
            Err(e) => e,
        }
    }

    /// The rows of a query, every value as text (`None` for NULL).
    pub async fn try_rows(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, String> {
        let q = sqlx::raw_sql(AssertSqlSafe(sql.to_owned()));
        let rows = match &mut self.conn {
            Conn::Sqlite(c) => rows_as_text!(q.fetch_all(c).await.map_err(|e| e.to_string())?),
            Conn::Postgres(c) => rows_as_text!(q.fetch_all(c).await.map_err(|e| e.to_string())?),
            Conn::Mysql(c) => rows_as_text!(q.fetch_all(c).await.map_err(|e| e.to_string())?),
        };
        Ok(rows)
    }

    /// The rows of a query with NULL shown as `"NULL"`, for compact assertions.
    pub async fn rows(&mut self, sql: &str) -> Vec<Vec<String>> {
        match self.try_rows(sql).await {
            Ok(rows) => rows
                .into_iter()
                .map(|r| r.into_iter().map(|v| v.unwrap_or_else(|| "NULL".to_owned())).collect())
                .collect(),
            Err(e) => panic!("{}: {e} (while running: {sql})", self.dialect),
        }
    }

    /// One value.
    pub async fn value(&mut self, sql: &str) -> String {
        let rows = self.rows(sql).await;
        assert_eq!(rows.len(), 1, "{}: expected one row from {sql}, got {rows:?}", self.dialect);
        rows[0][0].clone()
    }

    /// Applies a rendered migration through the migrator (see the crate docs); the error is the migrator's message.
    pub async fn apply(&mut self, m: &RenderedMigration) -> Result<(), String> {
        assert_eq!(m.dialect, self.dialect, "migration rendered for another dialect");
        self.applied += 1;
        let name = format!("m{:04}_render_test", self.applied);
        driftless_migrate::testing::apply_rendered(&self.pool, &name, m).await.map_err(|e| e.to_string())
    }

    /// Creates `schema` from empty, in the differ's order (`diff(empty, schema)`), as a first generated migration
    /// would.
    pub async fn create(&mut self, schema: &Schema) {
        let steps: Vec<Step> = driftless_core::diff::diff(&Schema::empty(), schema, &Default::default())
            .expect("diff the starting schema from empty")
            .steps()
            .cloned()
            .collect();
        let m = render::render_steps(&steps, self.dialect, &Schema::empty()).expect("render the starting schema");
        if let Err(e) = self.apply(&m).await {
            panic!("{}: creating the starting schema failed: {e}\n{}", self.dialect, m.script());
        }
    }

    /// Renders `steps` against `ctx`, applies them, and returns the schema after them.
    pub async fn up(&mut self, ctx: &Schema, steps: &[Step]) -> Schema {
        let m = render::render_steps(steps, self.dialect, ctx).expect("render up");
        if let Err(e) = self.apply(&m).await {
            panic!("{}: up failed: {e}\n{}", self.dialect, m.script());
        }
        driftless_core::replay::apply_steps_with(ctx, steps, driftless_core::replay::ReplayOptions::DATABASE)
            .expect("schema after up")
    }

    /// Renders the inverse of `steps` (the migration's `down`) against `after` and applies it.
    pub async fn down(&mut self, after: &Schema, steps: &[Step]) {
        let down: Vec<Step> = steps.iter().rev().map(Step::inverse).collect();
        let m = render::render_steps(&down, self.dialect, after).expect("render down");
        if let Err(e) = self.apply(&m).await {
            panic!("{}: down failed: {e}\n{}", self.dialect, m.script());
        }
    }

    /// The names of the table's indexes and unique constraints, sorted; primary keys and the indexes MySQL creates
    /// for foreign keys by itself are left out.
    pub async fn index_names(&mut self, table: &str) -> Vec<String> {
        let sql = match self.dialect {
            Dialect::Sqlite => format!(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '{table}' \
                 AND name NOT LIKE 'sqlite_autoindex_%' ORDER BY name"
            ),
            Dialect::Postgres => format!(
                "SELECT indexname FROM pg_indexes WHERE tablename = '{table}' AND indexname NOT LIKE '%pkey' \
                 ORDER BY indexname"
            ),
            _ => format!(
                "SELECT DISTINCT index_name FROM information_schema.statistics WHERE table_schema = DATABASE() \
                 AND table_name = '{table}' AND index_name <> 'PRIMARY' AND index_name NOT IN (\
                 SELECT constraint_name FROM information_schema.table_constraints WHERE table_schema = DATABASE() \
                 AND table_name = '{table}' AND constraint_type = 'FOREIGN KEY') ORDER BY index_name"
            ),
        };
        self.rows(&sql).await.into_iter().map(|mut r| r.remove(0)).collect()
    }

    /// Whether the table exists.
    pub async fn table_exists(&mut self, table: &str) -> bool {
        let sql = match self.dialect {
            Dialect::Sqlite => format!("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'"),
            Dialect::Postgres => format!("SELECT COUNT(*) FROM pg_tables WHERE tablename = '{table}'"),
            _ => format!(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() \
                 AND table_name = '{table}'"
            ),
        };
        self.value(&sql).await != "0"
    }

    /// The table's column names in order.
    pub async fn columns(&mut self, table: &str) -> Vec<String> {
        let sql = match self.dialect {
            Dialect::Sqlite => format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid"),
            Dialect::Postgres => format!(
                "SELECT column_name FROM information_schema.columns WHERE table_name = '{table}' \
                 ORDER BY ordinal_position"
            ),
            _ => format!(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() \
                 AND table_name = '{table}' ORDER BY ordinal_position"
            ),
        };
        self.rows(&sql).await.into_iter().map(|mut r| r.remove(0)).collect()
    }
}

/// Runs a test body once per dialect: `db_test!(name, |h| { ... })` expands to a module `name` with the tests
/// `sqlite`, `postgres` and `mysql`. SQLite always runs; the servers run when reachable (or must, under
/// `DRIFTLESS_REQUIRE_DBS=1`).
#[macro_export]
macro_rules! db_test {
    ($name:ident, |$h:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports, reason = "each test uses a different part of the fixtures")]
            use super::*;

            async fn run($h: &mut $crate::Harness) $body

            async fn on(dialect: ::driftless_core::Dialect) {
                if let Some(mut h) = $crate::Harness::open(dialect).await {
                    run(&mut h).await;
                    h.close().await;
                }
            }

            #[tokio::test]
            async fn sqlite() {
                on(::driftless_core::Dialect::Sqlite).await;
            }

            #[tokio::test]
            async fn postgres() {
                on(::driftless_core::Dialect::Postgres).await;
            }

            #[tokio::test]
            async fn mysql() {
                on(::driftless_core::Dialect::Mysql).await;
            }
        }
    };
}

pub mod fixtures {
    //! The starting schema and rows most tests share.

    use driftless_core::Schema;
    use driftless_core::schema::Table;

    /// `roles` (parent) and `users` (child, `ON DELETE CASCADE`), with an enum, a unique, an index, a check and
    /// defaults.
    pub fn base() -> Schema {
        let s: Schema = serde_json::from_value(serde_json::json!({
            "tables": [
                {
                    "name": "roles",
                    "columns": [
                        {"name": "id", "type": "i64", "auto_increment": true},
                        {"name": "name", "type": "varchar(50)"}
                    ],
                    "primary_key": {"name": "roles_pkey", "columns": ["id"]},
                    "uniques": [{"name": "roles_name_key", "columns": ["name"]}]
                },
                {
                    "name": "users",
                    "columns": [
                        {"name": "id", "type": "i64", "auto_increment": true},
                        {"name": "role_id", "type": "i64"},
                        {"name": "email", "type": "varchar(255)"},
                        {"name": "age", "type": "i32", "nullable": true},
                        {"name": "bio", "type": "text", "nullable": true},
                        {"name": "code", "type": "varchar(10)", "nullable": true},
                        {"name": "status", "type": "enum(user_status)", "default": {"value": "active"}},
                        {"name": "created_at", "type": "timestamptz", "default": {"expr": "current_timestamp"}}
                    ],
                    "primary_key": {"name": "users_pkey", "columns": ["id"]},
                    "indexes": [{"name": "users_email_idx", "columns": ["email"]}],
                    "foreign_keys": [{
                        "name": "users_role_id_fkey", "columns": ["role_id"], "ref_table": "roles",
                        "ref_columns": ["id"], "on_delete": "cascade"
                    }],
                    "checks": [{"name": "users_age_check", "expr": "age IS NULL OR age >= 0"}]
                }
            ],
            "enums": [{"name": "user_status", "values": ["active", "banned"]}]
        }))
        .expect("fixture schema");
        s.validate().expect("fixture schema is valid");
        s.normalized()
    }

    /// A table of the base schema.
    pub fn table(name: &str) -> Table {
        base().table(name).expect("fixture table").clone()
    }

    /// Two roles and three users.
    pub const SEED: &str = "INSERT INTO roles (name) VALUES ('admin'), ('member');
INSERT INTO users (role_id, email, age, bio, code, status) VALUES
    (1, 'ann@example.com', 31, 'likes ''quotes''', '42', 'active'),
    (2, 'bob@example.com', NULL, NULL, NULL, 'banned'),
    (2, 'cy@example.com', 19, 'plain', '7', 'active')";

    /// The seeded users' stable columns.
    pub const USERS: &str = "SELECT id, role_id, email, age, bio, status FROM users ORDER BY id";

    /// What [`USERS`] returns right after [`SEED`].
    pub fn seeded_users() -> Vec<Vec<String>> {
        [
            ["1", "1", "ann@example.com", "31", "likes 'quotes'", "active"],
            ["2", "2", "bob@example.com", "NULL", "NULL", "banned"],
            ["3", "2", "cy@example.com", "19", "plain", "active"],
        ]
        .iter()
        .map(|r| r.iter().map(|v| (*v).to_owned()).collect())
        .collect()
    }
}
