//! The migration lock's pieces shared by the dialects: a stable lock key per database and tracking table, polling
//! with back-off up to a deadline, and SQLite's lock (an exclusive OS file lock beside the database file, or a
//! process-wide mutex for in-memory databases).
//!
//! Every lock is released if the process dies: PostgreSQL advisory locks and MySQL `GET_LOCK` locks belong to the
//! session, and the kernel drops a file lock with the last descriptor.
#![cfg_attr(
    not(all(feature = "sqlite", feature = "postgres", feature = "mysql")),
    allow(dead_code, reason = "each piece is used by some of the drivers only")
)]

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::error::Error;

/// A 64-bit FNV-1a hash: stable across builds and platforms (unlike `std`'s hashers), so every migrator computes
/// the same lock key for the same database and table.
pub(crate) fn stable_hash(parts: &[&str]) -> u64 {
    driftless_core::hash::fnv1a64(parts.iter().flat_map(|part| part.bytes().chain(std::iter::once(0))))
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
    /// Exclusive locks on the database's lock files (see [`sqlite_lock_paths`]), released in reverse order.
    File(#[allow(dead_code, reason = "held for its Drop")] Vec<FileLock>),
    /// In-memory databases live in one process: a process-wide mutex serialises their migrators.
    Memory(#[allow(dead_code, reason = "held for its Drop")] tokio::sync::OwnedMutexGuard<()>),
}

impl Drop for SqliteLock {
    fn drop(&mut self) {
        if let SqliteLock::File(locks) = self {
            while locks.pop().is_some() {}
        }
    }
}

/// An exclusive OS lock on a lock file. Dropping it removes the file (while still holding the lock, so a waiter
/// that then gets the lock on the removed file sees that the path no longer names it, and tries again) and then
/// releases the lock by closing it.
#[derive(Debug)]
pub(crate) struct FileLock {
    file: File,
    path: PathBuf,
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // Only where the lock can be checked against the path after it is taken (`same_file`); elsewhere the file
        // stays, which is safe.
        if cfg!(unix) {
            let _ = std::fs::remove_file(&self.path);
        }
        let _ = self.file.unlock();
    }
}

/// The lock files for the SQLite database file `db`, in the order they are taken. They follow the file, not the
/// path it was opened by: the first lives beside the canonical path (symbolic links and `..` resolved); on Unix it
/// is named after the file's device and inode, so hard links in one folder share it, and a second one in the
/// temporary folder, named the same way, covers hard links in other folders.
pub(crate) fn sqlite_lock_paths(db: &str) -> std::io::Result<Vec<PathBuf>> {
    let canonical = std::fs::canonicalize(db)?;
    let dir = canonical.parent().map(Path::to_path_buf).unwrap_or_default();
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let meta = std::fs::metadata(&canonical)?;
        let name = format!("driftless-{:x}-{:x}.driftless-lock", meta.dev(), meta.ino());
        let beside = dir.join(&name);
        let temp = std::env::temp_dir().join(&name);
        Ok(if beside == temp { vec![beside] } else { vec![beside, temp] })
    }
    #[cfg(not(unix))]
    {
        let name = canonical.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        Ok(vec![dir.join(format!("{name}.driftless-lock"))])
    }
}

/// Whether the open `file` is still the one at `path` (not removed or replaced by its previous holder).
fn same_file(file: &File, path: &Path) -> std::io::Result<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let open = file.metadata()?;
        match std::fs::metadata(path) {
            Ok(now) => Ok(now.dev() == open.dev() && now.ino() == open.ino()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        Ok(true)
    }
}

fn lock_error(context: String) -> impl FnOnce(std::io::Error) -> Error {
    move |e| Error::Database { context, cause: e.into() }
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
    let paths = sqlite_lock_paths(db).map_err(lock_error(format!("finding the SQLite database file {db}")))?;
    let shown = paths[0].display().to_string();
    let mut backoff = Backoff::new(format!("lock file {shown}"), timeout);
    let mut held = Vec::new();
    for path in paths {
        held.push(file_lock(path, &mut backoff).await?);
    }
    Ok(SqliteLock::File(held))
}

async fn file_lock(path: PathBuf, backoff: &mut Backoff) -> Result<FileLock, Error> {
    let shown = path.display().to_string();
    loop {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(lock_error(format!("opening the lock file {shown}")))?;
        match file.try_lock() {
            Ok(()) => {
                if same_file(&file, &path).map_err(lock_error(format!("checking the lock file {shown}")))? {
                    return Ok(FileLock { file, path });
                }
                // The previous holder removed the file as we got it: lock the one now at the path.
            }
            Err(TryLockError::WouldBlock) => backoff.wait().await?,
            Err(TryLockError::Error(e)) => return Err(lock_error(format!("locking {shown}"))(e)),
        }
    }
}

/// Whether another migrator holds SQLite's lock for `db` right now, found without waiting and without creating
/// anything: no lock file means nobody holds it. A lock taken to find out is released at once.
pub(crate) fn sqlite_lock_held(db: Option<&str>) -> Result<bool, Error> {
    let Some(db) = db.filter(|d| !d.is_empty()) else { return Ok(false) };
    let paths = match sqlite_lock_paths(db) {
        Ok(paths) => paths,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(lock_error(format!("finding the SQLite database file {db}"))(e)),
    };
    for path in paths {
        let file = match OpenOptions::new().read(true).write(true).open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(lock_error(format!("opening the lock file {}", path.display()))(e)),
        };
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Ok(true),
            Err(TryLockError::Error(e)) => return Err(lock_error(format!("locking {}", path.display()))(e)),
        }
    }
    Ok(false)
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
    async fn a_held_file_lock_times_out_with_a_clear_error_and_is_removed_when_released() {
        let dir = std::env::temp_dir().join(format!("driftless_lock_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("x.db");
        std::fs::write(&db, b"").unwrap();
        let db = db.display().to_string();
        let held = sqlite_lock(Some(&db), Duration::from_secs(1)).await.unwrap();
        let lock_files = sqlite_lock_paths(&db).unwrap();
        assert!(lock_files.iter().all(|f| f.exists()));
        assert!(sqlite_lock_held(Some(&db)).unwrap());
        let err = sqlite_lock(Some(&db), Duration::from_millis(100)).await.unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("timed out after 1"), "{msg}");
        assert!(msg.contains(".driftless-lock): another migrator is running against this database"), "{msg}");
        drop(held);
        assert!(lock_files.iter().all(|f| !f.exists()), "the lock files are removed with the lock");
        assert!(!sqlite_lock_held(Some(&db)).unwrap());
        drop(sqlite_lock(Some(&db), Duration::from_millis(100)).await.unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Two paths to one file — a symbolic link, a `..` detour, a hard link — exclude each other.
    #[cfg(unix)]
    #[tokio::test]
    async fn the_lock_follows_the_file_not_the_path() {
        let dir = std::env::temp_dir().join(format!("driftless_lock_paths_{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        let db = dir.join("x.db");
        std::fs::write(&db, b"").unwrap();
        std::os::unix::fs::symlink(&db, dir.join("link.db")).unwrap();
        std::fs::hard_link(&db, dir.join("sub/hard.db")).unwrap();
        let held = sqlite_lock(Some(&db.display().to_string()), Duration::from_secs(1)).await.unwrap();
        for other in ["link.db", "sub/../x.db", "sub/hard.db"] {
            let other = dir.join(other).display().to_string();
            let err = sqlite_lock(Some(&other), Duration::from_millis(50)).await.unwrap_err();
            assert!(matches!(err, Error::LockTimeout { .. }), "{other}: {err}");
        }
        drop(held);
        drop(sqlite_lock(Some(&dir.join("sub/hard.db").display().to_string()), Duration::ZERO).await.unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
