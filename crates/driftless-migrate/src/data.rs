//! Rust data steps (`Step::Data`, see `driftless_core::data`): the migrator calls the migration's function with a
//! [`DataConnection`] over its own connection, at the data step's place in the plan — in the migration's
//! transaction where it has one (so the function runs once, recorded with the migration), as its own unit online.

use driftless_core::Dialect;
use driftless_core::data::{BoxFuture, DataConnection, DataError, Value};
use driftless_core::migration::Migration;

use crate::connection::DialectConnection;
use crate::error::describe;

/// The migrator's connection as a data function sees it.
struct Conn<'a, C>(&'a mut C);

impl<C: DialectConnection> DataConnection for Conn<'_, C> {
    fn dialect(&self) -> Dialect {
        C::DIALECT
    }

    fn execute<'a>(&'a mut self, sql: &'a str, params: &'a [Value]) -> BoxFuture<'a, Result<u64, DataError>> {
        Box::pin(async move { self.0.execute_values(sql, params).await.map_err(|e| DataError(describe(&e))) })
    }

    fn fetch<'a>(&'a mut self, sql: &'a str, params: &'a [Value]) -> BoxFuture<'a, Result<Vec<Vec<Value>>, DataError>> {
        Box::pin(async move { self.0.fetch_values(sql, params).await.map_err(|e| DataError(describe(&e))) })
    }
}

/// Runs the data function `name` of `migration` on `conn`; its failure is the statement's error.
pub(crate) async fn run<C: DialectConnection>(
    conn: &mut C,
    migration: &Migration,
    name: &str,
) -> Result<(), sqlx::Error> {
    let function = migration.data_function(name).ok_or_else(|| {
        sqlx::Error::Protocol(format!("the data step `{name}` has no function (`.data_fn(\"{name}\", ...)`)"))
    })?;
    let mut data = Conn(conn);
    function(&mut data).await.map_err(|e| sqlx::Error::Protocol(format!("the data function `{name}` failed: {e}")))
}

/// `sql` with its `?` placeholders numbered `$1`, `$2`, … for PostgreSQL (not inside quotes or comments).
#[cfg_attr(not(feature = "postgres"), allow(dead_code, reason = "PostgreSQL only"))]
pub(crate) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '-') if chars.peek() == Some(&'-') => {
                out.push(c);
                for c in chars.by_ref() {
                    out.push(c);
                    if c == '\n' {
                        break;
                    }
                }
                continue;
            }
            (None, '?') => {
                n += 1;
                out.push_str(&format!("${n}"));
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// Binds one [`Value`] to a sqlx query.
macro_rules! bind_value {
    ($q:expr, $v:expr) => {
        match $v {
            driftless_core::data::Value::Null => $q.bind(Option::<String>::None),
            driftless_core::data::Value::Int(n) => $q.bind(*n),
            driftless_core::data::Value::Float(x) => $q.bind(*x),
            driftless_core::data::Value::Text(s) => $q.bind(s.clone()),
            driftless_core::data::Value::Bool(b) => $q.bind(*b),
            _ => $q.bind(Option::<String>::None),
        }
    };
}

/// A sqlx row as [`Value`]s: each column decoded as the first of integer, float, boolean, text that fits.
macro_rules! row_values {
    ($row:expr) => {{
        use sqlx::Row as _;
        let row = $row;
        (0..row.len())
            .map(|i| {
                if let Ok(v) = row.try_get::<Option<i64>, usize>(i) {
                    return Ok(v.map_or(driftless_core::data::Value::Null, driftless_core::data::Value::Int));
                }
                if let Ok(v) = row.try_get::<Option<i32>, usize>(i) {
                    return Ok(
                        v.map_or(driftless_core::data::Value::Null, |n| driftless_core::data::Value::Int(n.into()))
                    );
                }
                if let Ok(v) = row.try_get::<Option<f64>, usize>(i) {
                    return Ok(v.map_or(driftless_core::data::Value::Null, driftless_core::data::Value::Float));
                }
                if let Ok(v) = row.try_get::<Option<bool>, usize>(i) {
                    return Ok(v.map_or(driftless_core::data::Value::Null, driftless_core::data::Value::Bool));
                }
                row.try_get::<Option<String>, usize>(i)
                    .map(|v| v.map_or(driftless_core::data::Value::Null, driftless_core::data::Value::Text))
                    .map_err(|e| {
                        sqlx::Error::Protocol(format!(
                            "column {} of a data step's query is not an integer, float, boolean or text ({e}); cast it \
                             to text",
                            i + 1
                        ))
                    })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }};
}

pub(crate) use {bind_value, row_values};

/// The bound-parameter queries of a [`DialectConnection`](crate::connection::DialectConnection) impl: the same
/// lines for every driver (sqlx's query types differ per database, so they cannot be one generic function).
/// `$prepare` turns the `?` placeholders of a data step's SQL into the driver's own (`data::numbered` on
/// PostgreSQL).
macro_rules! bound_queries {
    ($prepare:expr) => {
        async fn fetch_text_bound(
            &mut self,
            sql: &str,
            params: &[String],
        ) -> Result<Vec<Vec<Option<String>>>, sqlx::Error> {
            let mut q = sqlx::query(AssertSqlSafe(sql.to_owned()));
            for p in params {
                q = q.bind(p.clone());
            }
            crate::probes::text_rows(q.fetch_all(&mut *self).await?)
        }

        async fn fetch_count(&mut self, sql: &str, params: &[String]) -> Result<i64, sqlx::Error> {
            let mut q = sqlx::query_scalar(AssertSqlSafe(sql.to_owned()));
            for p in params {
                q = q.bind(p.clone());
            }
            q.fetch_one(&mut *self).await
        }

        async fn execute_bound(&mut self, sql: &str, params: &[String]) -> Result<u64, sqlx::Error> {
            let mut q = sqlx::query(AssertSqlSafe(sql.to_owned()));
            for p in params {
                q = q.bind(p.clone());
            }
            Ok(q.execute(&mut *self).await?.rows_affected())
        }

        async fn execute_values(&mut self, sql: &str, params: &[Value]) -> Result<u64, sqlx::Error> {
            let sql: String = ($prepare)(sql);
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for p in params {
                q = crate::data::bind_value!(q, p);
            }
            Ok(q.execute(&mut *self).await?.rows_affected())
        }

        async fn fetch_values(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, sqlx::Error> {
            let sql: String = ($prepare)(sql);
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for p in params {
                q = crate::data::bind_value!(q, p);
            }
            let rows = q.fetch_all(&mut *self).await?;
            rows.iter().map(|row| crate::data::row_values!(row)).collect()
        }
    };
}
pub(crate) use bound_queries;

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered_outside_quotes_and_comments() {
        assert_eq!(
            super::numbered("UPDATE t SET a = ?, b = '?' WHERE \"c?\" = ? -- why?\nAND d = ?"),
            "UPDATE t SET a = $1, b = '?' WHERE \"c?\" = $2 -- why?\nAND d = $3"
        );
    }
}
