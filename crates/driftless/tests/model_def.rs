//! `#[derive(Model)]` end to end: each test derives models and compares the whole `ModelDef` / `Table` with the
//! value written out by hand, so any change in what the derive produces shows up as a precise diff.

use driftless::prelude::*;
use driftless::schema::{
    Check, Column, ColumnType, CustomType, DefaultExpr, DefaultValue, EnumType, ForeignKey, Index, Literal, ModelDef,
    PrimaryKey, ReferentialAction, Table, UniqueConstraint,
};

fn col(name: &str, ty: ColumnType) -> Column {
    Column::new(name, ty)
}

fn nullable(name: &str, ty: ColumnType) -> Column {
    Column { nullable: true, ..Column::new(name, ty) }
}

fn with_default(mut c: Column, d: DefaultValue) -> Column {
    c.default = Some(d);
    c
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[derive(DbEnum)]
#[model(name = "post_status")]
#[allow(dead_code)] // Variants are only read through the derived `DbEnum` impl.
enum PostStatus {
    Draft,
    #[model(rename = "live")]
    Published,
    InReview,
}

#[derive(DbEnum)]
#[model(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(dead_code)] // As above.
enum Visibility {
    Public,
    FriendsOnly,
}

#[derive(Model)]
#[model(table = "users", renamed_from = "accounts", comment = "People who sign in")]
#[allow(dead_code)] // Fields describe columns; no test reads them.
struct User {
    #[model(primary_key, auto_increment)]
    id: i64,
    #[model(max_length = 64, unique, renamed_from = "login")]
    name: String,
    #[model(column = "email_address", index, comment = "Where mail goes")]
    email: Option<String>,
    #[model(default = true, index)]
    active: bool,
    #[model(references = "roles.id", on_delete = "cascade")]
    role_id: i32,
    timezone: Option<String>,
    #[model(skip)]
    session_cache: Vec<String>,
}

#[test]
fn user_model_def_is_exact() {
    let def = <User as Model>::model_def();
    let mut table = Table::new("users");
    table.comment = Some("People who sign in".into());
    table.columns = vec![
        Column { auto_increment: true, ..col("id", ColumnType::BigInt) },
        col("name", ColumnType::Varchar(64)),
        Column { comment: Some("Where mail goes".into()), ..nullable("email_address", ColumnType::Text) },
        with_default(col("active", ColumnType::Boolean), DefaultValue::Value(Literal::Bool(true))),
        col("role_id", ColumnType::Integer),
        nullable("timezone", ColumnType::Text),
    ];
    table.primary_key = Some(PrimaryKey { name: "users_pkey".into(), columns: strings(&["id"]) });
    table.indexes = vec![
        Index {
            name: "users_active_idx".into(),
            columns: strings(&["active"]),
            unique: false,
            predicate: None,
            ..Default::default()
        },
        Index {
            name: "users_email_address_idx".into(),
            columns: strings(&["email_address"]),
            unique: false,
            predicate: None,
            ..Default::default()
        },
    ];
    table.uniques = vec![UniqueConstraint { name: "users_name_key".into(), columns: strings(&["name"]) }];
    table.foreign_keys = vec![ForeignKey {
        name: "users_role_id_fkey".into(),
        columns: strings(&["role_id"]),
        ref_table: "roles".into(),
        ref_columns: strings(&["id"]),
        on_delete: ReferentialAction::Cascade,
        on_update: ReferentialAction::NoAction,
    }];
    let expected = ModelDef {
        rust_name: "User",
        table,
        enums: vec![],
        enum_renames: vec![],
        renamed_from: Some("accounts".into()),
        column_renames: vec![("login".into(), "name".into())],
        column_backfills: vec![],
    };
    assert_eq!(def, expected);
    assert_eq!(<User as Model>::TABLE, "users");
}

#[derive(Model)]
#[model(
    index(columns = ["author_id", "created_at"]),
    index(columns = ["slug"], unique, name = "live_post_slugs", predicate = "deleted_at IS NULL"),
    unique(columns = ["author_id", "title"]),
    check(name = "posts_title_not_blank", expr = "title <> ''"),
    check(expr = "score >= 0")
)]
#[allow(dead_code)] // Fields describe columns; no test reads them.
struct BlogPost {
    #[model(primary_key, default_expr = "gen_random_uuid", sql_type = "UUID")]
    id: String,
    #[model(references = "users.id", on_delete = "set_null", on_update = "cascade")]
    author_id: Option<i64>,
    title: String,
    slug: String,
    #[model(default = "draft")]
    status: PostStatus,
    visibility: Option<Visibility>,
    #[model(default = -3)]
    score: i16,
    #[model(default = 0.5)]
    weight: f32,
    #[model(default_sql = "lower('X')")]
    code: String,
    #[model(default_expr = "now")]
    created_at: String,
    deleted_at: Option<String>,
    body: Vec<u8>,
    ratio: f64,
}

#[test]
fn blog_post_table_has_container_keys_checks_and_enums() {
    let def = <BlogPost as Model>::model_def();
    assert_eq!(def.rust_name, "BlogPost");
    assert_eq!(def.renamed_from, None);
    assert!(def.column_renames.is_empty());
    assert_eq!(
        def.enums,
        vec![
            EnumType { name: "post_status".into(), values: strings(&["draft", "live", "in_review"]) },
            EnumType { name: "visibility".into(), values: strings(&["PUBLIC", "FRIENDS_ONLY"]) },
        ]
    );
    let t = &def.table;
    assert_eq!(t.name, "blog_post");
    assert_eq!(
        t.columns,
        vec![
            with_default(
                col(
                    "id",
                    ColumnType::Custom(CustomType {
                        default: "UUID".into(),
                        sqlite: None,
                        postgres: None,
                        mysql: None
                    })
                ),
                DefaultValue::Expr(DefaultExpr::GenRandomUuid)
            ),
            nullable("author_id", ColumnType::BigInt),
            col("title", ColumnType::Text),
            col("slug", ColumnType::Text),
            with_default(
                col("status", ColumnType::Enum("post_status".into())),
                DefaultValue::Value(Literal::String("draft".into()))
            ),
            nullable("visibility", ColumnType::Enum("visibility".into())),
            with_default(col("score", ColumnType::SmallInt), DefaultValue::Value(Literal::Int(-3))),
            with_default(col("weight", ColumnType::Real), DefaultValue::Value(Literal::Float(0.5))),
            with_default(col("code", ColumnType::Text), DefaultValue::Sql("lower('X')".into())),
            with_default(col("created_at", ColumnType::Text), DefaultValue::Expr(DefaultExpr::CurrentTimestamp)),
            nullable("deleted_at", ColumnType::Text),
            col("body", ColumnType::Bytes),
            col("ratio", ColumnType::Double),
        ]
    );
    assert_eq!(t.primary_key, Some(PrimaryKey { name: "blog_post_pkey".into(), columns: strings(&["id"]) }));
    assert_eq!(
        t.indexes,
        vec![
            Index {
                name: "blog_post_author_id_created_at_idx".into(),
                columns: strings(&["author_id", "created_at"]),
                unique: false,
                predicate: None,
                ..Default::default()
            },
            Index {
                name: "live_post_slugs".into(),
                columns: strings(&["slug"]),
                unique: true,
                predicate: Some("deleted_at IS NULL".into()),
                ..Default::default()
            },
        ]
    );
    assert_eq!(
        t.uniques,
        vec![UniqueConstraint {
            name: "blog_post_author_id_title_key".into(),
            columns: strings(&["author_id", "title"])
        }]
    );
    assert_eq!(
        t.foreign_keys,
        vec![ForeignKey {
            name: "blog_post_author_id_fkey".into(),
            columns: strings(&["author_id"]),
            ref_table: "users".into(),
            ref_columns: strings(&["id"]),
            on_delete: ReferentialAction::SetNull,
            on_update: ReferentialAction::Cascade,
        }]
    );
    assert_eq!(
        t.checks,
        vec![
            Check { name: "blog_post_check".into(), expr: "score >= 0".into() },
            Check { name: "posts_title_not_blank".into(), expr: "title <> ''".into() },
        ]
    );
}

#[derive(Model)]
#[model(table = "post_tags")]
#[allow(dead_code)] // Fields describe columns; no test reads them.
struct PostTag {
    #[model(primary_key, references = "blog_post.id", on_delete = "cascade")]
    post_id: String,
    #[model(primary_key, references = "tags.id", on_delete = "restrict", on_update = "set_default")]
    tag_id: i32,
    #[model(column = "kind")]
    r#type: Option<i16>,
}

#[test]
fn composite_primary_key_keeps_field_order_and_raw_identifiers_lose_their_prefix() {
    let t = <PostTag as Model>::model_def().table;
    assert_eq!(
        t.primary_key,
        Some(PrimaryKey { name: "post_tags_pkey".into(), columns: strings(&["post_id", "tag_id"]) })
    );
    let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["post_id", "tag_id", "kind"]);
    let actions: Vec<_> = t.foreign_keys.iter().map(|f| (f.name.as_str(), f.on_delete, f.on_update)).collect();
    assert_eq!(
        actions,
        [
            ("post_tags_post_id_fkey", ReferentialAction::Cascade, ReferentialAction::NoAction),
            ("post_tags_tag_id_fkey", ReferentialAction::Restrict, ReferentialAction::SetDefault),
        ]
    );
}

#[derive(Model)]
#[allow(dead_code)] // Fields describe columns; no test reads them.
struct Ledger {
    #[model(primary_key, auto_increment)]
    id: i32,
    #[model(precision = 12, scale = 2)]
    amount: rust_decimal::Decimal,
    #[model(precision = 8)]
    units: Option<rust_decimal::Decimal>,
    fee: rust_decimal::Decimal,
    reference: uuid::Uuid,
    meta: serde_json::Value,
    booked_on: chrono::NaiveDate,
    booked_at: chrono::NaiveTime,
    local: chrono::NaiveDateTime,
    instant: chrono::DateTime<chrono::Utc>,
    t_date: time::Date,
    t_time: time::Time,
    t_local: time::PrimitiveDateTime,
    t_instant: Option<time::OffsetDateTime>,
}

#[test]
fn feature_gated_types_map_to_portable_types() {
    let t = <Ledger as Model>::model_def().table;
    let types: Vec<(String, String, bool)> =
        t.columns.iter().map(|c| (c.name.clone(), c.ty.to_string(), c.nullable)).collect();
    let expected = [
        ("id", "i32", false),
        ("amount", "decimal(12,2)", false),
        ("units", "decimal(8,0)", true),
        ("fee", "decimal(19,4)", false),
        ("reference", "uuid", false),
        ("meta", "json", false),
        ("booked_on", "date", false),
        ("booked_at", "time", false),
        ("local", "datetime", false),
        ("instant", "timestamptz", false),
        ("t_date", "date", false),
        ("t_time", "time", false),
        ("t_local", "datetime", false),
        ("t_instant", "timestamptz", true),
    ];
    let expected: Vec<(String, String, bool)> =
        expected.iter().map(|(n, t, null)| ((*n).to_owned(), (*t).to_owned(), *null)).collect();
    assert_eq!(types, expected);
    assert_eq!(t.name, "ledger");
}

#[test]
fn db_enum_converts_both_ways() {
    use driftless::DbEnum as _;
    assert_eq!(PostStatus::Published.as_db_str(), "live");
    assert!(matches!(PostStatus::from_db_str("in_review"), Some(PostStatus::InReview)));
    assert!(PostStatus::from_db_str("Published").is_none());
    assert_eq!(<PostStatus as driftless::DbEnum>::VALUES, ["draft", "live", "in_review"]);
    assert_eq!(<Visibility as driftless::SqlColumn>::column_type(), ColumnType::Enum("visibility".into()));
}

#[derive(Model)]
#[model(
    table = "members",
    index(expression = "lower(email)", name = "members_lower_email_idx", unique, predicate = "email <> ''")
)]
#[allow(dead_code)] // Fields describe columns; no test reads them.
struct Member {
    #[model(primary_key)]
    id: i64,
    email: String,
}

#[test]
fn container_expression_index_is_an_index_over_its_expression() {
    let t = <Member as Model>::model_def().table;
    assert_eq!(
        t.indexes,
        [Index {
            name: "members_lower_email_idx".into(),
            columns: vec![],
            unique: true,
            predicate: Some("email <> ''".into()),
            expression: Some("lower(email)".into()),
            ..Default::default()
        }]
    );
}
