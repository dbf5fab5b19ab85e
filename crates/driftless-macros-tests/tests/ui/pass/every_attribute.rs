// Every attribute the derives accept, together, must compile and give a schema that validates.
use driftless::prelude::*;

#[derive(DbEnum)]
#[model(name = "post_status", rename_all = "kebab-case")]
enum PostStatus {
    Draft,
    #[model(rename = "live")]
    Published,
    InReview,
}

#[derive(Model)]
#[model(table = "roles")]
struct Role {
    #[model(primary_key, auto_increment)]
    id: i32,
    #[model(max_length = 32, unique)]
    name: String,
}

#[derive(Model)]
#[model(
    table = "posts",
    renamed_from = "articles",
    comment = "Blog posts",
    index(columns = ["role_id", "created_at"]),
    index(columns = ["url_slug"], unique, name = "posts_live_slug", predicate = "deleted_at IS NULL"),
    unique(columns = ["role_id", "url_slug"], name = "posts_role_slug"),
    check(name = "posts_score_positive", expr = "score >= 0"),
    crate = "::driftless"
)]
struct Post {
    #[model(primary_key, default_expr = "uuid")]
    id: uuid::Uuid,
    #[model(references = "roles.id", on_delete = "set_null", on_update = "cascade", index)]
    role_id: Option<i32>,
    #[model(max_length = 200, column = "url_slug", renamed_from = "permalink")]
    slug: String,
    #[model(default = "draft")]
    status: PostStatus,
    #[model(default = 0, comment = "Votes")]
    score: i64,
    #[model(default = 1.5)]
    weight: f64,
    #[model(default = false)]
    pinned: bool,
    #[model(default_sql = "'{}'")]
    meta: serde_json::Value,
    #[model(precision = 12, scale = 2)]
    price: rust_decimal::Decimal,
    #[model(default_expr = "now")]
    created_at: chrono::DateTime<chrono::Utc>,
    deleted_at: Option<time::OffsetDateTime>,
    #[model(sql_type = "CITEXT")]
    tag: Option<String>,
    #[model(skip)]
    rendered: Option<std::collections::HashMap<String, String>>,
}

fn main() {
    let schema = driftless::schema![Role, Post].build().expect("the schema is valid");
    assert_eq!(schema.tables.len(), 2);
    assert_eq!(schema.enums[0].values, ["draft", "live", "in-review"]);
    let _ = PostIden::Slug;
}
