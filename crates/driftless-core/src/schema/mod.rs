//! The portable schema model: tables, columns, keys, indexes, constraints and enums, with no SQL and no I/O.
//!
//! Everything later in the pipeline speaks these types: the derive produces them, the snapshot stores them, the
//! differ compares two of them. They describe *what* a schema is, never *how* a dialect spells it; dialect
//! spelling lives in `render`.
//!
//! Architecture Invariant: this module knows nothing about SQL dialects' syntax or about files. The only
//! dialect knowledge here is the identifier length limit that `validate` checks, because a name that does not fit
//! is a schema error, not a rendering one.

mod build;
mod keywords;
mod names;
mod types;
mod validate;
mod validate_known;

pub use build::{
    ColumnBackfill, ColumnRename, EnumRename, EnumValueRename, ModelDef, RenameHints, SchemaBuilder, TableRename,
};
pub use names::{MAX_IDENTIFIER_LEN, constraint_name, fit_identifier};
pub use types::{ColumnType, CustomType, ParseColumnTypeError};
pub use validate::{SchemaError, SchemaErrors};
pub(crate) use validate_known::validate_knowing;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A whole database schema: an ordered set of tables and the enum types they use.
///
/// Tables and enums are kept sorted by name (see [`Schema::normalize`]), so two schemas that describe the same
/// database compare equal and serialise identically whatever order the models were listed in.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    /// Every table, sorted by name.
    #[serde(default)]
    pub tables: Vec<Table>,
    /// Every enum type, sorted by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enums: Vec<EnumType>,
}

/// One table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// The table's name in the database.
    pub name: String,
    /// Columns in declaration order. Order is kept for readable `CREATE TABLE`s but is never a change.
    pub columns: Vec<Column>,
    /// The primary key, if any (one or more columns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_key: Option<PrimaryKey>,
    /// Secondary indexes, sorted by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<Index>,
    /// Unique constraints, sorted by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uniques: Vec<UniqueConstraint>,
    /// Foreign keys, sorted by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign_keys: Vec<ForeignKey>,
    /// Check constraints, sorted by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
    /// A comment stored with the table where the dialect supports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// One column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// The column's name in the database.
    pub name: String,
    /// The portable type.
    #[serde(rename = "type")]
    pub ty: ColumnType,
    /// Whether the column accepts NULL.
    #[serde(default, skip_serializing_if = "is_false")]
    pub nullable: bool,
    /// The column's default, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<DefaultValue>,
    /// Whether the database generates values (SERIAL / AUTO_INCREMENT / AUTOINCREMENT).
    #[serde(default, skip_serializing_if = "is_false")]
    pub auto_increment: bool,
    /// A comment stored with the column where the dialect supports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A column default: a typed literal, or an SQL expression. The two are kept apart so that `'now()'` (a string)
/// and `now()` (a call) can never be confused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum DefaultValue {
    /// A literal value, rendered quoted and escaped per dialect.
    Value(Literal),
    /// A portable expression that each dialect spells its own way.
    Expr(DefaultExpr),
    /// Raw SQL, used as written on every dialect (`default_sql = "..."`).
    Sql(String),
}

/// A typed literal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Literal {
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number (finite).
    Float(f64),
    /// A string.
    String(String),
}

/// The portable default expressions every dialect can spell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DefaultExpr {
    /// The current date and time (`CURRENT_TIMESTAMP`).
    CurrentTimestamp,
    /// The current date (`CURRENT_DATE`).
    CurrentDate,
    /// The current time (`CURRENT_TIME`).
    CurrentTime,
    /// A freshly generated random UUID (`gen_random_uuid()`, `uuid()`, or an SQLite expression).
    GenRandomUuid,
}

impl DefaultExpr {
    /// The keyword used in `#[model(default_expr = "...")]` and in schema.json.
    pub fn keyword(self) -> &'static str {
        // Every variant has its row (a test checks it).
        keywords::DEFAULT_EXPR_KEYWORDS.iter().find(|(e, ..)| *e == self).map_or("", |(_, k, _)| k)
    }

    /// Parses a keyword (also accepting the aliases `now` and `uuid`).
    pub fn from_keyword(s: &str) -> Option<Self> {
        keywords::default_expr_from_keyword(s)
    }

    /// Whether the expression yields a different value per row, which forces a table rewrite when a column with
    /// this default is added on some dialects.
    pub fn is_volatile(self) -> bool {
        matches!(self, DefaultExpr::GenRandomUuid)
    }
}

/// A primary key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrimaryKey {
    /// The constraint name (deterministic, `<table>_pkey` unless given).
    pub name: String,
    /// Key columns in key order.
    pub columns: Vec<String>,
}

/// A secondary index.
///
/// `Default` exists so that code building an index can write `..Default::default()` for the optional parts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    /// The index name.
    pub name: String,
    /// Indexed columns in index order.
    pub columns: Vec<String>,
    /// Whether the index enforces uniqueness.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
    /// A partial-index predicate (SQL), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
    /// Prefix lengths (in characters, or bytes for binary columns) of some of `columns`: MySQL/MariaDB index only
    /// that many leading characters of the column, which is how a TEXT or BLOB column can be indexed there.
    /// PostgreSQL and SQLite have no prefix indexes: there the whole column is indexed. Each key is one of
    /// `columns`; a unique index cannot have prefixes (MySQL would enforce uniqueness of the prefix only).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub prefixes: BTreeMap<String, u32>,
    /// An expression index: the index is over this one SQL expression (as PostgreSQL's `pg_get_expr` or SQLite's
    /// `CREATE INDEX` text give it, e.g. `lower(email)`), and `columns` and `prefixes` are empty. The text is opaque
    /// and never rewritten (a column rename does not reach it). PostgreSQL and SQLite only: MySQL/MariaDB refuse it
    /// at render.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
}

impl Index {
    /// The prefix length of `column` in this index, if it is indexed by a prefix only.
    pub fn prefix_of(&self, column: &str) -> Option<u32> {
        self.prefixes.get(column).copied()
    }

    /// Renames `from` to `to` among the indexed columns, keeping its prefix length.
    pub fn rename_column(&mut self, from: &str, to: &str) {
        for c in &mut self.columns {
            if c == from {
                to.clone_into(c);
            }
        }
        if let Some(len) = self.prefixes.remove(from) {
            self.prefixes.insert(to.to_owned(), len);
        }
    }
}

/// A unique constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UniqueConstraint {
    /// The constraint name.
    pub name: String,
    /// Constrained columns.
    pub columns: Vec<String>,
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForeignKey {
    /// The constraint name.
    pub name: String,
    /// Referencing columns in this table.
    pub columns: Vec<String>,
    /// The referenced table.
    pub ref_table: String,
    /// The referenced columns, paired with `columns`.
    pub ref_columns: Vec<String>,
    /// What happens to referencing rows when the referenced row is deleted.
    #[serde(default, skip_serializing_if = "ReferentialAction::is_default")]
    pub on_delete: ReferentialAction,
    /// What happens to referencing rows when the referenced key is updated.
    #[serde(default, skip_serializing_if = "ReferentialAction::is_default")]
    pub on_update: ReferentialAction,
}

/// An `ON DELETE` / `ON UPDATE` action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferentialAction {
    /// Reject the change while referencing rows exist (checked at the end of the statement).
    #[default]
    NoAction,
    /// Reject the change immediately.
    Restrict,
    /// Delete or update the referencing rows too.
    Cascade,
    /// Set the referencing columns to NULL.
    SetNull,
    /// Set the referencing columns to their default.
    SetDefault,
}

impl ReferentialAction {
    fn is_default(&self) -> bool {
        *self == ReferentialAction::NoAction
    }

    /// The keyword used in attributes and schema.json (`cascade`, `set_null`, ...).
    pub fn keyword(self) -> &'static str {
        // Every variant has its row (a test checks it).
        keywords::REFERENTIAL_ACTION_KEYWORDS.iter().find(|(a, _)| *a == self).map_or("", |(_, k)| k)
    }

    /// Parses a keyword; spaces and hyphens are accepted in place of underscores (`"set null"`).
    pub fn from_keyword(s: &str) -> Option<Self> {
        keywords::referential_action_from_keyword(s)
    }

    /// The SQL spelling (`NO ACTION`, `SET NULL`, ...).
    pub fn sql(self) -> &'static str {
        match self {
            ReferentialAction::NoAction => "NO ACTION",
            ReferentialAction::Restrict => "RESTRICT",
            ReferentialAction::Cascade => "CASCADE",
            ReferentialAction::SetNull => "SET NULL",
            ReferentialAction::SetDefault => "SET DEFAULT",
        }
    }
}

/// A check constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// The constraint name.
    pub name: String,
    /// The boolean SQL expression.
    pub expr: String,
}

/// An enum type with ordered values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumType {
    /// The type name (PostgreSQL `CREATE TYPE` name; used for the CHECK name elsewhere).
    pub name: String,
    /// Values in declaration order; order matters for comparisons on PostgreSQL and MySQL.
    pub values: Vec<String>,
}

impl Schema {
    /// An empty schema.
    pub fn empty() -> Self {
        Schema::default()
    }

    /// Puts the schema in its canonical order: tables, enums, and each table's indexes, uniques, foreign keys and
    /// checks sorted by name. Columns keep their order. Everything that compares or serialises schemas calls this
    /// first, so listing order never shows up as a change.
    pub fn normalize(&mut self) {
        self.tables.sort_by(|a, b| a.name.cmp(&b.name));
        self.enums.sort_by(|a, b| a.name.cmp(&b.name));
        for t in &mut self.tables {
            t.normalize();
        }
    }

    /// Returns the schema in canonical order.
    pub fn normalized(mut self) -> Self {
        self.normalize();
        self
    }

    /// Looks a table up by name.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// Looks a table up by name, mutably.
    pub fn table_mut(&mut self, name: &str) -> Option<&mut Table> {
        self.tables.iter_mut().find(|t| t.name == name)
    }

    /// Looks an enum type up by name.
    pub fn enum_type(&self, name: &str) -> Option<&EnumType> {
        self.enums.iter().find(|e| e.name == name)
    }
}

impl Table {
    /// A table with the given name and no columns.
    pub fn new(name: impl Into<String>) -> Self {
        Table {
            name: name.into(),
            columns: Vec::new(),
            primary_key: None,
            indexes: Vec::new(),
            uniques: Vec::new(),
            foreign_keys: Vec::new(),
            checks: Vec::new(),
            comment: None,
        }
    }

    /// Sorts indexes, uniques, foreign keys and checks by name.
    pub fn normalize(&mut self) {
        self.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        self.uniques.sort_by(|a, b| a.name.cmp(&b.name));
        self.foreign_keys.sort_by(|a, b| a.name.cmp(&b.name));
        self.checks.sort_by(|a, b| a.name.cmp(&b.name));
    }

    /// Looks a column up by name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Looks a column up by name, mutably.
    pub fn column_mut(&mut self, name: &str) -> Option<&mut Column> {
        self.columns.iter_mut().find(|c| c.name == name)
    }

    /// Whether `column` is part of the primary key.
    pub fn is_primary_key_column(&self, column: &str) -> bool {
        self.primary_key.as_ref().is_some_and(|pk| pk.columns.iter().any(|c| c == column))
    }
}

impl Column {
    /// A NOT NULL column of the given type with no default.
    pub fn new(name: impl Into<String>, ty: ColumnType) -> Self {
        Column { name: name.into(), ty, nullable: false, default: None, auto_increment: false, comment: None }
    }
}
