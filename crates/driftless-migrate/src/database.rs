//! The database a migrator works on: an sqlx pool the application already has, or one opened from a URL
//! (`DATABASE_URL`, defaulting to a SQLite file so the embedded default needs no server).

use std::str::FromStr;
use std::time::Duration;

use driftless_core::Dialect;
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

use crate::error::Error;

/// The database used when `DATABASE_URL` is not set: a SQLite file in the working directory, created if missing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://driftless.db?mode=rwc";

/// A pool on one of the supported databases.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Database {
    /// SQLite.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
    /// MySQL or MariaDB.
    Mysql(MySqlPool),
}

impl Database {
    /// The dialect of the database.
    pub fn dialect(&self) -> Dialect {
        match self {
            Database::Sqlite(_) => Dialect::Sqlite,
            Database::Postgres(_) => Dialect::Postgres,
            Database::Mysql(_) => Dialect::Mysql,
        }
    }

    /// Opens a small pool on `url` (`sqlite:`, `postgres:`/`postgresql:`, `mysql:`/`mariadb:`).
    pub async fn connect(url: &str) -> Result<Database, Error> {
        let shown = redact(url);
        let connect_err = |source| Error::Connect { url: shown.clone(), source };
        let lower = url.to_ascii_lowercase();
        let acquire = Duration::from_secs(30);
        if lower.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url).map_err(connect_err)?;
            let pool = SqlitePoolOptions::new()
                .max_connections(2)
                .acquire_timeout(acquire)
                .connect_with(opts)
                .await
                .map_err(connect_err)?;
            Ok(Database::Sqlite(pool))
        } else if lower.starts_with("postgres:") || lower.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(url).map_err(connect_err)?;
            let pool = PgPoolOptions::new()
                .max_connections(2)
                .acquire_timeout(acquire)
                .connect_with(opts)
                .await
                .map_err(connect_err)?;
            Ok(Database::Postgres(pool))
        } else if lower.starts_with("mysql:") || lower.starts_with("mariadb:") {
            let url = if lower.starts_with("mariadb:") {
                format!("mysql:{}", &url["mariadb:".len()..])
            } else {
                url.to_owned()
            };
            let opts = MySqlConnectOptions::from_str(&url).map_err(connect_err)?;
            let pool = MySqlPoolOptions::new()
                .max_connections(2)
                .acquire_timeout(acquire)
                .connect_with(opts)
                .await
                .map_err(connect_err)?;
            Ok(Database::Mysql(pool))
        } else {
            Err(Error::UnsupportedUrl { url: shown })
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
            Database::Sqlite(p) => p.close().await,
            Database::Postgres(p) => p.close().await,
            Database::Mysql(p) => p.close().await,
        }
    }
}

impl From<SqlitePool> for Database {
    fn from(pool: SqlitePool) -> Self {
        Database::Sqlite(pool)
    }
}

impl From<PgPool> for Database {
    fn from(pool: PgPool) -> Self {
        Database::Postgres(pool)
    }
}

impl From<MySqlPool> for Database {
    fn from(pool: MySqlPool) -> Self {
        Database::Mysql(pool)
    }
}

/// The URL with the password (between `user:` and `@`) replaced by `***`, for messages.
pub(crate) fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else { return url.to_owned() };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => {
            format!("{}{}:***{}", &url[..scheme_end + 3], &authority[..colon], &rest[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(redact("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact("mysql://root@h/db"), "mysql://root@h/db");
        assert_eq!(redact("sqlite://driftless.db?mode=rwc"), "sqlite://driftless.db?mode=rwc");
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
}
