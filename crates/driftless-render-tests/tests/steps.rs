//! Every step kind on real databases: create the base schema, seed rows, apply the rendered `up`, check the rows
//! that must survive and the constraint the step changed, apply `down`, check again.

use driftless_core::schema::{Check, EnumType, ForeignKey, Index, PrimaryKey, ReferentialAction, UniqueConstraint};
use driftless_core::step::{DialectSql, RawEffect, Step};
use driftless_core::{Column, ColumnType, DefaultExpr, DefaultValue, Dialect, Literal, Schema, Table};
use driftless_render_tests::fixtures::{SEED, USERS, base, seeded_users, table};
use driftless_render_tests::{Harness, db_test};

fn col(name: &str, ty: &str) -> Column {
    Column::new(name, ty.parse::<ColumnType>().unwrap())
}

fn users_col(name: &str) -> Column {
    table("users").column(name).unwrap().clone()
}

/// Creates the base schema and seeds it.
async fn seeded(h: &mut Harness) -> Schema {
    let s = base();
    h.create(&s).await;
    h.exec(SEED).await;
    assert_eq!(h.rows(USERS).await, seeded_users());
    s
}

fn rows(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter().map(|r| r.iter().map(|v| (*v).to_owned()).collect()).collect()
}

db_test!(create_table_and_drop_it, |h| {
    let s = seeded(h).await;
    let mut tags = Table::new("tags");
    tags.columns.push(Column { auto_increment: true, ..col("id", "i32") });
    tags.columns.push(col("label", "varchar(20)"));
    tags.columns.push(Column { nullable: true, ..col("user_id", "i64") });
    tags.primary_key = Some(PrimaryKey { name: "tags_pkey".into(), columns: vec!["id".into()] });
    tags.foreign_keys.push(ForeignKey {
        name: "tags_user_id_fkey".into(),
        columns: vec!["user_id".into()],
        ref_table: "users".into(),
        ref_columns: vec!["id".into()],
        on_delete: ReferentialAction::SetNull,
        on_update: ReferentialAction::NoAction,
    });
    tags.indexes.push(Index {
        name: "tags_label_idx".into(),
        columns: vec!["label".into()],
        unique: true,
        predicate: None,
        ..Default::default()
    });
    let steps = [Step::CreateTable { table: tags }];
    let after = h.up(&s, &steps).await;
    h.exec("INSERT INTO tags (label, user_id) VALUES ('x', 1), ('y', 2)").await;
    h.exec_fails("INSERT INTO tags (label) VALUES ('x')").await;
    h.exec("DELETE FROM users WHERE id = 1").await;
    assert_eq!(
        h.rows("SELECT id, label, user_id FROM tags ORDER BY id").await,
        rows(&[&["1", "x", "NULL"], &["2", "y", "2"]])
    );
    h.down(&after, &steps).await;
    assert!(!h.table_exists("tags").await);
    assert_eq!(h.rows("SELECT id FROM users ORDER BY id").await, rows(&[&["2"], &["3"]]));
});

db_test!(drop_child_table_keeps_the_parent, |h| {
    let s = seeded(h).await;
    let steps = [Step::DropTable { table: table("users") }];
    let after = h.up(&s, &steps).await;
    assert!(!h.table_exists("users").await);
    assert_eq!(h.rows("SELECT id, name FROM roles ORDER BY id").await, rows(&[&["1", "admin"], &["2", "member"]]));
    h.down(&after, &steps).await;
    // The rows are gone (the step is dangerous for that reason); the table is back with all its constraints.
    assert_eq!(h.value("SELECT COUNT(*) FROM users").await, "0");
    h.exec("INSERT INTO users (role_id, email) VALUES (1, 'new@example.com')").await;
    h.exec_fails("INSERT INTO users (role_id, email, age) VALUES (1, 'neg@example.com', -1)").await;
    assert_eq!(h.index_names("users").await, ["users_email_idx"]);
});

db_test!(rename_table, |h| {
    let s = seeded(h).await;
    let steps = [Step::RenameTable { from: "users".into(), to: "members".into() }];
    let after = h.up(&s, &steps).await;
    assert!(!h.table_exists("users").await);
    assert_eq!(h.rows(&USERS.replace("users", "members")).await, seeded_users());
    h.down(&after, &steps).await;
    assert_eq!(h.rows(USERS).await, seeded_users());
    // The foreign key still points at roles and still cascades.
    h.exec("DELETE FROM roles WHERE id = 1").await;
    assert_eq!(h.rows("SELECT id FROM users ORDER BY id").await, rows(&[&["2"], &["3"]]));
});

db_test!(add_nullable_column_and_drop_it, |h| {
    let s = seeded(h).await;
    let steps = [Step::AddColumn {
        table: "users".into(),
        column: Column { nullable: true, ..col("timezone", "varchar(64)") },
    }];
    let after = h.up(&s, &steps).await;
    assert_eq!(
        h.rows("SELECT id, timezone FROM users ORDER BY id").await,
        rows(&[&["1", "NULL"], &["2", "NULL"], &["3", "NULL"]])
    );
    h.down(&after, &steps).await;
    assert!(!h.columns("users").await.contains(&"timezone".to_owned()));
    assert_eq!(h.rows(USERS).await, seeded_users());
});

db_test!(default_string_with_quote_and_backslash_round_trips_exactly, |h| {
    let s = seeded(h).await;
    let tricky = r"O'Brien \ C:\temp\new '' \\ end";
    let steps = [Step::AddColumn {
        table: "users".into(),
        column: Column {
            default: Some(DefaultValue::Value(Literal::String(tricky.into()))),
            ..col("signature", "varchar(100)")
        },
    }];
    let after = h.up(&s, &steps).await;
    let expected: Vec<Vec<String>> = (1..=3).map(|i| vec![i.to_string(), tricky.to_owned()]).collect();
    assert_eq!(h.rows("SELECT id, signature FROM users ORDER BY id").await, expected);
    h.exec("INSERT INTO users (role_id, email) VALUES (1, 'dee@example.com')").await;
    assert_eq!(h.value("SELECT signature FROM users WHERE id = 4").await, tricky);
    h.down(&after, &steps).await;
    assert!(!h.columns("users").await.contains(&"signature".to_owned()));
});

db_test!(add_not_null_column_with_current_timestamp_default, |h| {
    let s = seeded(h).await;
    let steps = [Step::AddColumn {
        table: "users".into(),
        column: Column {
            default: Some(DefaultValue::Expr(DefaultExpr::CurrentTimestamp)),
            ..col("seen_at", "datetime")
        },
    }];
    let after = h.up(&s, &steps).await;
    assert_eq!(h.value("SELECT COUNT(*) FROM users WHERE seen_at IS NULL").await, "0");
    assert_eq!(h.rows(USERS).await, seeded_users());
    // The rebuild kept the check and the index.
    h.exec_fails("INSERT INTO users (role_id, email, age) VALUES (1, 'neg@example.com', -1)").await;
    assert_eq!(h.index_names("users").await, ["users_email_idx"]);
    h.down(&after, &steps).await;
    assert_eq!(h.rows(USERS).await, seeded_users());
});

db_test!(add_uuid_column_with_random_default_fills_every_row, |h| {
    let s = seeded(h).await;
    let steps = [Step::AddColumn {
        table: "users".into(),
        column: Column { default: Some(DefaultValue::Expr(DefaultExpr::GenRandomUuid)), ..col("public_id", "uuid") },
    }];
    let after = h.up(&s, &steps).await;
    h.exec("INSERT INTO users (role_id, email) VALUES (1, 'dee@example.com')").await;
    let ids: Vec<String> =
        h.rows("SELECT public_id FROM users ORDER BY id").await.into_iter().map(|mut r| r.remove(0)).collect();
    assert_eq!(ids.len(), 4);
    for id in &ids {
        assert_eq!(id.len(), 36, "{id}");
        assert_eq!(id.matches('-').count(), 4, "{id}");
        assert!(id.chars().all(|c| c == '-' || c.is_ascii_hexdigit()), "{id}");
    }
    let mut distinct = ids.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 4, "every row gets its own uuid: {ids:?}");
    h.down(&after, &steps).await;
    assert_eq!(h.value("SELECT COUNT(*) FROM users").await, "4");
});

db_test!(drop_enum_column_and_add_it_back, |h| {
    let s = seeded(h).await;
    let steps = [Step::DropColumn { table: "users".into(), column: users_col("status") }];
    let after = h.up(&s, &steps).await;
    assert!(!h.columns("users").await.contains(&"status".to_owned()));
    assert_eq!(h.rows("SELECT id, email FROM users ORDER BY id").await.len(), 3);
    h.down(&after, &steps).await;
    // Dropped values cannot come back; the column returns with its default.
    assert_eq!(
        h.rows("SELECT id, status FROM users ORDER BY id").await,
        rows(&[&["1", "active"], &["2", "active"], &["3", "active"]])
    );
    h.exec_fails("INSERT INTO users (role_id, email, status) VALUES (1, 'x@example.com', 'nope')").await;
});

db_test!(drop_plain_column, |h| {
    let s = seeded(h).await;
    let steps = [Step::DropColumn { table: "users".into(), column: users_col("bio") }];
    let after = h.up(&s, &steps).await;
    assert_eq!(h.rows("SELECT id, email, age FROM users ORDER BY id").await[2], ["3", "cy@example.com", "19"]);
    h.down(&after, &steps).await;
    assert_eq!(
        h.rows("SELECT id, bio FROM users ORDER BY id").await,
        rows(&[&["1", "NULL"], &["2", "NULL"], &["3", "NULL"]])
    );
});

db_test!(rename_column, |h| {
    let s = seeded(h).await;
    let steps = [Step::RenameColumn { table: "users".into(), from: "bio".into(), to: "about".into() }];
    let after = h.up(&s, &steps).await;
    assert_eq!(h.rows(&USERS.replace("bio", "about")).await, seeded_users());
    h.down(&after, &steps).await;
    assert_eq!(h.rows(USERS).await, seeded_users());
});

db_test!(alter_column_widen_and_narrow_integer, |h| {
    let s = seeded(h).await;
    let from = users_col("age");
    let to = Column { ty: ColumnType::BigInt, ..from.clone() };
    let steps = [Step::AlterColumn { table: "users".into(), from, to, backfill: None }];
    let after = h.up(&s, &steps).await;
    h.exec("INSERT INTO users (role_id, email, age) VALUES (1, 'old@example.com', 3000000000)").await;
    assert_eq!(h.value("SELECT age FROM users WHERE id = 4").await, "3000000000");
    h.exec("DELETE FROM users WHERE id = 4").await;
    h.down(&after, &steps).await;
    assert_eq!(h.rows(USERS).await, seeded_users());
});

db_test!(alter_column_text_to_integer_converts_values, |h| {
    let s = seeded(h).await;
    let from = users_col("code");
    let to = Column { ty: ColumnType::Integer, ..from.clone() };
    let steps = [Step::AlterColumn { table: "users".into(), from, to, backfill: None }];
    let after = h.up(&s, &steps).await;
    // Integers now: 42 + 7, and ordering is numeric ('42' > '7' as text).
    assert_eq!(h.value("SELECT SUM(code) FROM users").await, "49");
    assert_eq!(h.rows("SELECT id FROM users WHERE code IS NOT NULL ORDER BY code").await, rows(&[&["3"], &["1"]]));
    h.down(&after, &steps).await;
    assert_eq!(
        h.rows("SELECT id, code FROM users ORDER BY id").await,
        rows(&[&["1", "42"], &["2", "NULL"], &["3", "7"]])
    );
    assert_eq!(h.rows(USERS).await, seeded_users());
});

db_test!(alter_column_set_not_null_with_backfill, |h| {
    let s = seeded(h).await;
    let from = users_col("age");
    let to = Column { nullable: false, default: Some(DefaultValue::Value(Literal::Int(18))), ..from.clone() };
    let steps = [Step::AlterColumn { table: "users".into(), from, to, backfill: Some("18".into()) }];
    let after = h.up(&s, &steps).await;
    assert_eq!(
        h.rows("SELECT id, age FROM users ORDER BY id").await,
        rows(&[&["1", "31"], &["2", "18"], &["3", "19"]])
    );
    h.exec_fails("INSERT INTO users (role_id, email, age) VALUES (1, 'null@example.com', NULL)").await;
    h.exec("INSERT INTO users (role_id, email) VALUES (1, 'dflt@example.com')").await;
    assert_eq!(h.value("SELECT age FROM users WHERE email = 'dflt@example.com'").await, "18");
    h.down(&after, &steps).await;
    h.exec("INSERT INTO users (role_id, email, age) VALUES (1, 'null@example.com', NULL)").await;
    assert_eq!(h.value("SELECT COUNT(*) FROM users WHERE age IS NULL").await, "1");
});

db_test!(alter_column_change_enum_default, |h| {
    let s = seeded(h).await;
    let from = users_col("status");
    let to = Column { default: Some(DefaultValue::Value(Literal::String("banned".into()))), ..from.clone() };
    let steps = [Step::AlterColumn { table: "users".into(), from, to, backfill: None }];
    let after = h.up(&s, &steps).await;
    h.exec("INSERT INTO users (role_id, email) VALUES (1, 'dee@example.com')").await;
    assert_eq!(h.value("SELECT status FROM users WHERE id = 4").await, "banned");
    h.down(&after, &steps).await;
    h.exec("INSERT INTO users (role_id, email) VALUES (1, 'eve@example.com')").await;
    assert_eq!(h.value("SELECT status FROM users WHERE id = 5").await, "active");
    assert_eq!(h.rows(USERS).await[..3], seeded_users()[..]);
});

db_test!(alter_column_add_auto_increment_continues_after_existing_ids, |h| {
    let mut s = base();
    let mut t = Table::new("counters");
    t.columns.push(col("id", "i32"));
    t.columns.push(col("hits", "i64"));
    t.primary_key = Some(PrimaryKey { name: "counters_pkey".into(), columns: vec!["id".into()] });
    s.tables.push(t);
    let s = s.normalized();
    h.create(&s).await;
    h.exec("INSERT INTO counters (id, hits) VALUES (1, 10), (2, 20), (5, 50)").await;
    let from = col("id", "i32");
    let to = Column { auto_increment: true, ..from.clone() };
    let steps = [Step::AlterColumn { table: "counters".into(), from, to, backfill: None }];
    let after = h.up(&s, &steps).await;
    h.exec("INSERT INTO counters (hits) VALUES (60)").await;
    assert_eq!(
        h.rows("SELECT id, hits FROM counters ORDER BY id").await,
        rows(&[&["1", "10"], &["2", "20"], &["5", "50"], &["6", "60"]])
    );
    h.down(&after, &steps).await;
    h.exec_fails("INSERT INTO counters (hits) VALUES (70)").await;
    assert_eq!(h.value("SELECT COUNT(*) FROM counters").await, "4");
});

db_test!(set_composite_primary_key, |h| {
    let mut s = base();
    let mut t = Table::new("memberships");
    t.columns.push(col("user_id", "i64"));
    t.columns.push(col("role_id", "i64"));
    t.columns.push(Column { nullable: true, ..col("note", "text") });
    t.primary_key = Some(PrimaryKey { name: "memberships_pkey".into(), columns: vec!["user_id".into()] });
    s.tables.push(t);
    let s = s.normalized();
    h.create(&s).await;
    h.exec("INSERT INTO memberships (user_id, role_id, note) VALUES (1, 1, 'a'), (2, 1, 'b')").await;
    h.exec_fails("INSERT INTO memberships (user_id, role_id) VALUES (1, 2)").await;
    let steps = [Step::SetPrimaryKey {
        table: "memberships".into(),
        from: Some(PrimaryKey { name: "memberships_pkey".into(), columns: vec!["user_id".into()] }),
        to: Some(PrimaryKey { name: "memberships_pkey".into(), columns: vec!["user_id".into(), "role_id".into()] }),
    }];
    let after = h.up(&s, &steps).await;
    h.exec("INSERT INTO memberships (user_id, role_id) VALUES (1, 2)").await;
    h.exec_fails("INSERT INTO memberships (user_id, role_id) VALUES (1, 2)").await;
    h.exec("DELETE FROM memberships WHERE role_id = 2").await;
    h.down(&after, &steps).await;
    h.exec_fails("INSERT INTO memberships (user_id, role_id) VALUES (1, 2)").await;
    assert_eq!(
        h.rows("SELECT user_id, role_id, note FROM memberships ORDER BY user_id").await,
        rows(&[&["1", "1", "a"], &["2", "1", "b"]])
    );
});

db_test!(create_unique_index_and_drop_it, |h| {
    let s = seeded(h).await;
    let index = Index {
        name: "users_role_email_idx".into(),
        columns: vec!["role_id".into(), "email".into()],
        unique: true,
        predicate: None,
        ..Default::default()
    };
    let steps = [Step::CreateIndex { table: "users".into(), index }];
    let after = h.up(&s, &steps).await;
    assert_eq!(h.index_names("users").await, ["users_email_idx", "users_role_email_idx"]);
    h.exec_fails("INSERT INTO users (role_id, email) VALUES (1, 'ann@example.com')").await;
    h.down(&after, &steps).await;
    assert_eq!(h.index_names("users").await, ["users_email_idx"]);
    h.exec("INSERT INTO users (role_id, email) VALUES (1, 'ann@example.com')").await;
});

db_test!(rename_index, |h| {
    let s = seeded(h).await;
    let steps =
        [Step::RenameIndex { table: "users".into(), from: "users_email_idx".into(), to: "users_by_email".into() }];
    let after = h.up(&s, &steps).await;
    assert_eq!(h.index_names("users").await, ["users_by_email"]);
    h.down(&after, &steps).await;
    assert_eq!(h.index_names("users").await, ["users_email_idx"]);
    assert_eq!(h.rows(USERS).await, seeded_users());
});

db_test!(add_unique_and_drop_it, |h| {
    let s = seeded(h).await;
    let steps = [Step::AddUnique {
        table: "users".into(),
        unique: UniqueConstraint { name: "users_email_key".into(), columns: vec!["email".into()] },
    }];
    let after = h.up(&s, &steps).await;
    assert_eq!(h.rows(USERS).await, seeded_users());
    h.exec_fails("INSERT INTO users (role_id, email) VALUES (1, 'bob@example.com')").await;
    h.down(&after, &steps).await;
    h.exec("INSERT INTO users (role_id, email) VALUES (1, 'bob@example.com')").await;
});

db_test!(drop_unique_on_the_parent_table, |h| {
    let s = seeded(h).await;
    let steps = [Step::DropUnique { table: "roles".into(), unique: table("roles").uniques[0].clone() }];
    let after = h.up(&s, &steps).await;
    assert_eq!(h.rows(USERS).await, seeded_users(), "rebuilding the parent must not cascade into users");
    h.exec("INSERT INTO roles (name) VALUES ('admin')").await;
    h.exec("DELETE FROM roles WHERE id = 3").await;
    h.down(&after, &steps).await;
    h.exec_fails("INSERT INTO roles (name) VALUES ('admin')").await;
    assert_eq!(h.rows(USERS).await, seeded_users());
});

db_test!(drop_foreign_key_and_add_it_back, |h| {
    let s = seeded(h).await;
    let steps = [Step::DropForeignKey { table: "users".into(), foreign_key: table("users").foreign_keys[0].clone() }];
    let after = h.up(&s, &steps).await;
    h.exec("INSERT INTO users (role_id, email) VALUES (99, 'orphan@example.com')").await;
    h.exec("DELETE FROM users WHERE role_id = 99").await;
    h.exec("DELETE FROM roles WHERE id = 1").await;
    assert_eq!(h.value("SELECT COUNT(*) FROM users").await, "3", "no cascade without the foreign key");
    h.exec("DELETE FROM users WHERE role_id = 1").await;
    h.down(&after, &steps).await;
    h.exec_fails("INSERT INTO users (role_id, email) VALUES (99, 'orphan@example.com')").await;
    h.exec("DELETE FROM roles WHERE id = 2").await;
    assert_eq!(h.value("SELECT COUNT(*) FROM users").await, "0", "the cascade is back");
});

db_test!(alter_foreign_key_from_cascade_to_restrict, |h| {
    let s = seeded(h).await;
    let from = table("users").foreign_keys[0].clone();
    let to = ForeignKey { on_delete: ReferentialAction::Restrict, ..from.clone() };
    let steps = [Step::AlterForeignKey { table: "users".into(), from, to }];
    let after = h.up(&s, &steps).await;
    assert_eq!(h.rows(USERS).await, seeded_users());
    h.exec_fails("DELETE FROM roles WHERE id = 1").await;
    h.down(&after, &steps).await;
    h.exec("DELETE FROM roles WHERE id = 1").await;
    assert_eq!(h.rows("SELECT id FROM users ORDER BY id").await, rows(&[&["2"], &["3"]]));
});

db_test!(add_check_and_drop_check, |h| {
    let s = seeded(h).await;
    let steps = [
        Step::DropCheck { table: "users".into(), check: table("users").checks[0].clone() },
        Step::AddCheck {
            table: "users".into(),
            check: Check { name: "users_email_check".into(), expr: "email LIKE '%@%'".into() },
        },
    ];
    let after = h.up(&s, &steps).await;
    h.exec_fails("INSERT INTO users (role_id, email) VALUES (1, 'no-at-sign')").await;
    h.exec("INSERT INTO users (role_id, email, age) VALUES (1, 'neg@example.com', -1)").await;
    h.exec("DELETE FROM users WHERE age = -1").await;
    h.down(&after, &steps).await;
    h.exec("INSERT INTO users (role_id, email) VALUES (1, 'no-at-sign')").await;
    h.exec_fails("INSERT INTO users (role_id, email, age) VALUES (1, 'neg@example.com', -1)").await;
    assert_eq!(h.rows(USERS).await[..3], seeded_users()[..]);
});

db_test!(set_table_comment, |h| {
    let s = seeded(h).await;
    let comment = "what a user may do; 'admin' is special";
    let steps = [Step::SetTableComment { table: "roles".into(), from: None, to: Some(comment.into()) }];
    let after = h.up(&s, &steps).await;
    let read = match h.dialect {
        Dialect::Postgres => Some("SELECT obj_description('roles'::regclass, 'pg_class')"),
        Dialect::Mysql => Some(
            "SELECT table_comment FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'roles'",
        ),
        _ => None,
    };
    if let Some(sql) = read {
        assert_eq!(h.value(sql).await, comment);
    }
    h.down(&after, &steps).await;
    if let Some(sql) = read {
        let back = h.value(sql).await;
        assert!(back == "NULL" || back.is_empty(), "{back}");
    }
    assert_eq!(h.rows(USERS).await, seeded_users());
});

db_test!(create_enum_with_a_column_and_drop_both, |h| {
    let s = seeded(h).await;
    let mood = EnumType { name: "mood".into(), values: vec!["happy".into(), "it's ok".into()] };
    let steps = [
        Step::CreateEnum { r#enum: mood },
        Step::AddColumn { table: "users".into(), column: Column { nullable: true, ..col("mood", "enum(mood)") } },
    ];
    let after = h.up(&s, &steps).await;
    h.exec("UPDATE users SET mood = 'it''s ok' WHERE id = 2").await;
    h.exec_fails("UPDATE users SET mood = 'sad' WHERE id = 3").await;
    assert_eq!(
        h.rows("SELECT id, mood FROM users ORDER BY id").await,
        rows(&[&["1", "NULL"], &["2", "it's ok"], &["3", "NULL"]])
    );
    h.down(&after, &steps).await;
    assert!(!h.columns("users").await.contains(&"mood".to_owned()));
    if h.dialect == Dialect::Postgres {
        assert_eq!(h.value("SELECT COUNT(*) FROM pg_type WHERE typname = 'mood'").await, "0");
    }
});

fn status(values: &[&str]) -> EnumType {
    EnumType { name: "user_status".into(), values: values.iter().map(|v| (*v).to_owned()).collect() }
}

db_test!(alter_enum_add_values_then_remove_them, |h| {
    let s = seeded(h).await;
    let steps = [Step::AlterEnum {
        from: status(&["active", "banned"]),
        to: status(&["pending", "active", "banned", "deleted"]),
        renamed_values: vec![],
    }];
    let after = h.up(&s, &steps).await;
    h.exec("INSERT INTO users (role_id, email, status) VALUES (1, 'p@example.com', 'pending')").await;
    h.exec("UPDATE users SET status = 'deleted' WHERE id = 2").await;
    h.exec_fails("UPDATE users SET status = 'nope' WHERE id = 2").await;
    // Enum order is declaration order on PostgreSQL and MySQL; SQLite compares text.
    if h.dialect != Dialect::Sqlite {
        assert_eq!(h.rows("SELECT id FROM users ORDER BY status, id").await, rows(&[&["4"], &["1"], &["3"], &["2"]]));
    }
    h.exec("DELETE FROM users WHERE id = 4").await;
    h.exec("UPDATE users SET status = 'banned' WHERE id = 2").await;
    h.down(&after, &steps).await;
    assert_eq!(h.rows(USERS).await, seeded_users());
    h.exec_fails("UPDATE users SET status = 'pending' WHERE id = 2").await;
});

db_test!(alter_enum_rename_value, |h| {
    let s = seeded(h).await;
    let steps = [Step::AlterEnum {
        from: status(&["active", "banned"]),
        to: status(&["enabled", "banned"]),
        renamed_values: vec![("active".into(), "enabled".into())],
    }];
    let after = h.up(&s, &steps).await;
    assert_eq!(
        h.rows("SELECT id, status FROM users ORDER BY id").await,
        rows(&[&["1", "enabled"], &["2", "banned"], &["3", "enabled"]])
    );
    h.exec("INSERT INTO users (role_id, email) VALUES (1, 'dee@example.com')").await;
    assert_eq!(h.value("SELECT status FROM users WHERE id = 4").await, "enabled", "the default follows the rename");
    h.exec_fails("UPDATE users SET status = 'active' WHERE id = 2").await;
    h.down(&after, &steps).await;
    assert_eq!(h.rows(USERS).await[..3], seeded_users()[..]);
    assert_eq!(h.value("SELECT status FROM users WHERE id = 4").await, "active");
});

db_test!(raw_sql_runs_its_dialect_text, |h| {
    let s = seeded(h).await;
    let steps = [Step::RawSql {
        sql: DialectSql {
            default: Some("UPDATE users SET bio = 'default text'".into()),
            postgres: Some("UPDATE users SET bio = 'postgres text' WHERE bio IS NOT NULL".into()),
            ..DialectSql::default()
        },
        effect: Some(RawEffect::Nothing),
    }];
    h.up(&s, &steps).await;
    let expected = match h.dialect {
        Dialect::Postgres => rows(&[&["1", "postgres text"], &["2", "NULL"], &["3", "postgres text"]]),
        _ => rows(&[&["1", "default text"], &["2", "default text"], &["3", "default text"]]),
    };
    assert_eq!(h.rows("SELECT id, bio FROM users ORDER BY id").await, expected);
});

// Hand-written SQL that declares the step it amounts to: the database runs only the SQL, and a later step of the
// same migration renders against the declared schema.
db_test!(raw_sql_declaring_its_effect_lets_later_steps_render, |h| {
    let s = seeded(h).await;
    let tz = Column { nullable: true, ..Column::new("tz", ColumnType::Varchar(64)) };
    let steps = [
        Step::RawSql {
            sql: DialectSql {
                default: Some("ALTER TABLE users ADD COLUMN tz VARCHAR(64)".into()),
                ..DialectSql::default()
            },
            effect: Some(RawEffect::Steps(vec![Step::AddColumn { table: "users".into(), column: tz.clone() }])),
        },
        Step::CreateIndex {
            table: "users".into(),
            index: Index {
                name: "users_tz_idx".into(),
                columns: vec!["tz".into()],
                unique: false,
                predicate: None,
                ..Default::default()
            },
        },
    ];
    let after = h.up(&s, &steps).await;
    assert_eq!(after.table("users").unwrap().column("tz"), Some(&tz));
    assert!(after.table("users").unwrap().indexes.iter().any(|i| i.name == "users_tz_idx"));
    assert_eq!(h.value("SELECT COUNT(*) FROM users WHERE tz IS NULL").await, "3");
});

db_test!(create_table_with_every_kind_of_default, |h| {
    let mut t = Table::new("defaults");
    t.columns.push(Column { auto_increment: true, ..col("id", "i32") });
    t.primary_key = Some(PrimaryKey { name: "defaults_pkey".into(), columns: vec!["id".into()] });
    let mut with = |name: &str, ty: &str, d: DefaultValue| {
        t.columns.push(Column { default: Some(d), ..col(name, ty) });
    };
    with("flag", "bool", DefaultValue::Value(Literal::Bool(true)));
    with("count", "i32", DefaultValue::Value(Literal::Int(-7)));
    with("ratio", "f64", DefaultValue::Value(Literal::Float(0.25)));
    with("label", "varchar(40)", DefaultValue::Value(Literal::String(r"it's a \ path".into())));
    with("notes", "text", DefaultValue::Value(Literal::String(r"long \ 'text'".into())));
    with("meta", "json", DefaultValue::Value(Literal::String(r#"{"a": 1}"#.into())));
    with("uid", "uuid", DefaultValue::Expr(DefaultExpr::GenRandomUuid));
    with("day", "date", DefaultValue::Expr(DefaultExpr::CurrentDate));
    with("at", "time", DefaultValue::Expr(DefaultExpr::CurrentTime));
    with("stamp", "timestamptz", DefaultValue::Expr(DefaultExpr::CurrentTimestamp));
    with("price", "decimal(10,2)", DefaultValue::Value(Literal::Float(9.5)));
    with("raw", "i64", DefaultValue::Sql("1 + 1".into()));
    let steps = [Step::CreateTable { table: t }];
    let after = h.up(&Schema::empty(), &steps).await;
    h.exec("INSERT INTO defaults (count) VALUES (1)").await;
    h.exec("INSERT INTO defaults (count) VALUES (-7)").await;
    let row = h
        .rows("SELECT CASE WHEN flag THEN 1 ELSE 0 END, count, ratio, label, notes, raw FROM defaults WHERE id = 2")
        .await;
    assert_eq!(row, rows(&[&["1", "-7", "0.25", r"it's a \ path", r"long \ 'text'", "2"]]));
    assert_eq!(
        h.value("SELECT COUNT(*) FROM defaults WHERE uid IS NULL OR day IS NULL OR at IS NULL OR stamp IS NULL").await,
        "0"
    );
    let price = h.value("SELECT price FROM defaults WHERE id = 1").await;
    assert!(price == "9.50" || price == "9.5", "{price}");
    let meta = h.value("SELECT meta FROM defaults WHERE id = 1").await;
    assert_eq!(meta.replace(' ', ""), r#"{"a":1}"#);
    h.down(&after, &steps).await;
    assert!(!h.table_exists("defaults").await);
});

// Narrowing a text column must never cut values: PostgreSQL and MySQL (strict mode) refuse the change while a value
// does not fit, and SQLite, which does not enforce declared lengths, keeps the values whole. (An explicit
// `::VARCHAR(n)` cast in PostgreSQL's USING truncates silently; this test caught that.)
db_test!(narrowing_a_text_column_never_truncates, |h| {
    let s = seeded(h).await;
    let narrow = col("email", "varchar(3)");
    let steps = [Step::AlterColumn { table: "users".into(), from: users_col("email"), to: narrow, backfill: None }];
    let m = driftless_core::render::render_steps(&steps, h.dialect, &s).unwrap();
    let outcome = h.apply(&m).await;
    if h.dialect == Dialect::Sqlite {
        assert_eq!(outcome, Ok(()));
    } else {
        let err = outcome.unwrap_err();
        assert!(err.contains("too long"), "{}: {err}", h.dialect);
    }
    assert_eq!(h.rows(USERS).await, seeded_users(), "every email is kept whole");
});

// Renaming a table that other tables reference renames its generated primary key too (`roles_pkey` →
// `groups_pkey`). PostgreSQL cannot drop a key a foreign key depends on, so the renderer renames the constraint, and
// MySQL (whose key is always `PRIMARY`) runs nothing. The plan here is the differ's own, up and down.
db_test!(renaming_a_referenced_table_renames_its_primary_key, |h| {
    let s = seeded(h).await;
    let mut new = s.clone();
    let groups = new.table_mut("roles").unwrap();
    groups.name = "groups".into();
    groups.primary_key.as_mut().unwrap().name = "groups_pkey".into();
    groups.uniques[0].name = "groups_name_key".into();
    new.table_mut("users").unwrap().foreign_keys[0].ref_table = "groups".into();
    let new = new.normalized();
    let hints = driftless_core::schema::RenameHints {
        tables: vec![driftless_core::schema::TableRename { from: "roles".into(), to: "groups".into() }],
        ..Default::default()
    };
    let plan = driftless_core::classify::plan(&s, &new, &hints).unwrap();
    let up = plan.up_steps();
    assert!(up.iter().any(|st| matches!(st, Step::SetPrimaryKey { .. })), "{up:?}");
    let after = h.up(&s, &up).await;
    assert_eq!(h.rows("SELECT id, name FROM groups ORDER BY id").await, rows(&[&["1", "admin"], &["2", "member"]]));
    assert_eq!(h.rows(USERS).await, seeded_users());
    // The foreign key follows the rename and still cascades.
    h.exec_fails("INSERT INTO users (role_id, email) VALUES (99, 'nobody@example.com')").await;
    let m = driftless_core::render::render_steps(&plan.down_steps(), h.dialect, &after).unwrap();
    if let Err(e) = h.apply(&m).await {
        panic!("{}: down failed: {e}\n{}", h.dialect, m.script());
    }
    assert_eq!(h.rows(USERS).await, seeded_users());
    h.exec("DELETE FROM roles WHERE id = 1").await;
    assert_eq!(h.rows("SELECT id FROM users ORDER BY id").await, rows(&[&["2"], &["3"]]));
});

// An enum type renamed with a value renamed, from the differ with rename hints: PostgreSQL renames the type (the rows
// keep their values and the default keeps working); MySQL's inline ENUM and SQLite's CHECK do not name the type, so
// the rename runs nothing there. `down` renames the type and the value back.
db_test!(rename_enum_type_with_a_renamed_value, |h| {
    use driftless_core::schema::{EnumRename, EnumValueRename, RenameHints};
    let s = seeded(h).await;
    let mut new = s.clone();
    new.enums = vec![EnumType { name: "account_status".into(), values: vec!["enabled".into(), "banned".into()] }];
    let status = new.table_mut("users").unwrap().column_mut("status").unwrap();
    status.ty = ColumnType::Enum("account_status".into());
    status.default = Some(DefaultValue::Value(Literal::String("enabled".into())));
    let hints = RenameHints {
        enums: vec![EnumRename { from: "user_status".into(), to: "account_status".into() }],
        enum_values: vec![EnumValueRename {
            r#enum: "account_status".into(),
            from: "active".into(),
            to: "enabled".into(),
        }],
        ..RenameHints::default()
    };
    let plan = driftless_core::classify::plan(&s, &new, &hints).unwrap();
    let up = plan.up_steps();
    assert_eq!(up[0], Step::RenameEnum { from: "user_status".into(), to: "account_status".into() });
    let rename = driftless_core::render::render_steps(&up[..1], h.dialect, &s).unwrap();
    let sql: Vec<&str> = rename.statements.iter().map(|st| st.sql.as_str()).collect();
    match h.dialect {
        Dialect::Postgres => assert_eq!(sql, [r#"ALTER TYPE "user_status" RENAME TO "account_status""#]),
        _ => assert!(sql.is_empty(), "{}: {sql:?}", h.dialect),
    }
    let after = h.up(&s, &up).await;
    assert_eq!(after, new);
    assert_eq!(
        h.rows("SELECT id, status FROM users ORDER BY id").await,
        rows(&[&["1", "enabled"], &["2", "banned"], &["3", "enabled"]])
    );
    h.exec("INSERT INTO users (role_id, email) VALUES (1, 'dee@example.com')").await;
    assert_eq!(h.value("SELECT status FROM users WHERE id = 4").await, "enabled");
    h.exec_fails("UPDATE users SET status = 'active' WHERE id = 2").await;
    if h.dialect == Dialect::Postgres {
        assert_eq!(h.value("SELECT COUNT(*) FROM pg_type WHERE typname = 'user_status'").await, "0");
        assert_eq!(h.value("SELECT 'banned'::account_status::text").await, "banned");
    }
    let m = driftless_core::render::render_steps(&plan.down_steps(), h.dialect, &after).unwrap();
    if let Err(e) = h.apply(&m).await {
        panic!("{}: down failed: {e}\n{}", h.dialect, m.script());
    }
    assert_eq!(h.rows(USERS).await[..3], seeded_users()[..]);
    assert_eq!(h.value("SELECT status FROM users WHERE id = 4").await, "active");
    if h.dialect == Dialect::Postgres {
        assert_eq!(h.value("SELECT COUNT(*) FROM pg_type WHERE typname = 'account_status'").await, "0");
        assert_eq!(h.value("SELECT 'banned'::user_status::text").await, "banned");
    }
});
