use super::*;
use crate::schema::{ColumnType, ForeignKey, Index, PrimaryKey, ReferentialAction};

fn users() -> Table {
    let mut t = Table::new("users");
    t.columns = vec![Column::new("id", ColumnType::BigInt), Column::new("email", ColumnType::Text)];
    t.primary_key = Some(PrimaryKey { name: "users_pkey".into(), columns: vec!["id".into()] });
    t.indexes = vec![Index {
        name: "users_email_idx".into(),
        columns: vec!["email".into()],
        unique: true,
        predicate: None,
        ..Default::default()
    }];
    t
}

fn posts() -> Table {
    let mut t = Table::new("posts");
    t.columns = vec![Column::new("id", ColumnType::BigInt), Column::new("author_id", ColumnType::BigInt)];
    t.foreign_keys = vec![ForeignKey {
        name: "posts_author_id_fkey".into(),
        columns: vec!["author_id".into()],
        ref_table: "users".into(),
        ref_columns: vec!["id".into()],
        on_delete: ReferentialAction::Cascade,
        on_update: ReferentialAction::NoAction,
    }];
    t
}

#[test]
fn renames_follow_references() {
    let s = Schema { tables: vec![users(), posts()], enums: vec![] }.normalized();
    let out = apply_steps(
        &s,
        &[
            Step::RenameTable { from: "users".into(), to: "people".into() },
            Step::RenameColumn { table: "people".into(), from: "id".into(), to: "person_id".into() },
        ],
    )
    .unwrap();
    let fk = &out.table("posts").unwrap().foreign_keys[0];
    assert_eq!((fk.ref_table.as_str(), fk.ref_columns.as_slice()), ("people", &["person_id".to_owned()][..]));
    assert_eq!(out.table("people").unwrap().primary_key.as_ref().unwrap().columns, ["person_id"]);
}

#[test]
fn frozen_definitions_must_match() {
    let s = Schema { tables: vec![users()], enums: vec![] };
    let mut wrong = Column::new("email", ColumnType::Varchar(10));
    wrong.nullable = true;
    let err = apply_steps(&s, &[Step::DropColumn { table: "users".into(), column: wrong }]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "while replaying drop_column: the step's definition of column `email` in table `users` differs from the \
         schema's; the migration was written against another schema (was an applied migration edited?)"
    );
    let err = apply_steps(&s, &[Step::CreateTable { table: users() }]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "while replaying create_table: table `users` already exists; rename or drop the existing one first"
    );
    let err =
        apply_steps(&s, &[Step::RenameIndex { table: "users".into(), from: "x".into(), to: "y".into() }]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "while replaying rename_index: index `x` does not exist in table `users`; the migration does not match \
         the schema"
    );
}

/// An enum rename carries the columns of the type in both views; the model view refuses a rename onto an
/// existing enum or of a missing one, the database view lets the step's definition win.
#[test]
fn an_enum_rename_carries_its_columns() {
    use crate::schema::EnumType;
    let e = |name: &str| EnumType { name: name.into(), values: vec!["a".into()] };
    let mut t = Table::new("posts");
    t.columns.push(Column::new("state", ColumnType::Enum("status".into())));
    t.columns.push(Column::new("other", ColumnType::Enum("kind".into())));
    let s = Schema { tables: vec![t], enums: vec![e("kind"), e("status")] };
    let rename = |to: &str| [Step::RenameEnum { from: "status".into(), to: to.into() }];
    for options in [ReplayOptions::MODEL, ReplayOptions::DATABASE] {
        let after = apply_steps_with(&s, &rename("state"), options).unwrap();
        let names: Vec<&str> = after.enums.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["kind", "state"]);
        let types: Vec<String> = after.table("posts").unwrap().columns.iter().map(|c| c.ty.to_string()).collect();
        assert_eq!(types, ["enum(state)", "enum(kind)"]);
    }
    let err = apply_steps(&s, &rename("kind")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "while replaying rename_enum: enum `kind` already exists; rename or drop the existing one first"
    );
    let after = apply_steps_with(&s, &rename("kind"), ReplayOptions::DATABASE).unwrap();
    assert_eq!(after.enums, vec![e("kind")]);
    let missing = [Step::RenameEnum { from: "nope".into(), to: "x".into() }];
    let err = apply_steps_with(&s, &missing, ReplayOptions::DATABASE).unwrap_err();
    assert_eq!(
        err.to_string(),
        "while replaying rename_enum: enum `nope` does not exist; the migration does not match the schema"
    );
}

#[test]
fn the_options_name_what_the_model_and_database_views_disagree_on() {
    use crate::schema::{DefaultValue, EnumType, Literal};
    let from = EnumType { name: "status".into(), values: vec!["draft".into(), "live".into()] };
    let to = EnumType { name: "status".into(), values: vec!["drafted".into(), "live".into()] };
    let mut t = Table::new("posts");
    let mut c = Column::new("status", ColumnType::Enum("status".into()));
    c.default = Some(DefaultValue::Value(Literal::String("draft".into())));
    t.columns.push(c);
    let s = Schema { tables: vec![t], enums: vec![from.clone()] };
    let rename = [Step::AlterEnum { from, to, renamed_values: vec![("draft".into(), "drafted".into())] }];
    let default = |s: &Schema| s.table("posts").unwrap().columns[0].default.clone();
    let model = apply_steps_with(&s, &rename, ReplayOptions::MODEL).unwrap();
    assert_eq!(default(&model), Some(DefaultValue::Value(Literal::String("draft".into()))));
    let database = apply_steps_with(&s, &rename, ReplayOptions::DATABASE).unwrap();
    assert_eq!(default(&database), Some(DefaultValue::Value(Literal::String("drafted".into()))));

    // A create over an existing object: an error for the model, the step's definition wins for the database.
    let s = Schema { tables: vec![users()], enums: vec![] };
    let mut other = users();
    other.columns.pop();
    let create = [Step::CreateTable { table: other.clone() }];
    assert!(matches!(
        apply_steps_with(&s, &create, ReplayOptions::MODEL),
        Err(ReplayError::AlreadyExists { what: "table", .. })
    ));
    let replaced = apply_steps_with(&s, &create, ReplayOptions::DATABASE).unwrap();
    assert_eq!(replaced.table("users").unwrap().columns, other.columns);
    // Both stop at undeclared hand-written SQL and at a step on a table that does not exist.
    let raw = Step::RawSql { sql: crate::define::sql("SELECT 1"), effect: None };
    for options in [ReplayOptions::MODEL, ReplayOptions::DATABASE] {
        let e = apply_steps_with(&s, &[raw.clone().changes_nothing(), raw.clone()], options).unwrap_err();
        assert_eq!(e, ReplayError::UndeclaredRawSql { index: 1 });
        let e = apply_steps_with(&s, &[Step::DropTable { table: posts() }], options);
        assert_eq!(e.is_err(), options == ReplayOptions::MODEL);
    }
}

#[test]
fn a_declared_effect_applies_all_or_nothing() {
    let s = Schema { tables: vec![users()], enums: vec![] }.normalized();
    let raw = Step::RawSql { sql: crate::define::sql("ALTER TABLE users ADD tz TEXT"), effect: None }.amounts_to([
        Step::AddColumn { table: "users".into(), column: Column::new("tz", ColumnType::Text) },
        Step::AddColumn { table: "users".into(), column: Column::new("email", ColumnType::Text) },
    ]);
    let mut state = s.clone();
    let e = apply_step(&mut state, &raw).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the effect declared for hand-written SQL does not apply: while replaying add_column: column `email` \
         already exists in table `users`; rename or drop the existing one first"
    );
    assert_eq!(state, s);
}

#[test]
fn inverse_steps_restore_the_schema() {
    let s = Schema { tables: vec![users(), posts()], enums: vec![] }.normalized();
    let steps = [
        Step::DropForeignKey { table: "posts".into(), foreign_key: posts().foreign_keys[0].clone() },
        Step::DropTable { table: users() },
        Step::AddColumn { table: "posts".into(), column: Column::new("title", ColumnType::Text) },
    ];
    let after = apply_steps(&s, &steps).unwrap();
    let inverses: Vec<Step> = steps.iter().rev().map(Step::inverse).collect();
    let back = apply_steps(&after, &inverses).unwrap();
    assert!(equivalent(&back, &s));
    assert_eq!(back, s);
}

/// A backfill changes no schema, and both views refuse one that names a missing table or column.
#[test]
fn a_backfill_changes_nothing_and_names_what_is_missing() {
    use crate::define::backfill;
    let s = Schema { tables: vec![users()], enums: vec![] }.normalized();
    let col = users().columns[0].name.clone();
    for options in [ReplayOptions::MODEL, ReplayOptions::DATABASE] {
        let ok = backfill("users", &[(col.as_str(), "1")]).when("1 = 1");
        assert_eq!(apply_steps_with(&s, [&ok], options).unwrap(), s);
        assert_eq!(apply_steps_with(&s, [&ok.inverse()], options).unwrap(), s);
        let err = apply_steps_with(&s, [&backfill("users", &[("tz", "'UTC'")])], options).unwrap_err();
        assert_eq!(
            err.to_string(),
            "while replaying backfill: column `tz` does not exist in table `users`; the migration does not match \
             the schema"
        );
        let err = apply_steps_with(&s, [&backfill("nope", &[])], options).unwrap_err();
        assert!(err.to_string().contains("table `nope` does not exist"), "{err}");
    }
}
