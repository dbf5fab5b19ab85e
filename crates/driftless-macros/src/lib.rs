//! The `#[derive(Model)]` and `#[derive(DbEnum)]` macros of driftless. Use them through the `driftless` crate,
//! which re-exports them next to the traits they implement.
//!
//! Why the shape: the entry points below only convert token streams; the work is in `expand_model` and
//! `expand_db_enum` over `proc_macro2`, so the expansion can be unit-tested (snapshot tests in `tests`) without
//! compiling a crate. Inside, attributes are parsed into `internals::attr`, tied to fields in `internals::ast`,
//! checked across fields in `internals::check`, and every error found on the way is reported in one compile,
//! each at the token it is about (see `internals::ctxt`).
//!
//! Architecture Invariant: the macros do no I/O and never panic on user input; a bad attribute is a
//! `compile_error!` at the offending token.

mod db_enum;
mod dummy;
mod internals;
mod model;
mod respan;

#[cfg(test)]
mod tests;

use proc_macro::TokenStream;

/// Derives `driftless::Model` (the table definition) and, with the `driftless` crate's `iden` feature, a
/// `<Struct>Iden` enum of column identifiers for sea-query, from a struct with named fields.
///
/// The `<Struct>Iden` enum has a variant `Table` and one per column (the field name in UpperCamelCase), and
/// implements sea-query's `Iden` and `IdenStatic`, and `Clone` and `Copy`; not `Debug`, `PartialEq`, `Eq` or `Hash`,
/// which would make a models crate of hundreds of structs noticeably slower to rebuild.
///
/// Two parts of the output are cargo features of the `driftless` crate: `iden` (the `<Struct>Iden` enum; off by
/// default, `features = ["iden"]` for sea-query users) and `unlisted-check` (the registration that lets
/// `migrate-generate` name a derived model missing from `schema![...]`; on by default). Each makes every rebuild of a
/// models crate of hundreds of structs dearer; without `unlisted-check` (`default-features = false`),
/// `migrate-generate` cannot tell that a model is missing from the list.
///
/// Each field is a column whose portable type comes from its Rust type (see `driftless::model` for the table);
/// `Option<T>` makes the column nullable.
///
/// # Struct attributes
///
/// - `table = "users"`: the table name (default: the struct name in snake_case; no plural is added).
/// - `renamed_from = "old_name"`: the table's previous name, so the differ renames instead of dropping.
/// - `index(columns = ["a", "b"], unique, name = "...", predicate = "...")`: a composite and/or partial index;
///   repeatable. Names default to `<table>_<columns>_idx`.
///   `prefix(body = 100)` inside it indexes only the first 100 characters (bytes for binary columns) of `body` on
///   MySQL/MariaDB, which is how a TEXT or BLOB column is indexed there; PostgreSQL and SQLite index the whole
///   column. Not allowed with `unique` (MySQL would enforce uniqueness of the prefix only).
/// - `index(expression = "lower(email)", name = "...", unique, predicate = "...")`: an index over one SQL expression
///   instead of `columns` (`name` required); PostgreSQL and SQLite only, MySQL/MariaDB refuse it at render.
/// - `unique(columns = ["a", "b"], name = "...")`: a composite unique constraint (default name
///   `<table>_<columns>_key`); repeatable.
/// - `check(name = "...", expr = "...")`: a check constraint (default name `<table>_check`); repeatable.
/// - `comment = "..."`: the table comment.
/// - `crate = "path::to::driftless"`: where the runtime crate is, if not `::driftless`.
/// - `unlisted`: the struct is left out of `schema![...]` on purpose. Every other derived model registers itself
///   (through `inventory`, with the `unlisted-check` feature), and `migrate-generate` refuses while one is missing
///   from the list.
///
/// Column lists name database columns (after `column = "..."` renames).
///
/// # Field attributes
///
/// - `primary_key`: on one field, or on several for a composite key (in field order); named `<table>_pkey`-style.
/// - `auto_increment`: the database generates the value; needs an integer, non-`Option` type. Usually on the sole
///   `primary_key`; on another field (a ticket number) it is a PostgreSQL identity, needs a key starting with the
///   column on MySQL/MariaDB (for example `unique`), and is refused for SQLite when the migration is rendered.
/// - `unique` / `index`: a single-column unique constraint (`<table>_<column>_key`) or index (`..._idx`).
/// - `default = <literal>`: a bool, integer, float or string literal.
/// - `default_sql = "<expr>"`: raw SQL used as written on every dialect.
/// - `default_expr = "now" | "current_timestamp" | "current_date" | "current_time" | "uuid" | "gen_random_uuid"`:
///   a portable expression each dialect spells its own way.
/// - `max_length = N`: `String` becomes `varchar(N)`.
/// - `precision = P, scale = S`: `rust_decimal::Decimal` becomes `decimal(P,S)` (default `decimal(19,4)`;
///   `scale` defaults to 0 when only `precision` is given).
/// - `column = "name"`: the column name (default: the field name).
/// - `references = "table.column"`, with `on_delete` / `on_update` = `"cascade" | "set_null" | "restrict" |
///   "no_action" | "set_default"`: a foreign key (`<table>_<column>_fkey`).
/// - `renamed_from = "old"`: the column's previous name.
/// - `backfill = "<SQL expression>"`: the value the existing rows get when the column becomes NOT NULL on a table
///   that already exists (added, or tightened from `Option<T>`), for example `backfill = "'UTC'"` or
///   `backfill = "lower(email)"`. The generator then writes expand steps instead of a statement that fails on the
///   first row: the column added nullable, a batched backfill of the rows where it is NULL, then NOT NULL (online on
///   PostgreSQL). Also the value existing rows get when the column has a default (new rows get the default). A hint
///   for the differ like `renamed_from`, not part of `schema.json`; it can stay after its migration. Not allowed on an
///   `Option<T>` field (its rows may stay NULL) or with `auto_increment`. The answers file's `"backfills"` gives the
///   same without touching the model.
/// - `skip`: not a column.
/// - `sql_type = "CITEXT"`: the escape hatch for a type with no portable mapping (the column is nullable when the
///   field is written `Option<...>`).
/// - `comment = "..."`: the column comment.
///
/// # Errors
///
/// Every problem is a compile error at the offending token, all reported in one compile: unknown or duplicate
/// keys, values of the wrong type, conflicting keys (`default` with `default_sql`, `skip` with anything,
/// `on_delete` without `references`, ...), column lists that name no column, and Rust types with no column
/// mapping.
#[proc_macro_derive(Model, attributes(model))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    model::expand_model(input.into(), model::Emit::FROM_FEATURES).into()
}

/// Derives `driftless::DbEnum` for a unit-only enum stored in an enum column.
///
/// - `#[model(name = "post_status")]` on the enum: the enum type's name (default: the enum name in snake_case).
/// - `#[model(rename_all = "snake_case")]`: how variant names are stored (the default is `snake_case`; also
///   `lowercase`, `UPPERCASE`, `PascalCase`, `camelCase`, `SCREAMING_SNAKE_CASE`, `kebab-case`,
///   `SCREAMING-KEBAB-CASE`).
/// - `#[model(renamed_from = "old")]` on the enum: the enum type's previous name, so the differ renames the type
///   (`ALTER TYPE ... RENAME TO` on PostgreSQL; nothing runs elsewhere) instead of dropping and creating it.
/// - `#[model(rename = "...")]` on a variant: its stored value.
/// - `#[model(crate = "...")]`: where the runtime crate is, if not `::driftless`.
///
/// Values keep declaration order (it matters for comparisons on PostgreSQL and MySQL). A `Model` with a field of
/// this type gets the enum type in its definition.
#[proc_macro_derive(DbEnum, attributes(model))]
pub fn derive_db_enum(input: TokenStream) -> TokenStream {
    db_enum::expand_db_enum(input.into()).into()
}
