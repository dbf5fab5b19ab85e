//! The runtime half of `#[derive(Model)]` and `#[derive(DbEnum)]`: the traits the generated code implements and
//! the mapping from Rust field types to portable column types.
//!
//! Why traits rather than a table of type names inside the macro: a proc macro only sees tokens, so it cannot tell
//! `type Id = i64;` from an unknown type, nor follow a re-export. Asking the compiler (`<T as SqlColumn>`) follows
//! aliases and paths, and an unsupported type becomes an ordinary trait error at the field's type, worded by
//! `#[diagnostic::on_unimplemented]`.
//!
//! # Type mapping
//!
//! | Rust | column type |
//! |---|---|
//! | `i16` / `i32` / `i64` | `i16` / `i32` / `i64` |
//! | `f32` / `f64` | `f32` / `f64` |
//! | `bool` | `bool` |
//! | `String` | `text`, or `varchar(N)` with `#[model(max_length = N)]` |
//! | `Vec<u8>` | `bytes` |
//! | `Option<T>` | as `T`, nullable |
//! | a `#[derive(DbEnum)]` enum | `enum(<name>)` |
//! | `chrono::NaiveDate` / `NaiveTime` / `NaiveDateTime` / `DateTime<Utc>` (feature `chrono`) | `date` / `time` / `datetime` / `timestamptz` |
//! | `time::Date` / `Time` / `PrimitiveDateTime` / `OffsetDateTime` (feature `time`) | `date` / `time` / `datetime` / `timestamptz` |
//! | `uuid::Uuid` (feature `uuid`) | `uuid` |
//! | `serde_json::Value` (feature `json`) | `json` |
//! | `rust_decimal::Decimal` (feature `decimal`) | `decimal(19,4)`, or `decimal(P,S)` with `#[model(precision = P, scale = S)]` |
//!
//! Unsigned integers have no mapping on purpose: PostgreSQL has no unsigned types, and a `u32` stored in a
//! `bigint` would decode as `i64` on PostgreSQL but as `u32` on MySQL, so the same model would need different Rust
//! types per database. Use the next wider signed type instead. Anything else can use
//! `#[model(sql_type = "...")]`.
//!
//! `rust_decimal::Decimal` defaults to `decimal(19,4)` (money-sized: 15 digits before the point, 4 after), because
//! the Rust type carries no precision of its own; a column that needs another size says so with `precision` and
//! `scale`.

use crate::schema::{
    Check, ColumnType, CustomType, DefaultValue, EnumType, ForeignKey, Index, ModelDef, PrimaryKey, ReferentialAction,
    SchemaBuilder, Table, UniqueConstraint, constraint_name,
};
use crate::schema::{Column, DefaultExpr, Literal};

mod derived;

/// A Rust struct that maps to one table. Implemented by `#[derive(Model)]`, which gives the hidden `DEFINITION`
/// (the table as plain data); [`model_def`](Model::model_def) builds the definition from it.
///
/// The definition is rebuilt on each call; it is cheap and only needed when a schema is assembled (see
/// `driftless::schema!`).
pub trait Model {
    /// The table's name in the database.
    const TABLE: &'static str;

    /// The derive's description of the table, as plain data (not a public API: it changes whenever the derive
    /// does).
    #[doc(hidden)]
    const DEFINITION: &'static derived::ModelTable;

    /// The frozen description of the table, its enum types and its rename hints.
    fn model_def() -> ModelDef {
        derived::model_def(Self::DEFINITION)
    }
}

/// A `#[derive(Model)]` struct linked into the program, as the derive registers it (through `inventory`).
///
/// The project's schema stays the explicit list in `schema![...]`; the registrations only let `migrate-generate`
/// name a model that is missing from that list (see [`unlisted`]). A struct marked `#[model(unlisted)]` is not
/// registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Registered {
    path: &'static str,
    table: &'static str,
}

impl Registered {
    /// The struct's path (`my_app::models::User`).
    pub fn path(&self) -> &'static str {
        self.path
    }

    /// The struct's table ([`Model::TABLE`]).
    pub fn table(&self) -> &'static str {
        self.table
    }
}

inventory::collect!(Registered);

/// Every registered model linked into the program, sorted by path then table (the registration order is
/// unspecified).
pub fn registered() -> Vec<Registered> {
    let mut all: Vec<Registered> = inventory::iter::<Registered>.into_iter().copied().collect();
    all.sort();
    all.dedup();
    all
}

/// The models of `registered` whose table is not among `listed`'s models: derived, but missing from
/// `schema![...]`, in `registered`'s order.
pub fn unlisted(registered: &[Registered], listed: &SchemaBuilder) -> Vec<Registered> {
    if registered.is_empty() {
        return Vec::new();
    }
    // A set: a project with thousands of derived models would otherwise compare every pair.
    let tables: crate::hash::FastSet<&str> = listed.models().iter().map(|m| m.table.name.as_str()).collect();
    registered.iter().filter(|r| !tables.contains(r.table)).copied().collect()
}

/// A Rust type that can be stored in a column, with the portable type it maps to.
///
/// Implemented here for the types in the module-level table and by `#[derive(DbEnum)]`. Implement it by hand for a
/// newtype that should map like its inner type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no portable column type",
    label = "this type cannot be mapped to a column",
    note = "give the column's SQL type with `#[model(sql_type = \"...\")]` on the field, or use `#[derive(DbEnum)]` \
            if it is a unit-only enum",
    note = "supported types: i16, i32, i64, f32, f64, bool, String, Vec<u8>, Option<T>, DbEnum enums, and with the \
            `chrono`, `time`, `uuid`, `json` and `decimal` features their date/time, Uuid, Value and Decimal types"
)]
pub trait SqlColumn {
    /// Whether the column accepts NULL (`true` only for `Option<T>`).
    const NULLABLE: bool = false;

    /// The portable column type.
    fn column_type() -> ColumnType;

    /// The enum type the column uses, for enum columns.
    fn enum_type() -> Option<EnumType> {
        None
    }

    /// The previous name of the enum type the column uses, when it was renamed (`#[model(renamed_from = "...")]` on
    /// the `DbEnum`).
    fn enum_renamed_from() -> Option<&'static str> {
        None
    }
}

/// A field type that holds text, so `#[model(max_length = N)]` can make it `varchar(N)`.
#[diagnostic::on_unimplemented(
    message = "`max_length` needs a text field, but the field's type is `{Self}`",
    label = "`max_length` only applies to `String` or `Option<String>`",
    note = "remove `max_length`, or give the column's type with `#[model(sql_type = \"...\")]`"
)]
pub trait TextColumn: SqlColumn {}

/// A field type that holds a whole number, so it can be `#[model(auto_increment)]`.
#[diagnostic::on_unimplemented(
    message = "`auto_increment` needs an integer field, but the field's type is `{Self}`",
    label = "`auto_increment` only applies to `i16`, `i32` or `i64`",
    note = "every dialect generates values only for integer keys; for a generated UUID use \
            `#[model(default_expr = \"gen_random_uuid\")]`"
)]
pub trait IntegerColumn: SqlColumn {}

/// A field type that holds a fixed-point decimal, so `#[model(precision = P, scale = S)]` applies.
#[diagnostic::on_unimplemented(
    message = "`precision` and `scale` need a decimal field, but the field's type is `{Self}`",
    label = "`precision`/`scale` only apply to `rust_decimal::Decimal` (feature `decimal`)",
    note = "remove them, or give the column's type with `#[model(sql_type = \"...\")]`"
)]
pub trait DecimalColumn: SqlColumn {}

/// A unit-only Rust enum stored in an enum column. Implemented by `#[derive(DbEnum)]`.
pub trait DbEnum: SqlColumn + Sized + 'static {
    /// The enum type's name in the database.
    const NAME: &'static str;
    /// The stored values in declaration order.
    const VALUES: &'static [&'static str];
    /// The enum type's previous name (`#[model(renamed_from = "...")]`), a rename hint for the differ.
    const RENAMED_FROM: Option<&'static str> = None;

    /// The value stored for `self`.
    fn as_db_str(&self) -> &'static str;

    /// The variant stored as `value`, if any.
    fn from_db_str(value: &str) -> Option<Self>;

    /// The enum type as the schema model describes it.
    fn db_enum_type() -> EnumType {
        EnumType { name: Self::NAME.to_owned(), values: Self::VALUES.iter().map(|v| (*v).to_owned()).collect() }
    }
}

macro_rules! sql_column {
    ($($t:ty => $ct:expr),* $(,)?) => {
        $(impl SqlColumn for $t {
            fn column_type() -> ColumnType {
                $ct
            }
        })*
    };
}

sql_column! {
    i16 => ColumnType::SmallInt,
    i32 => ColumnType::Integer,
    i64 => ColumnType::BigInt,
    f32 => ColumnType::Real,
    f64 => ColumnType::Double,
    bool => ColumnType::Boolean,
    String => ColumnType::Text,
    Vec<u8> => ColumnType::Bytes,
}

impl TextColumn for String {}
impl IntegerColumn for i16 {}
impl IntegerColumn for i32 {}
impl IntegerColumn for i64 {}

impl<T: SqlColumn> SqlColumn for Option<T> {
    const NULLABLE: bool = true;

    fn column_type() -> ColumnType {
        T::column_type()
    }

    fn enum_type() -> Option<EnumType> {
        T::enum_type()
    }

    fn enum_renamed_from() -> Option<&'static str> {
        T::enum_renamed_from()
    }
}

impl<T: TextColumn> TextColumn for Option<T> {}
impl<T: DecimalColumn> DecimalColumn for Option<T> {}

#[cfg(feature = "chrono")]
sql_column! {
    chrono::NaiveDate => ColumnType::Date,
    chrono::NaiveTime => ColumnType::Time,
    chrono::NaiveDateTime => ColumnType::DateTime,
    chrono::DateTime<chrono::Utc> => ColumnType::TimestampTz,
}

#[cfg(feature = "time")]
sql_column! {
    time::Date => ColumnType::Date,
    time::Time => ColumnType::Time,
    time::PrimitiveDateTime => ColumnType::DateTime,
    time::OffsetDateTime => ColumnType::TimestampTz,
}

#[cfg(feature = "uuid")]
sql_column! { uuid::Uuid => ColumnType::Uuid }

#[cfg(feature = "json")]
sql_column! { serde_json::Value => ColumnType::Json }

/// The column type of `rust_decimal::Decimal` without `precision`/`scale`: `decimal(19,4)`.
pub const DEFAULT_DECIMAL: ColumnType = ColumnType::Decimal { precision: 19, scale: 4 };

#[cfg(feature = "decimal")]
sql_column! { rust_decimal::Decimal => DEFAULT_DECIMAL }

#[cfg(feature = "decimal")]
impl DecimalColumn for rust_decimal::Decimal {}

/// Support for the code `#[derive(Model)]` generates. Not a public API: it changes whenever the derive does.
#[doc(hidden)]
pub mod __private {
    use super::*;

    pub use super::derived::{ColumnAttr, ColumnDef, ColumnSource, ModelTable, TableItem, model_def, quoted_iden};

    /// The registration `#[derive(Model)]` submits for a struct (see [`Registered`]).
    pub const fn registration(path: &'static str, table: &'static str) -> Registered {
        Registered { path, table }
    }

    pub use inventory;

    /// Requires `T: TextColumn` (emitted at the `max_length` attribute's span).
    pub const fn assert_text_column<T: TextColumn + ?Sized>() {}

    /// Requires `T: IntegerColumn` (emitted at the `auto_increment` attribute's span).
    pub const fn assert_integer_column<T: IntegerColumn + ?Sized>() {}

    /// Requires `T: DecimalColumn` (emitted at the `precision`/`scale` attribute's span).
    pub const fn assert_decimal_column<T: DecimalColumn + ?Sized>() {}

    /// One column as the derive describes it, before table-level names are generated.
    #[derive(Debug, Clone)]
    pub struct ColumnSpec {
        column: Column,
        enum_type: Option<EnumType>,
        enum_renamed_from: Option<&'static str>,
        primary_key: bool,
        unique: bool,
        index: bool,
        references: Option<(String, String, ReferentialAction, ReferentialAction)>,
        renamed_from: Option<String>,
        backfill: Option<String>,
    }

    impl ColumnSpec {
        /// A column whose type comes from the field's Rust type.
        pub fn of<T: SqlColumn + ?Sized>(name: &str) -> Self {
            let mut column = Column::new(name, T::column_type());
            column.nullable = T::NULLABLE;
            let mut spec = Self::new(column, T::enum_type());
            spec.enum_renamed_from = T::enum_renamed_from();
            spec
        }

        /// A column with an explicit SQL type (`sql_type = "..."`); nullability is read from the field's syntax.
        pub fn custom(name: &str, sql_type: &str, nullable: bool) -> Self {
            let ty = ColumnType::Custom(CustomType {
                default: sql_type.to_owned(),
                sqlite: None,
                postgres: None,
                mysql: None,
            });
            let mut column = Column::new(name, ty);
            column.nullable = nullable;
            Self::new(column, None)
        }

        fn new(column: Column, enum_type: Option<EnumType>) -> Self {
            ColumnSpec {
                column,
                enum_type,
                enum_renamed_from: None,
                primary_key: false,
                unique: false,
                index: false,
                references: None,
                renamed_from: None,
                backfill: None,
            }
        }

        /// Overrides the type (`max_length`, `precision`/`scale`).
        pub fn ty(mut self, ty: ColumnType) -> Self {
            self.column.ty = ty;
            self
        }

        /// `varchar(n)` (`max_length = n`).
        pub fn varchar(self, n: u32) -> Self {
            self.ty(ColumnType::Varchar(n))
        }

        /// `decimal(p,s)` (`precision = p, scale = s`).
        pub fn decimal(self, precision: u32, scale: u32) -> Self {
            self.ty(ColumnType::Decimal { precision, scale })
        }

        /// Marks the column as (part of) the primary key.
        pub fn primary_key(mut self) -> Self {
            self.primary_key = true;
            self
        }

        /// Marks the column as generated by the database.
        pub fn auto_increment(mut self) -> Self {
            self.column.auto_increment = true;
            self
        }

        /// Adds a single-column unique constraint.
        pub fn unique(mut self) -> Self {
            self.unique = true;
            self
        }

        /// Adds a single-column index.
        pub fn index(mut self) -> Self {
            self.index = true;
            self
        }

        /// Sets a default.
        pub fn default(mut self, value: DefaultValue) -> Self {
            self.column.default = Some(value);
            self
        }

        /// `default = true`.
        pub fn default_bool(self, v: bool) -> Self {
            self.default(DefaultValue::Value(Literal::Bool(v)))
        }

        /// `default = 3`.
        pub fn default_int(self, v: i64) -> Self {
            self.default(DefaultValue::Value(Literal::Int(v)))
        }

        /// `default = 1.5`.
        pub fn default_float(self, v: f64) -> Self {
            self.default(DefaultValue::Value(Literal::Float(v)))
        }

        /// `default = "text"`.
        pub fn default_str(self, v: &str) -> Self {
            self.default(DefaultValue::Value(Literal::String(v.to_owned())))
        }

        /// `default_sql = "..."`.
        pub fn default_sql(self, sql: &str) -> Self {
            self.default(DefaultValue::Sql(sql.to_owned()))
        }

        /// `default_expr = "..."`.
        pub fn default_expr(self, expr: DefaultExpr) -> Self {
            self.default(DefaultValue::Expr(expr))
        }

        /// `references = "table.column"` with its actions.
        pub fn references(
            mut self,
            table: &str,
            column: &str,
            on_delete: ReferentialAction,
            on_update: ReferentialAction,
        ) -> Self {
            self.references = Some((table.to_owned(), column.to_owned(), on_delete, on_update));
            self
        }

        /// `renamed_from = "..."`.
        pub fn renamed_from(mut self, old: &str) -> Self {
            self.renamed_from = Some(old.to_owned());
            self
        }

        /// `backfill = "..."`: the value existing rows get when the column becomes NOT NULL.
        pub fn backfill(mut self, sql: &str) -> Self {
            self.backfill = Some(sql.to_owned());
            self
        }

        /// `comment = "..."`.
        pub fn comment(mut self, comment: &str) -> Self {
            self.column.comment = Some(comment.to_owned());
            self
        }
    }

    /// Collects a model's columns and table-level constraints, then generates the deterministic names.
    #[derive(Debug, Clone)]
    pub struct ModelBuilder {
        rust_name: &'static str,
        table: Table,
        enums: Vec<EnumType>,
        enum_renames: Vec<(String, String)>,
        renamed_from: Option<String>,
        column_renames: Vec<(String, String)>,
        column_backfills: Vec<(String, String)>,
        primary_key: Vec<String>,
    }

    impl ModelBuilder {
        /// Starts the model of Rust type `rust_name` stored in `table`.
        pub fn new(rust_name: &'static str, table: &str) -> Self {
            ModelBuilder {
                rust_name,
                table: Table::new(table),
                enums: Vec::new(),
                enum_renames: Vec::new(),
                renamed_from: None,
                column_renames: Vec::new(),
                column_backfills: Vec::new(),
                primary_key: Vec::new(),
            }
        }

        /// The table's previous name.
        pub fn renamed_from(&mut self, old: &str) -> &mut Self {
            self.renamed_from = Some(old.to_owned());
            self
        }

        /// The table's comment.
        pub fn comment(&mut self, comment: &str) -> &mut Self {
            self.table.comment = Some(comment.to_owned());
            self
        }

        /// Adds a column in declaration order.
        pub fn column(&mut self, spec: ColumnSpec) -> &mut Self {
            let name = spec.column.name.clone();
            let table = self.table.name.clone();
            if let Some(e) = spec.enum_type
                && !self.enums.iter().any(|x| x.name == e.name)
            {
                if let Some(from) = spec.enum_renamed_from {
                    self.enum_renames.push((from.to_owned(), e.name.clone()));
                }
                self.enums.push(e);
            }
            if spec.primary_key {
                self.primary_key.push(name.clone());
            }
            if spec.unique {
                self.table.uniques.push(UniqueConstraint {
                    name: constraint_name(&table, &[&name], "key"),
                    columns: vec![name.clone()],
                });
            }
            if spec.index {
                self.table.indexes.push(Index {
                    name: constraint_name(&table, &[&name], "idx"),
                    columns: vec![name.clone()],
                    unique: false,
                    predicate: None,
                    ..Default::default()
                });
            }
            if let Some((ref_table, ref_column, on_delete, on_update)) = spec.references {
                self.table.foreign_keys.push(ForeignKey {
                    name: constraint_name(&table, &[&name], "fkey"),
                    columns: vec![name.clone()],
                    ref_table,
                    ref_columns: vec![ref_column],
                    on_delete,
                    on_update,
                });
            }
            if let Some(old) = spec.renamed_from {
                self.column_renames.push((old, name.clone()));
            }
            if let Some(value) = spec.backfill {
                self.column_backfills.push((name, value));
            }
            self.table.columns.push(spec.column);
            self
        }

        /// A container-level `index(...)`; the name defaults to `<table>_<columns>_idx`.
        pub fn index(
            &mut self,
            columns: &[&str],
            unique: bool,
            name: Option<&str>,
            predicate: Option<&str>,
        ) -> &mut Self {
            let name = name.map_or_else(|| constraint_name(&self.table.name, columns, "idx"), str::to_owned);
            self.table.indexes.push(Index {
                name,
                columns: columns.iter().map(|c| (*c).to_owned()).collect(),
                unique,
                predicate: predicate.map(str::to_owned),
                ..Default::default()
            });
            self
        }

        /// A container-level `index(expression = "...", name = "...")`: an index over one SQL expression.
        pub fn index_on_expression(
            &mut self,
            name: &str,
            expression: &str,
            unique: bool,
            predicate: Option<&str>,
        ) -> &mut Self {
            self.table.indexes.push(Index {
                name: name.to_owned(),
                unique,
                predicate: predicate.map(str::to_owned),
                expression: Some(expression.to_owned()),
                ..Default::default()
            });
            self
        }

        /// `prefix(column = length)` inside the container-level `index(...)` just added.
        pub fn index_prefix(&mut self, column: &str, length: u32) -> &mut Self {
            if let Some(index) = self.table.indexes.last_mut() {
                index.prefixes.insert(column.to_owned(), length);
            }
            self
        }

        /// A container-level `unique(...)`; the name defaults to `<table>_<columns>_key`.
        pub fn unique(&mut self, columns: &[&str], name: Option<&str>) -> &mut Self {
            let name = name.map_or_else(|| constraint_name(&self.table.name, columns, "key"), str::to_owned);
            self.table
                .uniques
                .push(UniqueConstraint { name, columns: columns.iter().map(|c| (*c).to_owned()).collect() });
            self
        }

        /// A container-level `check(...)`; the name defaults to `<table>_check`.
        pub fn check(&mut self, name: Option<&str>, expr: &str) -> &mut Self {
            let name = name.map_or_else(|| constraint_name(&self.table.name, &[], "check"), str::to_owned);
            self.table.checks.push(Check { name, expr: expr.to_owned() });
            self
        }

        /// The finished definition, with the primary key named `<table>_pkey` (PostgreSQL's own convention, so an
        /// introspected database matches) and the table normalised.
        pub fn build(&mut self) -> ModelDef {
            let mut table = self.table.clone();
            if !self.primary_key.is_empty() {
                table.primary_key = Some(PrimaryKey {
                    name: constraint_name(&table.name, &[], "pkey"),
                    columns: self.primary_key.clone(),
                });
            }
            table.normalize();
            ModelDef {
                rust_name: self.rust_name,
                table,
                enums: self.enums.clone(),
                enum_renames: self.enum_renames.clone(),
                renamed_from: self.renamed_from.clone(),
                column_renames: self.column_renames.clone(),
                column_backfills: self.column_backfills.clone(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::__private::*;
    use super::*;

    #[test]
    fn option_is_nullable_and_keeps_the_inner_type() {
        assert_eq!(<Option<i64> as SqlColumn>::column_type(), ColumnType::BigInt);
        // `black_box` keeps the associated constants from being asserted at compile time (clippy's
        // `assertions_on_constants`): the test is about what the impls say.
        assert!(std::hint::black_box(<Option<i64> as SqlColumn>::NULLABLE));
        assert!(!std::hint::black_box(<i64 as SqlColumn>::NULLABLE));
        assert_eq!(<Vec<u8> as SqlColumn>::column_type(), ColumnType::Bytes);
    }

    #[test]
    fn builder_names_keys_and_collects_renames() {
        let def = ModelBuilder::new("PostTag", "post_tags")
            .column(ColumnSpec::of::<i64>("post_id").primary_key().references(
                "posts",
                "id",
                ReferentialAction::Cascade,
                ReferentialAction::NoAction,
            ))
            .column(ColumnSpec::of::<i64>("tag_id").primary_key().renamed_from("label_id").index())
            .check(None, "post_id <> tag_id")
            .build();
        let pk = def.table.primary_key.as_ref().unwrap();
        assert_eq!(pk.name, "post_tags_pkey");
        assert_eq!(pk.columns, ["post_id", "tag_id"]);
        assert_eq!(def.table.foreign_keys[0].name, "post_tags_post_id_fkey");
        assert_eq!(def.table.foreign_keys[0].on_delete, ReferentialAction::Cascade);
        assert_eq!(def.table.indexes[0].name, "post_tags_tag_id_idx");
        assert_eq!(def.table.checks[0].name, "post_tags_check");
        assert_eq!(def.column_renames, [("label_id".to_owned(), "tag_id".to_owned())]);
    }
}
