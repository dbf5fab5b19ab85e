//! The text of `schema.json`, the committed snapshot of the schema as of the last generated migration: parsing
//! ([`from_str`]), printing ([`to_string`]) and hashing ([`hash`]). Reading and writing the file is
//! `driftless_write::files`; this module does no I/O.
//!
//! Writing is deterministic — canonical order, two-space pretty JSON, a trailing newline — so that one model change
//! gives a minimal diff in a pull request. Reading is strict: an unknown `format`, an unknown key, malformed JSON or
//! a structurally invalid schema is an error naming the file, the line and column, and what is wrong.
//! The format is documented in `crates/driftless-core/docs/schema-json.md`.
//!
//! Architecture Invariant: this module knows nothing about diffing; it turns bytes into a validated `Schema` and
//! back.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::schema::{EnumType, Schema, SchemaErrors, Table};

mod canonical;
mod changed;
mod pretty;

pub use canonical::{Canonical, HashStates, from_str_reusing, hash_pair};
pub use changed::{Changed, changed_tables};

/// The format this version of driftless reads and writes.
pub const FORMAT: &str = "driftless-schema/1";

/// Why a snapshot could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The file could not be read (produced by the file readers outside this crate, `driftless_write::files`).
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The text is not valid JSON, ends early, or does not have the snapshot's shape.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Malformed {
        /// The file (or the name given for the text).
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The file has no `format` key.
    #[error("{}: no \"format\" key; a driftless snapshot starts with {{\"format\": \"{FORMAT}\", ...}}", path.display())]
    MissingFormat {
        /// The file.
        path: PathBuf,
    },
    /// The file is of a format this version does not read.
    #[error(
        "{}: format `{found}` is not supported; this driftless reads `{FORMAT}` (a newer driftless wrote this file? \
         upgrade driftless)",
        path.display()
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// The format it declares.
        found: String,
    },
    /// The JSON is well formed but describes an invalid schema.
    #[error("{}: {}", path.display(), shorten(&errors.to_string()))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem found.
        errors: SchemaErrors,
    },
}

#[derive(Serialize)]
struct SnapshotOut<'a> {
    format: &'static str,
    tables: &'a [Table],
    #[serde(skip_serializing_if = "<[EnumType]>::is_empty")]
    enums: &'a [EnumType],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotIn {
    format: String,
    #[serde(default)]
    tables: Vec<Table>,
    #[serde(default)]
    enums: Vec<EnumType>,
}

#[derive(Deserialize)]
struct Probe {
    format: Option<serde_json::Value>,
}

/// The canonical text of `schema`: normalised order, pretty, with a trailing newline.
pub fn to_string(schema: &Schema) -> String {
    // Schemas from the builder and from `read` are already canonical; only others pay for a sorted copy.
    let sorted;
    let schema = if is_normalized(schema) {
        schema
    } else {
        sorted = schema.clone().normalized();
        &sorted
    };
    let out = SnapshotOut { format: FORMAT, tables: &schema.tables, enums: &schema.enums };
    let mut text = pretty::to_string_pretty(&out).expect("a schema always serialises: keys are strings");
    text.push('\n');
    text
}

/// A stable hash of the schema's canonical text (`fnv1a64:` + 16 hex digits), used in migration headers to record
/// the parent and resulting snapshot, and to detect two migrations generated from the same parent.
///
/// Why FNV-1a and not SHA-256: the hash identifies a snapshot among a project's own versions; nothing adversarial
/// chooses its input, and it runs over the whole schema.json (megabytes for thousands of tables) on every
/// `migrate-generate`, where software SHA-256 alone would cost more than the diff. The algorithm is fixed here, so
/// hashes stay comparable across driftless versions. Migration checksums, over small inputs, stay SHA-256.
pub fn hash(schema: &Schema) -> String {
    hash_text(&to_string(schema))
}

/// The hash of a snapshot's text as written by [`to_string`] (for callers that already have the text, such as the
/// bytes of a committed schema.json).
pub fn hash_text(canonical: &str) -> String {
    hash_text_of(crate::hash::fnv1a64(canonical.bytes()))
}

fn hash_text_of(fnv: u64) -> String {
    format!("fnv1a64:{fnv:016x}")
}

fn is_normalized(s: &Schema) -> bool {
    s.tables.is_sorted_by(|a, b| a.name <= b.name)
        && s.enums.is_sorted_by(|a, b| a.name <= b.name)
        && s.tables.iter().all(|t| {
            t.indexes.is_sorted_by(|a, b| a.name <= b.name)
                && t.uniques.is_sorted_by(|a, b| a.name <= b.name)
                && t.foreign_keys.is_sorted_by(|a, b| a.name <= b.name)
                && t.checks.is_sorted_by(|a, b| a.name <= b.name)
        })
}

/// Parses snapshot text; `origin` names the file in errors.
pub fn from_str(text: &str, origin: &Path) -> Result<Schema, SnapshotError> {
    // The common case, a current file, is parsed once; only a file that fails to parse is probed for its format,
    // so that a file of another version is reported as such rather than as malformed.
    match serde_json::from_str::<SnapshotIn>(text) {
        Ok(parsed) if parsed.format == FORMAT => return finish(parsed, origin),
        Ok(_) | Err(_) => {}
    }
    let probe: Probe = serde_json::from_str(text).map_err(|e| malformed(origin, &e))?;
    match probe.format {
        None => return Err(SnapshotError::MissingFormat { path: origin.to_owned() }),
        Some(serde_json::Value::String(f)) if f == FORMAT => {}
        Some(serde_json::Value::String(f)) => {
            return Err(SnapshotError::UnknownFormat { path: origin.to_owned(), found: f });
        }
        Some(other) => return Err(SnapshotError::UnknownFormat { path: origin.to_owned(), found: other.to_string() }),
    }
    let parsed: SnapshotIn = serde_json::from_str(text).map_err(|e| shape_error(text, origin, &e))?;
    finish(parsed, origin)
}

fn finish(parsed: SnapshotIn, origin: &Path) -> Result<Schema, SnapshotError> {
    let schema = Schema { tables: parsed.tables, enums: parsed.enums }.normalized();
    schema.validate().map_err(|errors| SnapshotError::Invalid { path: origin.to_owned(), errors })?;
    Ok(schema)
}

/// The error for text that does not deserialise into a snapshot. When the text is valid JSON the problem is its
/// shape, so the table and column it sits in are found and named (serde alone says neither, and reports a `default`
/// object without exactly one key as a syntax error).
fn shape_error(text: &str, origin: &Path, e: &serde_json::Error) -> SnapshotError {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else { return malformed(origin, e) };
    let Some((table, column, detail)) = locate(&value) else { return malformed(origin, e) };
    let place = match column {
        Some(c) => format!("table `{table}`, column `{c}`"),
        None => format!("table `{table}`"),
    };
    let detail = detail.unwrap_or_else(|| format!("not a driftless snapshot: {}", Inner(e)));
    let message = shorten(&format!("{place}: {detail}"));
    SnapshotError::Malformed { path: origin.to_owned(), line: e.line(), column: e.column(), message }
}

/// The first table (and column) of a snapshot's JSON that does not deserialise, with a message of our own when
/// there is a clearer one than serde's.
fn locate(value: &serde_json::Value) -> Option<(String, Option<String>, Option<String>)> {
    let name = |v: &serde_json::Value| match v.get("name") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => "?".to_owned(),
    };
    let tables = value.get("tables")?.as_array()?;
    let bad = tables.iter().find(|t| Table::deserialize(*t).is_err())?;
    let column = bad
        .get("columns")
        .and_then(|c| c.as_array())
        .and_then(|cols| cols.iter().find(|c| crate::schema::Column::deserialize(*c).is_err()));
    let Some(column) = column else { return Some((name(bad), None, None)) };
    let detail = match column.get("default") {
        Some(serde_json::Value::Object(keys)) if keys.len() != 1 => Some(format!(
            "the `default` object has {}; it must have exactly one of `value`, `expr` or `sql` (see \
             docs/schema-json.md)",
            if keys.is_empty() {
                "no key".to_owned()
            } else {
                format!("the keys {}", keys.keys().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "))
            }
        )),
        _ => None,
    };
    Some((name(bad), Some(name(column)), detail))
}

/// `message` with every quoted value (between backticks or double quotes) longer than 80 characters cut to its
/// first 60, so a huge name or value in a corrupt file does not flood the terminal.
pub(crate) fn shorten(message: &str) -> String {
    const MAX: usize = 80;
    const KEEP: usize = 60;
    let mut out = String::with_capacity(message.len().min(4096));
    let mut rest = message;
    while let Some(open) = rest.find(['`', '"']) {
        let quote = rest[open..].chars().next().unwrap_or('`');
        out.push_str(&rest[..=open]);
        let after = &rest[open + 1..];
        let Some(len) = after.find(quote) else {
            rest = after;
            continue;
        };
        let inner = &after[..len];
        let count = inner.chars().count();
        if count > MAX {
            out.extend(inner.chars().take(KEEP));
            out.push_str(&format!("…{quote} ({count} characters)"));
        } else {
            out.push_str(inner);
            out.push(quote);
        }
        rest = &after[len + 1..];
    }
    // An unterminated quote (or none) leaves a tail that may itself be huge.
    let count = rest.chars().count();
    if count > 2 * MAX {
        out.extend(rest.chars().take(KEEP));
        out.push_str(&format!("… ({count} characters)"));
    } else {
        out.push_str(rest);
    }
    out
}

fn malformed(origin: &Path, e: &serde_json::Error) -> SnapshotError {
    let message = match e.classify() {
        serde_json::error::Category::Eof => format!("the file ends early; is it truncated? ({})", Inner(e)),
        serde_json::error::Category::Syntax => format!("not valid JSON: {}", Inner(e)),
        serde_json::error::Category::Data => format!("not a driftless snapshot: {}", Inner(e)),
        serde_json::error::Category::Io => Inner(e).to_string(),
    };
    SnapshotError::Malformed { path: origin.to_owned(), line: e.line(), column: e.column(), message: shorten(&message) }
}

/// serde_json's message without its own " at line L column C" suffix (the error already leads with the location).
struct Inner<'a>(&'a serde_json::Error);

impl fmt::Display for Inner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let full = self.0.to_string();
        let cut = full.rfind(" at line ").unwrap_or(full.len());
        f.write_str(&full[..cut])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, ColumnType, DefaultExpr, DefaultValue, Literal, PrimaryKey};

    fn sample() -> Schema {
        let mut users = Table::new("users");
        users.columns = vec![
            Column { auto_increment: true, ..Column::new("id", ColumnType::BigInt) },
            Column::new("name", ColumnType::Varchar(64)),
            Column { nullable: true, ..Column::new("email", ColumnType::Text) },
            Column {
                default: Some(DefaultValue::Value(Literal::Bool(true))),
                ..Column::new("active", ColumnType::Boolean)
            },
            Column {
                default: Some(DefaultValue::Expr(DefaultExpr::CurrentTimestamp)),
                ..Column::new("created_at", ColumnType::TimestampTz)
            },
        ];
        users.primary_key = Some(PrimaryKey { name: "users_pkey".into(), columns: vec!["id".into()] });
        let mut roles = Table::new("roles");
        roles.columns = vec![Column::new("id", ColumnType::Integer)];
        Schema { tables: vec![users, roles], enums: vec![] }
    }

    #[test]
    fn writes_canonical_pretty_json_with_a_trailing_newline() {
        let text = to_string(&sample());
        assert!(text.ends_with("}\n"));
        assert!(text.starts_with(
            "{\n  \"format\": \"driftless-schema/1\",\n  \"tables\": [\n    {\n      \"name\": \"roles\""
        ));
        assert!(text.contains("\"type\": \"varchar(64)\""));
        assert!(text.contains("\"default\": {\n            \"expr\": \"current_timestamp\"\n          }"));
        assert_eq!(to_string(&from_str(&text, Path::new("x.json")).unwrap()), text);
    }

    #[test]
    fn listing_order_does_not_change_the_text_or_hash() {
        let a = sample();
        let mut b = sample();
        b.tables.reverse();
        assert_eq!(to_string(&a), to_string(&b));
        assert_eq!(hash(&a), hash(&b));
        assert!(hash(&a).starts_with("fnv1a64:") && hash(&a).len() == 24);
        // FNV-1a 64 is fixed: the empty text hashes to its offset basis, and "a" to the published value.
        assert_eq!(hash_text(""), "fnv1a64:cbf29ce484222325");
        assert_eq!(hash_text("a"), "fnv1a64:af63dc4c8601ec8c");
    }

    #[test]
    fn truncated_file_names_file_line_and_cause() {
        let text = to_string(&sample());
        let cut = &text[..text.len() / 2];
        let err = from_str(cut, Path::new("snapshots/schema.json")).unwrap_err().to_string();
        assert!(
            err.starts_with("snapshots/schema.json:") && err.contains(": the file ends early; is it truncated?"),
            "{err}"
        );
    }

    #[test]
    fn corrupt_file_names_the_line() {
        let text = "{\n  \"format\": \"driftless-schema/1\",\n  \"tables\": [\n    {\"name\": \"t\" \"columns\": []}\n  ]\n}\n";
        let err = from_str(text, Path::new("schema.json")).unwrap_err().to_string();
        assert_eq!(err, "schema.json:4:18: not valid JSON: expected `,` or `}`");
    }

    #[test]
    fn future_version_is_refused() {
        let text = "{\"format\": \"driftless-schema/2\", \"tables\": []}";
        let err = from_str(text, Path::new("schema.json")).unwrap_err().to_string();
        assert_eq!(
            err,
            "schema.json: format `driftless-schema/2` is not supported; this driftless reads `driftless-schema/1` \
             (a newer driftless wrote this file? upgrade driftless)"
        );
    }

    #[test]
    fn missing_format_and_unknown_keys_are_refused() {
        let err = from_str("{\"tables\": []}", Path::new("s.json")).unwrap_err().to_string();
        assert_eq!(
            err,
            "s.json: no \"format\" key; a driftless snapshot starts with {\"format\": \"driftless-schema/1\", ...}"
        );
        let text = "{\"format\": \"driftless-schema/1\", \"tables\": [{\"name\": \"t\", \"colums\": []}]}";
        let err = from_str(text, Path::new("s.json")).unwrap_err().to_string();
        assert!(err.starts_with("s.json:1:") && err.contains("unknown field `colums`"), "{err}");
        let text = "{\"format\": \"driftless-schema/1\", \"tables\": [{\"name\": \"t\", \"columns\": [{\"name\": \"a\", \"type\": \"integer\"}]}]}";
        let err = from_str(text, Path::new("s.json")).unwrap_err().to_string();
        assert!(err.contains("unknown column type `integer`"), "{err}");
    }

    #[test]
    fn an_invalid_schema_is_refused_with_every_problem() {
        let text = "{\"format\": \"driftless-schema/1\", \"tables\": [{\"name\": \"t\", \"columns\": []}]}";
        let err = from_str(text, Path::new("s.json")).unwrap_err().to_string();
        assert_eq!(err, "s.json: the schema has 1 problem:\n  - table `t`: the table has no columns");
    }

    fn one_column(column: &str) -> String {
        format!(
            "{{\"format\": \"driftless-schema/1\", \"tables\": [{{\"name\": \"ok\", \"columns\": [{{\"name\": \"a\", \
             \"type\": \"i32\"}}]}}, {{\"name\": \"users\", \"columns\": [{{\"name\": \"id\", \"type\": \"i32\"}}, \
             {column}]}}]}}"
        )
    }

    #[test]
    fn a_default_without_exactly_one_key_names_the_table_and_column() {
        let text = one_column("{\"name\": \"score\", \"type\": \"i32\", \"default\": {}}");
        let err = from_str(&text, Path::new("s.json")).unwrap_err().to_string();
        assert_eq!(
            err,
            "s.json:1:210: table `users`, column `score`: the `default` object has no key; it must have exactly one \
             of `value`, `expr` or `sql` (see docs/schema-json.md)"
        );
        let text = one_column(
            "{\"name\": \"score\", \"type\": \"i32\", \"default\": {\"value\": 1, \"expr\": \"current_timestamp\"}}",
        );
        let err = from_str(&text, Path::new("s.json")).unwrap_err().to_string();
        assert!(
            err.ends_with(
                ": table `users`, column `score`: the `default` object has the keys `value`, `expr`; it must have \
                 exactly one of `value`, `expr` or `sql` (see docs/schema-json.md)"
            ),
            "{err}"
        );
        // Other shape errors in a column are placed too, with serde's words.
        let text = one_column("{\"name\": \"score\", \"type\": \"i32\", \"default\": {\"sql\": 5}}");
        let err = from_str(&text, Path::new("s.json")).unwrap_err().to_string();
        assert!(
            err.ends_with(
                ": table `users`, column `score`: not a driftless snapshot: invalid type: integer `5`, expected a string"
            ),
            "{err}"
        );
    }

    #[test]
    fn huge_values_are_cut_in_messages() {
        let huge = "x".repeat(10_000);
        let text = one_column(&format!("{{\"name\": \"score\", \"type\": \"{huge}\"}}"));
        let err = from_str(&text, Path::new("s.json")).unwrap_err().to_string();
        assert!(
            err.contains(&format!(
                ": table `users`, column `score`: not a driftless snapshot: unknown column type `{}…` (10000 \
                 characters): expected one of i16,",
                "x".repeat(60)
            )),
            "{err}"
        );
        let text =
            format!("{{\"format\": \"driftless-schema/1\", \"tables\": [{{\"name\": \"{huge}\", \"columns\": []}}]}}");
        let err = from_str(&text, Path::new("s.json")).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "s.json: the schema has 2 problems:\n  - table `{x}…` (10000 characters): the table name must be 1 to \
                 63 bytes long (it is 10000)\n  - table `{x}…` (10000 characters): the table has no columns",
                x = "x".repeat(60)
            )
        );
        assert_eq!(shorten("short `a` and \"b\" and `unterminated"), "short `a` and \"b\" and `unterminated");
    }
}
