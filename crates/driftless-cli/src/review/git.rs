//! The git plumbing behind `migrate-review`: which migration files the base commit had, and which of them the
//! working tree changed. Everything goes through the `git` program run in the repository, so the review sees what
//! the pull request's diff shows (the working tree against the merge base, like `git diff base...`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

/// A migration file as the base commit has it.
#[derive(Debug, Clone)]
pub(crate) struct BaseFile {
    /// The path from the repository root.
    pub path: String,
    /// The blob id at the base.
    pub blob: String,
}

/// The migrations folder at the base commit.
#[derive(Debug, Clone)]
pub(crate) struct Base {
    /// The repository root.
    pub root: PathBuf,
    /// The commit compared with: the merge base of the base ref and `HEAD` (the base itself when they share none).
    pub commit: String,
    /// The migrations folder, from the repository root (`/`-separated, no trailing slash; empty for the root).
    pub folder: String,
    /// The migration files (`*.rs` but `mod.rs`) directly in the folder, by migration name (the file stem).
    pub files: BTreeMap<String, BaseFile>,
}

fn git(dir: &Path, args: &[&str]) -> anyhow::Result<Result<String, String>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .context("cannot run `git`; migrate-review needs git on the PATH")?;
    if out.status.success() {
        Ok(Ok(String::from_utf8_lossy(&out.stdout).into_owned()))
    } else {
        Ok(Err(String::from_utf8_lossy(&out.stderr).trim().to_owned()))
    }
}

/// The nearest existing folder at or above `path`.
fn existing(path: &Path) -> PathBuf {
    let mut p = path.to_path_buf();
    while !p.is_dir() {
        if !p.pop() {
            return PathBuf::from(".");
        }
    }
    p
}

/// Reads the base: `base_ref` must name a commit of the repository holding `migrations`.
pub(crate) fn base(migrations: &Path, base_ref: &str) -> anyhow::Result<Base> {
    let dir = existing(migrations);
    let root = match git(&dir, &["rev-parse", "--show-toplevel"])? {
        Ok(out) => PathBuf::from(out.trim_end_matches(['\n', '\r'])),
        Err(stderr) => bail!(
            "the migrations folder {} is not in a git repository ({stderr}); migrate-review compares the \
             migrations with a base commit, so run it in a git checkout",
            migrations.display()
        ),
    };
    let folder = relative(&root, migrations)?;
    if base_ref.starts_with('-') || base_ref.trim().is_empty() {
        bail!("--base `{base_ref}` is not a git ref; give a branch, tag or commit such as origin/main");
    }
    let base = match git(&root, &["rev-parse", "--verify", "--quiet", &format!("{base_ref}^{{commit}}")])? {
        Ok(out) => out.trim().to_owned(),
        Err(_) => bail!(
            "--base `{base_ref}` is not a commit in the repository {}; check the name, and fetch it first (in \
             GitHub Actions: actions/checkout with `fetch-depth: 0`)",
            root.display()
        ),
    };
    let commit = match git(&root, &["merge-base", &base, "HEAD"])? {
        Ok(out) => out.trim().to_owned(),
        Err(_) => base,
    };
    let spec = if folder.is_empty() { ".".to_owned() } else { folder.clone() };
    let listing = match git(&root, &["ls-tree", "-z", &commit, "--", &format!("{spec}/")])? {
        Ok(out) => out,
        Err(stderr) => bail!("cannot list {spec} at {commit}: {stderr}"),
    };
    let mut files = BTreeMap::new();
    for entry in listing.split('\0').filter(|e| !e.is_empty()) {
        // `<mode> <type> <object>\t<path>`
        let Some((meta, path)) = entry.split_once('\t') else { continue };
        let mut meta = meta.split(' ');
        let (Some(_mode), Some("blob"), Some(blob)) = (meta.next(), meta.next(), meta.next()) else { continue };
        let name = path.rsplit('/').next().unwrap_or(path);
        if let Some(stem) = name.strip_suffix(".rs")
            && name != "mod.rs"
        {
            files.insert(stem.to_owned(), BaseFile { path: path.to_owned(), blob: blob.to_owned() });
        }
    }
    Ok(Base { root, commit, folder, files })
}

impl Base {
    /// The working-tree path of a file given from the repository root.
    pub fn worktree_path(&self, path: &str) -> PathBuf {
        self.root.join(path)
    }

    /// The path from the repository root of the migration file named `name` (whether or not it exists).
    pub fn path_of(&self, name: &str) -> String {
        if self.folder.is_empty() { format!("{name}.rs") } else { format!("{}/{name}.rs", self.folder) }
    }

    /// The blob ids the working-tree files would have (`git hash-object`), in the same order; `None` for a file
    /// that does not exist.
    pub fn worktree_blobs(&self, paths: &[String]) -> anyhow::Result<Vec<Option<String>>> {
        let present: Vec<&String> = paths.iter().filter(|p| self.worktree_path(p).is_file()).collect();
        let mut hashes = Vec::new();
        if !present.is_empty() {
            let mut args = vec!["hash-object", "--"];
            args.extend(present.iter().map(|p| p.as_str()));
            match git(&self.root, &args)? {
                Ok(out) => hashes = out.lines().map(str::to_owned).collect(),
                Err(stderr) => bail!("cannot hash the migration files: {stderr}"),
            }
        }
        let mut hashes = hashes.into_iter();
        Ok(paths.iter().map(|p| if self.worktree_path(p).is_file() { hashes.next() } else { None }).collect())
    }

    /// The text of a file at the base commit.
    pub fn show(&self, path: &str) -> anyhow::Result<String> {
        match git(&self.root, &["show", &format!("{}:{path}", self.commit)])? {
            Ok(out) => Ok(out),
            Err(stderr) => bail!("cannot read {path} at {}: {stderr}", self.commit),
        }
    }
}

/// `path` relative to `root`, `/`-separated; both are resolved through symbolic links first (the folder itself
/// may not exist yet).
fn relative(root: &Path, path: &Path) -> anyhow::Result<String> {
    let root = root.canonicalize().with_context(|| format!("cannot resolve {}", root.display()))?;
    let base = existing(path);
    let rest = path.strip_prefix(&base).unwrap_or(Path::new(""));
    let abs = base.canonicalize().with_context(|| format!("cannot resolve {}", base.display()))?.join(rest);
    let rel = abs.strip_prefix(&root).with_context(|| {
        format!("the migrations folder {} is outside the git repository {}", path.display(), root.display())
    })?;
    Ok(rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/"))
}
