//! Writing several files together: all of them land, or the tree is left as it was.
//!
//! Each file is first written to a flushed temporary sibling (`driftless_write::files::stage`); only when every
//! temporary exists are they renamed over the targets, in order, and their folders flushed. If a rename fails, the
//! targets already replaced get their previous contents back and files that did not exist before are removed.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use driftless_write::files::{self, stage, sync_parent};

/// A file to write.
#[derive(Debug)]
pub(crate) struct Staged {
    path: PathBuf,
    contents: String,
    /// The file's current contents, when the caller has just read them (`None`: read them before writing).
    previous: Option<String>,
}

impl Staged {
    pub(crate) fn new(path: &Path, contents: String) -> Self {
        Staged { path: path.to_owned(), contents, previous: None }
    }

    /// The same file, whose current contents are `previous` (read by the caller), so that they need not be read
    /// again to be put back if writing fails half way.
    pub(crate) fn replacing(self, previous: String) -> Self {
        Staged { previous: Some(previous), ..self }
    }
}

/// Writes every staged file, or none.
pub(crate) fn commit_all(files: &[Staged]) -> anyhow::Result<()> {
    // A temporary file not yet renamed is removed when its `files::Staged` drops, so an early return leaves none.
    let mut temps = Vec::new();
    for f in files {
        temps.push(stage(&f.path, f.contents.as_bytes())?);
    }
    let previous: Vec<Option<Cow<'_, [u8]>>> = files
        .iter()
        .map(|f| match &f.previous {
            Some(known) => Some(Cow::Borrowed(known.as_bytes())),
            None => std::fs::read(&f.path).ok().map(Cow::Owned),
        })
        .collect();
    for (i, temp) in temps.into_iter().enumerate() {
        if let Err(e) = temp.persist() {
            let mut not_restored = Vec::new();
            for (j, done) in files.iter().enumerate().take(i) {
                let restored = match &previous[j] {
                    Some(bytes) => files::write_atomic(&done.path, bytes).map_err(|e| e.source),
                    None => std::fs::remove_file(&done.path),
                };
                if let Err(r) = restored {
                    not_restored.push(format!("{} ({r})", done.path.display()));
                }
            }
            let outcome = if not_restored.is_empty() {
                "nothing was changed".to_owned()
            } else {
                format!(
                    "these files could not be put back and must be restored by hand (e.g. `git checkout`): {}",
                    not_restored.join(", ")
                )
            };
            return Err(e.source).with_context(|| format!("could not write {}; {outcome}", files[i].path.display()));
        }
    }
    // One flush per folder: the migration file and the registry share theirs.
    let mut flushed = std::collections::HashSet::new();
    for f in files.iter().filter(|f| flushed.insert(f.path.parent())) {
        sync_parent(&f.path)
            .with_context(|| format!("{} was written but may not survive a crash", f.path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_files_land_together() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        let b = dir.path().join("sub/b.txt");
        std::fs::write(&a, "old a").unwrap();
        commit_all(&[Staged::new(&a, "new a".into()), Staged::new(&b, "new b".into())]).unwrap();
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "new a");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "new b");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "no temporary files are left");
    }

    #[test]
    fn a_failure_half_way_restores_the_tree() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        std::fs::write(&a, "old a").unwrap();
        let created = dir.path().join("created.txt");
        // A directory where a file should go makes the third rename fail after two succeeded.
        let blocked = dir.path().join("blocked");
        std::fs::create_dir_all(blocked.join("inner")).unwrap();
        let err = commit_all(&[
            Staged::new(&a, "new a".into()),
            Staged::new(&created, "created".into()),
            Staged::new(&blocked, "cannot replace a directory".into()),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("nothing was changed"), "{err}");
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "old a");
        assert!(!created.exists());
        // Previous contents given by the caller are what is put back.
        let err = commit_all(&[
            Staged::new(&a, "new a".into()).replacing("old a, as read".into()),
            Staged::new(&blocked, "cannot replace a directory".into()),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("nothing was changed"), "{err}");
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "old a, as read");
        let names: Vec<_> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        assert_eq!(names.len(), 2, "only a.txt and blocked/ remain: {names:?}");
    }
}
