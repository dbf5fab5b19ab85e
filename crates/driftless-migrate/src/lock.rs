//! The migration lock's pieces shared by the dialects: a stable lock key per database and tracking table, polling
//! with back-off up to a deadline, and SQLite's lock (an exclusive OS file lock beside the database file, or a
//! process-wide mutex for in-memory databases).
//!
//! Every lock is released if the process dies: PostgreSQL advisory locks and MySQL `GET_LOCK` locks belong to the
//! session, and the kernel drops a file lock with the last descriptor.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::error::Error;

/// A 64-bit FNV-1a hash: stable across builds and platforms (unlike `std`'s hashers), so every migrator computes
/// the same lock key for the same database and table.
pub(crate) fn stable_hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Waiting for a lock: sleeps between attempts (10 ms doubling to 250 ms) and fails with [`Error::LockTimeout`]
/// once the timeout has passed.
#[derive(Debug)]
pub(crate) struct Backoff {
    lock: String,
    start: Instant,
    timeout: Duration,
    pause: Duration,
}

impl Backoff {
    pub fn new(lock: impl Into<String>, timeout: Duration) -> Backoff {
        Backoff { lock: lock.into(), start: Instant::now(), timeout, pause: Duration::from_millis(10) }
    }

    /// Sleeps before the next attempt, or fails when the time is up.
    pub async fn wait(&mut self) -> Result<(), Error> {
        let waited = self.start.elapsed();
        if waited >= self.timeout {
            return Err(Error::LockTimeout { lock: self.lock.clone(), waited });
        }
        tokio::time::sleep(self.pause.min(self.timeout - waited)).await;
        self.pause = (self.pause * 2).min(Duration::from_millis(250));
        Ok(())
    }
}

/// SQLite's migration lock; dropping it releases the lock.
#[derive(Debug)]
pub(crate) enum SqliteLock {
    /// An exclusive lock on `<database file>.driftless-lock`.
    File(#[allow(dead_code, reason = "held for its Drop: closing the file releases the lock")] File),
    /// In-memory databases live in one process: a process-wide mutex serialises their migrators.
    Memory(#[allow(dead_code, reason = "held for its Drop")] tokio::sync::OwnedMutexGuard<()>),
}

/// The lock file used for the SQLite database file `db`.
pub(crate) fn sqlite_lock_path(db: &str) -> PathBuf {
    PathBuf::from(format!("{db}.driftless-lock"))
}

/// Takes SQLite's lock for the database file `db` (`None` or empty: in memory), waiting at most `timeout`.
pub(crate) async fn sqlite_lock(db: Option<&str>, timeout: Duration) -> Result<SqliteLock, Error> {
    let Some(db) = db.filter(|d| !d.is_empty()) else {
        static MEMORY: OnceLock<Arc<tokio::sync::Mutex<()>>> = OnceLock::new();
        let mutex = MEMORY.get_or_init(Default::default).clone();
        return match tokio::time::timeout(timeout, mutex.lock_owned()).await {
            Ok(guard) => Ok(SqliteLock::Memory(guard)),
            Err(_) => Err(Error::LockTimeout { lock: "in-memory SQLite databases".to_owned(), waited: timeout }),
        };
    };
    let path = sqlite_lock_path(db);
    let shown = path.display().to_string();
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| Error::Database { context: format!("opening the lock file {shown}"), source: e.into() })?;
    let mut backoff = Backoff::new(format!("lock file {shown}"), timeout);
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(TryLockError::WouldBlock) => backoff.wait().await?,
            Err(TryLockError::Error(e)) => {
                return Err(Error::Database { context: format!("locking {shown}"), source: e.into() });
            }
        }
    }
    Ok(SqliteLock::File(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_stable() {
        assert_eq!(stable_hash(&[]), 0xcbf2_9ce4_8422_2325);
        assert_ne!(stable_hash(&["db", "t"]), stable_hash(&["dbt"]));
        assert_eq!(stable_hash(&["a", "b"]), stable_hash(&["a", "b"]));
    }

    #[tokio::test]
    async fn a_held_file_lock_times_out_with_a_clear_error() {
        let dir = std::env::temp_dir().join(format!("driftless_lock_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("x.db").display().to_string();
        let held = sqlite_lock(Some(&db), Duration::from_secs(1)).await.unwrap();
        let err = sqlite_lock(Some(&db), Duration::from_millis(100)).await.unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("timed out after 1"), "{msg}");
        assert!(msg.contains("x.db.driftless-lock): another migrator is running against this database"), "{msg}");
        drop(held);
        sqlite_lock(Some(&db), Duration::from_millis(100)).await.unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
