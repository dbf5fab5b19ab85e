//! Rendered SQL per dialect for every step kind: one snapshot per scenario, holding `up` and its inverse `down`
//! for SQLite, PostgreSQL and MySQL side by side, so a reviewer sees all spellings of one change together.

use std::fmt::Write as _;

use driftless_core::diff::diff;
use driftless_core::render::{self, RenderError};
use driftless_core::replay::{self, ReplayOptions};
use driftless_core::schema::{
    Check, EnumType, ForeignKey, Index, PrimaryKey, ReferentialAction, RenameHints, UniqueConstraint,
};
use driftless_core::step::{DialectSql, RawEffect, Step};
use driftless_core::{Column, ColumnType, DefaultExpr, DefaultValue, Dialect, Literal, Schema, Table};
use serde_json::json;

/// Two tables and an enum: `roles` (parent) and `users` (child, ON DELETE CASCADE), with keys, a unique, an index,
/// a check, an enum column and defaults.
fn base() -> Schema {
    schema(json!({
        "tables": [
            {
                "name": "roles",
                "columns": [
                    {"name": "id", "type": "i64", "auto_increment": true},
                    {"name": "name", "type": "varchar(50)"}
                ],
                "primary_key": {"name": "roles_pkey", "columns": ["id"]},
                "uniques": [{"name": "roles_name_key", "columns": ["name"]}]
            },
            {
                "name": "users",
                "columns": [
                    {"name": "id", "type": "i64", "auto_increment": true},
                    {"name": "role_id", "type": "i64"},
                    {"name": "email", "type": "varchar(255)"},
                    {"name": "age", "type": "i32", "nullable": true},
                    {"name": "bio", "type": "text", "nullable": true},
                    {"name": "status", "type": "enum(user_status)", "default": {"value": "active"}},
                    {"name": "created_at", "type": "timestamptz", "default": {"expr": "current_timestamp"}}
                ],
                "primary_key": {"name": "users_pkey", "columns": ["id"]},
                "indexes": [{"name": "users_email_idx", "columns": ["email"]}],
                "foreign_keys": [{
                    "name": "users_role_id_fkey", "columns": ["role_id"], "ref_table": "roles",
                    "ref_columns": ["id"], "on_delete": "cascade"
                }],
                "checks": [{"name": "users_email_check", "expr": "email <> ''"}]
            }
        ],
        "enums": [{"name": "user_status", "values": ["active", "banned"]}]
    }))
}

fn schema(v: serde_json::Value) -> Schema {
    let s: Schema = serde_json::from_value(v).expect("fixture schema");
    s.validate().expect("fixture schema is valid");
    s.normalized()
}

fn users(s: &Schema) -> Table {
    s.table("users").unwrap().clone()
}

fn col(name: &str, ty: &str) -> Column {
    Column::new(name, ty.parse::<ColumnType>().unwrap())
}

fn render_one(steps: &[Step], ctx: &Schema) -> String {
    let mut out = String::new();
    for d in Dialect::ALL {
        writeln!(out, "-- {}", d.display_name()).unwrap();
        match render::render_steps(steps, d, ctx) {
            Ok(m) => out.push_str(&m.script()),
            Err(e) => writeln!(out, "-- error: {e}").unwrap(),
        }
    }
    out
}

/// `up` rendered against `ctx`, and `down` (the inverses in reverse order) against the schema after `up`.
fn up_down(ctx: &Schema, steps: &[Step]) -> String {
    let mut out = String::from("==== up ====\n");
    out.push_str(&render_one(steps, ctx));
    let down: Vec<Step> = steps.iter().rev().map(Step::inverse).collect();
    out.push_str("==== down ====\n");
    match replay::apply_steps_with(ctx, steps, ReplayOptions::DATABASE) {
        Ok(after) => out.push_str(&render_one(&down, &after)),
        Err(e) => writeln!(out, "-- error: {e}").unwrap(),
    }
    out
}

macro_rules! scenario {
    ($name:ident, $ctx:expr, $steps:expr) => {
        #[test]
        fn $name() {
            let ctx: Schema = $ctx;
            let steps: Vec<Step> = $steps;
            insta::assert_snapshot!(up_down(&ctx, &steps));
        }
    };
}

scenario!(create_table_with_every_column_type, Schema::empty(), {
    let mut t = Table::new("everything");
    for (name, ty) in [
        ("small", "i16"),
        ("int", "i32"),
        ("big", "i64"),
        ("f32", "f32"),
        ("f64", "f64"),
        ("flag", "bool"),
        ("body", "text"),
        ("code", "varchar(32)"),
        ("country", "char(2)"),
        ("blob", "bytes"),
        ("uid", "uuid"),
        ("meta", "json"),
        ("day", "date"),
        ("at_time", "time"),
        ("local_at", "datetime"),
        ("instant", "timestamptz"),
        ("price", "decimal(10,2)"),
    ] {
        t.columns.push(col(name, ty));
    }
    t.columns[0].nullable = true;
    let custom = json!({"custom": {"default": "TEXT", "postgres": "TEXT[]"}});
    t.columns.push(Column { nullable: true, ..Column::new("tags", serde_json::from_value(custom).unwrap()) });
    t.primary_key = Some(PrimaryKey { name: "everything_pkey".into(), columns: vec!["big".into()] });
    vec![Step::CreateTable { table: t }]
});

scenario!(create_table_with_literal_defaults_of_every_kind, Schema::empty(), {
    let mut t = Table::new("defaults");
    let mut with = |name: &str, ty: &str, d: DefaultValue| {
        let mut c = col(name, ty);
        c.default = Some(d);
        t.columns.push(c);
    };
    with("flag_on", "bool", DefaultValue::Value(Literal::Bool(true)));
    with("flag_off", "bool", DefaultValue::Value(Literal::Bool(false)));
    with("count", "i32", DefaultValue::Value(Literal::Int(-7)));
    with("ratio", "f64", DefaultValue::Value(Literal::Float(0.25)));
    with("label", "varchar(40)", DefaultValue::Value(Literal::String(r"it's a \ path".into())));
    with("notes", "text", DefaultValue::Value(Literal::String("none".into())));
    with("meta", "json", DefaultValue::Value(Literal::String("{}".into())));
    with("uid", "uuid", DefaultValue::Expr(DefaultExpr::GenRandomUuid));
    with("day", "date", DefaultValue::Expr(DefaultExpr::CurrentDate));
    with("at", "time", DefaultValue::Expr(DefaultExpr::CurrentTime));
    with("stamp", "datetime", DefaultValue::Expr(DefaultExpr::CurrentTimestamp));
    with("raw", "i64", DefaultValue::Sql("1 + 1".into()));
    vec![Step::CreateTable { table: t }]
});

scenario!(
    create_table_with_keys_foreign_key_check_index_and_enum,
    {
        let mut s = base();
        s.tables.retain(|t| t.name != "users");
        s
    },
    {
        let mut u = users(&base());
        u.comment = Some("people who log in".into());
        u.columns[2].comment = Some("login name; it's unique".into());
        vec![Step::CreateTable { table: u }]
    }
);

scenario!(drop_table, base(), vec![Step::DropTable { table: users(&base()) }]);

scenario!(drop_referenced_parent_table_switches_sqlite_foreign_keys_off, base(), {
    let roles = base().table("roles").unwrap().clone();
    vec![Step::DropTable { table: roles }]
});

scenario!(rename_table, base(), vec![Step::RenameTable { from: "users".into(), to: "members".into() }]);

scenario!(
    add_nullable_column,
    base(),
    vec![Step::AddColumn {
        table: "users".into(),
        column: Column { nullable: true, ..col("timezone", "varchar(64)") },
    }]
);

scenario!(
    add_column_with_quote_and_backslash_default,
    base(),
    vec![Step::AddColumn {
        table: "users".into(),
        column: Column {
            default: Some(DefaultValue::Value(Literal::String(r"O'Brien \ C:\temp\new".into()))),
            ..col("signature", "varchar(100)")
        },
    }]
);

scenario!(
    add_not_null_column_with_current_timestamp_rebuilds_on_sqlite,
    base(),
    vec![Step::AddColumn {
        table: "users".into(),
        column: Column {
            default: Some(DefaultValue::Expr(DefaultExpr::CurrentTimestamp)),
            ..col("seen_at", "datetime")
        },
    }]
);

scenario!(
    add_uuid_column_with_random_default,
    base(),
    vec![Step::AddColumn {
        table: "roles".into(),
        column: Column { default: Some(DefaultValue::Expr(DefaultExpr::GenRandomUuid)), ..col("public_id", "uuid") },
    }]
);

scenario!(
    add_enum_column,
    base(),
    vec![Step::AddColumn {
        table: "roles".into(),
        column: Column {
            default: Some(DefaultValue::Value(Literal::String("banned".into()))),
            ..col("default_status", "enum(user_status)")
        },
    }]
);

scenario!(drop_plain_column, base(), {
    let bio = users(&base()).column("bio").unwrap().clone();
    vec![Step::DropColumn { table: "users".into(), column: bio }]
});

scenario!(drop_column_used_by_a_check_rebuilds_on_sqlite, base(), {
    let email = users(&base()).column("email").unwrap().clone();
    let index = users(&base()).indexes[0].clone();
    let check = users(&base()).checks[0].clone();
    vec![
        Step::DropIndex { table: "users".into(), index },
        Step::DropCheck { table: "users".into(), check },
        Step::DropColumn { table: "users".into(), column: email },
    ]
});

scenario!(
    rename_column,
    base(),
    vec![Step::RenameColumn { table: "users".into(), from: "bio".into(), to: "about".into() }]
);

scenario!(alter_column_widen_integer, base(), {
    let from = users(&base()).column("age").unwrap().clone();
    let to = Column { ty: ColumnType::BigInt, ..from.clone() };
    vec![Step::AlterColumn { table: "users".into(), from, to, backfill: None }]
});

scenario!(alter_column_text_to_integer_with_conversion, base(), {
    let from = users(&base()).column("bio").unwrap().clone();
    let to = Column { ty: ColumnType::Integer, ..from.clone() };
    vec![Step::AlterColumn { table: "users".into(), from, to, backfill: None }]
});

scenario!(alter_column_integer_to_boolean, base(), {
    let from = users(&base()).column("age").unwrap().clone();
    let to = Column { ty: ColumnType::Boolean, ..from.clone() };
    vec![Step::AlterColumn { table: "users".into(), from, to, backfill: None }]
});

scenario!(alter_column_set_not_null_with_backfill, base(), {
    let from = users(&base()).column("age").unwrap().clone();
    let to = Column { nullable: false, default: Some(DefaultValue::Value(Literal::Int(18))), ..from.clone() };
    vec![Step::AlterColumn { table: "users".into(), from, to, backfill: Some("18".into()) }]
});

scenario!(alter_column_change_default, base(), {
    let from = users(&base()).column("status").unwrap().clone();
    let to = Column { default: Some(DefaultValue::Value(Literal::String("banned".into()))), ..from.clone() };
    vec![Step::AlterColumn { table: "users".into(), from, to, backfill: None }]
});

scenario!(
    alter_column_type_with_default_drops_and_restores_the_default,
    {
        let mut s = base();
        s.table_mut("users").unwrap().column_mut("email").unwrap().default =
            Some(DefaultValue::Value(Literal::String("nobody".into())));
        s
    },
    {
        let from = Column {
            default: Some(DefaultValue::Value(Literal::String("nobody".into()))),
            ..col("email", "varchar(255)")
        };
        let to = Column { ty: ColumnType::Text, ..from.clone() };
        vec![Step::AlterColumn { table: "users".into(), from, to, backfill: None }]
    }
);

scenario!(
    alter_column_add_auto_increment,
    {
        let mut s = base();
        let mut t = Table::new("counters");
        t.columns.push(col("id", "i32"));
        t.columns.push(col("hits", "i64"));
        t.primary_key = Some(PrimaryKey { name: "counters_pkey".into(), columns: vec!["id".into()] });
        s.tables.push(t);
        s.normalized()
    },
    {
        let from = col("id", "i32");
        let to = Column { auto_increment: true, ..from.clone() };
        vec![Step::AlterColumn { table: "counters".into(), from, to, backfill: None }]
    }
);

scenario!(alter_column_comment_only, base(), {
    let from = users(&base()).column("bio").unwrap().clone();
    let to = Column { comment: Some("free text, shown on the profile".into()), ..from.clone() };
    vec![Step::AlterColumn { table: "users".into(), from, to, backfill: None }]
});

scenario!(
    set_composite_primary_key,
    base(),
    vec![Step::SetPrimaryKey {
        table: "users".into(),
        from: Some(PrimaryKey { name: "users_pkey".into(), columns: vec!["id".into()] }),
        to: Some(PrimaryKey { name: "users_pkey".into(), columns: vec!["id".into(), "role_id".into()] }),
    }]
);

scenario!(
    create_unique_index,
    base(),
    vec![Step::CreateIndex {
        table: "users".into(),
        index: Index {
            name: "users_role_email_idx".into(),
            columns: vec!["role_id".into(), "email".into()],
            unique: true,
            predicate: None,
            ..Default::default()
        },
    }]
);

scenario!(
    create_partial_index_is_refused_on_mysql,
    base(),
    vec![Step::CreateIndex {
        table: "users".into(),
        index: Index {
            name: "users_active_idx".into(),
            columns: vec!["email".into()],
            unique: false,
            predicate: Some("status = 'active'".into()),
            ..Default::default()
        },
    }]
);

scenario!(
    drop_index,
    base(),
    vec![Step::DropIndex { table: "users".into(), index: users(&base()).indexes[0].clone() }]
);

scenario!(
    rename_index,
    base(),
    vec![Step::RenameIndex { table: "users".into(), from: "users_email_idx".into(), to: "users_by_email".into() }]
);

scenario!(
    add_unique_rebuilds_on_sqlite,
    base(),
    vec![Step::AddUnique {
        table: "users".into(),
        unique: UniqueConstraint { name: "users_email_key".into(), columns: vec!["email".into()] },
    }]
);

scenario!(
    drop_unique_on_the_parent_table,
    base(),
    vec![Step::DropUnique {
        table: "roles".into(),
        unique: UniqueConstraint { name: "roles_name_key".into(), columns: vec!["name".into()] },
    }]
);

scenario!(
    add_foreign_key,
    {
        let mut s = base();
        s.table_mut("users").unwrap().foreign_keys.clear();
        s
    },
    vec![Step::AddForeignKey { table: "users".into(), foreign_key: users(&base()).foreign_keys[0].clone() }]
);

scenario!(
    drop_foreign_key,
    base(),
    vec![Step::DropForeignKey { table: "users".into(), foreign_key: users(&base()).foreign_keys[0].clone() }]
);

scenario!(alter_foreign_key_actions, base(), {
    let from = users(&base()).foreign_keys[0].clone();
    let to =
        ForeignKey { on_delete: ReferentialAction::Restrict, on_update: ReferentialAction::Cascade, ..from.clone() };
    vec![Step::AlterForeignKey { table: "users".into(), from, to }]
});

scenario!(
    add_check,
    base(),
    vec![Step::AddCheck {
        table: "users".into(),
        check: Check { name: "users_age_check".into(), expr: "age IS NULL OR age >= 0".into() },
    }]
);

scenario!(drop_check, base(), vec![Step::DropCheck { table: "users".into(), check: users(&base()).checks[0].clone() }]);

scenario!(
    set_table_comment,
    base(),
    vec![Step::SetTableComment {
        table: "roles".into(),
        from: None,
        to: Some("what a user may do; 'admin' is special".into()),
    }]
);

scenario!(
    create_and_drop_enum,
    Schema::empty(),
    vec![Step::CreateEnum { r#enum: EnumType { name: "mood".into(), values: vec!["happy".into(), "it's ok".into()] } }]
);

scenario!(
    alter_enum_add_values,
    base(),
    vec![Step::AlterEnum {
        from: EnumType { name: "user_status".into(), values: vec!["active".into(), "banned".into()] },
        to: EnumType {
            name: "user_status".into(),
            values: vec!["pending".into(), "active".into(), "suspended".into(), "banned".into(), "deleted".into()]
        },
        renamed_values: vec![],
    }]
);

scenario!(
    alter_enum_remove_value_rebuilds_the_type,
    base(),
    vec![Step::AlterEnum {
        from: EnumType { name: "user_status".into(), values: vec!["active".into(), "banned".into()] },
        to: EnumType { name: "user_status".into(), values: vec!["active".into()] },
        renamed_values: vec![],
    }]
);

scenario!(
    alter_enum_rename_value,
    base(),
    vec![Step::AlterEnum {
        from: EnumType { name: "user_status".into(), values: vec!["active".into(), "banned".into()] },
        to: EnumType { name: "user_status".into(), values: vec!["enabled".into(), "banned".into()] },
        renamed_values: vec![("active".into(), "enabled".into())],
    }]
);

scenario!(
    raw_sql_with_per_dialect_text,
    base(),
    vec![Step::RawSql {
        sql: DialectSql {
            default: Some("UPDATE users SET bio = NULL".into()),
            postgres: Some("UPDATE users SET bio = NULL WHERE bio = ''".into()),
            ..DialectSql::default()
        },
        effect: Some(RawEffect::Nothing),
    }]
);

scenario!(
    raw_sql_without_text_for_a_dialect,
    base(),
    vec![Step::RawSql {
        sql: DialectSql { postgres: Some("VACUUM".into()), ..DialectSql::default() },
        effect: Some(RawEffect::Nothing),
    }]
);

scenario!(sqlite_rebuild_of_a_parent_table_keeps_children, base(), {
    let from = base().table("roles").unwrap().column("name").unwrap().clone();
    let to = Column { ty: ColumnType::Varchar(100), ..from.clone() };
    vec![Step::AlterColumn { table: "roles".into(), from, to, backfill: None }]
});

scenario!(identifiers_with_quote_characters_are_escaped, Schema::empty(), {
    let mut t = Table::new("we\"ird`table");
    t.columns.push(col("col\"umn", "i32"));
    t.columns.push(col("back`tick", "i32"));
    vec![
        Step::CreateTable { table: t },
        Step::RenameColumn { table: "we\"ird`table".into(), from: "col\"umn".into(), to: "plain".into() },
    ]
});

scenario!(a_migration_with_several_steps, Schema::empty(), {
    let b = base();
    vec![
        Step::CreateEnum { r#enum: b.enums[0].clone() },
        Step::CreateTable { table: b.table("roles").unwrap().clone() },
        Step::CreateTable { table: users(&b) },
        Step::AddColumn { table: "roles".into(), column: Column { nullable: true, ..col("description", "text") } },
    ]
});

#[test]
fn a_schema_from_empty_renders_in_the_differs_order() {
    let s = schema(json!({
        "tables": [
            {"name": "a", "columns": [{"name": "id", "type": "i32"}, {"name": "b_id", "type": "i32", "nullable": true}],
             "primary_key": {"name": "a_pkey", "columns": ["id"]},
             "foreign_keys": [{"name": "a_b_id_fkey", "columns": ["b_id"], "ref_table": "b", "ref_columns": ["id"]}]},
            {"name": "b", "columns": [{"name": "id", "type": "i32"}, {"name": "a_id", "type": "i32", "nullable": true}],
             "primary_key": {"name": "b_pkey", "columns": ["id"]},
             "foreign_keys": [{"name": "b_a_id_fkey", "columns": ["a_id"], "ref_table": "a", "ref_columns": ["id"]}]},
            {"name": "c", "columns": [{"name": "id", "type": "i32"}, {"name": "parent", "type": "i32", "nullable": true}],
             "primary_key": {"name": "c_pkey", "columns": ["id"]},
             "foreign_keys": [{"name": "c_parent_fkey", "columns": ["parent"], "ref_table": "c", "ref_columns": ["id"]}]}
        ]
    }));
    let mut out = String::new();
    for d in Dialect::ALL {
        writeln!(out, "-- {}", d.display_name()).unwrap();
        // The differ's order: referenced tables first, foreign keys in a reference cycle added afterwards.
        let steps: Vec<Step> = diff(&Schema::empty(), &s, &RenameHints::default()).unwrap().steps().cloned().collect();
        out.push_str(&render::render_steps(&steps, d, &Schema::empty()).unwrap().script());
    }
    insta::assert_snapshot!(out);
}

#[test]
fn steps_after_undeclared_raw_sql_are_an_error_and_declared_effects_are_replayed() {
    let add_tz =
        Step::AddColumn { table: "users".into(), column: Column { nullable: true, ..col("tz", "varchar(40)") } };
    let raw = |effect| Step::RawSql {
        sql: DialectSql { default: Some("ALTER TABLE users ADD COLUMN tz TEXT".into()), ..DialectSql::default() },
        effect,
    };
    let index = Step::CreateIndex {
        table: "users".into(),
        index: Index {
            name: "users_tz_idx".into(),
            columns: vec!["tz".into()],
            unique: false,
            predicate: None,
            ..Default::default()
        },
    };
    for d in Dialect::ALL {
        // Undeclared: the raw SQL alone renders; a later step that needs the schema is refused, naming both steps.
        assert_eq!(render::render_steps(&[raw(None)], d, &base()).unwrap().statements.len(), 1);
        let e = render::render_steps(&[raw(None), index.clone()], d, &base()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "create_index (step 2) needs the schema before it, which is unknown after step 1: hand-written SQL that \
             does not declare its effect; declare it with `raw_sql(...).changes_nothing()` or \
             `raw_sql(...).amounts_to([...])`"
        );
        // Declared: the index renders against the schema the raw SQL amounts to, and only the raw SQL runs for it.
        let r = render::render_steps(&[raw(Some(RawEffect::Steps(vec![add_tz.clone()]))), index.clone()], d, &base())
            .unwrap();
        assert_eq!(r.statements[0].sql, "ALTER TABLE users ADD COLUMN tz TEXT");
        assert!(r.statements[1].sql.contains("users_tz_idx"), "{d:?}: {r}");
    }
    // The replay applies the declared steps; undeclared SQL stops it, naming the step.
    let after =
        replay::apply_steps(&base(), &[raw(Some(RawEffect::Nothing)), raw(Some(RawEffect::Steps(vec![add_tz])))])
            .unwrap();
    assert!(after.table("users").unwrap().column("tz").is_some());
    let e = replay::apply_steps(&base(), &[raw(Some(RawEffect::Nothing)), raw(None)]).unwrap_err();
    assert_eq!(e, replay::ReplayError::UndeclaredRawSql { index: 1 });
    assert_eq!(
        e.to_string(),
        "step 2 is hand-written SQL that does not declare its effect on the schema, so the schema after it is \
         unknown; declare it in the migration file: `raw_sql(...).changes_nothing()` if it changes nothing driftless \
         models (data, grants), or `raw_sql(...).amounts_to([...])` with the model steps it amounts to"
    );
}

#[test]
fn irreversible_steps_are_an_error_naming_the_reason() {
    let steps = [Step::Irreversible { reason: "dropped column `users.bio` cannot be restored".into() }];
    for d in Dialect::ALL {
        let e = render::render_steps(&steps, d, &base()).unwrap_err();
        assert_eq!(e, RenderError::Irreversible { reason: "dropped column `users.bio` cannot be restored".into() });
        assert_eq!(
            e.to_string(),
            "the migration cannot run in this direction: dropped column `users.bio` cannot be restored"
        );
    }
}

#[test]
fn steps_on_unknown_tables_are_errors_not_panics() {
    let steps = [Step::AddUnique {
        table: "nope".into(),
        unique: UniqueConstraint { name: "nope_key".into(), columns: vec!["x".into()] },
    }];
    let e = render::render_steps(&steps, Dialect::Sqlite, &base()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "add_unique: table `nope` does not exist in the schema before this step; check the step order"
    );
}

#[test]
fn names_that_sea_query_would_not_escape_are_refused() {
    let steps = [Step::CreateIndex {
        table: "users".into(),
        index: Index {
            name: "bad\"name".into(),
            columns: vec!["email".into()],
            unique: false,
            predicate: None,
            ..Default::default()
        },
    }];
    let e = render::render_steps(&steps, Dialect::Postgres, &base()).unwrap_err();
    assert!(matches!(e, RenderError::InvalidIdentifier { .. }), "{e}");
}

#[test]
fn statements_carry_transaction_and_foreign_key_flags() {
    let add = [Step::AlterEnum {
        from: EnumType { name: "user_status".into(), values: vec!["active".into(), "banned".into()] },
        to: EnumType { name: "user_status".into(), values: vec!["active".into(), "banned".into(), "gone".into()] },
        renamed_values: vec![],
    }];
    // PostgreSQL 12+ adds an enum value inside the transaction...
    let pg = render::render_steps(&add, Dialect::Postgres, &base()).unwrap();
    assert_eq!(pg.statements.len(), 1);
    assert!(pg.statements[0].transactional);
    assert!(pg.is_transactional());
    // ...unless a later step uses the new value, which PostgreSQL refuses before the value is committed.
    let mut used = add.to_vec();
    let mut col = driftless_core::Column::new("mood", ColumnType::Enum("user_status".into()));
    col.default = Some(DefaultValue::Value(Literal::String("gone".into())));
    used.push(Step::AddColumn { table: "users".into(), column: col });
    let pg = render::render_steps(&used, Dialect::Postgres, &base()).unwrap();
    assert_eq!(
        pg.statements.iter().map(|s| (s.sql.as_str(), s.transactional)).collect::<Vec<_>>(),
        [
            (r#"ALTER TYPE "user_status" ADD VALUE 'gone' AFTER 'banned'"#, false),
            (r#"ALTER TABLE "users" ADD COLUMN "mood" "user_status" NOT NULL DEFAULT 'gone'"#, true),
        ]
    );
    let classes = driftless_core::classify::classify_steps(&base(), &used);
    assert_eq!(classes[0].postgres.code, "enum_value_added_used");
    assert_eq!(classes[0].postgres.class, driftless_core::classify::Class::ReviewRequired);
    assert!(classes[0].postgres.reason.contains("the migration runs step by step, not atomically"));
    let my = render::render_steps(&add, Dialect::Mysql, &base()).unwrap();
    assert!(my.is_transactional());

    let rebuild = render::render_steps(&add, Dialect::Sqlite, &base()).unwrap();
    assert!(rebuild.sqlite_foreign_keys_off);
    assert!(rebuild.statements.iter().all(|s| s.step == 0));
    let plain = render::render_steps(
        &[Step::RenameColumn { table: "users".into(), from: "bio".into(), to: "about".into() }],
        Dialect::Sqlite,
        &base(),
    )
    .unwrap();
    assert!(!plain.sqlite_foreign_keys_off);
}

// An enum type rename: PostgreSQL renames the type; MySQL's inline ENUM and SQLite's CHECK do not name it.
scenario!(rename_enum, base(), vec![Step::RenameEnum { from: "user_status".into(), to: "account_status".into() }]);

// A backfill: the readable equivalent (one UPDATE, outside the transaction, with how it runs); its inverse here is
// another backfill.
scenario!(
    backfill_with_an_inverse,
    base(),
    vec![
        driftless_core::define::backfill("users", &[("bio", "'none yet'"), ("age", "coalesce(age, 0)")])
            .when("bio IS NULL")
            .batch_size(250)
            .throttle_ms(20)
            .undo(&[("bio", "NULL")], Some("bio = 'none yet'"))
    ]
);

// A backfill on a table without a primary key: SQLite batches by rowid, the others refuse naming the table.
scenario!(
    backfill_without_a_primary_key,
    schema(json!({
        "tables": [{"name": "events", "columns": [{"name": "kind", "type": "text", "nullable": true}]}],
        "enums": []
    })),
    vec![driftless_core::define::backfill("events", &[("kind", "'click'")]).cannot_undo("the old kinds are gone")]
);
