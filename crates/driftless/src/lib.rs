//! driftless: describe tables as Rust structs, and keep the database in step with them through reviewable,
//! classified, reversible migrations.
//!
//! ```
//! use driftless::prelude::*;
//!
//! #[derive(DbEnum)]
//! enum Role {
//!     Admin,
//!     Member,
//! }
//!
//! #[derive(Model)]
//! #[model(table = "users")]
//! struct User {
//!     #[model(primary_key, auto_increment)]
//!     id: i64,
//!     #[model(max_length = 64, unique)]
//!     name: String,
//!     email: Option<String>,
//!     #[model(default = "member")]
//!     role: Role,
//! }
//!
//! let schema = driftless::schema![User].build().unwrap();
//! let users = schema.table("users").unwrap();
//! assert_eq!(users.column("name").unwrap().ty.to_string(), "varchar(64)");
//! assert!(users.column("email").unwrap().nullable);
//! assert_eq!(schema.enums[0].values, ["admin", "member"]);
//! ```
//!
//! # Why one crate of re-exports
//!
//! Users depend on `driftless` alone; the work lives in `driftless-core` (the pure schema model and the pipeline
//! that diffs it) and `driftless-macros` (the derives). Keeping the facade free of logic means the derive's
//! generated code has one stable place to call into ([`__private`]), and a build that only describes tables never
//! compiles a database driver: the runtime migrator is a separate, opt-in piece.
//!
//! # The schema is an explicit list
//!
//! [`schema!`] takes the models in the order you list them, so what the project's schema contains is always visible
//! in one place. Each derived model also registers itself (through `inventory`, re-exported in [`__private`], so no
//! dependency of yours), only so that `migrate-generate` can refuse one missing from the list, naming the struct, its
//! table and the fix; a struct left out on purpose says `#[model(unlisted)]`.
//!
//! # Features
//!
//! `chrono`, `time`, `uuid`, `json` and `decimal` turn on the column mappings for those crates' types (see
//! [`model`]). None is on by default.
//!
//! `migrate` adds the runtime migrator on sqlx: `migrate_on_startup`, the rest of the migrator as `migrate`, and
//! the sqlx it is built on as `sqlx`. `testing` (which implies `migrate`) adds `testing`: the schema text and
//! migration SQL for snapshots, and a fresh migrated database per test. Without them nothing here depends on a
//! database driver, so describing tables and generating migrations never compiles one.
//!
//! `iden` and `unlisted-check` are what `#[derive(Model)]` emits besides the `Model` impl: the `<Struct>Iden` enum of
//! sea-query identifiers (off by default: turn it on to build sea-query queries with them), and the registration
//! behind `migrate-generate`'s check that no derived model is missing from [`schema!`] (on by default). A models
//! crate of hundreds of structs rebuilds about a third faster without the enums, and twice as fast without either
//! (`default-features = false`, then name the features you do use); without `unlisted-check` that check cannot run,
//! and a model left out of the list is left out of the schema silently.
#![deny(missing_docs)]

// Lets the derives' `::driftless` paths resolve inside this crate too (for its own tests and examples).
extern crate self as driftless;

pub use driftless_core::model::{DbEnum, Model, SqlColumn};
pub use driftless_core::{Column, ColumnType, DefaultExpr, DefaultValue, Literal, Schema, Table};
pub use driftless_core::{migration, model, schema, snapshot};
/// Derives [`DbEnum`] for a unit-only enum stored in an enum column.
pub use driftless_macros::DbEnum;
/// Derives [`Model`] and a `<Struct>Iden` enum of sea-query identifiers. See the macro's own documentation.
pub use driftless_macros::Model;
pub use sea_query;

/// The runtime migrator (feature `migrate`): [`Migrator`](migrate::Migrator), [`Database`](migrate::Database),
/// the [`Report`](migrate::Report) an operation returns and its [`Error`](migrate::Error).
#[cfg(feature = "migrate")]
pub use driftless_migrate as migrate;
/// Applies every pending migration as one batch when the application starts (feature `migrate`); see
/// [`migrate::migrate_on_startup`](driftless_migrate::migrate_on_startup).
#[cfg(feature = "migrate")]
pub use driftless_migrate::migrate_on_startup;
/// The sqlx the migrator runs on (feature `migrate`), so queries use the same version and drivers.
#[cfg(feature = "migrate")]
pub use sqlx;

#[cfg(feature = "testing")]
pub mod testing;

/// The names most code needs: `use driftless::prelude::*;`.
pub mod prelude {
    pub use crate::schema;
    pub use crate::{DbEnum, Model};
}

/// Builds the project's schema from an explicit, ordered list of models: `driftless::schema![User, Post]`.
///
/// Expands to a [`schema::SchemaBuilder`]; call `.build()` for the validated [`Schema`] (every problem reported at
/// once, each naming its table and column) or `.rename_hints()` for the models' `renamed_from` hints.
///
/// ```
/// # use driftless::prelude::*;
/// #[derive(Model)]
/// struct Tag {
///     #[model(primary_key)]
///     id: i32,
/// }
/// let schema = driftless::schema![Tag].build().unwrap();
/// assert_eq!(schema.tables[0].name, "tag");
/// ```
#[macro_export]
macro_rules! schema {
    ($($model:ty),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut builder = $crate::schema::SchemaBuilder::new();
        $( builder.model(<$model as $crate::Model>::model_def()); )*
        builder
    }};
}

/// Support for the code the derives generate. Not a public API: it changes whenever the derives do.
#[doc(hidden)]
pub mod __private {
    pub use core::convert::From;
    pub use core::option::Option;
    pub use std::borrow::Cow;
    pub use std::string::String;

    pub use driftless_core;
    pub use driftless_core::model::__private::*;
    pub use driftless_core::model::{DbEnum, DecimalColumn, IntegerColumn, Model, SqlColumn, TextColumn};
    pub use driftless_core::schema::{ColumnType, DefaultExpr, EnumType, ModelDef, ReferentialAction};
    pub use sea_query;
}
