//! Dialect-aware comparison of an expected schema with an introspected one.
//!
//! Both sides are first brought to what the dialect can represent ([`representable`]): a dialect that lost a
//! distinction cannot be blamed for it. Then the two are walked object by object and every disagreement becomes a
//! [`Difference`] that says what differs and what to do about it.
//!
//! What each dialect loses (so the expected side is normalised the same way):
//! - SQLite: uuid, json, date, time, datetime and timestamptz are all `TEXT`; an auto-increment integer is
//!   `INTEGER` (i64); comments are not stored; an enum has no name (a `CHECK (col IN (...))`); an inline
//!   `INTEGER PRIMARY KEY` has no constraint name.
//! - PostgreSQL: nothing of the portable model (casts in defaults are read through), except index prefix lengths,
//!   which only MySQL/MariaDB have (the whole column is indexed; SQLite likewise).
//! - MySQL/MariaDB: uuid is `CHAR(36)`; timestamptz is `DATETIME(6)`; an enum has no name (inline `ENUM(...)`);
//!   the primary key is always `PRIMARY`; a unique constraint is a unique index; `RESTRICT` is `NO ACTION`.
//!
//! Everywhere: a default on an auto-increment column is not rendered; a `default_sql` that is a plain literal
//! reads back as that literal; numbers compare by value (`1.50` = `1.5`); expressions compare without quotes,
//! whitespace, parentheses or casts.

use std::collections::BTreeMap;
use std::fmt;

use driftless_core::Dialect;
use driftless_core::schema::{
    Column, ColumnType, CustomType, DefaultValue, Index, Literal, ReferentialAction, Schema, Table, constraint_name,
};

use crate::text;

/// What kind of schema object a [`Difference`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Object {
    /// A table.
    Table,
    /// A column.
    Column,
    /// A table's primary key.
    PrimaryKey,
    /// A secondary index.
    Index,
    /// A unique constraint.
    Unique,
    /// A foreign key.
    ForeignKey,
    /// A check constraint.
    Check,
    /// An enum type.
    Enum,
}

impl Object {
    fn noun(self) -> &'static str {
        match self {
            Object::Table => "table",
            Object::Column => "column",
            Object::PrimaryKey => "primary key",
            Object::Index => "index",
            Object::Unique => "unique constraint",
            Object::ForeignKey => "foreign key",
            Object::Check => "check constraint",
            Object::Enum => "enum",
        }
    }
}

/// How the database disagrees with the expected schema about one object.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// Expected, but not in the database.
    Missing,
    /// In the database, but not expected (made by hand, or left behind).
    Extra,
    /// In both, but one aspect differs.
    Differs {
        /// Which aspect: `type`, `nullability`, `default`, `auto increment`, `comment`, `columns`, `definition`,
        /// `values`.
        aspect: &'static str,
        /// The expected value, as text.
        expected: String,
        /// The database's value, as text.
        actual: String,
    },
}

/// One disagreement between the expected schema and the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// What kind of object.
    pub object: Object,
    /// The table it belongs to (`None` for tables and enums themselves).
    pub table: Option<String>,
    /// The object's name (for a table, the table's).
    pub name: String,
    /// How it disagrees.
    pub change: Change,
}

impl Difference {
    fn subject(&self) -> String {
        match (&self.table, self.object) {
            (Some(t), Object::Column) => format!("column `{t}`.`{}`", self.name),
            (Some(t), o) => format!("{} `{}` on `{t}`", o.noun(), self.name),
            (None, o) => format!("{} `{}`", o.noun(), self.name),
        }
    }

    /// What to do about the difference, as one sentence.
    pub fn guidance(&self) -> String {
        let generate = "`cargo xtask migrate-generate`";
        match (&self.change, self.object) {
            (Change::Extra, Object::Table | Object::Column) => format!(
                "made by hand outside the migrations: add it to the models and run {generate} (then \
                 `migrate-resolve --applied` that migration on this database), or drop it from the database"
            ),
            (Change::Extra, _) => format!(
                "made by hand outside the migrations: declare it in the models and run {generate}, or drop it from \
                 the database"
            ),
            (Change::Missing, _) => {
                "dropped or never created outside the migrations: recreate it by hand as the migrations define it, or \
                 remove it from the models and run `cargo xtask migrate-generate` to record the removal"
                    .to_owned()
            }
            (Change::Differs { aspect, .. }, _) => format!(
                "the {aspect} was changed outside the migrations: change it back by hand, or change the models to \
                 match and run {generate}"
            ),
        }
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let subject = self.subject();
        match &self.change {
            Change::Missing => write!(f, "{subject} is missing from the database"),
            Change::Extra => write!(f, "{subject} is in the database but not in the expected schema"),
            Change::Differs { aspect, expected, actual } => {
                write!(f, "{subject}: {aspect} differs (expected {expected}, database has {actual})")
            }
        }
    }
}

/// Compares `expected` with `actual` (an introspected database) as `dialect` can represent them; empty when they
/// agree. Differences come in a stable order: enums, then tables by name, and within a table columns, primary key,
/// indexes, uniques, foreign keys and checks.
pub fn compare(expected: &Schema, actual: &Schema, dialect: Dialect) -> Vec<Difference> {
    let e = representable(expected, dialect);
    let a = representable(actual, dialect);
    let mut out = Vec::new();
    diff_named(
        &e.enums,
        &a.enums,
        |x| &x.name,
        |x, y| (x.values != y.values).then(|| ("values", x.values.join(", "), y.values.join(", "))),
        Object::Enum,
        None,
        &mut out,
    );
    let names: std::collections::BTreeSet<&str> = e.tables.iter().chain(&a.tables).map(|t| t.name.as_str()).collect();
    for name in names {
        match (e.table(name), a.table(name)) {
            (Some(_), None) => out.push(diff(Object::Table, None, name, Change::Missing)),
            (None, Some(_)) => out.push(diff(Object::Table, None, name, Change::Extra)),
            (Some(x), Some(y)) => compare_tables(x, y, &mut out),
            (None, None) => {}
        }
    }
    out
}

fn diff(object: Object, table: Option<&str>, name: &str, change: Change) -> Difference {
    Difference { object, table: table.map(str::to_owned), name: name.to_owned(), change }
}

fn differs(aspect: &'static str, expected: String, actual: String) -> Change {
    Change::Differs { aspect, expected, actual }
}

type Aspect = (&'static str, String, String);

fn diff_named<T>(
    expected: &[T],
    actual: &[T],
    name: impl Fn(&T) -> &String,
    aspect: impl Fn(&T, &T) -> Option<Aspect>,
    object: Object,
    table: Option<&str>,
    out: &mut Vec<Difference>,
) {
    for x in expected {
        match actual.iter().find(|y| name(y) == name(x)) {
            None => out.push(diff(object, table, name(x), Change::Missing)),
            Some(y) => {
                if let Some((a, ex, ac)) = aspect(x, y) {
                    out.push(diff(object, table, name(x), differs(a, ex, ac)));
                }
            }
        }
    }
    for y in actual {
        if !expected.iter().any(|x| name(x) == name(y)) {
            out.push(diff(object, table, name(y), Change::Extra));
        }
    }
}

fn compare_tables(e: &Table, a: &Table, out: &mut Vec<Difference>) {
    let t = Some(e.name.as_str());
    for ec in &e.columns {
        let Some(ac) = a.column(&ec.name) else {
            out.push(diff(Object::Column, t, &ec.name, Change::Missing));
            continue;
        };
        let mut push = |aspect, ex: String, ac: String| {
            out.push(diff(Object::Column, t, &ec.name, differs(aspect, ex, ac)));
        };
        if ec.ty != ac.ty {
            push("type", ec.ty.to_string(), ac.ty.to_string());
        }
        if ec.nullable != ac.nullable {
            let n = |b: bool| if b { "NULL".to_owned() } else { "NOT NULL".to_owned() };
            push("nullability", n(ec.nullable), n(ac.nullable));
        }
        if ec.auto_increment != ac.auto_increment {
            push("auto increment", ec.auto_increment.to_string(), ac.auto_increment.to_string());
        }
        if !defaults_equal(ec.default.as_ref(), ac.default.as_ref()) {
            push("default", show_default(ec.default.as_ref()), show_default(ac.default.as_ref()));
        }
        if ec.comment != ac.comment {
            let c = |c: &Option<String>| c.as_ref().map_or("no comment".to_owned(), |c| format!("{c:?}"));
            push("comment", c(&ec.comment), c(&ac.comment));
        }
    }
    for ac in &a.columns {
        if e.column(&ac.name).is_none() {
            out.push(diff(Object::Column, t, &ac.name, Change::Extra));
        }
    }
    match (&e.primary_key, &a.primary_key) {
        (Some(x), None) => out.push(diff(Object::PrimaryKey, t, &x.name, Change::Missing)),
        (None, Some(y)) => out.push(diff(Object::PrimaryKey, t, &y.name, Change::Extra)),
        (Some(x), Some(y)) if x != y => out.push(diff(
            Object::PrimaryKey,
            t,
            &x.name,
            differs(
                "definition",
                format!("{} ({})", x.name, x.columns.join(", ")),
                format!("{} ({})", y.name, y.columns.join(", ")),
            ),
        )),
        _ => {}
    }
    diff_named(&e.indexes, &a.indexes, |i| &i.name, index_aspect, Object::Index, t, out);
    diff_named(
        &e.uniques,
        &a.uniques,
        |u| &u.name,
        |x, y| (x.columns != y.columns).then(|| ("columns", x.columns.join(", "), y.columns.join(", "))),
        Object::Unique,
        t,
        out,
    );
    diff_named(
        &e.foreign_keys,
        &a.foreign_keys,
        |f| &f.name,
        |x, y| {
            let show = |f: &driftless_core::schema::ForeignKey| {
                format!(
                    "({}) references {} ({}) on delete {} on update {}",
                    f.columns.join(", "),
                    f.ref_table,
                    f.ref_columns.join(", "),
                    f.on_delete.sql(),
                    f.on_update.sql()
                )
            };
            (x != y).then(|| ("definition", show(x), show(y)))
        },
        Object::ForeignKey,
        t,
        out,
    );
    diff_named(
        &e.checks,
        &a.checks,
        |c| &c.name,
        |x, y| {
            (text::canonical_sql(&x.expr) != text::canonical_sql(&y.expr))
                .then(|| ("definition", x.expr.clone(), y.expr.clone()))
        },
        Object::Check,
        t,
        out,
    );
    if e.comment != a.comment {
        let c = |c: &Option<String>| c.as_ref().map_or("no comment".to_owned(), |c| format!("{c:?}"));
        out.push(diff(Object::Table, None, &e.name, differs("comment", c(&e.comment), c(&a.comment))));
    }
}

fn index_aspect(x: &Index, y: &Index) -> Option<Aspect> {
    let show = |i: &Index| {
        let cols: Vec<String> =
            i.columns.iter().map(|c| i.prefix_of(c).map_or_else(|| c.clone(), |len| format!("{c}({len})"))).collect();
        let elements = i.expression.as_ref().map_or_else(|| cols.join(", "), |e| format!("({e})"));
        let mut s = format!("{}({})", if i.unique { "unique " } else { "" }, elements);
        if let Some(p) = &i.predicate {
            s.push_str(&format!(" where {p}"));
        }
        s
    };
    let pred = |i: &Index| i.predicate.as_deref().map(text::canonical_sql);
    // Expressions compare as canonical SQL: the database adds parentheses and casts (`lower((email)::text)`).
    let expr = |i: &Index| i.expression.as_deref().map(text::canonical_sql);
    (x.columns != y.columns
        || x.prefixes != y.prefixes
        || x.unique != y.unique
        || pred(x) != pred(y)
        || expr(x) != expr(y))
    .then(|| ("definition", show(x), show(y)))
}

fn show_default(d: Option<&DefaultValue>) -> String {
    match d {
        None => "no default".to_owned(),
        Some(DefaultValue::Value(Literal::String(s))) => format!("'{}'", s.replace('\'', "''")),
        Some(DefaultValue::Value(Literal::Int(i))) => i.to_string(),
        Some(DefaultValue::Value(Literal::Float(f))) => f.to_string(),
        Some(DefaultValue::Value(Literal::Bool(b))) => b.to_string(),
        Some(DefaultValue::Expr(e)) => e.keyword().to_owned(),
        Some(DefaultValue::Sql(s)) => format!("sql `{s}`"),
    }
}

fn defaults_equal(x: Option<&DefaultValue>, y: Option<&DefaultValue>) -> bool {
    match (x, y) {
        (Some(DefaultValue::Sql(a)), Some(DefaultValue::Sql(b))) => text::canonical_sql(a) == text::canonical_sql(b),
        (Some(DefaultValue::Value(Literal::Float(a))), Some(DefaultValue::Value(Literal::Float(b)))) => {
            a == b || ((a - b).abs() <= f64::EPSILON * a.abs().max(b.abs()) * 16.0)
        }
        (a, b) => a == b,
    }
}

/// `schema` as `dialect` can represent it: what the dialect cannot tell apart is made equal (see the module
/// docs). Used on both sides of [`compare`].
pub fn representable(schema: &Schema, dialect: Dialect) -> Schema {
    let mut s = schema.clone();
    let inline_enums = dialect != Dialect::Postgres;
    let enum_values: BTreeMap<String, Vec<String>> =
        s.enums.iter().map(|e| (e.name.clone(), e.values.clone())).collect();
    for t in &mut s.tables {
        let pk_cols: Vec<String> = t.primary_key.as_ref().map(|p| p.columns.clone()).unwrap_or_default();
        let inline_pk = matches!(pk_cols.as_slice(), [only] if t.column(only).is_some_and(|c| c.auto_increment));
        for c in &mut t.columns {
            normalize_column(c, dialect, pk_cols.contains(&c.name));
            if inline_enums && let ColumnType::Enum(name) = &c.ty {
                // The enum has no name of its own here: it is known by its values.
                let values = enum_values.get(name).cloned().unwrap_or_default();
                c.ty = ColumnType::Enum(enum_key(&values));
            }
        }
        if let Some(pk) = &mut t.primary_key
            && (dialect == Dialect::Mysql || (dialect == Dialect::Sqlite && inline_pk))
        {
            pk.name = constraint_name(&t.name, &[], "pkey");
        }
        if dialect == Dialect::Sqlite {
            t.comment = None;
        }
        if dialect != Dialect::Mysql {
            // Only MySQL/MariaDB index a prefix; elsewhere the whole column is indexed.
            for i in &mut t.indexes {
                i.prefixes.clear();
            }
        }
        if dialect == Dialect::Mysql {
            for u in std::mem::take(&mut t.uniques) {
                t.indexes.push(Index {
                    name: u.name,
                    columns: u.columns,
                    unique: true,
                    predicate: None,
                    ..Default::default()
                });
            }
            for fk in &mut t.foreign_keys {
                for a in [&mut fk.on_delete, &mut fk.on_update] {
                    if *a == ReferentialAction::Restrict {
                        *a = ReferentialAction::NoAction;
                    }
                }
            }
        }
    }
    if inline_enums {
        let mut used: Vec<driftless_core::schema::EnumType> = Vec::new();
        for t in &s.tables {
            for c in &t.columns {
                if let ColumnType::Enum(key) = &c.ty
                    && !used.iter().any(|e| &e.name == key)
                {
                    let values = enum_values.values().find(|v| enum_key(v) == *key).cloned().unwrap_or_default();
                    used.push(driftless_core::schema::EnumType { name: key.clone(), values });
                }
            }
        }
        s.enums = used;
    }
    s.normalized()
}

/// The name an inline enum is known by in a comparison: its values.
fn enum_key(values: &[String]) -> String {
    format!("[{}]", values.join("|"))
}

fn normalize_column(c: &mut Column, d: Dialect, in_pk: bool) {
    use ColumnType as T;
    if let T::Custom(CustomType { default, sqlite, postgres, mysql }) = &c.ty {
        let spelled = match d {
            Dialect::Sqlite => sqlite.as_ref(),
            Dialect::Postgres => postgres.as_ref(),
            _ => mysql.as_ref(),
        }
        .unwrap_or(default);
        c.ty = text::column_type(d, spelled);
        if let T::Custom(ct) = &mut c.ty {
            // Compare unknown types by their spelling, case-insensitively.
            *ct = CustomType { default: ct.default.to_ascii_lowercase(), sqlite: None, postgres: None, mysql: None };
        }
    }
    c.ty = match (d, &c.ty) {
        (Dialect::Sqlite, T::Uuid | T::Json | T::Date | T::Time | T::DateTime | T::TimestampTz) => T::Text,
        (Dialect::Sqlite, t) if c.auto_increment && t.is_integer() => T::BigInt,
        (Dialect::Mysql, T::Uuid) => T::Char(36),
        (Dialect::Mysql, T::TimestampTz) => T::DateTime,
        (_, t) => t.clone(),
    };
    if in_pk {
        c.nullable = false;
    }
    if c.auto_increment {
        c.default = None;
    }
    c.default = c.default.take().and_then(|v| canonical_default(d, v, &c.ty));
    if d == Dialect::Sqlite {
        c.comment = None;
    }
}

/// A default in the form introspection reads it back in.
fn canonical_default(d: Dialect, v: DefaultValue, ty: &ColumnType) -> Option<DefaultValue> {
    match v {
        DefaultValue::Sql(sql) => text::default_value(d, &sql, ty),
        DefaultValue::Value(lit) => Some(DefaultValue::Value(text::coerce(lit, ty))),
        other => Some(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftless_core::schema::{DefaultExpr, EnumType};

    fn one(col: Column) -> Schema {
        let mut t = Table::new("t");
        t.columns.push(col);
        Schema { tables: vec![t], enums: vec![] }
    }

    #[test]
    fn what_a_dialect_cannot_tell_apart_compares_equal() {
        let uuid = one(Column::new("id", ColumnType::Uuid));
        assert!(compare(&uuid, &one(Column::new("id", ColumnType::Char(36))), Dialect::Mysql).is_empty());
        assert!(compare(&uuid, &one(Column::new("id", ColumnType::Text)), Dialect::Sqlite).is_empty());
        assert_eq!(compare(&uuid, &one(Column::new("id", ColumnType::Text)), Dialect::Postgres).len(), 1);

        let mut sql = Column::new("d", ColumnType::Text);
        sql.default = Some(DefaultValue::Sql("'-'".into()));
        let mut lit = Column::new("d", ColumnType::Text);
        lit.default = Some(DefaultValue::Value(Literal::String("-".into())));
        assert!(compare(&one(sql), &one(lit), Dialect::Postgres).is_empty());
    }

    #[test]
    fn inline_enums_are_known_by_their_values() {
        let mut e = one(Column::new("mood", ColumnType::Enum("mood".into())));
        e.enums.push(EnumType { name: "mood".into(), values: vec!["a".into(), "b".into()] });
        let mut a = one(Column::new("mood", ColumnType::Enum("t_mood".into())));
        a.enums.push(EnumType { name: "t_mood".into(), values: vec!["a".into(), "b".into()] });
        assert!(compare(&e, &a, Dialect::Mysql).is_empty());
        assert!(!compare(&e, &a, Dialect::Postgres).is_empty());
    }

    #[test]
    fn an_altered_default_is_named_with_guidance() {
        let mut x = Column::new("created", ColumnType::DateTime);
        x.default = Some(DefaultValue::Expr(DefaultExpr::CurrentTimestamp));
        let mut y = x.clone();
        y.default = Some(DefaultValue::Value(Literal::String("2020-01-01".into())));
        let d = compare(&one(x), &one(y), Dialect::Postgres);
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].to_string(),
            "column `t`.`created`: default differs (expected current_timestamp, database has '2020-01-01')"
        );
    }
}
