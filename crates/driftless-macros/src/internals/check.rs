//! Cross-attribute and cross-field rules, one `check_*` function each, with the rule and its reason above it.
//!
//! Everything here is decided from the tokens alone. Rules that need the Rust types (is this field text? an
//! integer?) are trait bounds in the generated code instead, and rules that need other models (does the
//! referenced table exist?) are `Schema::validate`'s, at runtime.

use std::collections::BTreeMap;

use proc_macro2::Span;

use super::ast::{Container, Enum};
use super::symbol::*;
use super::{Ctxt, attr};

/// The longest identifier every dialect accepts (PostgreSQL's 63 bytes); mirrors `schema::MAX_IDENTIFIER_LEN`.
const MAX_IDENTIFIER_LEN: usize = 63;

/// Runs every `Model` rule.
pub fn check_model(cx: &Ctxt, cont: &Container) {
    check_has_columns(cx, cont);
    check_skip_alone(cx, cont);
    check_one_default(cx, cont);
    check_single_auto_increment(cx, cont);
    check_auto_increment_not_option(cx, cont);
    check_auto_increment_without_default(cx, cont);
    check_actions_need_references(cx, cont);
    check_type_overrides(cx, cont);
    check_primary_key_not_option(cx, cont);
    check_unique_on_sole_key(cx, cont);
    check_identifier_lengths(cx, cont);
    check_unique_column_names(cx, cont);
    check_key_columns(cx, cont);
    check_iden_variants(cx, cont);
    check_check_names(cx, cont);
    check_renames_differ(cx, cont);
    check_backfill_fits(cx, cont);
}

/// Runs every `DbEnum` rule.
pub fn check_db_enum(cx: &Ctxt, e: &Enum) {
    check_has_variants(cx, e);
    check_enum_values_unique(cx, e);
    check_enum_renamed_from(cx, e);
}

// As on a model: `renamed_from` naming the enum type's current name would be a rename to itself.
fn check_enum_renamed_from(cx: &Ctxt, e: &Enum) {
    if let Some(from) = e.attrs.renamed_from()
        && from.value == e.type_name()
    {
        cx.error_at(from.span, format!("`renamed_from` names the enum type's current name `{}`", from.value));
    }
}

// A table needs at least one column: every dialect rejects `CREATE TABLE t ()`. Reported at the struct name.
fn check_has_columns(cx: &Ctxt, cont: &Container) {
    if cont.columns().next().is_none() {
        cx.error_spanned_by(
            &cont.ident,
            format!("model `{}` has no columns; a table needs at least one field that is not `skip`", cont.ident),
        );
    }
}

// A `skip`ped field is not a column, so any column attribute on it would be silently ignored; each one is an
// error at the attribute, so the user removes either `skip` or the attribute.
fn check_skip_alone(cx: &Ctxt, cont: &Container) {
    for f in &cont.fields {
        if f.attrs.skip().is_none() {
            continue;
        }
        for &(name, span) in f.attrs.given() {
            cx.error_at(span, format!("`{name}` cannot be used with `skip`: a skipped field is not a column"));
        }
    }
}

// A column has one default: a literal (`default`), raw SQL (`default_sql`) or a portable expression
// (`default_expr`). A second one is reported at its key.
fn check_one_default(cx: &Ctxt, cont: &Container) {
    for f in cont.columns() {
        let mut given: Vec<(Symbol, Span)> = Vec::new();
        if let Some(d) = f.attrs.default() {
            given.push((DEFAULT, d.span));
        }
        if let Some(d) = f.attrs.default_sql() {
            given.push((DEFAULT_SQL, d.span));
        }
        if let Some(d) = f.attrs.default_expr() {
            given.push((DEFAULT_EXPR, d.span));
        }
        for (name, span) in given.iter().skip(1) {
            cx.error_at(*span, format!("`{name}` conflicts with `{}`: a column has only one default", given[0].0));
        }
    }
}

// At most one auto_increment column per table: every dialect generates values for a single key column only.
// Reported at each extra `auto_increment`.
fn check_single_auto_increment(cx: &Ctxt, cont: &Container) {
    let mut first: Option<&syn::Ident> = None;
    for f in cont.columns() {
        let Some(span) = f.attrs.auto_increment() else { continue };
        match first {
            None => first = Some(&f.ident),
            Some(prev) => cx.error_at(
                span,
                format!("only one field can be `auto_increment`, and `{prev}` already is; remove one of them"),
            ),
        }
    }
}

// An auto_increment column always holds a value, on every dialect (PostgreSQL identity columns are NOT NULL).
// It need not be the primary key: a dialect that cannot express it (SQLite outside its INTEGER PRIMARY KEY, MySQL
// without a key on the column) is refused when the migration is rendered for it, with the fix.
fn check_auto_increment_not_option(cx: &Ctxt, cont: &Container) {
    for f in cont.columns() {
        if let Some(span) = f.attrs.auto_increment()
            && f.is_option_syntax()
        {
            cx.error_at(
                span,
                "an `auto_increment` column cannot be nullable; use the inner type instead of `Option<...>`",
            );
        }
    }
}

// The database generates an auto_increment column's value, so a default would never be used (PostgreSQL rejects
// a second default on an identity column).
fn check_auto_increment_without_default(cx: &Ctxt, cont: &Container) {
    for f in cont.columns() {
        if f.attrs.auto_increment().is_none() {
            continue;
        }
        let spans = [
            f.attrs.default().map(|d| d.span),
            f.attrs.default_sql().map(|d| d.span),
            f.attrs.default_expr().map(|d| d.span),
        ];
        for span in spans.into_iter().flatten() {
            cx.error_at(span, "an `auto_increment` column cannot have a default: the database generates its values");
        }
    }
}

// `on_delete` / `on_update` describe a foreign key; without `references` there is none, and the action would be
// silently ignored.
fn check_actions_need_references(cx: &Ctxt, cont: &Container) {
    for f in cont.columns() {
        if f.attrs.references().is_some() {
            continue;
        }
        for (name, span) in
            [(ON_DELETE, f.attrs.on_delete().map(|a| a.span)), (ON_UPDATE, f.attrs.on_update().map(|a| a.span))]
        {
            if let Some(span) = span {
                cx.error_at(span, format!("`{name}` needs `references = \"table.column\"` on the same field"));
            }
        }
    }
}

// `sql_type` gives the whole column type, so `max_length`, `precision` and `scale` (which refine the mapped type)
// cannot also apply; `scale` needs `precision` (SQL's DECIMAL(p,s)), and the scale cannot exceed the precision;
// `max_length` (text) and `precision` (decimal) never both fit one type.
fn check_type_overrides(cx: &Ctxt, cont: &Container) {
    for f in cont.columns() {
        if f.attrs.sql_type().is_some() {
            for (name, span) in [
                (MAX_LENGTH, f.attrs.max_length().map(|v| v.span)),
                (PRECISION, f.attrs.precision().map(|v| v.span)),
                (SCALE, f.attrs.scale().map(|v| v.span)),
            ] {
                if let Some(span) = span {
                    cx.error_at(span, format!("`{name}` conflicts with `sql_type`, which already gives the full type"));
                }
            }
            continue;
        }
        if let (Some(max), Some(_)) = (f.attrs.max_length(), f.attrs.precision()) {
            cx.error_at(max.span, "`max_length` (text) conflicts with `precision` (decimal)");
        }
        match (f.attrs.precision(), f.attrs.scale()) {
            (None, Some(scale)) => {
                cx.error_at(scale.span, "`scale` needs `precision`: write `precision = P, scale = S`")
            }
            (Some(p), Some(s)) if s.value > p.value => {
                cx.error_at(s.span, format!("`scale` ({}) cannot be larger than `precision` ({})", s.value, p.value))
            }
            _ => {}
        }
    }
}

// Every dialect forbids NULL in a primary key, so a key field cannot be `Option<T>`. (A type alias of an Option
// is caught later by `Schema::validate`.)
fn check_primary_key_not_option(cx: &Ctxt, cont: &Container) {
    for f in cont.columns() {
        if let Some(span) = f.attrs.primary_key()
            && f.is_option_syntax()
        {
            cx.error_at(span, "a primary-key column cannot be nullable; use the inner type instead of `Option<...>`");
        }
    }
}

// A single-column primary key is already unique; an extra unique constraint on it would be a second, redundant
// index on every dialect.
fn check_unique_on_sole_key(cx: &Ctxt, cont: &Container) {
    let keys = cont.columns().filter(|f| f.attrs.primary_key().is_some()).count();
    for f in cont.columns() {
        if let (Some(unique), Some(_), 1) = (f.attrs.unique(), f.attrs.primary_key(), keys) {
            cx.error_at(unique, "`unique` is redundant on the primary key, which is already unique");
        }
    }
}

// Names longer than PostgreSQL's 63 bytes are cut silently there, so two long names could collide; refuse them
// where they are written.
fn check_identifier_lengths(cx: &Ctxt, cont: &Container) {
    let table = cont.table_name();
    if table.len() > MAX_IDENTIFIER_LEN {
        let span = cont.attrs.table().map_or_else(|| cont.ident.span(), |t| t.span);
        cx.error_at(span, format!("table name `{table}` is {} bytes; the limit is {MAX_IDENTIFIER_LEN}", table.len()));
    }
    for f in cont.columns() {
        let name = f.column_name();
        if name.len() > MAX_IDENTIFIER_LEN {
            cx.error_at(
                f.column_span(),
                format!("column name `{name}` is {} bytes; the limit is {MAX_IDENTIFIER_LEN}", name.len()),
            );
        }
    }
}

// Two fields cannot map to one column (for example `column = "name"` next to a field called `name`); reported at
// the second.
fn check_unique_column_names(cx: &Ctxt, cont: &Container) {
    let mut seen: BTreeMap<String, &syn::Ident> = BTreeMap::new();
    for f in cont.columns() {
        let name = f.column_name();
        if let Some(prev) = seen.get(&name) {
            cx.error_at(f.column_span(), format!("column `{name}` is already used by field `{prev}`"));
        } else {
            seen.insert(name, &f.ident);
        }
    }
}

// Container `index(...)` and `unique(...)` lists name database columns of this struct: each must exist (a typo
// would otherwise surface only when the migration runs), and none may repeat. A name that is a field whose column
// was renamed, or a skipped field, gets a hint.
fn check_key_columns(cx: &Ctxt, cont: &Container) {
    let columns: Vec<String> = cont.columns().map(|f| f.column_name()).collect();
    let keys = cont.attrs.indexes().iter().map(|k| (INDEX, k)).chain(cont.attrs.uniques().iter().map(|k| (UNIQUE, k)));
    for (kind, key) in keys {
        let mut seen: Vec<String> = Vec::new();
        for lit in &key.columns {
            let name = lit.value();
            if seen.contains(&name) {
                cx.error_spanned_by(lit, format!("column `{name}` is listed twice in this `{kind}`"));
                continue;
            }
            seen.push(name.clone());
            if columns.contains(&name) {
                continue;
            }
            let field = cont.fields.iter().find(|f| f.ident == name.as_str());
            let hint = match field {
                Some(f) if f.attrs.skip().is_some() => format!("; field `{name}` is `skip` and has no column"),
                Some(f) => format!("; field `{name}` is stored as column `{}`", f.column_name()),
                None => format!(
                    "; the columns are {}",
                    columns.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
                ),
            };
            cx.error_spanned_by(
                lit,
                format!("`{kind}` names `{name}`, which is not a column of `{}`{hint}", cont.ident),
            );
        }
    }
}

// The identifier enum has a `Table` variant plus one per column, named after the field in PascalCase. A field
// named `table` (or two fields that differ only in case style) would give two variants of one name.
fn check_iden_variants(cx: &Ctxt, cont: &Container) {
    let mut seen: BTreeMap<String, &syn::Ident> = BTreeMap::new();
    for f in cont.columns() {
        let variant = f.iden_variant().to_string();
        if variant == "Table" {
            cx.error_spanned_by(
                &f.ident,
                format!(
                    "field `{}` would become `{}::Table`, which names the table itself; rename the field and keep \
                     the column name with `#[model(column = \"{}\")]`",
                    f.ident,
                    cont.iden_ident(),
                    f.column_name()
                ),
            );
        } else if let Some(prev) = seen.get(&variant) {
            cx.error_spanned_by(
                &f.ident,
                format!(
                    "fields `{prev}` and `{}` would both become `{}::{variant}`; rename one",
                    f.ident,
                    cont.iden_ident()
                ),
            );
        } else {
            seen.insert(variant, &f.ident);
        }
    }
}

// Check constraints need distinct names within a table; an unnamed check is called `<table>_check`, so a second
// unnamed one needs a `name`.
fn check_check_names(cx: &Ctxt, cont: &Container) {
    let default = format!("{}_check", cont.table_name());
    let mut seen: Vec<String> = Vec::new();
    for c in cont.attrs.checks() {
        let name = c.name.clone().unwrap_or_else(|| default.clone());
        if seen.contains(&name) {
            let msg = if c.name.is_none() {
                format!("a second check would also be named `{name}`; give each check a `name = \"...\"`")
            } else {
                format!("check name `{name}` is used twice")
            };
            cx.error_at(c.span, msg);
        } else {
            seen.push(name);
        }
    }
}

// `renamed_from` tells the differ to rename instead of drop-and-add; naming the current name would be a rename to
// itself, which is always a mistake (usually the old and new names were swapped).
fn check_renames_differ(cx: &Ctxt, cont: &Container) {
    if let Some(from) = cont.attrs.renamed_from()
        && from.value == cont.table_name()
    {
        cx.error_at(from.span, format!("`renamed_from` names the table's current name `{}`", from.value));
    }
    for f in cont.columns() {
        if let Some(from) = f.attrs.renamed_from()
            && from.value == f.column_name()
        {
            cx.error_at(from.span, format!("`renamed_from` names the column's current name `{}`", from.value));
        }
    }
}

// `backfill` is the value existing rows get when a column becomes NOT NULL (added, or tightened from nullable). A
// nullable column never needs one, and the database generates an auto_increment column's values itself, so on
// either the value would silently mean nothing.
fn check_backfill_fits(cx: &Ctxt, cont: &Container) {
    for f in cont.columns() {
        let Some(b) = f.attrs.backfill() else { continue };
        if f.is_option_syntax() {
            cx.error_at(
                b.span,
                "`backfill` fills the existing rows of a NOT NULL column, but this field is `Option<...>` (nullable), \
                 so its rows can stay NULL; remove `backfill`, or use the inner type to make the column NOT NULL",
            );
        }
        if f.attrs.auto_increment().is_some() {
            cx.error_at(b.span, "`backfill` cannot be used with `auto_increment`: the database generates its values");
        }
    }
}

// An enum type needs at least one value: PostgreSQL accepts an empty enum but no value could ever be stored, and
// MySQL's ENUM() and the SQLite CHECK (x IN ()) are syntax errors.
fn check_has_variants(cx: &Ctxt, e: &Enum) {
    if e.variants.is_empty() {
        cx.error_spanned_by(&e.original.ident, "#[derive(DbEnum)] needs at least one variant: an enum type has values");
    }
}

// An enum type's values must differ: every database rejects duplicate enum labels, and reading a value back would
// be ambiguous. Reported at the second variant.
fn check_enum_values_unique(cx: &Ctxt, e: &Enum) {
    let mut seen: BTreeMap<String, &syn::Ident> = BTreeMap::new();
    for v in &e.variants {
        let value = e.value_of(v);
        if let Some(prev) = seen.get(&value) {
            let span = v.attrs.rename().map_or_else(|| v.original.ident.span(), |r: &attr::WithSpan<String>| r.span);
            cx.error_at(span, format!("variants `{prev}` and `{}` are both stored as \"{value}\"", v.ident));
        } else {
            seen.insert(value, &v.ident);
        }
    }
}
