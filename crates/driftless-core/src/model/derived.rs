//! A derived model as plain data: `#[derive(Model)]` writes one [`ModelTable`] per struct, the constant
//! `Model::DEFINITION` (string slices, small enums and integers, and one function pointer per column for the type),
//! and [`model_def`], called by `Model`'s provided `model_def`, turns it into a [`ModelDef`] at run time.
//!
//! Why data and not code: a project has hundreds of models, and rustc pays for every token the derive emits on each
//! rebuild of the models crate (expansion, name resolution, type checking, MIR and code generation of a function per
//! model). A constant of literals costs little to check and nothing to generate code for; the one function that reads
//! it is compiled once, here (a measured 5–7% of a 1,000-model crate's rebuild against a function per model that held
//! the same data in a `static`: `docs/benchmarks.md`, "Edit loop, lean derive"). It goes through the same
//! [`ModelBuilder`] and [`ColumnSpec`] as any hand-built model, in the order the derive lists things, so the definition
//! is the one the builder calls would have made.

use std::borrow::Cow;

use super::__private::{ColumnSpec, ModelBuilder};
use crate::schema::{DefaultExpr, ModelDef, ReferentialAction};

/// One derived model: what `#[model(...)]` on the struct and its fields says.
#[derive(Debug)]
pub struct ModelTable {
    /// The struct's name.
    pub rust_name: &'static str,
    /// The table's name.
    pub table: &'static str,
    /// `renamed_from = "..."` on the struct.
    pub renamed_from: Option<&'static str>,
    /// `comment = "..."` on the struct.
    pub comment: Option<&'static str>,
    /// The columns, in field order.
    pub columns: &'static [ColumnDef],
    /// The container-level indexes, unique constraints and checks, in that order.
    pub constraints: &'static [TableItem],
}

/// One column: its name, where its type comes from, and its attributes in the order they apply.
#[derive(Debug)]
pub struct ColumnDef(pub &'static str, pub ColumnSource, pub &'static [ColumnAttr]);

/// Where a column's type comes from.
#[derive(Debug)]
pub enum ColumnSource {
    /// The field's Rust type: `ColumnSpec::of::<T>` (its `SqlColumn` impl).
    Rust(fn(&str) -> ColumnSpec),
    /// `sql_type = "..."`, and whether the field is written `Option<...>`.
    Sql(&'static str, bool),
}

/// One field attribute that changes the column (see the `Model` derive's documentation).
#[derive(Debug)]
pub enum ColumnAttr {
    /// `max_length = N`.
    Varchar(u32),
    /// `precision = P, scale = S`.
    Decimal(u32, u32),
    /// `primary_key`.
    PrimaryKey,
    /// `auto_increment`.
    AutoIncrement,
    /// `unique`.
    Unique,
    /// `index`.
    Index,
    /// `default = true`.
    DefaultBool(bool),
    /// `default = 3`.
    DefaultInt(i64),
    /// `default = 1.5`.
    DefaultFloat(f64),
    /// `default = "text"`.
    DefaultStr(&'static str),
    /// `default_sql = "..."`.
    DefaultSql(&'static str),
    /// `default_expr = "..."`.
    DefaultExpr(DefaultExpr),
    /// `references = "table.column"`, `on_delete`, `on_update`.
    References(&'static str, &'static str, ReferentialAction, ReferentialAction),
    /// `renamed_from = "..."`.
    RenamedFrom(&'static str),
    /// `backfill = "..."`.
    Backfill(&'static str),
    /// `comment = "..."`.
    Comment(&'static str),
}

/// One container-level `index(...)`, `unique(...)` or `check(...)`.
#[derive(Debug)]
pub enum TableItem {
    /// `index(columns = [...], unique, name, predicate, prefix(...))`.
    Index {
        /// The indexed columns.
        columns: &'static [&'static str],
        /// `unique`.
        unique: bool,
        /// `name = "..."`.
        name: Option<&'static str>,
        /// `predicate = "..."`.
        predicate: Option<&'static str>,
        /// `prefix(column = length)`.
        prefixes: &'static [(&'static str, u32)],
    },
    /// `index(expression = "...", name = "...", unique, predicate)`: name, expression, unique, predicate.
    Expression(&'static str, &'static str, bool, Option<&'static str>),
    /// `unique(columns = [...], name = "...")`.
    Unique(&'static [&'static str], Option<&'static str>),
    /// `check(name = "...", expr = "...")`.
    Check(Option<&'static str>, &'static str),
}

/// The definition of the derived model `table` describes.
pub fn model_def(table: &ModelTable) -> ModelDef {
    let mut model = ModelBuilder::new(table.rust_name, table.table);
    if let Some(old) = table.renamed_from {
        model.renamed_from(old);
    }
    if let Some(comment) = table.comment {
        model.comment(comment);
    }
    for ColumnDef(name, source, attrs) in table.columns {
        let spec = match source {
            ColumnSource::Rust(of) => of(name),
            ColumnSource::Sql(sql, nullable) => ColumnSpec::custom(name, sql, *nullable),
        };
        model.column(attrs.iter().fold(spec, apply));
    }
    for item in table.constraints {
        match item {
            TableItem::Index { columns, unique, name, predicate, prefixes } => {
                model.index(columns, *unique, *name, *predicate);
                for (column, length) in *prefixes {
                    model.index_prefix(column, *length);
                }
            }
            TableItem::Expression(name, expression, unique, predicate) => {
                model.index_on_expression(name, expression, *unique, *predicate);
            }
            TableItem::Unique(columns, name) => {
                model.unique(columns, *name);
            }
            TableItem::Check(name, expr) => {
                model.check(*name, expr);
            }
        }
    }
    model.build()
}

fn apply(spec: ColumnSpec, attr: &ColumnAttr) -> ColumnSpec {
    match *attr {
        ColumnAttr::Varchar(n) => spec.varchar(n),
        ColumnAttr::Decimal(precision, scale) => spec.decimal(precision, scale),
        ColumnAttr::PrimaryKey => spec.primary_key(),
        ColumnAttr::AutoIncrement => spec.auto_increment(),
        ColumnAttr::Unique => spec.unique(),
        ColumnAttr::Index => spec.index(),
        ColumnAttr::DefaultBool(v) => spec.default_bool(v),
        ColumnAttr::DefaultInt(v) => spec.default_int(v),
        ColumnAttr::DefaultFloat(v) => spec.default_float(v),
        ColumnAttr::DefaultStr(v) => spec.default_str(v),
        ColumnAttr::DefaultSql(sql) => spec.default_sql(sql),
        ColumnAttr::DefaultExpr(expr) => spec.default_expr(expr),
        ColumnAttr::References(table, column, on_delete, on_update) => {
            spec.references(table, column, on_delete, on_update)
        }
        ColumnAttr::RenamedFrom(old) => spec.renamed_from(old),
        ColumnAttr::Backfill(sql) => spec.backfill(sql),
        ColumnAttr::Comment(comment) => spec.comment(comment),
    }
}

/// The `Iden::quoted` of a `<Struct>Iden` variant named `name`: borrowed when sea-query may write it unescaped,
/// owned (always escaped) otherwise, as sea-query's own `Iden` derive does.
pub fn quoted_iden(name: &'static str) -> Cow<'static, str> {
    if sea_query::is_static_iden(name) { Cow::Borrowed(name) } else { Cow::Owned(name.to_owned()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{ColumnType, DefaultValue, Literal};

    static POST_TAG: ModelTable = ModelTable {
        rust_name: "PostTag",
        table: "post_tags",
        renamed_from: Some("tagged"),
        comment: None,
        columns: &[
            ColumnDef(
                "post_id",
                ColumnSource::Rust(ColumnSpec::of::<i64>),
                &[
                    ColumnAttr::PrimaryKey,
                    ColumnAttr::References("posts", "id", ReferentialAction::Cascade, ReferentialAction::NoAction),
                ],
            ),
            ColumnDef(
                "tag_id",
                ColumnSource::Rust(ColumnSpec::of::<i64>),
                &[ColumnAttr::PrimaryKey, ColumnAttr::Index, ColumnAttr::RenamedFrom("label_id")],
            ),
            ColumnDef("note", ColumnSource::Sql("CITEXT", true), &[ColumnAttr::DefaultStr("x")]),
        ],
        constraints: &[TableItem::Check(None, "post_id <> tag_id")],
    };

    #[test]
    fn names_that_need_quoting_are_owned() {
        assert!(matches!(quoted_iden("user_id"), Cow::Borrowed("user_id")));
        assert!(matches!(quoted_iden("_x9"), Cow::Borrowed("_x9")));
        assert!(matches!(quoted_iden("order items"), Cow::Owned(s) if s == "order items"));
        assert!(matches!(quoted_iden("9lives"), Cow::Owned(_)));
    }

    #[test]
    fn the_table_makes_the_definition_the_builder_calls_make() {
        let by_hand = ModelBuilder::new("PostTag", "post_tags")
            .renamed_from("tagged")
            .column(ColumnSpec::of::<i64>("post_id").primary_key().references(
                "posts",
                "id",
                ReferentialAction::Cascade,
                ReferentialAction::NoAction,
            ))
            .column(ColumnSpec::of::<i64>("tag_id").primary_key().index().renamed_from("label_id"))
            .column(ColumnSpec::custom("note", "CITEXT", true).default_str("x"))
            .check(None, "post_id <> tag_id")
            .build();
        let def = model_def(&POST_TAG);
        assert_eq!(def, by_hand);
        assert_eq!(def.table.primary_key.as_ref().unwrap().columns, ["post_id", "tag_id"]);
        assert_eq!(def.table.foreign_keys[0].name, "post_tags_post_id_fkey");
        assert_eq!(def.table.indexes[0].name, "post_tags_tag_id_idx");
        let note = def.table.column("note").unwrap();
        assert!(note.nullable);
        assert!(matches!(&note.ty, ColumnType::Custom(c) if c.default == "CITEXT"));
        assert_eq!(note.default, Some(DefaultValue::Value(Literal::String("x".to_owned()))));
        assert_eq!(def.renamed_from.as_deref(), Some("tagged"));
    }
}
