//! Rust data steps: what SQL cannot express, written as a function in the migration file.
//!
//! A migration's `up` (or `down`) holds `data("name")` ([`crate::step::Step::Data`]), and the migration carries the
//! function of that name beside its steps (`Migration::data_fn("name", function)`); only the name is in the
//! checksum. The migrator calls the function with a [`DataConnection`] — plain values in and out, no driver types,
//! so core needs no database driver and the file stays frozen (it uses no live model type) — in the migration's
//! transaction where the dialect has one, so that it runs once, recorded with the migration. [`Batches`] pages
//! through a table by key.
//!
//! Placeholders are `?` on every dialect (PostgreSQL's `$n` are written for it).
//!
//! ```
//! use driftless_core::data::{Batches, BoxFuture, DataConnection, DataError, Value};
//!
//! fn slugs(conn: &mut dyn DataConnection) -> BoxFuture<'_, Result<(), DataError>> {
//!     Box::pin(async move {
//!         let mut batches = Batches::new("SELECT id, name FROM users WHERE id > ? ORDER BY id LIMIT ?", Value::Int(0), 500);
//!         while let Some(rows) = batches.next(conn).await? {
//!             for row in rows {
//!                 let slug = row[1].as_str().unwrap_or_default().to_lowercase().replace(' ', "-");
//!                 conn.execute("UPDATE users SET slug = ? WHERE id = ?", &[Value::Text(slug), row[0].clone()]).await?;
//!             }
//!         }
//!         Ok(())
//!     })
//! }
//! ```

use std::future::Future;
use std::pin::Pin;

use crate::dialect::Dialect;

/// A boxed, sendable future: what [`DataConnection`]'s methods and a data function return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A value bound to a statement or read from a row.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// SQL NULL (bound as a text NULL: on PostgreSQL, cast it, `CAST(? AS INTEGER)`, for another type).
    Null,
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// Text.
    Text(String),
    /// A boolean.
    Bool(bool),
}

impl Value {
    /// The integer, if it is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// The text, if it is text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// Why a data step failed: the database's error, or the function's own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DataError(pub String);

impl DataError {
    /// An error of the function's own.
    pub fn new(message: impl Into<String>) -> DataError {
        DataError(message.into())
    }
}

/// The connection a data function receives: statements with `?` placeholders and [`Value`]s, rows of values.
pub trait DataConnection: Send {
    /// The database's dialect.
    fn dialect(&self) -> Dialect;

    /// Runs one statement; returns the rows it changed.
    fn execute<'a>(&'a mut self, sql: &'a str, params: &'a [Value]) -> BoxFuture<'a, Result<u64, DataError>>;

    /// Runs a query; returns its rows (integers, floats, text, booleans or NULL; cast other types to text).
    fn fetch<'a>(&'a mut self, sql: &'a str, params: &'a [Value]) -> BoxFuture<'a, Result<Vec<Vec<Value>>, DataError>>;
}

/// A data step's function.
pub type DataFn = for<'c> fn(&'c mut dyn DataConnection) -> BoxFuture<'c, Result<(), DataError>>;

/// Pages through rows by key: `sql` selects the key first and ends with `… WHERE key > ? ORDER BY key LIMIT ?`;
/// each [`Batches::next`] binds the last key seen (`start` at first) and the batch size, and returns the rows, until
/// there are none.
#[derive(Debug, Clone)]
pub struct Batches {
    sql: String,
    last: Value,
    size: u32,
    done: bool,
}

impl Batches {
    /// Batches of `size` rows of `sql`, starting after the key `start`.
    pub fn new(sql: &str, start: Value, size: u32) -> Batches {
        Batches { sql: sql.to_owned(), last: start, size: size.max(1), done: false }
    }

    /// The next batch, or `None` when the rows are done.
    pub async fn next(&mut self, conn: &mut dyn DataConnection) -> Result<Option<Vec<Vec<Value>>>, DataError> {
        if self.done {
            return Ok(None);
        }
        let rows = conn.fetch(&self.sql, &[self.last.clone(), Value::Int(i64::from(self.size))]).await?;
        if rows.len() < self.size as usize {
            self.done = true;
        }
        match rows.last().and_then(|r| r.first()) {
            Some(key) => self.last = key.clone(),
            None => return Ok(None),
        }
        Ok(Some(rows))
    }
}
