//! From an explicit, ordered list of model definitions to a validated [`Schema`] plus the rename hints the models
//! carry. The list the user writes is the whole schema (the derive's registrations, `model::registered`, only serve to
//! name a model missing from it).

use serde::{Deserialize, Serialize};

use super::{EnumType, Schema, SchemaError, SchemaErrors, Table};

/// What `#[derive(Model)]` produces for one struct: the frozen table definition plus what the differ needs to know
/// about renames.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelDef {
    /// The Rust type the definition came from (for error messages), e.g. `"User"`.
    pub rust_name: &'static str,
    /// The table.
    pub table: Table,
    /// Enum types that the table's columns use.
    pub enums: Vec<EnumType>,
    /// `#[model(renamed_from = "...")]` on those enum types: `(previous name, current name)`.
    pub enum_renames: Vec<(String, String)>,
    /// `#[model(renamed_from = "...")]` on the struct: the table's previous name.
    pub renamed_from: Option<String>,
    /// `#[model(renamed_from = "...")]` on fields: `(previous column name, current column name)`.
    pub column_renames: Vec<(String, String)>,
    /// `#[model(backfill = "...")]` on fields: `(column name, SQL expression)`, the value existing rows get when the
    /// column is added NOT NULL or made NOT NULL. A hint for the differ, like `renamed_from`: not part of the schema.
    pub column_backfills: Vec<(String, String)>,
}

impl ModelDef {
    /// The definition of `table` from the Rust type `rust_name`, without enums, rename hints or backfills (as
    /// tests, benchmarks and hand-built projects write it; the derive fills in the rest).
    pub fn new(rust_name: &'static str, table: Table) -> ModelDef {
        ModelDef {
            rust_name,
            table,
            enums: vec![],
            enum_renames: vec![],
            renamed_from: None,
            column_renames: vec![],
            column_backfills: vec![],
        }
    }
}

/// An explicit, ordered list of models: the project's schema. Built by `driftless::schema![A, B, ...]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SchemaBuilder {
    models: Vec<ModelDef>,
}

impl SchemaBuilder {
    /// An empty list.
    pub fn new() -> Self {
        SchemaBuilder::default()
    }

    /// Appends a model.
    pub fn model(&mut self, def: ModelDef) -> &mut Self {
        self.models.push(def);
        self
    }

    /// The models in the order they were listed.
    pub fn models(&self) -> &[ModelDef] {
        &self.models
    }

    /// Builds and validates the schema. Every problem is reported at once, each naming the model it came from.
    pub fn build(&self) -> Result<Schema, SchemaErrors> {
        let (keep, enums, errors) = self.assemble();
        let tables = self.models.iter().zip(&keep).filter(|(_, k)| **k).map(|(def, _)| def.table.clone()).collect();
        finish(Schema { tables, enums }, errors)
    }

    /// [`SchemaBuilder::build`], moving the models' tables into the schema instead of copying them (for a program
    /// that builds the schema once, such as the xtask's `migrate-generate`).
    pub fn into_schema(self) -> Result<Schema, SchemaErrors> {
        let (keep, enums, errors) = self.assemble();
        let tables = self.models.into_iter().zip(keep).filter(|(_, k)| *k).map(|(def, _)| def.table).collect();
        finish(Schema { tables, enums }, errors)
    }

    /// Which models' tables go into the schema (not a second model of one table), the enums, and the problems so
    /// far, in the models' order.
    fn assemble(&self) -> (Vec<bool>, Vec<EnumType>, Vec<SchemaError>) {
        let mut errors = Vec::new();
        let mut enums: Vec<EnumType> = Vec::new();
        let mut keep = Vec::with_capacity(self.models.len());
        let mut seen = crate::hash::FastSet::default();
        seen.reserve(self.models.len());
        for def in &self.models {
            if !seen.insert(def.table.name.as_str()) {
                errors.push(SchemaError::table(
                    &def.table.name,
                    format!(
                        "two models map to table `{}` (`{}` and another listed earlier); give one of them \
                         #[model(table = \"...\")]",
                        def.table.name, def.rust_name
                    ),
                ));
                keep.push(false);
                continue;
            }
            keep.push(true);
            for e in &def.enums {
                match enums.iter().find(|x| x.name == e.name) {
                    None => enums.push(e.clone()),
                    Some(x) if x.values == e.values => {}
                    Some(x) => errors.push(SchemaError::schema(format!(
                        "enum `{}` is defined twice with different values ({:?} and {:?}, used by `{}`)",
                        e.name, x.values, e.values, def.rust_name
                    ))),
                }
            }
        }
        (keep, enums, errors)
    }

    /// The rename hints the models carry (`renamed_from` on structs and fields).
    pub fn rename_hints(&self) -> RenameHints {
        let mut hints = RenameHints::default();
        for def in &self.models {
            if let Some(from) = &def.renamed_from {
                hints.tables.push(TableRename { from: from.clone(), to: def.table.name.clone() });
            }
            for (from, to) in &def.column_renames {
                hints.columns.push(ColumnRename { table: def.table.name.clone(), from: from.clone(), to: to.clone() });
            }
            for (column, value) in &def.column_backfills {
                hints.backfills.push(ColumnBackfill {
                    table: def.table.name.clone(),
                    column: column.clone(),
                    value: value.clone(),
                });
            }
            for (from, to) in &def.enum_renames {
                let hint = EnumRename { from: from.clone(), to: to.clone() };
                // Every model using the enum carries its rename; one hint is enough.
                if !hints.enums.contains(&hint) {
                    hints.enums.push(hint);
                }
            }
        }
        hints.normalize();
        hints
    }
}

/// Normalizes and validates the assembled `schema`, adding its problems to `errors`.
fn finish(mut schema: Schema, mut errors: Vec<SchemaError>) -> Result<Schema, SchemaErrors> {
    schema.normalize();
    if let Err(e) = schema.validate() {
        errors.extend(e.0);
    }
    if errors.is_empty() { Ok(schema) } else { Err(SchemaErrors(errors)) }
}

/// Hints for the differ: from `renamed_from` (and `backfill`) attributes, or from a non-interactive answers file
/// (the same shape as JSON) for `migrate-diff` and `migrate-generate --renames FILE`. Besides renames, it carries
/// the backfill values of columns that become NOT NULL on a table with rows (`backfills`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameHints {
    /// Table renames.
    #[serde(default)]
    pub tables: Vec<TableRename>,
    /// Column renames.
    #[serde(default)]
    pub columns: Vec<ColumnRename>,
    /// Enum value renames (an `AlterEnum` that renames a value in place instead of removing one and adding another).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enum_values: Vec<EnumValueRename>,
    /// Enum type renames (`ALTER TYPE ... RENAME TO` on PostgreSQL; the columns of the type follow).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enums: Vec<EnumRename>,
    /// Values for the existing rows of columns added NOT NULL, made NOT NULL, or added with a per-row default
    /// (`#[model(backfill = "...")]`, or the answers file's `"backfills"`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backfills: Vec<ColumnBackfill>,
}

/// The value the existing rows of `table.column` get (an SQL expression, used as written on every dialect) when
/// the column is added NOT NULL or made NOT NULL: the differ fills them with a batched backfill step first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnBackfill {
    /// The table's current (new) name.
    pub table: String,
    /// The column's current (new) name.
    pub column: String,
    /// The SQL expression, for example `'UTC'` or `lower(email)`.
    pub value: String,
}

/// An enum type was called `from` and is now called `to`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumRename {
    /// The old name.
    pub from: String,
    /// The new name.
    pub to: String,
}

/// A value of enum type `enum` was called `from` and is now called `to`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumValueRename {
    /// The enum type's name.
    pub r#enum: String,
    /// The old value.
    pub from: String,
    /// The new value.
    pub to: String,
}

/// A table was called `from` and is now called `to`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableRename {
    /// The old name.
    pub from: String,
    /// The new name.
    pub to: String,
}

/// A column of `table` (its *new* name) was called `from` and is now called `to`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnRename {
    /// The table's current (new) name.
    pub table: String,
    /// The old column name.
    pub from: String,
    /// The new column name.
    pub to: String,
}

impl RenameHints {
    /// Sorts the hints so that two equal sets compare equal.
    pub fn normalize(&mut self) {
        self.tables.sort();
        self.columns.sort();
        self.enum_values.sort();
        self.enums.sort();
        self.backfills.sort();
    }

    /// Adds every hint of `other` that is not already present.
    pub fn merge(&mut self, other: &RenameHints) {
        for t in &other.tables {
            if !self.tables.contains(t) {
                self.tables.push(t.clone());
            }
        }
        for c in &other.columns {
            if !self.columns.contains(c) {
                self.columns.push(c.clone());
            }
        }
        for v in &other.enum_values {
            if !self.enum_values.contains(v) {
                self.enum_values.push(v.clone());
            }
        }
        for e in &other.enums {
            if !self.enums.contains(e) {
                self.enums.push(e.clone());
            }
        }
        for b in &other.backfills {
            if !self.backfills.contains(b) {
                self.backfills.push(b.clone());
            }
        }
        self.normalize();
    }

    /// The first two backfill values given for one column that differ (`(first, second)`), if any: a column's
    /// existing rows get one value.
    pub fn conflicting_backfill(&self) -> Option<(&ColumnBackfill, &ColumnBackfill)> {
        self.backfills.iter().enumerate().find_map(|(i, a)| {
            self.backfills[i + 1..]
                .iter()
                .find(|b| b.table == a.table && b.column == a.column && b.value != a.value)
                .map(|b| (a, b))
        })
    }

    /// The backfill value given for `table.column` (the column's new names), if any.
    pub fn backfill(&self, table: &str, column: &str) -> Option<&str> {
        self.backfills.iter().find(|b| b.table == table && b.column == column).map(|b| b.value.as_str())
    }

    /// Whether there are no hints.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
            && self.columns.is_empty()
            && self.enum_values.is_empty()
            && self.enums.is_empty()
            && self.backfills.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, ColumnType};

    fn def(rust_name: &'static str, table: &str, enum_values: &[&str]) -> ModelDef {
        let mut t = Table::new(table);
        let mut c = Column::new("mood", ColumnType::Enum("mood".into()));
        c.nullable = true;
        t.columns.push(c);
        let mood = EnumType { name: "mood".into(), values: enum_values.iter().map(|v| v.to_string()).collect() };
        ModelDef { enums: vec![mood], ..ModelDef::new(rust_name, t) }
    }

    #[test]
    fn moving_the_tables_builds_what_copying_them_builds() {
        let mut ok = SchemaBuilder::new();
        ok.model(def("B", "b", &["x"])).model(def("A", "a", &["x"]));
        let built = ok.build().unwrap();
        assert_eq!(built.tables.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(ok.clone().into_schema().unwrap(), built);
        let mut bad = ok.clone();
        // A second model of `a`, an enum redefined, and a table without a name.
        bad.model(def("A2", "a", &["y"])).model(def("C", "c", &["z"])).model(def("Empty", "", &["x"]));
        let errors = bad.build().unwrap_err();
        assert_eq!(
            errors.to_string(),
            "the schema has 3 problems:\n  - table `a`: two models map to table `a` (`A2` and another listed \
             earlier); give one of them #[model(table = \"...\")]\n  - enum `mood` is defined twice with different \
             values ([\"x\"] and [\"z\"], used by `C`)\n  - table ``: the table name must be 1 to 63 bytes long (it is \
             0)"
        );
        assert_eq!(bad.into_schema().unwrap_err(), errors);
    }

    #[test]
    fn unlisted_models_are_those_whose_table_is_not_listed() {
        use crate::model::__private::registration;
        let mut listed = SchemaBuilder::new();
        listed.model(def("A", "a", &["x"])).model(def("B", "b", &["x"]));
        let registered = [
            registration("m::Z", "z"),
            registration("m::A", "a"),
            registration("m::Y", "y"),
            registration("m::B", "b"),
        ];
        let unlisted = crate::model::unlisted(&registered, &listed);
        assert_eq!(unlisted.iter().map(|r| r.path()).collect::<Vec<_>>(), ["m::Z", "m::Y"]);
        assert!(crate::model::unlisted(&[], &listed).is_empty());
    }
}
