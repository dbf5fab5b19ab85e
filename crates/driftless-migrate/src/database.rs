//! The database a migrator works on: an sqlx pool the application already has, or one opened from a URL
//! (`DATABASE_URL`, defaulting to a SQLite file so the embedded default needs no server).

use std::str::FromStr;
use std::time::Duration;

use driftless_core::Dialect;
#[cfg(feature = "mysql")]
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
#[cfg(feature = "postgres")]
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
#[cfg(feature = "sqlite")]
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
#[cfg(any(feature = "postgres", feature = "mysql"))]
use sqlx::{ConnectOptions, Connection};

use crate::error::Error;
use crate::redact::redact;

/// The database used when `DATABASE_URL` is not set: a SQLite file in the working directory, created if missing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://driftless.db?mode=rwc";

/// A pool on one of the supported databases. Each variant exists when its driver feature (`sqlite`, `postgres`,
/// `mysql`; all three by default) is enabled.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Database {
    /// SQLite.
    #[cfg(feature = "sqlite")]
    Sqlite(SqlitePool),
    /// PostgreSQL.
    #[cfg(feature = "postgres")]
    Postgres(PgPool),
    /// MySQL or MariaDB.
    #[cfg(feature = "mysql")]
    Mysql(MySqlPool),
}

impl Database {
    /// The dialect of the database.
    pub fn dialect(&self) -> Dialect {
        match self {
            #[cfg(feature = "sqlite")]
            Database::Sqlite(_) => Dialect::Sqlite,
            #[cfg(feature = "postgres")]
            Database::Postgres(_) => Dialect::Postgres,
            #[cfg(feature = "mysql")]
            Database::Mysql(_) => Dialect::Mysql,
        }
    }

    /// Opens a small pool on `url` (`sqlite:`, `postgres:`/`postgresql:`, `mysql:`/`mariadb:`).
    ///
    /// A server that refuses the connection or does not answer fails within [`CONNECT_TIMEOUT`], naming the
    /// address ([`Error::Unreachable`]), rather than after the pool's retries. Every message hides the password.
    /// A URL for a database whose driver feature is not enabled fails with [`Error::DriverNotEnabled`].
    pub async fn connect(url: &str) -> Result<Database, Error> {
        let shown = redact(url);
        #[allow(unused_variables, reason = "unused when no driver feature is enabled")]
        let connect_err = |cause| Error::Connect { url: shown.clone(), cause };
        let lower = url.to_ascii_lowercase();
        let (dialect, feature) = if lower.starts_with("sqlite:") {
            (Dialect::Sqlite, "sqlite")
        } else if lower.starts_with("postgres:") || lower.starts_with("postgresql:") {
            (Dialect::Postgres, "postgres")
        } else if lower.starts_with("mysql:") || lower.starts_with("mariadb:") {
            (Dialect::Mysql, "mysql")
        } else {
            return Err(Error::UnsupportedUrl { url: shown });
        };
        match dialect {
            #[cfg(feature = "sqlite")]
            Dialect::Sqlite => {
                let opts = SqliteConnectOptions::from_str(url).map_err(connect_err)?;
                let pool = SqlitePoolOptions::new()
                    .max_connections(2)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(opts)
                    .await
                    .map_err(connect_err)?;
                Ok(Database::Sqlite(pool))
            }
            #[cfg(feature = "postgres")]
            Dialect::Postgres => {
                let (url, schema) = take_schema_param(url);
                let mut opts = PgConnectOptions::from_str(&url).map_err(connect_err)?;
                if let Some(schema) = &schema {
                    // `-c search_path="name"` on every connection: the migrator, the tracking table and
                    // introspection (which reads `current_schema()`) all work in that schema.
                    opts = opts.options([("search_path", format!("\"{}\"", schema.replace('"', "\"\"")))]);
                }
                let address = match opts.get_socket() {
                    Some(socket) => socket.display().to_string(),
                    None => format!("{}:{}", opts.get_host(), opts.get_port()),
                };
                probe(&opts, &shown, &address).await?;
                let pool = PgPoolOptions::new()
                    .max_connections(2)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(opts)
                    .await
                    .map_err(connect_err)?;
                if let Some(schema) = schema {
                    let exists: bool =
                        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
                            .bind(&schema)
                            .fetch_one(&pool)
                            .await
                            .map_err(connect_err)?;
                    if !exists {
                        pool.close().await;
                        return Err(Error::UnknownSchema { url: shown, schema });
                    }
                }
                Ok(Database::Postgres(pool))
            }
            #[cfg(feature = "mysql")]
            Dialect::Mysql => {
                let url = if lower.starts_with("mariadb:") {
                    format!("mysql:{}", &url["mariadb:".len()..])
                } else {
                    url.to_owned()
                };
                let opts = MySqlConnectOptions::from_str(&url).map_err(connect_err)?;
                let address = match opts.get_socket() {
                    Some(socket) => socket.display().to_string(),
                    None => format!("{}:{}", opts.get_host(), opts.get_port()),
                };
                probe(&opts, &shown, &address).await?;
                let pool = MySqlPoolOptions::new()
                    .max_connections(2)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(opts)
                    .await
                    .map_err(connect_err)?;
                Ok(Database::Mysql(pool))
            }
            #[allow(unreachable_patterns, reason = "reachable only when a driver feature is disabled")]
            _ => Err(Error::DriverNotEnabled { url: shown, feature }),
        }
    }

    /// Opens the database named by `DATABASE_URL`, or [`DEFAULT_DATABASE_URL`] when it is unset or empty.
    pub async fn from_env() -> Result<Database, Error> {
        let url = std::env::var("DATABASE_URL").ok().filter(|u| !u.trim().is_empty());
        Database::connect(url.as_deref().unwrap_or(DEFAULT_DATABASE_URL)).await
    }

    /// Closes the pool.
    pub async fn close(&self) {
        match self {
            #[cfg(feature = "sqlite")]
            Database::Sqlite(p) => p.close().await,
            #[cfg(feature = "postgres")]
            Database::Postgres(p) => p.close().await,
            #[cfg(feature = "mysql")]
            Database::Mysql(p) => p.close().await,
        }
    }
}

#[cfg(feature = "sqlite")]
impl From<SqlitePool> for Database {
    fn from(pool: SqlitePool) -> Self {
        Database::Sqlite(pool)
    }
}

#[cfg(feature = "postgres")]
impl From<PgPool> for Database {
    fn from(pool: PgPool) -> Self {
        Database::Postgres(pool)
    }
}

#[cfg(feature = "mysql")]
impl From<MySqlPool> for Database {
    fn from(pool: MySqlPool) -> Self {
        Database::Mysql(pool)
    }
}

/// How long connecting to a server may take before it counts as unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
/// How long an operation waits for a connection of the pool. A migrator holds its connection for a whole run, so
/// this is mostly a wait for the process's own other operations; an unreachable server is found by the first
/// connection, within [`CONNECT_TIMEOUT`].
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// Splits a PostgreSQL URL's `schema=NAME` query parameter (as Prisma spells it) from the rest of the URL, which
/// sqlx would otherwise ignore with a warning. The name is percent-decoded; the last `schema=` wins.
#[cfg_attr(not(feature = "postgres"), allow(dead_code, reason = "used by the PostgreSQL driver"))]
fn take_schema_param(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else { return (url.to_owned(), None) };
    let mut schema = None;
    let rest: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.strip_prefix("schema=") {
            Some(value) => {
                schema = Some(percent_decode(value));
                false
            }
            None => true,
        })
        .collect();
    let url = if rest.is_empty() { base.to_owned() } else { format!("{base}?{}", rest.join("&")) };
    (url, schema.filter(|s| !s.is_empty()))
}

/// `%XX` escapes (and `+` for a space) decoded; a malformed escape is kept as written.
#[cfg_attr(not(feature = "postgres"), allow(dead_code, reason = "used by the PostgreSQL driver"))]
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 3 <= bytes.len() => {
                match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One connection attempt, without the pool's retries (a pool retries a refused connection until its acquire
/// timeout and then reports only that it timed out): says at once that `address` refused, or did not answer within
/// [`CONNECT_TIMEOUT`].
#[cfg(any(feature = "postgres", feature = "mysql"))]
async fn probe<C: ConnectOptions<Connection: Sized>>(options: &C, shown: &str, address: &str) -> Result<(), Error> {
    match tokio::time::timeout(CONNECT_TIMEOUT, options.connect()).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            Ok(())
        }
        Ok(Err(sqlx::Error::Io(e))) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            Err(Error::Unreachable { url: shown.to_owned(), reason: format!("connection refused at {address}") })
        }
        Ok(Err(cause)) => Err(Error::Connect { url: shown.to_owned(), cause }),
        Err(_) => Err(Error::Unreachable {
            url: shown.to_owned(),
            reason: format!("no answer from {address} within {} s", CONNECT_TIMEOUT.as_secs()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_parameter_is_taken_out_of_the_url_and_decoded() {
        assert_eq!(
            take_schema_param("postgres://u@h/db?schema=app&sslmode=disable"),
            ("postgres://u@h/db?sslmode=disable".to_owned(), Some("app".to_owned()))
        );
        assert_eq!(
            take_schema_param("postgres://u@h/db?schema=My%20App"),
            ("postgres://u@h/db".to_owned(), Some("My App".to_owned()))
        );
        assert_eq!(take_schema_param("postgres://u@h/db?schema="), ("postgres://u@h/db".to_owned(), None));
        assert_eq!(take_schema_param("postgres://u@h/db"), ("postgres://u@h/db".to_owned(), None));
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("a%zzb"), "a%zzb");
    }

    #[tokio::test]
    async fn unknown_schemes_are_refused() {
        let err = Database::connect("oracle://x/y").await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "unsupported database url `oracle://x/y`: expected one starting with sqlite:, postgres:, postgresql:, \
             mysql: or mariadb:; check DATABASE_URL"
        );
    }

    /// In a build without the PostgreSQL driver (`--no-default-features --features sqlite`).
    #[cfg(not(feature = "postgres"))]
    #[tokio::test]
    async fn a_url_for_a_driver_left_out_names_the_feature() {
        let err = Database::connect("postgres://u:secret@h:5432/db").await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot open `postgres://u:***@h:5432/db`: driftless was built without the `postgres` driver; enable the \
             `postgres` feature of driftless-migrate (or of driftless / driftless-cli, which pass it on)"
        );
    }
}
