//! driftless-write: a classified plan → the text of a migration file, the list of migrations → the text of the
//! registry (the journal the migrator reads), and the `rustfmt` pass over both.
//!
//! Why a separate crate: the runtime (`driftless-migrate`) only renders frozen steps, so it neither compiles nor
//! links the writer, its codegen or the `rustfmt` process spawning (`tests/wall.rs` checks `cargo tree`).
//!
//! The text is already rustfmt-clean with rustfmt's default configuration (the steps sit in `#[rustfmt::skip]`
//! functions, or a `#[rustfmt::skip]` list of JSON lines for big migrations: [`StepsShape`]), so no formatter runs
//! on the hot path; the caller (the CLI) runs [`rustfmt`] over new files only when the project has its own
//! `rustfmt.toml`. Apart from [`rustfmt`]/[`rustfmt_all`], which spawn `rustfmt`, and [`files`]
//! (durable file writes and the snapshot's file I/O), everything here is pure: no clock, no file system (the
//! timestamp comes in).
//!
//! Architecture Invariant: the writer does not decide what changed; it prints what the plan says, and the steps it
//! prints are literal definitions, never references to the live model.
#![deny(missing_docs)]

pub mod codegen;
pub mod files;

use std::fmt::Write as _;

use driftless_core::classify::Change;
use driftless_core::dialect::Dialect;
use driftless_core::migration::Class;
use driftless_core::step::Step;

pub use driftless_core::migration::short_name;

/// The crate path generated files import from, unless the project says otherwise.
pub const DEFAULT_CRATE: &str = "driftless";

/// One line of a migration file's header: a change with its class, code and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderChange {
    /// The worst class of this change over the dialects.
    pub class: Class,
    /// The stable classification code.
    pub code: String,
    /// What the change is, e.g. "add column `users.timezone`".
    pub summary: String,
    /// The reason (and the safer alternative, where there is one), per dialect where they differ.
    pub reason: String,
}

/// One header line for a change: its worst class, the code of the dialect that decided it, and the reasons.
pub fn header_change(c: &Change) -> HeaderChange {
    let class = c.class();
    let worst = Dialect::all().into_iter().find(|d| c.classes.get(*d).class == class).unwrap_or(Dialect::Sqlite);
    let decided = c.classes.get(worst);
    let all_same = c.classes.iter().all(|(_, x)| x.reason == decided.reason && x.class == decided.class);
    let mut reason = if all_same {
        decided.reason.clone()
    } else {
        c.classes
            .iter()
            .map(|(d, x)| format!("{}: {} ({})", d.name(), x.reason, x.class))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let sentence = |s: &str| if s.ends_with('.') { s.to_owned() } else { format!("{s}.") };
    reason = sentence(&reason);
    if let Some(alt) = &decided.safer_alternative {
        reason.push_str(&format!(" Safer: {}", sentence(alt)));
    }
    for p in &c.possible_renames {
        reason.push_str(&format!(" Possible rename: {}.", p.advice()));
    }
    HeaderChange { class, code: decided.code.to_owned(), summary: driftless_core::report::describe(&c.step), reason }
}

/// Everything a migration file says.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationFile<'a> {
    /// The migration's full name, `m<timestamp>_<name>`.
    pub name: &'a str,
    /// The command line that generated it (shown in the preamble).
    pub command: &'a str,
    /// The snapshot hash before.
    pub parent: Option<&'a str>,
    /// The snapshot hash after.
    pub snapshot: Option<&'a str>,
    /// The worst class.
    pub class: Class,
    /// The header lines; sorted worst first by [`migration_file`].
    pub changes: Vec<HeaderChange>,
    /// The `up` steps.
    pub up: &'a [Step],
    /// The `down` steps.
    pub down: &'a [Step],
    /// The crate generated code imports (`driftless`).
    pub crate_path: &'a str,
    /// The lock each step takes on the tables it changes, one line per step that changes an existing table (the
    /// CLI computes them from the statements the migrator runs); shown under "Locks", nothing when empty.
    pub locks: Vec<String>,
}

/// Why `rustfmt` could not format generated code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RustfmtError {
    /// The `rustfmt` program could not be started.
    #[error("could not run rustfmt ({source}); install it with `rustup component add rustfmt`")]
    Spawn {
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The generated code could not be handed to `rustfmt`.
    #[error("could not write to rustfmt: {source}")]
    Stdin {
        /// The operating system's error.
        source: std::io::Error,
    },
    /// `rustfmt` did not finish.
    #[error("rustfmt did not finish: {source}")]
    Wait {
        /// The operating system's error.
        source: std::io::Error,
    },
    /// `rustfmt` refused the input (its own message follows).
    #[error("rustfmt rejected the generated code: {stderr}")]
    Rejected {
        /// What rustfmt printed on stderr.
        stderr: String,
    },
    /// `rustfmt` printed something that is not UTF-8.
    #[error("rustfmt printed invalid UTF-8: {source}")]
    Utf8 {
        /// The decoding error.
        source: std::string::FromUtf8Error,
    },
}

/// Formats Rust source with `rustfmt` (edition 2024), run in `dir` so that the project's own `rustfmt.toml`
/// applies. Fails when rustfmt is missing or rejects the input.
pub fn rustfmt(source: &str, dir: &std::path::Path) -> Result<String, RustfmtError> {
    rustfmt_all(&[source], dir).map(|mut v| v.remove(0))
}

/// Formats several sources with one `rustfmt` process each, all running at once (a rustfmt start costs tens of
/// milliseconds, which dominates `migrate-generate` on small schemas). The program is `$RUSTFMT` when set, as
/// cargo does.
pub fn rustfmt_all(sources: &[&str], dir: &std::path::Path) -> Result<Vec<String>, RustfmtError> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let rustfmt = std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into());
    let mut children = Vec::new();
    for source in sources {
        let mut child = Command::new(&rustfmt)
            .args(["--edition", "2024", "--emit", "stdout"])
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| RustfmtError::Spawn { source })?;
        // Files are megabytes at scale, far beyond a pipe's buffer, and rustfmt may start printing before it has
        // read everything: the input is written from its own thread while `wait_with_output` reads the output.
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| RustfmtError::Stdin { source: std::io::Error::other("rustfmt's stdin is unavailable") })?;
        let input = source.as_bytes().to_vec();
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        children.push((child, writer));
    }
    children
        .into_iter()
        .map(|(child, writer)| {
            let out = child.wait_with_output().map_err(|source| RustfmtError::Wait { source })?;
            let written = writer.join().unwrap_or_else(|_| Err(std::io::Error::other("the writer thread panicked")));
            // A rejected input can end rustfmt before it read everything: its message says more than the broken pipe.
            if !out.status.success() {
                return Err(RustfmtError::Rejected { stderr: String::from_utf8_lossy(&out.stderr).into_owned() });
            }
            written.map_err(|source| RustfmtError::Stdin { source })?;
            String::from_utf8(out.stdout).map_err(|source| RustfmtError::Utf8 { source })
        })
        .collect()
}

/// The project's own rustfmt configuration, if any: the first `rustfmt.toml` or `.rustfmt.toml` in `dir` or a
/// folder above it (where rustfmt itself looks).
pub fn project_rustfmt_config(dir: &std::path::Path) -> Option<std::path::PathBuf> {
    let start = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    start.ancestors().flat_map(|d| [d.join("rustfmt.toml"), d.join(".rustfmt.toml")]).find(|p| p.is_file())
}

/// Formats generated sources only where it can change them: with the project's own `rustfmt.toml` (see
/// [`project_rustfmt_config`]). Without one the sources are returned as they are: the writer's text is already
/// rustfmt-clean with the default configuration, and a rustfmt run over a file of megabytes costs seconds.
pub fn rustfmt_if_configured(sources: &[&str], dir: &std::path::Path) -> Result<Vec<String>, RustfmtError> {
    match project_rustfmt_config(dir) {
        Some(_) => rustfmt_all(sources, dir),
        None => Ok(sources.iter().map(|s| (*s).to_owned()).collect()),
    }
}

/// The name of a migration generated at `timestamp` (`YYYYMMDD_HHMMSS`, UTC) with the user's `name`.
pub fn migration_name(timestamp: &str, name: &str) -> String {
    format!("m{timestamp}_{name}")
}

/// Whether `name` is usable as a migration's user-given name: lowercase ASCII letters, digits and underscores,
/// starting with a letter, at most 60 characters (it becomes part of a Rust module name).
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && name.len() <= 60
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

/// A timestamp given by hand that cannot name a migration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("the timestamp {shown:?}{cut} is not of the form YYYYMMDD_HHMMSS (for example 20261122_030000): {why}")]
pub struct TimestampError {
    /// The start of the value given (at most 40 characters).
    pub shown: String,
    /// `…` when the value was cut, else empty.
    pub cut: &'static str,
    /// What is wrong with it.
    pub why: &'static str,
}

/// Checks a timestamp given for a migration's file name (`--timestamp`, `DRIFTLESS_TIMESTAMP`): it must be
/// `YYYYMMDD_HHMMSS`, a real UTC calendar date and time, because it becomes part of a file name and a Rust module
/// name (so nothing else — a path separator, `..`, quotes — can reach the file system or the registry).
pub fn check_timestamp(timestamp: &str) -> Result<(), TimestampError> {
    let bad = |why: &'static str| {
        let shown: String = timestamp.chars().take(40).collect();
        let cut = if shown.len() < timestamp.len() { "…" } else { "" };
        Err(TimestampError { shown, cut, why })
    };
    let b = timestamp.as_bytes();
    if b.len() != 15 || b[8] != b'_' || !b.iter().enumerate().all(|(i, c)| i == 8 || c.is_ascii_digit()) {
        return bad("it must be 8 digits, an underscore and 6 digits");
    }
    let num = |r: std::ops::Range<usize>| timestamp[r].parse::<u32>().unwrap_or(u32::MAX);
    let (y, m, d) = (num(0..4), num(4..6), num(6..8));
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return bad("the month must be 01 to 12"),
    };
    if d == 0 || d > days {
        return bad("the day does not exist in that month");
    }
    if num(9..11) > 23 || num(11..13) > 59 || num(13..15) > 59 {
        return bad("the time must be 000000 to 235959");
    }
    Ok(())
}

/// Formats seconds since the Unix epoch as `YYYYMMDD_HHMMSS` (UTC): digits and an underscore, so the migration
/// name is a snake-case Rust module name.
pub fn timestamp(unix_seconds: u64) -> String {
    let days = (unix_seconds / 86_400) as i64;
    let secs = unix_seconds % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}{m:02}{d:02}_{:02}{:02}{:02}", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// The timestamp one second after `timestamp` (`YYYYMMDD_HHMMSS`, checked by [`check_timestamp`]): the name of a
/// migration written right after another one in the same run (a contract migration).
pub fn next_timestamp(timestamp: &str) -> Result<String, TimestampError> {
    check_timestamp(timestamp)?;
    let num = |r: std::ops::Range<usize>| timestamp[r].parse::<i64>().unwrap_or(0);
    let days = days_from_civil(num(0..4), num(4..6) as u32, num(6..8) as u32);
    let secs = days * 86_400 + num(9..11) * 3600 + num(11..13) * 60 + num(13..15);
    match u64::try_from(secs + 1) {
        Ok(next) => Ok(self::timestamp(next)),
        Err(_) => Err(TimestampError {
            shown: timestamp.to_owned(),
            cut: "",
            why: "the second after it is before 1970, which a migration name cannot hold",
        }),
    }
}

/// Howard Hinnant's civil-to-days algorithm (proleptic Gregorian calendar), the inverse of [`civil_from_days`].
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `text` (a generated migration file) with a section added at the end of its header: a `//! <title>:` line and
/// one wrapped `//! - ` item per line of `items`.
pub fn with_header_section(text: &str, title: &str, items: &[String]) -> String {
    let mut section = format!("//!\n//! {title}:\n");
    for item in items {
        comment_lines(&mut section, "//! - ", "//!   ", item, 116);
    }
    let end = text.lines().take_while(|l| l.starts_with("//!")).map(|l| l.len() + 1).sum::<usize>();
    format!("{}{section}{}", &text[..end], &text[end..])
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn class_expr(c: Class) -> &'static str {
    match c {
        Class::Safe => "Class::Safe",
        Class::ReviewRequired => "Class::ReviewRequired",
        Class::Dangerous => "Class::Dangerous",
    }
}

fn comment_lines(out: &mut String, first: &str, rest: &str, text: &str, width: usize) {
    // Wraps `text` at word boundaries so header lines stay within rustfmt's comment width; continuation lines use
    // `rest`, indented under a list item as rustdoc (and clippy's `doc_lazy_continuation`) expect.
    let mut prefix = first;
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && prefix.len() + line.len() + 1 + word.len() > width {
            let _ = writeln!(out, "{prefix}{line}");
            line.clear();
            prefix = rest;
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{prefix}{line}");
    }
}

/// A change's first header line: its class and what it does, said once. The code follows the class only when it
/// says more than the step kind the summary starts with (`[safe] create table …`, but
/// `[review_required, sqlite_rebuild] alter column …`).
fn header_line(c: &HeaderChange) -> String {
    let kind = c.code.replace('_', " ");
    let says_more = !c.summary.strip_prefix(kind.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with(' '));
    if says_more {
        format!("- [{}, {}] {}", c.class, c.code, c.summary)
    } else {
        format!("- [{}] {}", c.class, c.summary)
    }
}

/// The text of a migration file (before rustfmt), its steps in the shape their number calls for
/// ([`StepsShape::for_steps`]).
pub fn migration_file(file: &MigrationFile<'_>) -> String {
    migration_file_in(file, StepsShape::for_steps(file.up.len() + file.down.len()))
}

/// The text of a migration file with its steps in the given shape.
pub fn migration_file_in(file: &MigrationFile<'_>, shape: StepsShape) -> String {
    let mut changes = file.changes.clone();
    changes.sort_by(|a, b| b.class.cmp(&a.class).then_with(|| a.summary.cmp(&b.summary)));
    let mut out = String::new();
    let _ = writeln!(out, "//! Generated by `{}`.", file.command);
    out.push_str("//! Do not edit the steps by hand: the migrator checksums them. Review the changes below.\n//!\n");
    let _ = writeln!(out, "//! Class: {}", file.class);
    let _ = writeln!(out, "//! Parent snapshot: {}", file.parent.unwrap_or("none"));
    let _ = writeln!(out, "//! New snapshot: {}", file.snapshot.unwrap_or("none"));
    if changes.is_empty() {
        out.push_str("//!\n//! Changes: none (hand-written migration).\n");
    } else {
        out.push_str("//!\n//! Changes (worst first):\n");
        for c in &changes {
            comment_lines(&mut out, "//! ", "//!   ", &header_line(c), 116);
            comment_lines(&mut out, "//!   ", "//!   ", &c.reason, 116);
        }
    }
    if !file.locks.is_empty() {
        out.push_str("//!\n//! Locks (the statements the migrator runs; online unless turned off):\n");
        for line in &file.locks {
            comment_lines(&mut out, "//! - ", "//!   ", line, 116);
        }
    }
    out.push('\n');
    let _ = writeln!(out, "use {}::migration::prelude::*;\n", file.crate_path);
    out.push_str("/// The migration, with its frozen steps.\n");
    out.push_str("pub fn migration() -> Migration {\n");
    let _ = writeln!(out, "    Migration::new({:?})", file.name);
    if let Some(p) = file.parent {
        let _ = writeln!(out, "        .parent({p:?})");
    }
    if let Some(s) = file.snapshot {
        let _ = writeln!(out, "        .snapshot({s:?})");
    }
    let _ = writeln!(out, "        .class({})", class_expr(file.class));
    if file.class == Class::Dangerous {
        out.push_str(
            "        // DANGEROUS: this migration loses data. The migrator refuses it until a reviewer fills in both\n\
             \x20       // strings: who reviewed it, and why the loss is fine.\n\
             \x20       .acknowledged(\"\", \"\")\n",
        );
    }
    out.push_str("        .up(up())\n        .down(down())\n}\n");
    match shape {
        StepsShape::Functions => {
            steps_fns(&mut out, "up", file.up);
            steps_fns(&mut out, "down", file.down);
        }
        StepsShape::Json => {
            steps_json(&mut out, file.name, "up", file.up);
            steps_json(&mut out, file.name, "down", file.down);
        }
    }
    out
}

/// How a migration file spells its steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepsShape {
    /// One function per step, in the builder vocabulary of [`driftless_core::define`]: the easiest to read, and
    /// what every migration of up to [`JSON_ABOVE_STEPS`] steps uses.
    Functions,
    /// One line of canonical JSON per step (the checksum's and `schema.json`'s vocabulary), in a `const` list of
    /// string literals read by [`driftless_core::define::steps_from_json`]: what bigger migrations use, because
    /// rustc compiles builder code at about 3 ms of CPU per step in debug and 8 ms in release (seconds for a first
    /// migration of hundreds of tables) and string literals in next to nothing (`docs/benchmarks.md`).
    Json,
}

/// Migrations with more steps than this (`up` and `down` together) are written in [`StepsShape::Json`].
pub const JSON_ABOVE_STEPS: usize = 200;

impl StepsShape {
    /// The shape of a migration with `steps` steps, `up` and `down` together.
    pub fn for_steps(steps: usize) -> StepsShape {
        if steps > JSON_ABOVE_STEPS { StepsShape::Json } else { StepsShape::Functions }
    }
}

/// The steps of one direction as a `const` list of canonical JSON texts, one step a line, read back by
/// `steps_from_json` (which names the migration in its error if a text was edited into an invalid step).
fn steps_json(out: &mut String, name: &str, dir: &str, steps: &[Step]) {
    let konst = dir.to_uppercase();
    let _ = writeln!(out, "\n/// The `{dir}` steps, in order.");
    out.push_str("#[rustfmt::skip]\n");
    let _ = writeln!(out, "fn {dir}() -> Vec<Step> {{\n    steps_from_json({name:?}, {dir:?}, {konst})\n}}");
    let _ =
        writeln!(out, "\n/// The `{dir}` steps as canonical JSON, one step a line (the vocabulary of `schema.json`).");
    out.push_str("#[rustfmt::skip]\n");
    let _ = writeln!(out, "const {konst}: &[&str] = &[");
    for s in steps {
        let _ = writeln!(out, "    {},", codegen::step_json(s));
    }
    out.push_str("];\n");
}

/// The steps of one direction as a function listing one function per step: `up()` collects `up_0()`, `up_1()`, ….
///
/// Why this shape: one builder expression over thousands of steps overflows the stack when evaluated (debug builds
/// keep every temporary in one frame) and makes rustc's time and memory grow badly. A function per step keeps each
/// frame and each function rustc compiles small, and the table of function pointers is static data. The functions
/// are `#[rustfmt::skip]`, one step per line, so the text needs no formatter and stays as generated.
fn steps_fns(out: &mut String, dir: &str, steps: &[Step]) {
    let _ = writeln!(out, "\n/// The `{dir}` steps, in order: one function per step.");
    out.push_str("#[rustfmt::skip]\n");
    let _ = writeln!(out, "fn {dir}() -> Vec<Step> {{");
    out.push_str("    const STEPS: &[fn() -> Step] = &[\n");
    for i in 0..steps.len() {
        let _ = writeln!(out, "        {dir}_{i},");
    }
    out.push_str("    ];\n    STEPS.iter().map(|step| step()).collect()\n}\n");
    for (i, s) in steps.iter().enumerate() {
        let _ = write!(out, "\n#[rustfmt::skip]\nfn {dir}_{i}() -> Step {{\n    {}\n}}\n", codegen::step(s));
    }
}

/// The text of a hand-written migration skeleton (`migrate-generate --empty`).
pub fn empty_migration_file(name: &str, command: &str, crate_path: &str) -> String {
    format!(
        "//! Generated by `{command}` as a skeleton for a hand-written migration.\n\
         //! Write `up` and `down` with the builder functions (`raw_sql(sql(\"...\"))` for hand-written SQL); once\n\
         //! the migration is applied anywhere, do not edit its steps: the migrator checksums them.\n\
         //! The migrator judges the steps itself: hand-written SQL is at least `review_required`, a dropped table\n\
         //! or column is `dangerous`. Label the migration at least that (`.class(Class::ReviewRequired)`;\n\
         //! `cargo xtask migrate-generate --check` says what it must be); a dangerous one also needs a reviewer's\n\
         //! `.acknowledged(\"<who>\", \"<why the data loss is fine>\")`.\n\
         \n\
         use {crate_path}::migration::prelude::*;\n\
         \n\
         /// The migration.\n\
         pub fn migration() -> Migration {{\n    \
             Migration::new({name:?}).up([]).down([])\n\
         }}\n"
    )
}

/// The text of the registry: one module per migration and `migrations()` listing them oldest first. It is the
/// journal: the migrator and `migrate-generate` learn the migrations from it, never by scanning the folder.
pub fn registry_file(names: &[String], crate_path: &str) -> String {
    let mut out = String::new();
    out.push_str(
        "//! The registry of this project's migrations, oldest first. Generated by driftless's\n\
         //! `migrate-generate`: it is the journal the migrator reads (migrations are never found by scanning\n\
         //! the folder). Keep it in version control; resolve merge conflicts by regenerating.\n\n",
    );
    for n in names {
        let _ = writeln!(out, "pub mod {n};");
    }
    let _ = writeln!(out, "\n/// Every migration, oldest first.");
    out.push_str("#[rustfmt::skip]\n");
    let _ = writeln!(out, "pub fn migrations() -> Vec<{crate_path}::migration::Migration> {{");
    out.push_str("    vec![\n");
    for n in names {
        let _ = writeln!(out, "        {n}::migration(),");
    }
    out.push_str("    ]\n}\n");
    out
}

/// Reads the migration names back from a registry's text, in order (its `pub mod` lines).
pub fn parse_registry(text: &str) -> Vec<String> {
    text.lines().filter_map(|l| l.trim().strip_prefix("pub mod ")?.strip_suffix(';').map(str::to_owned)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        assert_eq!(timestamp(0), "19700101_000000");
        assert_eq!(timestamp(951_782_400), "20000229_000000");
        assert_eq!(timestamp(1_795_316_522), "20261122_030202");
        assert_eq!(timestamp(1_795_402_922 + 3599), "20261123_040201");
    }

    #[test]
    fn the_next_timestamp_is_one_second_later_across_days_and_years() {
        assert_eq!(next_timestamp("20261129_110000").unwrap(), "20261129_110001");
        assert_eq!(next_timestamp("20000228_235959").unwrap(), "20000229_000000");
        assert_eq!(next_timestamp("20261231_235959").unwrap(), "20270101_000000");
        assert!(next_timestamp("2026").is_err());
    }

    #[test]
    fn timestamps_given_by_hand_must_have_the_generated_shape() {
        for good in ["20261122_030000", "20000229_235959", "19700101_000000"] {
            assert_eq!(check_timestamp(good), Ok(()), "{good}");
        }
        assert_eq!(
            check_timestamp("../../etc/x").unwrap_err().to_string(),
            String::from(
                "the timestamp \"../../etc/x\" is not of the form YYYYMMDD_HHMMSS (for example 20261122_030000): it \
                 must be 8 digits, an underscore and 6 digits"
            )
        );
        for (bad, why) in [
            ("20261122_03000", "8 digits, an underscore and 6 digits"),
            ("20261122-030000", "8 digits, an underscore and 6 digits"),
            ("2026112٣_030000", "8 digits, an underscore and 6 digits"),
            ("20261122_03000/", "8 digits, an underscore and 6 digits"),
            ("20261322_030000", "the month must be 01 to 12"),
            ("20260229_030000", "the day does not exist"),
            ("20261100_030000", "the day does not exist"),
            ("20261122_240000", "the time must be"),
            ("20261122_036000", "the time must be"),
        ] {
            let err = check_timestamp(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad}: {err}");
        }
        let long = "9".repeat(1000);
        assert!(check_timestamp(&long).unwrap_err().to_string().len() < 200, "a huge value is cut in the message");
    }

    #[test]
    fn names_must_be_module_friendly() {
        assert!(is_valid_name("add_user_timezone"));
        assert!(is_valid_name("v2"));
        for bad in ["", "2fast", "Add", "add-user", "add user", &"x".repeat(61)] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn header_lines_name_the_change_once() {
        let change = |code: &str, summary: &str| HeaderChange {
            class: Class::Safe,
            code: code.into(),
            summary: summary.into(),
            reason: String::new(),
        };
        assert_eq!(
            header_line(&change("create_table", "create table `users` (id)")),
            "- [safe] create table `users` (id)"
        );
        assert_eq!(header_line(&change("drop_enum", "drop enum `mood`")), "- [safe] drop enum `mood`");
        assert_eq!(
            header_line(&change("add_column_nullable", "add column `users.tz` (text, nullable)")),
            "- [safe, add_column_nullable] add column `users.tz` (text, nullable)"
        );
        assert_eq!(
            header_line(&change("sqlite_rebuild", "alter column `users.age`: type i32 -> i64")),
            "- [safe, sqlite_rebuild] alter column `users.age`: type i32 -> i64"
        );
        assert_eq!(
            header_line(&change("drop_tab", "drop table `t`")),
            "- [safe, drop_tab] drop table `t`",
            "whole words only"
        );
    }

    #[test]
    fn registry_round_trips() {
        let names = vec!["m20261122_000000_init".to_owned(), "m20261123_000000_add_tz".to_owned()];
        let text = registry_file(&names, "driftless");
        assert_eq!(parse_registry(&text), names);
        assert!(text.contains("pub fn migrations() -> Vec<driftless::migration::Migration> {"));
    }
}
