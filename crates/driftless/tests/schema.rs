//! `driftless::schema![...]`: an explicit, ordered list of models becomes a validated `Schema`, and problems that
//! only show up across models are reported naming their table and column.

use driftless::prelude::*;
use driftless::schema::{ColumnRename, EnumType, RenameHints, SchemaError, TableRename};

#[derive(DbEnum)]
#[allow(dead_code)] // Variants are only read through the derived impls.
enum Plan {
    Free,
    Pro,
}

#[derive(Model)]
#[model(table = "roles")]
#[allow(dead_code)] // Fields describe columns; no test reads them.
struct Role {
    #[model(primary_key, auto_increment)]
    id: i32,
    #[model(unique)]
    name: String,
}

#[derive(Model)]
#[model(table = "users", renamed_from = "members")]
#[allow(dead_code)] // Fields describe columns; no test reads them.
struct User {
    #[model(primary_key, auto_increment)]
    id: i64,
    #[model(references = "roles.id", on_delete = "cascade")]
    role_id: i32,
    #[model(default = "free")]
    plan: Plan,
    #[model(renamed_from = "mail")]
    email: Option<String>,
}

#[test]
fn listed_models_build_a_validated_schema() {
    let builder = driftless::schema![User, Role];
    let names: Vec<&str> = builder.models().iter().map(|m| m.rust_name).collect();
    assert_eq!(names, ["User", "Role"], "the list keeps the order it was written in");

    let schema = builder.build().expect("the schema is valid");
    let tables: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tables, ["roles", "users"], "the schema itself is normalised by name");
    assert_eq!(schema.enums, vec![EnumType { name: "plan".into(), values: vec!["free".into(), "pro".into()] }]);
    let fk = &schema.table("users").unwrap().foreign_keys[0];
    assert_eq!((fk.ref_table.as_str(), fk.ref_columns.as_slice()), ("roles", ["id".to_owned()].as_slice()));

    assert_eq!(
        builder.rename_hints(),
        RenameHints {
            tables: vec![TableRename { from: "members".into(), to: "users".into() }],
            columns: vec![ColumnRename { table: "users".into(), from: "mail".into(), to: "email".into() }],
            ..RenameHints::default()
        }
    );
}

#[test]
fn an_empty_list_is_an_empty_schema() {
    let schema = driftless::schema![].build().unwrap();
    assert!(schema.tables.is_empty());
    assert!(schema.enums.is_empty());
}

#[derive(Model)]
#[model(table = "audit")]
#[allow(dead_code)] // Fields describe columns; no test reads them.
struct Audit {
    #[model(primary_key)]
    id: i64,
    #[model(references = "users.id")]
    actor_id: i32,
    #[model(default = "many")]
    count: i32,
    #[model(references = "tenants.id", on_delete = "set_null")]
    tenant_id: i64,
}

#[test]
fn errors_name_the_table_and_column() {
    let errors = driftless::schema![User, Role, Audit].build().unwrap_err();
    let found: Vec<(Option<&str>, Option<&str>, &str)> =
        errors.0.iter().map(|e| (e.table.as_deref(), e.column.as_deref(), e.message.as_str())).collect();
    assert!(
        found.contains(&(Some("audit"), Some("count"), "the default \"many\" does not fit the column type `i32`")),
        "{errors}"
    );
    assert!(
        errors
            .0
            .iter()
            .any(|e| e.table.as_deref() == Some("audit") && e.message.contains("references unknown table `tenants`")),
        "{errors}"
    );
    assert!(
        errors.0.iter().any(|e| e.table.as_deref() == Some("audit")
            && e.column.as_deref() == Some("actor_id")
            && e.message.contains("i32")
            && e.message.contains("i64")),
        "the FK type mismatch names both types: {errors}"
    );
    assert!(errors.to_string().starts_with(&format!("the schema has {} problems:", errors.0.len())));
}

#[derive(Model)]
#[model(table = "users")]
#[allow(dead_code)] // Fields describe columns; no test reads them.
struct OtherUser {
    #[model(primary_key)]
    id: i64,
}

#[test]
fn two_models_for_one_table_are_refused() {
    let errors = driftless::schema![User, Role, OtherUser].build().unwrap_err();
    assert_eq!(
        errors.0,
        vec![SchemaError {
            table: Some("users".into()),
            column: None,
            message: "two models map to table `users` (`OtherUser` and another listed earlier); give one of them \
                      #[model(table = \"...\")]"
                .into(),
        }]
    );
}

#[derive(DbEnum)]
#[model(name = "account_plan", renamed_from = "plan")]
#[allow(dead_code)] // Variants are only read through the derived impls.
enum AccountPlan {
    Free,
    Pro,
}

#[derive(Model)]
#[model(table = "accounts")]
#[allow(dead_code)] // Fields describe columns; no test reads them.
struct Account {
    #[model(primary_key)]
    id: i64,
    plan: AccountPlan,
    previous_plan: Option<AccountPlan>,
}

#[derive(Model)]
#[model(table = "invoices")]
#[allow(dead_code)] // Fields describe columns; no test reads them.
struct Invoice {
    #[model(primary_key)]
    id: i64,
    plan: AccountPlan,
}

/// `renamed_from` on a `DbEnum` becomes one enum rename hint, however many models and columns use the enum.
#[test]
fn an_enum_renamed_from_is_one_rename_hint() {
    use driftless::schema::EnumRename;
    let builder = driftless::schema![Account, Invoice];
    assert_eq!(<AccountPlan as driftless::DbEnum>::RENAMED_FROM, Some("plan"));
    assert_eq!(<Plan as driftless::DbEnum>::RENAMED_FROM, None);
    assert_eq!(
        builder.rename_hints(),
        RenameHints {
            enums: vec![EnumRename { from: "plan".into(), to: "account_plan".into() }],
            ..RenameHints::default()
        }
    );
    let accounts = builder.models().iter().find(|m| m.table.name == "accounts").unwrap();
    assert_eq!(accounts.enum_renames, [("plan".to_owned(), "account_plan".to_owned())]);
}

#[derive(Model)]
#[model(table = "settings")]
#[allow(dead_code)] // Fields describe columns; no test reads them.
struct Setting {
    #[model(primary_key)]
    id: i64,
    #[model(backfill = "'UTC'", column = "time_zone")]
    tz: String,
}

/// `#[model(backfill = "...")]` is a hint for the differ, like `renamed_from`: it travels in the hints under the
/// column's name, and the schema (so `schema.json`) does not hold it.
#[test]
fn a_backfill_is_a_hint_not_part_of_the_schema() {
    use driftless::schema::ColumnBackfill;
    let builder = driftless::schema![Setting];
    assert_eq!(
        builder.rename_hints(),
        RenameHints {
            backfills: vec![ColumnBackfill {
                table: "settings".into(),
                column: "time_zone".into(),
                value: "'UTC'".into()
            }],
            ..RenameHints::default()
        }
    );
    let text = driftless::snapshot::to_string(&builder.build().unwrap());
    assert!(text.contains("\"time_zone\"") && !text.contains("UTC"), "schema.json holds no backfill:\n{text}");
}
