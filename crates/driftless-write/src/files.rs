//! Files on disk, written once and durably: every file driftless writes (migration files, the registry, the
//! snapshot, reports) goes through [`write_atomic`] or [`stage`] + [`Staged::persist`].
//!
//! A write goes to a temporary file in the target's own folder (so the rename cannot cross file systems), which is
//! flushed to disk (`fsync`) before it is renamed over the target, and the folder is flushed after the rename so
//! the new name survives a power cut. A crash leaves either the old file or the new one, never a torn one.
//!
//! The snapshot's file I/O lives here too ([`read_snapshot`], [`write_snapshot`]): `driftless-core` only parses
//! and prints its text.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use driftless_core::Schema;
use driftless_core::snapshot::{self, SnapshotError};

/// Why a file could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
#[error("could not {action} {}: {source}", path.display())]
pub struct FileError {
    /// What was being done (`create the folder`, `write`, `replace`, `flush the folder of`).
    pub action: &'static str,
    /// The file or folder.
    pub path: PathBuf,
    /// The operating system's error.
    #[source]
    pub source: std::io::Error,
}

fn err(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> FileError {
    let path = path.to_owned();
    move |source| FileError { action, path, source }
}

/// A file written to a temporary sibling and flushed, not yet in place. Dropping it removes the temporary file.
#[derive(Debug)]
pub struct Staged {
    path: PathBuf,
    temp: tempfile::TempPath,
}

impl Staged {
    /// The file this will replace.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the temporary file over the target. The folder is not flushed yet: call [`sync_parent`] once the
    /// last file of a batch is in place.
    pub fn persist(self) -> Result<(), FileError> {
        let path = self.path;
        self.temp.persist(&path).map_err(|e| FileError { action: "replace", path, source: e.error })
    }
}

/// The folder `path` lives in (`.` for a bare file name).
fn parent(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Writes `bytes` to a flushed temporary file beside `path` (creating the folder if needed), ready to be renamed
/// over it.
pub fn stage(path: &Path, bytes: &[u8]) -> Result<Staged, FileError> {
    let dir = parent(path);
    std::fs::create_dir_all(dir).map_err(err("create the folder", dir))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".driftless-").suffix(".tmp");
    // tempfile creates private (0600) files; a migration file or snapshot gets the usual mode, as `fs::write`
    // would give it (0666 less the umask).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut file = builder.tempfile_in(dir).map_err(err("write", path))?;
    file.write_all(bytes).map_err(err("write", path))?;
    file.as_file().sync_all().map_err(err("write", path))?;
    Ok(Staged { path: path.to_owned(), temp: file.into_temp_path() })
}

/// Flushes the folder holding `path`, so renames into it survive a crash. A no-op where folders cannot be opened
/// (Windows, where the rename itself is durable once it returns).
pub fn sync_parent(path: &Path) -> Result<(), FileError> {
    #[cfg(unix)]
    {
        let dir = parent(path);
        std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(err("flush the folder of", path))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Writes `bytes` to `path` atomically and durably: a flushed temporary sibling, a rename, a flushed folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    stage(path, bytes)?.persist()?;
    sync_parent(path)
}

/// Reads and validates a snapshot file (`schema.json`).
pub fn read_snapshot(path: &Path) -> Result<Schema, SnapshotError> {
    let text = std::fs::read_to_string(path).map_err(|source| SnapshotError::Io { path: path.to_owned(), source })?;
    snapshot::from_str(&text, path)
}

/// Writes the canonical text of `schema` to `path` with [`write_atomic`], so a failure never leaves a half-written
/// snapshot.
pub fn write_snapshot(path: &Path, schema: &Schema) -> Result<(), FileError> {
    write_atomic(path, snapshot::to_string(schema).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_land_whole_and_leave_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/schema.json");
        let schema = snapshot::from_str(
            "{\"format\": \"driftless-schema/1\", \"tables\": [{\"name\": \"users\", \"columns\": [{\"name\": \"id\", \
             \"type\": \"i64\"}]}]}",
            Path::new("s.json"),
        )
        .unwrap();
        write_snapshot(&path, &schema).unwrap();
        assert_eq!(read_snapshot(&path).unwrap(), schema);
        write_atomic(&path, b"second").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "second");
        let names: Vec<_> =
            std::fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["schema.json"]);
    }

    #[cfg(unix)]
    #[test]
    fn written_files_get_the_mode_fs_write_gives() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let (ours, plain) = (dir.path().join("m.rs"), dir.path().join("plain.rs"));
        write_atomic(&ours, b"x").unwrap();
        std::fs::write(&plain, b"x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode();
        assert_eq!(mode(&ours), mode(&plain), "not tempfile's private 0600");
    }

    #[test]
    fn a_failed_write_names_the_file_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let blocked = dir.path().join("blocked");
        std::fs::create_dir_all(blocked.join("inner")).unwrap();
        let e = write_atomic(&blocked, b"x").unwrap_err();
        assert_eq!(e.action, "replace");
        assert!(e.to_string().starts_with(&format!("could not replace {}: ", blocked.display())), "{e}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "the temporary file is removed");
    }
}
