//! Every keyword the derive understands, as a [`Symbol`], so a typo in the derive itself is a compile error here.

use std::fmt::{self, Display};

use syn::{Ident, Path};

/// A keyword of the `#[model(...)]` attribute.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Symbol(&'static str);

impl Symbol {
    /// The keyword as written.
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

/// The attribute name itself.
pub const MODEL: Symbol = Symbol("model");

// Container (struct) keywords.
pub const TABLE: Symbol = Symbol("table");
pub const RENAMED_FROM: Symbol = Symbol("renamed_from");
pub const INDEX: Symbol = Symbol("index");
pub const UNIQUE: Symbol = Symbol("unique");
pub const CHECK: Symbol = Symbol("check");
pub const COMMENT: Symbol = Symbol("comment");
pub const CRATE: Symbol = Symbol("crate");
pub const UNLISTED: Symbol = Symbol("unlisted");

// Keywords inside `index(...)`, `unique(...)` and `check(...)`.
pub const COLUMNS: Symbol = Symbol("columns");
pub const NAME: Symbol = Symbol("name");
pub const PREDICATE: Symbol = Symbol("predicate");
pub const PREFIX: Symbol = Symbol("prefix");
pub const EXPR: Symbol = Symbol("expr");
pub const EXPRESSION: Symbol = Symbol("expression");

// Field keywords.
pub const PRIMARY_KEY: Symbol = Symbol("primary_key");
pub const AUTO_INCREMENT: Symbol = Symbol("auto_increment");
pub const DEFAULT: Symbol = Symbol("default");
pub const DEFAULT_SQL: Symbol = Symbol("default_sql");
pub const DEFAULT_EXPR: Symbol = Symbol("default_expr");
pub const MAX_LENGTH: Symbol = Symbol("max_length");
pub const PRECISION: Symbol = Symbol("precision");
pub const SCALE: Symbol = Symbol("scale");
pub const COLUMN: Symbol = Symbol("column");
pub const REFERENCES: Symbol = Symbol("references");
pub const ON_DELETE: Symbol = Symbol("on_delete");
pub const ON_UPDATE: Symbol = Symbol("on_update");
pub const SKIP: Symbol = Symbol("skip");
pub const SQL_TYPE: Symbol = Symbol("sql_type");
pub const BACKFILL: Symbol = Symbol("backfill");

// `DbEnum` keywords (`name` and `crate` are shared with the above).
pub const RENAME_ALL: Symbol = Symbol("rename_all");
pub const RENAME: Symbol = Symbol("rename");

impl PartialEq<Symbol> for Ident {
    fn eq(&self, word: &Symbol) -> bool {
        self == word.0
    }
}

impl PartialEq<Symbol> for &Ident {
    fn eq(&self, word: &Symbol) -> bool {
        *self == word.0
    }
}

impl PartialEq<Symbol> for Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl PartialEq<Symbol> for &Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}
