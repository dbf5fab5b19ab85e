//! Support for the end-to-end tests: the README's sections and code blocks, and running cargo in a scratch project
//! that shares this workspace's target directory (so only the scratch crates are compiled).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is one level below the root").to_owned()
}

/// The part of a Markdown text under `heading` (a line such as `## Quick start`), up to the next heading of the same
/// or a higher level outside a code block.
pub fn section<'a>(markdown: &'a str, heading: &str) -> &'a str {
    let start =
        markdown.find(&format!("\n{heading}\n")).unwrap_or_else(|| panic!("the text has a `{heading}` heading"));
    let body = &markdown[start + 1..];
    let level = heading.chars().take_while(|&c| c == '#').count();
    let mut in_code = false;
    let mut offset = 0;
    for (n, line) in body.split_inclusive('\n').enumerate() {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if n > 0 && !in_code && (1..=level).contains(&hashes) && line[hashes..].starts_with(' ') {
            return &body[..offset];
        }
        offset += line.len();
    }
    body
}

/// The fenced code blocks of a Markdown text whose info string names a file (```` ```rust app/src/lib.rs ````), as
/// `(path, contents)` in order.
pub fn file_blocks(markdown: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in markdown.lines() {
        match &mut current {
            None => {
                if let Some(info) = line.strip_prefix("```") {
                    let mut words = info.split_whitespace();
                    if let (Some(_lang), Some(path)) = (words.next(), words.next()) {
                        current = Some((path.to_owned(), String::new()));
                    }
                }
            }
            Some((_, body)) => {
                if line.starts_with("```") {
                    blocks.push(current.take().expect("inside a block"));
                } else {
                    body.push_str(line);
                    body.push('\n');
                }
            }
        }
    }
    blocks
}

/// The result of a command, with its output as text.
#[derive(Debug)]
pub struct Run {
    /// The exit code (`-1` when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Runs `cargo <args>` in `dir`, offline, with no inherited `DATABASE_URL` or insta settings. Compiled dependencies
/// are shared with this workspace (cargo's `build-dir` is this workspace's target directory), while the scratch
/// project's own binaries land in its own `target/`, so they never replace this workspace's binaries of the same
/// name.
pub fn cargo(dir: &Path, args: &[&str]) -> Run {
    cargo_with_env(dir, args, &[])
}

/// [`cargo`] with extra environment variables.
pub fn cargo_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let shared = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| repo_root().join("target"));
    let out = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .arg("--offline")
        .args(args)
        .current_dir(dir)
        .env("CARGO_BUILD_BUILD_DIR", shared)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env("CARGO_TERM_COLOR", "never")
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .env_remove("DRIFTLESS_ENV")
        .env_remove("APP_ENV")
        .env_remove("INSTA_UPDATE")
        .env_remove("INSTA_FORCE_PASS")
        .env_remove("INSTA_WORKSPACE_ROOT")
        .envs(env.iter().copied())
        .output()
        .expect("cargo runs");
    out.into()
}
