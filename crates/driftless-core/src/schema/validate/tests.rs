use super::super::*;

fn table(name: &str, cols: &[(&str, ColumnType)]) -> Table {
    let mut t = Table::new(name);
    t.columns = cols.iter().map(|(n, ty)| Column::new(*n, ty.clone())).collect();
    t
}

#[test]
fn reports_every_problem_at_once() {
    let mut users = table("users", &[("id", ColumnType::BigInt), ("role_id", ColumnType::Integer)]);
    users.columns[0].nullable = true;
    users.primary_key = Some(PrimaryKey { name: "users_pkey".into(), columns: vec!["id".into()] });
    users.foreign_keys.push(ForeignKey {
        name: "users_role_id_fkey".into(),
        columns: vec!["role_id".into()],
        ref_table: "roles".into(),
        ref_columns: vec!["id".into()],
        on_delete: ReferentialAction::Cascade,
        on_update: ReferentialAction::NoAction,
    });
    let mut roles = table("roles", &[("id", ColumnType::BigInt)]);
    roles.primary_key = Some(PrimaryKey { name: "roles_pkey".into(), columns: vec!["id".into()] });
    let empty = table("empty", &[]);
    let long = table(&"x".repeat(64), &[("a", ColumnType::Text)]);
    let schema = Schema {
        tables: vec![users, roles, empty, long],
        enums: vec![EnumType { name: "mood".into(), values: vec!["ok".into(), "ok".into()] }],
    };
    let errs = schema.validate().unwrap_err();
    let text = errs.to_string();
    assert_eq!(
        text,
        format!(
            "the schema has 5 problems:\n  \
             - enum `mood` has the value `ok` more than once\n  \
             - table `users`, column `id`: a primary-key column cannot be nullable (use a non-Option type)\n  \
             - table `users`, column `role_id`: foreign key `users_role_id_fkey`: the column is `i32` but \
             `roles.id` is `i64`\n  \
             - table `empty`: the table has no columns\n  \
             - table `{x}`: the table name must be 1 to 63 bytes long (it is 64)",
            x = "x".repeat(64)
        )
    );
}

#[test]
fn foreign_keys_must_target_known_keys() {
    let mut a = table("a", &[("id", ColumnType::Integer), ("b_code", ColumnType::Text)]);
    a.foreign_keys.push(ForeignKey {
        name: "a_b_code_fkey".into(),
        columns: vec!["b_code".into()],
        ref_table: "b".into(),
        ref_columns: vec!["code".into()],
        on_delete: ReferentialAction::SetNull,
        on_update: ReferentialAction::NoAction,
    });
    a.foreign_keys.push(ForeignKey {
        name: "a_id_fkey".into(),
        columns: vec!["id".into()],
        ref_table: "nowhere".into(),
        ref_columns: vec!["id".into()],
        on_delete: ReferentialAction::NoAction,
        on_update: ReferentialAction::NoAction,
    });
    let b = table("b", &[("code", ColumnType::Varchar(8))]);
    let errs = Schema { tables: vec![a, b], enums: vec![] }.validate().unwrap_err();
    let msgs: Vec<String> = errs.0.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        msgs,
        [
            "table `a`, column `b_code`: foreign key `a_b_code_fkey` uses SET NULL but the column is not nullable",
            "table `a`: foreign key `a_b_code_fkey` references `b`(code), which is neither its primary key nor \
             unique",
            "table `a`: foreign key `a_id_fkey` references unknown table `nowhere`",
        ]
    );
}

#[test]
fn defaults_must_fit_their_column() {
    let mut t = table("t", &[("n", ColumnType::Integer), ("s", ColumnType::Varchar(2)), ("b", ColumnType::Boolean)]);
    t.columns[0].default = Some(DefaultValue::Value(Literal::String("zero".into())));
    t.columns[1].default = Some(DefaultValue::Value(Literal::String("abc".into())));
    t.columns[2].default = Some(DefaultValue::Value(Literal::Int(1)));
    let errs = Schema { tables: vec![t], enums: vec![] }.validate().unwrap_err();
    let msgs: Vec<String> = errs.0.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        msgs,
        [
            "table `t`, column `n`: the default \"zero\" does not fit the column type `i32`",
            "table `t`, column `s`: the default \"abc\" is longer than the column's 2 characters",
            "table `t`, column `b`: the default 1 does not fit the column type `bool`",
        ]
    );
}

fn messages(schema: Schema) -> Vec<String> {
    schema.validate().map(|()| Vec::new()).unwrap_or_else(|e| e.0.iter().map(|e| e.to_string()).collect())
}

#[test]
fn an_expression_index_has_one_non_empty_expression_and_no_columns() {
    let mut t = table("users", &[("id", ColumnType::BigInt), ("email", ColumnType::Text)]);
    t.indexes.push(crate::define::index_on_expression("users_lower_email_idx", "lower(email)").unique());
    assert_eq!(messages(Schema { tables: vec![t.clone()], enums: vec![] }), Vec::<String>::new());
    t.indexes.push(crate::define::index_on_expression("users_blank_idx", " "));
    t.indexes
        .push(Index { columns: vec!["id".into()], ..crate::define::index_on_expression("users_mixed_idx", "id + 1") });
    assert_eq!(
        messages(Schema { tables: vec![t], enums: vec![] }),
        [
            "table `users`: index `users_blank_idx` has an empty expression",
            "table `users`: index `users_mixed_idx` has both an expression and columns (or prefixes); an expression \
             index indexes its one expression only: drop the columns, or write the column into the expression"
        ]
    );
}

#[test]
fn names_some_dialect_cannot_create_are_refused() {
    let mut t = table("t\0", &[("a ", ColumnType::Text), ("🦀", ColumnType::Text), ("ok", ColumnType::Text)]);
    t.indexes.push(Index {
        name: "ix ".into(),
        columns: vec!["ok".into()],
        unique: false,
        predicate: None,
        ..Default::default()
    });
    assert_eq!(
        messages(Schema { tables: vec![t], enums: vec![] }),
        [
            "table `t\0`: the table name contains a NUL character, which no dialect accepts in a name (PostgreSQL, \
             MySQL/MariaDB and SQLite); remove it",
            "table `t\0`, column `a `: the column name `a ` ends with a space, which MySQL/MariaDB refuse in names; \
             remove the space",
            "table `t\0`, column `🦀`: the column name `🦀` contains `🦀` (U+1F980), a 4-byte character, which \
             MySQL/MariaDB cannot hold in a name (names are stored as 3-byte utf8mb3); use characters of the Basic \
             Multilingual Plane",
            "table `t\0`: the constraint or index name `ix ` ends with a space, which MySQL/MariaDB refuse in names; \
             remove the space",
        ]
    );
    // Characters of the Basic Multilingual Plane are fine everywhere, and so are inner spaces.
    let ok = table("café au lait", &[("größe", ColumnType::Text), ("名前", ColumnType::Text)]);
    assert_eq!(messages(Schema { tables: vec![ok], enums: vec![] }), Vec::<String>::new());
}

#[test]
fn names_that_fold_together_are_refused_with_the_dialects_that_fold() {
    let mut users = table("users", &[("Email", ColumnType::Text), ("email", ColumnType::Text)]);
    users.columns.push(Column::new("ÄRGER", ColumnType::Text));
    users.columns.push(Column::new("ärger", ColumnType::Text));
    users.indexes.push(Index {
        name: "users_ix".into(),
        columns: vec!["email".into()],
        unique: false,
        predicate: None,
        ..Default::default()
    });
    users.uniques.push(UniqueConstraint { name: "USERS_IX".into(), columns: vec!["Email".into()] });
    users.checks.push(Check { name: "c1".into(), expr: "1 = 1".into() });
    users.checks.push(Check { name: "C1".into(), expr: "2 = 2".into() });
    let upper = table("Users", &[("id", ColumnType::Text)]);
    assert_eq!(
        messages(Schema { tables: vec![users, upper], enums: vec![] }),
        [
            "table `Users`: the names `users` and `Users` differ only in letter case, which SQLite ignores in table \
             and index names (one namespace per database); rename one of them",
            "table `users`, column `email`: the columns `Email` and `email` differ only in letter case, which \
             MySQL/MariaDB and SQLite ignore in column names; rename one of them",
            "table `users`, column `ärger`: the columns `ÄRGER` and `ärger` differ only in letter case, which \
             MySQL/MariaDB ignore in column names; rename one of them",
            "table `users`: the constraint or index names `users_ix` and `USERS_IX` differ only in letter case, \
             which MySQL/MariaDB ignore; rename one of them",
            "table `users`: the constraint or index names `c1` and `C1` differ only in letter case, which \
             MySQL/MariaDB ignore; rename one of them",
        ]
    );
}

#[test]
fn auto_increment_rules() {
    let mut t = table("t", &[("id", ColumnType::Text), ("n", ColumnType::Integer)]);
    t.columns[0].auto_increment = true;
    t.columns[1].auto_increment = true;
    t.primary_key = Some(PrimaryKey { name: "t_pkey".into(), columns: vec!["id".into()] });
    let errs = Schema { tables: vec![t], enums: vec![] }.validate().unwrap_err();
    let msgs: Vec<String> = errs.0.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        msgs,
        [
            "table `t`: only one column can be auto_increment (found `id`, `n`)",
            "table `t`, column `id`: auto_increment needs an integer column, not `text`",
        ]
    );
}

#[test]
fn auto_increment_need_not_be_the_key_but_cannot_be_nullable() {
    let mut t = table("t", &[("id", ColumnType::BigInt), ("ticket", ColumnType::BigInt)]);
    t.primary_key = Some(PrimaryKey { name: "t_pkey".into(), columns: vec!["id".into()] });
    t.columns[1].auto_increment = true;
    assert!(Schema { tables: vec![t.clone()], enums: vec![] }.validate().is_ok());
    t.columns[1].nullable = true;
    let errs = Schema { tables: vec![t], enums: vec![] }.validate().unwrap_err();
    let msgs: Vec<String> = errs.0.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        msgs,
        [
            "table `t`, column `ticket`: an auto_increment column cannot be nullable (every dialect gives it a value); make it NOT NULL"
        ]
    );
}

#[test]
fn repeated_names_are_reported_once_per_repeat_in_order() {
    let mut t = table(
        "t",
        &[
            ("id", ColumnType::Integer),
            ("a", ColumnType::Integer),
            ("id", ColumnType::Integer),
            ("a", ColumnType::Text),
        ],
    );
    t.primary_key = Some(PrimaryKey { name: "t_pkey".into(), columns: vec!["id".into(), "a".into(), "id".into()] });
    let fk = |name: &str| ForeignKey {
        name: name.into(),
        columns: vec!["id".into(), "a".into()],
        ref_table: "u".into(),
        // The referenced primary key's columns, in another order: still the key.
        ref_columns: vec!["y".into(), "x".into()],
        on_delete: ReferentialAction::NoAction,
        on_update: ReferentialAction::NoAction,
    };
    let not_a_key = ForeignKey { ref_columns: vec!["y".into(), "y".into()], ..fk("t_fk2") };
    t.foreign_keys = vec![fk("t_fk"), fk("t_fk"), not_a_key];
    t.checks = vec![Check { name: "t_fk".into(), expr: "a > 0".into() }];
    let mut u = table("u", &[("x", ColumnType::Integer), ("y", ColumnType::Integer)]);
    u.primary_key = Some(PrimaryKey { name: "u_pkey".into(), columns: vec!["x".into(), "y".into()] });
    let mut v = u.clone();
    v.primary_key.as_mut().unwrap().name = "v_pkey".into();
    let expected = [
        "table `u`: the table is defined more than once",
        "table `t`, column `id`: the column is defined more than once",
        "table `t`, column `a`: the column is defined more than once",
        "table `t`, column `id`: the column is listed twice in the primary key",
        "table `t`: the constraint name `t_fk` is used more than once",
        "table `t`: the constraint name `t_fk` is used more than once",
        "table `t`: foreign key `t_fk2` references `u`(y, y), which is neither its primary key nor unique",
    ];
    // Sorted by name (as every built or read schema is) and not: the same problems.
    let sorted = Schema { tables: vec![t.clone(), u.clone(), v.clone()], enums: vec![] };
    let mut unsorted = sorted.clone();
    unsorted.tables.swap(0, 2);
    assert_eq!(messages(sorted), expected);
    for schema in [Schema { tables: vec![t.clone(), u.clone(), v.clone()], enums: vec![] }, unsorted] {
        let got = messages(schema);
        let mut got_sorted = got.clone();
        got_sorted.sort();
        let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(got_sorted, want, "{got:#?}");
    }
}
