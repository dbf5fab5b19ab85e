//! `Schema::validate`: every structural problem in a schema, reported at once, each naming its table and column.
//!
//! Each rule is one `check_*` function with the rule and its reason above it, so a reader can audit the list.

use std::borrow::Cow;
use std::collections::BTreeSet;

use crate::hash::{FastMap as HashMap, FastSet as HashSet};
use std::fmt;

use super::{ColumnType, DefaultValue, Literal, MAX_IDENTIFIER_LEN, ReferentialAction, Schema, Table};

/// One problem in a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    /// The table it concerns, if any.
    pub table: Option<String>,
    /// The column it concerns, if any.
    pub column: Option<String>,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl SchemaError {
    pub(crate) fn schema(message: String) -> Self {
        SchemaError { table: None, column: None, message }
    }

    pub(crate) fn table(table: &str, message: String) -> Self {
        SchemaError { table: Some(table.to_owned()), column: None, message }
    }

    pub(crate) fn column(table: &str, column: &str, message: String) -> Self {
        SchemaError { table: Some(table.to_owned()), column: Some(column.to_owned()), message }
    }
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.table, &self.column) {
            (Some(t), Some(c)) => write!(f, "table `{t}`, column `{c}`: {}", self.message),
            (Some(t), None) => write!(f, "table `{t}`: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

/// Every problem found in a schema (never empty when returned as an error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaErrors(pub Vec<SchemaError>);

impl fmt::Display for SchemaErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(f, "the schema has {n} problem{}:", if n == 1 { "" } else { "s" })?;
        for e in &self.0 {
            write!(f, "\n  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SchemaErrors {}

impl Schema {
    /// Checks the schema's structure and reports every problem at once: duplicate names, references to unknown
    /// tables or columns, foreign-key type mismatches, nullable primary-key columns, identifiers longer than
    /// PostgreSQL's 63 bytes, names some dialect cannot create (a NUL, a trailing space or a 4-byte character on
    /// MySQL/MariaDB, names that differ only in case where MySQL/MariaDB or SQLite ignore case), empty tables,
    /// enums with duplicate values, defaults that do not fit their column.
    pub fn validate(&self) -> Result<(), SchemaErrors> {
        super::validate_known::validate_knowing(self, |_| false)
    }
}

// Two tables with one name cannot both exist in a database.
pub(super) fn check_unique_table_names(s: &Schema, errs: &mut Vec<SchemaError>) {
    // A normalized schema (every built or read one) has its tables sorted: a repeated name is the one before it.
    if s.tables.is_sorted_by(|a, b| a.name <= b.name) {
        for w in s.tables.windows(2).filter(|w| w[0].name == w[1].name) {
            errs.push(SchemaError::table(&w[1].name, "the table is defined more than once".into()));
        }
        return;
    }
    let mut seen = HashSet::with_capacity_and_hasher(s.tables.len(), Default::default());
    for t in &s.tables {
        if !seen.insert(t.name.as_str()) {
            errs.push(SchemaError::table(&t.name, "the table is defined more than once".into()));
        }
    }
}

// An enum needs at least one value, unique values (a database rejects duplicates), and a name that fits.
pub(super) fn check_enums(s: &Schema, errs: &mut Vec<SchemaError>) {
    let mut names = BTreeSet::new();
    for e in &s.enums {
        if !names.insert(e.name.as_str()) {
            errs.push(SchemaError::schema(format!("enum `{}` is defined more than once", e.name)));
        }
        if e.name.is_empty() || e.name.len() > MAX_IDENTIFIER_LEN {
            errs.push(SchemaError::schema(format!(
                "enum name `{}` must be 1 to {MAX_IDENTIFIER_LEN} bytes long",
                e.name
            )));
        }
        if e.name.contains('\0') {
            errs.push(SchemaError::schema(format!(
                "enum name `{}` contains a NUL character, which PostgreSQL does not accept in a name",
                e.name.replace('\0', "\\0")
            )));
        }
        if e.values.is_empty() {
            errs.push(SchemaError::schema(format!("enum `{}` has no values", e.name)));
        }
        let mut vals = BTreeSet::new();
        for v in &e.values {
            if !vals.insert(v.as_str()) {
                errs.push(SchemaError::schema(format!("enum `{}` has the value `{v}` more than once", e.name)));
            }
        }
    }
}

// PostgreSQL keeps indexes, primary keys and unique constraints (each backed by an index) in one namespace per
// schema, so their names must be unique across all tables, not just within one.
pub(super) fn check_global_relation_names(s: &Schema, errs: &mut Vec<SchemaError>) {
    let relations =
        s.tables.iter().map(|t| 1 + usize::from(t.primary_key.is_some()) + t.indexes.len() + t.uniques.len());
    let mut owner: HashMap<&str, &str> = HashMap::with_capacity_and_hasher(relations.sum(), Default::default());
    owner.extend(s.tables.iter().map(|t| (t.name.as_str(), t.name.as_str())));
    for t in &s.tables {
        let names = t
            .primary_key
            .iter()
            .map(|p| p.name.as_str())
            .chain(t.indexes.iter().map(|i| i.name.as_str()))
            .chain(t.uniques.iter().map(|u| u.name.as_str()));
        for n in names {
            if let Some(prev) = owner.insert(n, t.name.as_str()) {
                errs.push(SchemaError::table(
                    &t.name,
                    format!(
                        "the name `{n}` is already used by {} (index, key and table names share one namespace); \
                         give it another `name`",
                        if prev == n { format!("table `{prev}`") } else { format!("a key or index of `{prev}`") }
                    ),
                ));
            }
        }
    }
}

// Every dialect must accept every name: PostgreSQL cuts identifiers longer than 63 bytes silently, which would
// make two long names collide, so longer names are refused here. Empty names cannot be quoted.
pub(super) fn check_identifiers(t: &Table, errs: &mut Vec<SchemaError>) {
    let too_long = |n: &str| n.is_empty() || n.len() > MAX_IDENTIFIER_LEN;
    if too_long(&t.name) {
        errs.push(SchemaError::table(
            &t.name,
            format!("the table name must be 1 to {MAX_IDENTIFIER_LEN} bytes long (it is {})", t.name.len()),
        ));
    }
    for c in &t.columns {
        if too_long(&c.name) {
            errs.push(SchemaError::column(
                &t.name,
                &c.name,
                format!("the column name must be 1 to {MAX_IDENTIFIER_LEN} bytes long (it is {})", c.name.len()),
            ));
        }
    }
    let constraint_names = t
        .primary_key
        .iter()
        .map(|p| &p.name)
        .chain(t.indexes.iter().map(|i| &i.name))
        .chain(t.uniques.iter().map(|u| &u.name))
        .chain(t.foreign_keys.iter().map(|f| &f.name))
        .chain(t.checks.iter().map(|c| &c.name));
    for n in constraint_names {
        if too_long(n) {
            errs.push(SchemaError::table(
                &t.name,
                format!("the constraint or index name `{n}` must be 1 to {MAX_IDENTIFIER_LEN} bytes long"),
            ));
        }
    }
}

// What a name must not hold for some dialect to create it (each checked on the real servers):
// - a NUL character: PostgreSQL's protocol ends strings at NUL, and MySQL/MariaDB and SQLite end the statement
//   there, so the name cannot be spelled at all;
// - a trailing space: MySQL/MariaDB refuse table, column and index names that end with a space
//   ("Incorrect column name 'a '");
// - a character outside the Basic Multilingual Plane (an emoji): MySQL/MariaDB keep names in 3-byte utf8mb3
//   ("Invalid utf8mb4 character string").
fn name_problem(kind: &str, name: &str) -> Option<String> {
    if name.contains('\0') {
        return Some(format!(
            "the {kind} name contains a NUL character, which no dialect accepts in a name (PostgreSQL, MySQL/MariaDB \
             and SQLite); remove it"
        ));
    }
    if name.ends_with(' ') {
        return Some(format!(
            "the {kind} name `{name}` ends with a space, which MySQL/MariaDB refuse in names; remove the space"
        ));
    }
    if let Some(c) = name.chars().find(|c| u32::from(*c) > 0xFFFF) {
        return Some(format!(
            "the {kind} name `{name}` contains `{c}` (U+{:X}), a 4-byte character, which MySQL/MariaDB cannot hold in \
             a name (names are stored as 3-byte utf8mb3); use characters of the Basic Multilingual Plane",
            u32::from(c)
        ));
    }
    None
}

pub(super) fn check_creatable_names(t: &Table, errs: &mut Vec<SchemaError>) {
    if let Some(problem) = name_problem("table", &t.name) {
        errs.push(SchemaError::table(&t.name, problem));
    }
    for c in &t.columns {
        if let Some(problem) = name_problem("column", &c.name) {
            errs.push(SchemaError::column(&t.name, &c.name, problem));
        }
    }
    for n in constraint_names(t) {
        if let Some(problem) = name_problem("constraint or index", n) {
            errs.push(SchemaError::table(&t.name, problem));
        }
    }
}

fn constraint_names(t: &Table) -> impl Iterator<Item = &str> {
    t.primary_key
        .iter()
        .map(|p| p.name.as_str())
        .chain(t.indexes.iter().map(|i| i.name.as_str()))
        .chain(t.uniques.iter().map(|u| u.name.as_str()))
        .chain(t.foreign_keys.iter().map(|f| f.name.as_str()))
        .chain(t.checks.iter().map(|c| c.name.as_str()))
}

/// The pairs of distinct names that are equal once folded by `fold` (each later name with the first of its fold).
/// `fold` gives a borrowed name only when the name is its own fold.
fn folded_pair<'a, I: Iterator<Item = &'a str> + Clone>(
    names: impl IntoIterator<Item = &'a str, IntoIter = I>,
    fold: impl Fn(&'a str) -> Cow<'a, str>,
) -> Vec<(&'a str, &'a str)> {
    let names = names.into_iter();
    let mut pairs = Vec::new();
    // Names the fold leaves as they are (most names: lowercase ASCII) cannot make a pair: two of them fold alike
    // only when they are the same name.
    if names.clone().all(|n| matches!(fold(n), Cow::Borrowed(_))) {
        return pairs;
    }
    let mut push = |prev: &'a str, n: &'a str| {
        if prev != n {
            pairs.push((prev, n));
        }
    };
    // A table's few columns or keys are compared in a list; a schema's tables in a map.
    if names.size_hint().1.is_some_and(|n| n <= 16) {
        let mut seen: Vec<(Cow<'a, str>, &'a str)> = Vec::new();
        for n in names {
            let folded = fold(n);
            match seen.iter_mut().find(|(f, _)| *f == folded) {
                Some((_, prev)) => push(std::mem::replace(prev, n), n),
                None => seen.push((folded, n)),
            }
        }
    } else {
        let mut seen: HashMap<Cow<'a, str>, &str> =
            HashMap::with_capacity_and_hasher(names.size_hint().0, Default::default());
        for n in names {
            if let Some(prev) = seen.insert(fold(n), n) {
                push(prev, n);
            }
        }
    }
    pairs
}

/// `name` with ASCII letters lowercased, borrowed when it has no uppercase ASCII letter (most names).
fn ascii_lowercase(name: &str) -> Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

/// `name` lowercased (`str::to_lowercase`), borrowed when it is ASCII without an uppercase letter (most names).
fn lowercase(name: &str) -> Cow<'_, str> {
    if name.is_ascii() && !name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(name.to_lowercase())
    }
}

// SQLite compares table and index names without regard to ASCII case, in one namespace per database ("table
// users already exists" after `Users`; checked on SQLite 3), so names that differ only so cannot both exist there.
pub(super) fn check_folded_table_names(s: &Schema, errs: &mut Vec<SchemaError>) {
    let names = s
        .tables
        .iter()
        .map(|t| (t.name.as_str(), t.name.as_str()))
        .chain(s.tables.iter().flat_map(|t| t.indexes.iter().map(move |i| (i.name.as_str(), t.name.as_str()))));
    let pairs = folded_pair(names.clone().map(|(n, _)| n), ascii_lowercase);
    // Only a problem needs the owners (most schemas have none).
    let owners: HashMap<&str, &str> = if pairs.is_empty() { HashMap::default() } else { names.collect() };
    for (a, b) in pairs {
        errs.push(SchemaError::table(
            owners.get(b).copied().unwrap_or(b),
            format!(
                "the names `{a}` and `{b}` differ only in letter case, which SQLite ignores in table and index names \
                 (one namespace per database); rename one of them"
            ),
        ));
    }
}

// MySQL/MariaDB compare column, index and constraint names without regard to case (any letter: `ä` and `Ä` are one
// column), SQLite compares column names without regard to ASCII case (checked on both): names of one table that
// differ only in case cannot both exist there.
pub(super) fn check_folded_names(t: &Table, errs: &mut Vec<SchemaError>) {
    for (a, b) in folded_pair(t.columns.iter().map(|c| c.name.as_str()), lowercase) {
        let sqlite_too = a.eq_ignore_ascii_case(b);
        errs.push(SchemaError::column(
            &t.name,
            b,
            format!(
                "the columns `{a}` and `{b}` differ only in letter case, which {} ignore in column names; rename one \
                 of them",
                if sqlite_too { "MySQL/MariaDB and SQLite" } else { "MySQL/MariaDB" },
            ),
        ));
    }
    // The primary key is always `PRIMARY` on MySQL, so its name takes no part.
    let keys = t.indexes.iter().map(|i| i.name.as_str()).chain(t.uniques.iter().map(|u| u.name.as_str()));
    let checks = t.foreign_keys.iter().map(|f| f.name.as_str()).chain(t.checks.iter().map(|c| c.name.as_str()));
    for (a, b) in folded_pair(keys, lowercase).into_iter().chain(folded_pair(checks, lowercase)) {
        errs.push(SchemaError::table(
            &t.name,
            format!(
                "the constraint or index names `{a}` and `{b}` differ only in letter case, which MySQL/MariaDB ignore; \
                 rename one of them"
            ),
        ));
    }
}

// A table needs at least one column; column names are unique; enum columns name a known enum; a default must be
// of the column's type (a string default on an integer column fails at CREATE time on some dialects and silently
// converts on others); varchar/char lengths and decimal precision must be positive and consistent.
pub(super) fn check_columns(s: &Schema, t: &Table, errs: &mut Vec<SchemaError>) {
    if t.columns.is_empty() {
        errs.push(SchemaError::table(&t.name, "the table has no columns".into()));
    }
    for (i, c) in t.columns.iter().enumerate() {
        // A scan of the columns before it: a table has few, and a set would allocate.
        if t.columns[..i].iter().any(|o| o.name == c.name) {
            errs.push(SchemaError::column(&t.name, &c.name, "the column is defined more than once".into()));
        }
        match &c.ty {
            ColumnType::Enum(name) if s.enum_type(name).is_none() => errs.push(SchemaError::column(
                &t.name,
                &c.name,
                format!("the column's enum type `{name}` is not defined in the schema"),
            )),
            ColumnType::Varchar(0) | ColumnType::Char(0) => {
                errs.push(SchemaError::column(&t.name, &c.name, "a text length must be at least 1".into()))
            }
            ColumnType::Decimal { precision, scale } if *precision == 0 || scale > precision => {
                errs.push(SchemaError::column(
                    &t.name,
                    &c.name,
                    format!("decimal({precision},{scale}) needs 1 <= precision and scale <= precision"),
                ))
            }
            _ => {}
        }
        if let Some(DefaultValue::Value(lit)) = &c.default
            && let Some(problem) = literal_mismatch(s, &c.ty, lit)
        {
            errs.push(SchemaError::column(&t.name, &c.name, problem));
        }
        if let Some(DefaultValue::Sql(sql)) = &c.default
            && sql.trim().is_empty()
        {
            errs.push(SchemaError::column(&t.name, &c.name, "`default_sql` is empty".into()));
        }
    }
}

fn literal_mismatch(s: &Schema, ty: &ColumnType, lit: &Literal) -> Option<String> {
    let ok = match (lit, ty) {
        (Literal::Float(f), _) if !f.is_finite() => return Some("a default must be a finite number".into()),
        (Literal::Bool(_), ColumnType::Boolean) => true,
        (Literal::Int(_), t) if t.is_integer() => true,
        (Literal::Int(_) | Literal::Float(_), ColumnType::Real | ColumnType::Double | ColumnType::Decimal { .. }) => {
            true
        }
        (Literal::String(v), ColumnType::Enum(name)) => {
            return match s.enum_type(name) {
                Some(e) if !e.values.iter().any(|x| x == v) => {
                    Some(format!("the default `{v}` is not a value of enum `{name}` ({:?})", e.values))
                }
                _ => None,
            };
        }
        (Literal::String(v), ColumnType::Varchar(n) | ColumnType::Char(n)) => {
            if v.chars().count() > *n as usize {
                return Some(format!("the default {v:?} is longer than the column's {n} characters"));
            }
            true
        }
        (
            Literal::String(_),
            ColumnType::Text
            | ColumnType::Uuid
            | ColumnType::Json
            | ColumnType::Date
            | ColumnType::Time
            | ColumnType::DateTime
            | ColumnType::TimestampTz
            | ColumnType::Decimal { .. },
        ) => true,
        (_, ColumnType::Custom(_)) => true,
        _ => false,
    };
    (!ok).then(|| format!("the default {} does not fit the column type `{ty}`", literal_text(lit)))
}

fn literal_text(lit: &Literal) -> String {
    match lit {
        Literal::Bool(b) => b.to_string(),
        Literal::Int(i) => i.to_string(),
        Literal::Float(f) => f.to_string(),
        Literal::String(s) => format!("{s:?}"),
    }
}

// A primary key needs at least one column, each existing once and NOT NULL: every dialect forbids NULL in a key
// (SQLite accepts it for legacy reasons, which would then fail on the other dialects).
pub(super) fn check_primary_key(t: &Table, errs: &mut Vec<SchemaError>) {
    let Some(pk) = &t.primary_key else { return };
    if pk.columns.is_empty() {
        errs.push(SchemaError::table(&t.name, "the primary key has no columns".into()));
    }
    for (i, name) in pk.columns.iter().enumerate() {
        if pk.columns[..i].contains(name) {
            errs.push(SchemaError::column(&t.name, name, "the column is listed twice in the primary key".into()));
        }
        if let Some(c) = t.column(name)
            && c.nullable
        {
            errs.push(SchemaError::column(
                &t.name,
                name,
                "a primary-key column cannot be nullable (use a non-Option type)".into(),
            ));
        }
    }
}

// Auto increment is for one integer NOT NULL column without a default. It need not be the primary key (a ticket
// number, a counter): PostgreSQL makes any column an identity. What a dialect cannot express is refused when
// rendering for it (SQLite only generates values for the INTEGER PRIMARY KEY; MySQL needs the column to lead a key).
pub(super) fn check_auto_increment(t: &Table, errs: &mut Vec<SchemaError>) {
    let auto = || t.columns.iter().filter(|c| c.auto_increment);
    if auto().nth(1).is_some() {
        errs.push(SchemaError::table(
            &t.name,
            format!(
                "only one column can be auto_increment (found {})",
                auto().map(|c| format!("`{}`", c.name)).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    for c in auto() {
        if !c.ty.is_integer() {
            errs.push(SchemaError::column(
                &t.name,
                &c.name,
                format!("auto_increment needs an integer column, not `{}`", c.ty),
            ));
        }
        if c.nullable {
            errs.push(SchemaError::column(
                &t.name,
                &c.name,
                "an auto_increment column cannot be nullable (every dialect gives it a value); make it NOT NULL".into(),
            ));
        }
        if c.default.is_some() {
            errs.push(SchemaError::column(&t.name, &c.name, "an auto_increment column cannot have a default".into()));
        }
    }
}

// Keys, indexes and uniques can only name columns of their own table, and must name at least one.
pub(super) fn check_key_columns_exist(t: &Table, errs: &mut Vec<SchemaError>) {
    // The expression indexes' problems come first, then each list's in order: primary key, indexes, uniques,
    // foreign keys.
    for i in &t.indexes {
        match &i.expression {
            None => {}
            Some(e) if e.trim().is_empty() => {
                errs.push(SchemaError::table(&t.name, format!("index `{}` has an empty expression", i.name)));
            }
            Some(_) if !i.columns.is_empty() || !i.prefixes.is_empty() => errs.push(SchemaError::table(
                &t.name,
                format!(
                    "index `{}` has both an expression and columns (or prefixes); an expression index indexes its \
                     one expression only: drop the columns, or write the column into the expression",
                    i.name
                ),
            )),
            Some(_) => {}
        }
    }
    let lists = t
        .primary_key
        .iter()
        .map(|pk| ("primary key", &pk.name, &pk.columns))
        .chain(t.indexes.iter().filter(|i| i.expression.is_none()).map(|i| ("index", &i.name, &i.columns)))
        .chain(t.uniques.iter().map(|u| ("unique constraint", &u.name, &u.columns)))
        .chain(t.foreign_keys.iter().map(|f| ("foreign key", &f.name, &f.columns)));
    for (what, name, cols) in lists {
        if cols.is_empty() {
            errs.push(SchemaError::table(&t.name, format!("{what} `{name}` has no columns")));
        }
        for c in cols {
            if t.column(c).is_none() {
                errs.push(SchemaError::table(&t.name, format!("{what} `{name}` names unknown column `{c}`")));
            }
        }
    }
    for c in &t.checks {
        if c.expr.trim().is_empty() {
            errs.push(SchemaError::table(&t.name, format!("check `{}` has an empty expression", c.name)));
        }
    }
}

// An index prefix length (MySQL/MariaDB) applies to one of the index's own string or binary columns, is shorter
// than a bounded column (MySQL keeps no prefix as long as the column), fits InnoDB's 3072-byte key part (768
// characters of utf8mb4), and is not on a unique index: MySQL would enforce uniqueness of the prefix only, a
// different constraint from the whole-column uniqueness PostgreSQL and SQLite enforce for the same model.
pub(super) fn check_index_prefixes(t: &Table, errs: &mut Vec<SchemaError>) {
    for i in &t.indexes {
        for (column, &len) in &i.prefixes {
            let bad = |why: String| SchemaError::table(&t.name, format!("index `{}`: {why}", i.name));
            if !i.columns.contains(column) {
                errs.push(bad(format!("a prefix length is given for `{column}`, which the index does not cover")));
                continue;
            }
            if i.unique {
                errs.push(bad(format!(
                    "a unique index cannot index a prefix of `{column}`: MySQL/MariaDB would enforce uniqueness of \
                     the first {len} characters only; drop the prefix, or make the index non-unique"
                )));
                continue;
            }
            let Some(c) = t.column(column) else { continue };
            let (max, unit) = match c.ty {
                ColumnType::Text => (768, "characters"),
                ColumnType::Varchar(n) | ColumnType::Char(n) => (n.saturating_sub(1).min(768), "characters"),
                ColumnType::Bytes => (3072, "bytes"),
                _ => {
                    errs.push(bad(format!(
                        "column `{column}` is {}, which has no prefix; only text and binary columns can be indexed \
                         by a prefix",
                        c.ty
                    )));
                    continue;
                }
            };
            if len == 0 || len > max {
                errs.push(bad(format!(
                    "the prefix length of `{column}` is {len}; it must be between 1 and {max} {unit} (a prefix as \
                     long as a bounded column is the whole column: drop the prefix)"
                )));
            }
        }
    }
}

// Foreign keys and checks live in a per-table namespace on every dialect, but two with one name in one table
// cannot both exist.
pub(super) fn check_table_constraint_names(t: &Table, errs: &mut Vec<SchemaError>) {
    let names = || t.foreign_keys.iter().map(|f| f.name.as_str()).chain(t.checks.iter().map(|c| c.name.as_str()));
    for (i, n) in names().enumerate() {
        if names().take(i).any(|o| o == n) {
            errs.push(SchemaError::table(&t.name, format!("the constraint name `{n}` is used more than once")));
        }
    }
}

// A foreign key must point at an existing table and columns, pair its columns one to one, use the same types on
// both sides (PostgreSQL refuses mismatches; MySQL refuses or silently converts), point at a primary key or unique
// set (every dialect requires one), and SET NULL needs nullable columns.
pub(super) fn check_foreign_keys(tables: &HashMap<&str, &Table>, t: &Table, errs: &mut Vec<SchemaError>) {
    for fk in &t.foreign_keys {
        let Some(target) = tables.get(fk.ref_table.as_str()).copied() else {
            errs.push(SchemaError::table(
                &t.name,
                format!("foreign key `{}` references unknown table `{}`", fk.name, fk.ref_table),
            ));
            continue;
        };
        if fk.columns.len() != fk.ref_columns.len() {
            errs.push(SchemaError::table(
                &t.name,
                format!(
                    "foreign key `{}` pairs {} column(s) with {} referenced column(s)",
                    fk.name,
                    fk.columns.len(),
                    fk.ref_columns.len()
                ),
            ));
            continue;
        }
        for (col, rc) in fk.columns.iter().zip(&fk.ref_columns) {
            let Some(rcol) = target.column(rc) else {
                errs.push(SchemaError::table(
                    &t.name,
                    format!("foreign key `{}` references unknown column `{}.{rc}`", fk.name, fk.ref_table),
                ));
                continue;
            };
            if let Some(c) = t.column(col) {
                if !fk_types_match(&c.ty, &rcol.ty) {
                    errs.push(SchemaError::column(
                        &t.name,
                        col,
                        format!(
                            "foreign key `{}`: the column is `{}` but `{}.{rc}` is `{}`",
                            fk.name, c.ty, fk.ref_table, rcol.ty
                        ),
                    ));
                }
                if (fk.on_delete == ReferentialAction::SetNull || fk.on_update == ReferentialAction::SetNull)
                    && !c.nullable
                {
                    errs.push(SchemaError::column(
                        &t.name,
                        col,
                        format!("foreign key `{}` uses SET NULL but the column is not nullable", fk.name),
                    ));
                }
            }
        }
        let key_targets = target
            .primary_key
            .iter()
            .map(|p| &p.columns)
            .chain(target.uniques.iter().map(|u| &u.columns))
            .chain(target.indexes.iter().filter(|i| i.unique && i.predicate.is_none()).map(|i| &i.columns));
        let is_key = key_targets.into_iter().any(|cols| same_columns(cols, &fk.ref_columns));
        if !is_key && fk.ref_columns.iter().all(|rc| target.column(rc).is_some()) {
            errs.push(SchemaError::table(
                &t.name,
                format!(
                    "foreign key `{}` references `{}`({}), which is neither its primary key nor unique",
                    fk.name,
                    fk.ref_table,
                    fk.ref_columns.join(", ")
                ),
            ));
        }
    }
}

/// Whether two column lists hold the same columns, in any order.
fn same_columns(a: &[String], b: &[String]) -> bool {
    match (a, b) {
        _ if a.len() != b.len() => false,
        ([x], [y]) => x == y,
        _ => {
            let (mut a, mut b) = (a.to_vec(), b.to_vec());
            a.sort();
            b.sort();
            a == b
        }
    }
}

fn fk_types_match(a: &ColumnType, b: &ColumnType) -> bool {
    a == b || (a.is_textual() && b.is_textual())
}

#[cfg(test)]
mod tests;
