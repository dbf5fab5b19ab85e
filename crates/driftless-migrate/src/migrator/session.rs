//! The pooled connection one operation runs on.

use sqlx::pool::PoolConnection;

use crate::error::Error;

/// A pooled connection that goes back to the pool only when [`Session::end`] says it is clean; dropped any other
/// way (an error that may leave the lock or a transaction open, or a cancelled future), it is closed, which ends
/// the session and with it any lock and transaction.
pub(super) struct Session<DB: sqlx::Database> {
    pub(super) conn: PoolConnection<DB>,
    clean: bool,
}

impl<DB: sqlx::Database> Session<DB> {
    pub(super) async fn acquire(pool: &sqlx::Pool<DB>) -> Result<Session<DB>, Error> {
        let conn = pool.acquire().await.map_err(Error::db("taking a connection from the pool"))?;
        Ok(Session { conn, clean: false })
    }

    /// Ends the session with an operation's result: the connection is pooled again unless `poisoned` (it may still
    /// hold the lock) or the result is a database error (it may hold an open transaction).
    pub(super) fn end<T>(mut self, result: Result<T, Error>, poisoned: bool) -> Result<T, Error> {
        self.clean = !poisoned && !matches!(result, Err(Error::Database { .. }));
        result
    }
}

impl<DB: sqlx::Database> Drop for Session<DB> {
    fn drop(&mut self) {
        if !self.clean {
            self.conn.close_on_drop();
        }
    }
}
