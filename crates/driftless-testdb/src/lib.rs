//! A fresh, uniquely named database per test on SQLite, PostgreSQL or MySQL/MariaDB, dropped afterwards.
//!
//! Tests against real servers read `DRIFTLESS_TEST_POSTGRES_URL` and `DRIFTLESS_TEST_MYSQL_URL` (defaulting to the
//! local servers). When a server cannot be reached the constructor returns `None` after printing a loud `SKIPPED`
//! line — unless `DRIFTLESS_REQUIRE_DBS=1`, under which a missing server panics, so CI can never pass by skipping.
//!
//! Why the `SKIPPED` line is written straight to the process's stderr: the test harness captures what `println!`
//! and `eprintln!` write and shows it only for failing tests, so a skipped test, which passes, would otherwise pass
//! unseen in a plain `cargo test`. Written directly, one line per skipped test (naming it) appears in the output
//! among the `test ... ok` lines.
//!
//! Features `postgres` and `mysql` (with `sqlite`, all on by default) compile sqlx's driver for each server; without
//! one, that server's tests are skipped (or fail under `DRIFTLESS_REQUIRE_DBS=1`), saying which feature is missing.
//!
//! Why drop in `Drop`: a failing test unwinds past any explicit clean-up call, and leaked databases pile up on a
//! developer's server. `Drop` runs the `DROP DATABASE` on a helper thread with its own runtime, so it works from
//! inside or outside a tokio runtime.

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[cfg(any(feature = "postgres", feature = "mysql"))]
use sqlx::{AssertSqlSafe, Connection};

/// The PostgreSQL server used when `DRIFTLESS_TEST_POSTGRES_URL` is not set.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
/// The MySQL/MariaDB server used when `DRIFTLESS_TEST_MYSQL_URL` is not set.
pub const DEFAULT_MYSQL_URL: &str = "mysql://root@127.0.0.1:3306/test";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Which kind of database a [`TestDb`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A temporary SQLite file.
    Sqlite,
    /// A database on a PostgreSQL server.
    Postgres,
    /// A database on a MySQL/MariaDB server.
    Mysql,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::Mysql => "mysql",
        })
    }
}

/// A database that exists for one test. Dropping it removes the database (or the SQLite file).
#[derive(Debug)]
pub struct TestDb {
    backend: Backend,
    name: String,
    url: String,
    admin_url: String,
    sqlite_path: Option<PathBuf>,
    removed: bool,
}

/// Whether `DRIFTLESS_REQUIRE_DBS=1` is set (CI): a missing server is then a failure, not a skip.
pub fn dbs_required() -> bool {
    std::env::var("DRIFTLESS_REQUIRE_DBS").is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// The PostgreSQL server URL tests use.
pub fn postgres_url() -> String {
    std::env::var("DRIFTLESS_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

/// The MySQL/MariaDB server URL tests use.
pub fn mysql_url() -> String {
    std::env::var("DRIFTLESS_TEST_MYSQL_URL").unwrap_or_else(|_| DEFAULT_MYSQL_URL.to_owned())
}

/// A name no other test (in this or another process) uses at the same time.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{prefix}_{}_{n}_{nanos:x}", std::process::id())
}

/// Replaces the database part of a server URL (`scheme://user@host:port/db?params`).
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{database}?{q}"),
        None => format!("{base}/{database}"),
    }
}

fn unavailable(backend: Backend, url: &str, err: &dyn fmt::Display) -> Option<TestDb> {
    let var = match backend {
        Backend::Postgres => "DRIFTLESS_TEST_POSTGRES_URL",
        _ => "DRIFTLESS_TEST_MYSQL_URL",
    };
    if dbs_required() {
        panic!(
            "DRIFTLESS_REQUIRE_DBS=1 but the {backend} test server at {url} is unavailable: {err}\n\
             start it (see README, 'Running the tests') or point {var} at one"
        );
    }
    // The thread is named after the test by the harness (not on a tokio worker thread, which says nothing).
    let test = std::thread::current()
        .name()
        .filter(|n| *n != "main" && !n.starts_with("tokio-"))
        .map(|n| format!(" [{n}]"))
        .unwrap_or_default();
    let line =
        format!("SKIPPED: {backend} test server at {url} is unavailable ({err}); set {var} to run these tests{test}\n");
    // Not `eprintln!`: see the crate docs. Nothing useful can be done if stderr itself fails.
    let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), line.as_bytes());
    None
}

impl TestDb {
    /// A fresh SQLite database in a temporary file.
    pub async fn sqlite() -> TestDb {
        let name = unique_name("driftless_test");
        let path = std::env::temp_dir().join(format!("{name}.db"));
        let url = format!("sqlite://{}?mode=rwc", path.display());
        TestDb {
            backend: Backend::Sqlite,
            name,
            url: url.clone(),
            admin_url: url,
            sqlite_path: Some(path),
            removed: false,
        }
    }

    /// A fresh database on the PostgreSQL test server, or `None` (printed loudly) when it is unavailable.
    pub async fn postgres() -> Option<TestDb> {
        Self::server(Backend::Postgres, postgres_url()).await
    }

    /// A fresh database on the MySQL/MariaDB test server, or `None` (printed loudly) when it is unavailable.
    pub async fn mysql() -> Option<TestDb> {
        Self::server(Backend::Mysql, mysql_url()).await
    }

    /// A fresh database of the given backend (`None` when its server is unavailable).
    pub async fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => Some(Self::sqlite().await),
            Backend::Postgres => Self::postgres().await,
            Backend::Mysql => Self::mysql().await,
        }
    }

    async fn server(backend: Backend, admin_url: String) -> Option<TestDb> {
        let name = unique_name("driftless_test");
        let quoted = quote_ident(backend, &name);
        let sql = format!("CREATE DATABASE {quoted}");
        if let Err(e) = admin_execute(backend, &admin_url, &sql).await {
            return unavailable(backend, &admin_url, &e);
        }
        let url = with_database(&admin_url, &name);
        Some(TestDb { backend, name, url, admin_url, sqlite_path: None, removed: false })
    }

    /// The connection URL of this test's database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Removes the database now, reporting a failure (dropping does the same but can only print).
    pub async fn close(mut self) -> Result<(), String> {
        self.removed = true;
        remove(self.backend, &self.admin_url, &self.name, self.sqlite_path.as_ref()).await
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if self.removed {
            return;
        }
        let (backend, admin, name, path) =
            (self.backend, self.admin_url.clone(), self.name.clone(), self.sqlite_path.clone());
        let outcome = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
            rt.block_on(remove(backend, &admin, &name, path.as_ref()))
        })
        .join();
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warning: could not remove test database {}: {e}", self.name),
            Err(_) => eprintln!("warning: removing test database {} panicked", self.name),
        }
    }
}

fn quote_ident(backend: Backend, name: &str) -> String {
    match backend {
        Backend::Mysql => format!("`{}`", name.replace('`', "``")),
        _ => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

async fn remove(backend: Backend, admin_url: &str, name: &str, sqlite_path: Option<&PathBuf>) -> Result<(), String> {
    match backend {
        Backend::Sqlite => {
            if let Some(path) = sqlite_path {
                for suffix in ["", "-wal", "-shm", "-journal"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    match std::fs::remove_file(&p) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => return Err(format!("{}: {e}", PathBuf::from(p).display())),
                    }
                }
            }
            Ok(())
        }
        Backend::Postgres => {
            let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(backend, name));
            admin_execute(backend, admin_url, &sql).await
        }
        Backend::Mysql => {
            let sql = format!("DROP DATABASE IF EXISTS {}", quote_ident(backend, name));
            admin_execute(backend, admin_url, &sql).await
        }
    }
}

async fn admin_execute(backend: Backend, url: &str, sql: &str) -> Result<(), String> {
    #[cfg(not(all(feature = "postgres", feature = "mysql")))]
    let _ = (url, sql);
    let work = async {
        match backend {
            #[cfg(feature = "postgres")]
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(url).await.map_err(|e| e.to_string())?;
                sqlx::raw_sql(AssertSqlSafe(sql.to_owned())).execute(&mut conn).await.map_err(|e| e.to_string())?;
                conn.close().await.map_err(|e| e.to_string())
            }
            #[cfg(feature = "mysql")]
            Backend::Mysql => {
                let mut conn = sqlx::MySqlConnection::connect(url).await.map_err(|e| e.to_string())?;
                sqlx::raw_sql(AssertSqlSafe(sql.to_owned())).execute(&mut conn).await.map_err(|e| e.to_string())?;
                conn.close().await.map_err(|e| e.to_string())
            }
            Backend::Sqlite => Err("SQLite has no server to administer".to_owned()),
            #[allow(unreachable_patterns, reason = "reachable when a driver feature is disabled")]
            other => Err(format!("this build has no {other} driver; enable driftless-testdb's `{other}` feature")),
        }
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, work).await {
        Ok(r) => r,
        Err(_) => Err(format!("no answer within {}s", CONNECT_TIMEOUT.as_secs())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_part_of_a_url_is_replaced() {
        assert_eq!(with_database("postgres://u@h:5432/test", "x"), "postgres://u@h:5432/x");
        assert_eq!(
            with_database("mysql://root@h:3306/test?ssl-mode=disabled", "x"),
            "mysql://root@h:3306/x?ssl-mode=disabled"
        );
        assert_eq!(with_database("postgres://u@h:5432", "x"), "postgres://u@h:5432/x");
    }

    #[test]
    fn names_are_unique() {
        assert_ne!(unique_name("a"), unique_name("a"));
    }
}
