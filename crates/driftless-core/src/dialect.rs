//! The SQL dialects driftless targets, as a value: what the classifier judges per dialect and the renderer
//! spells per dialect.
//!
//! A dialect is a *family* (MySQL covers MariaDB too); version-dependent behaviour, such as PostgreSQL 11's cheap
//! constant defaults or MySQL 8.0.12's instant ADD COLUMN, is described in classifier reasons rather than split
//! into more variants.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An SQL dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Dialect {
    /// SQLite 3.35+ (the embedded default).
    Sqlite,
    /// PostgreSQL 12+.
    Postgres,
    /// MySQL 8.0+ and MariaDB 10.6+.
    Mysql,
}

impl Dialect {
    /// Every dialect, in the fixed order reports use: SQLite, PostgreSQL, MySQL.
    pub const ALL: [Dialect; 3] = [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql];

    /// Every dialect, in the fixed order reports use: SQLite, PostgreSQL, MySQL.
    pub fn all() -> [Dialect; 3] {
        Self::ALL
    }

    /// The lowercase keyword used on the command line and in JSON (`sqlite`, `postgres`, `mysql`).
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
            Dialect::Mysql => "mysql",
        }
    }

    /// The human spelling used in reports (`SQLite`, `PostgreSQL`, `MySQL`).
    pub fn display_name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "SQLite",
            Dialect::Postgres => "PostgreSQL",
            Dialect::Mysql => "MySQL",
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A dialect name that is not one of `sqlite`, `postgres`, `mysql` (or their aliases).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("unknown dialect `{0}`: expected one of sqlite, postgres, mysql")]
pub struct ParseDialectError(pub String);

impl FromStr for Dialect {
    type Err = ParseDialectError;

    /// Parses `sqlite`, `postgres` (also `postgresql`, `pg`) or `mysql` (also `mariadb`), ignoring case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sqlite" | "sqlite3" => Ok(Dialect::Sqlite),
            "postgres" | "postgresql" | "pg" => Ok(Dialect::Postgres),
            "mysql" | "mariadb" => Ok(Dialect::Mysql),
            _ => Err(ParseDialectError(s.to_owned())),
        }
    }
}

/// SQLite's storage class for a portable type, as a table rebuild converts values (`None` for a custom type, whose
/// values are copied as they are). The classifier and the renderer both decide by it, so they cannot disagree on
/// which type changes convert values.
pub fn sqlite_storage_class(ty: &crate::schema::ColumnType) -> Option<&'static str> {
    use crate::schema::ColumnType as T;
    match ty {
        T::SmallInt | T::Integer | T::BigInt => Some("INTEGER"),
        T::Boolean => Some("BOOLEAN"),
        T::Real | T::Double => Some("REAL"),
        T::Decimal { .. } => Some("NUMERIC"),
        T::Bytes => Some("BLOB"),
        T::Custom(_) => None,
        _ => Some("TEXT"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for d in Dialect::all() {
            assert_eq!(d.name().parse::<Dialect>().unwrap(), d);
            assert_eq!(serde_json::to_string(&d).unwrap(), format!("\"{}\"", d.name()));
        }
        assert_eq!("MariaDB".parse::<Dialect>().unwrap(), Dialect::Mysql);
        assert_eq!(
            "oracle".parse::<Dialect>().unwrap_err().to_string(),
            "unknown dialect `oracle`: expected one of sqlite, postgres, mysql"
        );
    }
}
