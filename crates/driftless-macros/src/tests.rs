//! Expansion snapshots: each test expands one input with `expand_model` / `expand_db_enum`, formats the output
//! with prettyplease, and compares it with `src/snapshots/`. The input is recorded in the snapshot's description.

use proc_macro2::TokenStream;

use crate::db_enum::expand_db_enum;
use crate::model::Emit;

/// The whole expansion, as the `driftless` crate's default features plus `iden` give it.
fn expand_model(input: TokenStream) -> TokenStream {
    crate::model::expand_model(input, Emit::ALL)
}

fn pretty(tokens: TokenStream) -> String {
    let file: syn::File = syn::parse2(tokens).expect("the expansion is a list of items");
    prettyplease::unparse(&file)
}

fn expand_with(name: &str, expand: fn(TokenStream) -> TokenStream, input: &str) -> String {
    let tokens: TokenStream = input.parse().expect("the test input tokenizes");
    let out = pretty(expand(tokens));
    insta::with_settings!({ description => input.trim(), omit_expression => true }, {
        insta::assert_snapshot!(name, out);
    });
    out
}

#[test]
fn minimal_struct() {
    let out = expand_with(
        "minimal_struct",
        expand_model,
        r#"
struct User {
    #[model(primary_key, auto_increment)]
    id: i64,
    name: String,
}
"#,
    );
    assert!(out.contains(r#"rust_name: "User""#) && out.contains(r#"table: "user""#), "{out}");
    assert!(
        out.contains(
            "const DEFINITION: &'static _driftless::__private::ModelTable = &_driftless::__private::ModelTable {"
        ),
        "the definition is a constant of plain data, no function per model: {out}"
    );
    assert!(!out.contains("fn model_def"), "{out}");
    assert!(out.contains("enum UserIden"));
    assert!(out.contains("inventory::submit!") && out.contains(r#""User"), "user")"#), "{out}");
}

#[test]
fn unlisted_struct_is_not_registered() {
    let input = r#"
#[model(unlisted)]
struct Scratch {
    #[model(primary_key)]
    id: i64,
}
"#;
    let out = pretty(expand_model(input.parse().unwrap()));
    assert!(out.contains("impl _driftless::__private::Model for Scratch"), "{out}");
    assert!(!out.contains("inventory") && !out.contains("registration"), "{out}");
    let listed = pretty(expand_model(input.replace("#[model(unlisted)]", "").parse().unwrap()));
    assert!(listed.contains("inventory::submit!"), "{listed}");
}

#[test]
fn every_field_attribute() {
    expand_with(
        "every_field_attribute",
        expand_model,
        r#"
#[model(table = "accounts", renamed_from = "users", comment = "People who sign in")]
pub struct Account {
    #[model(primary_key, auto_increment)]
    pub id: i64,
    #[model(max_length = 64, unique, renamed_from = "login")]
    pub name: String,
    #[model(column = "mail", index, comment = "Where we write to")]
    pub email: Option<String>,
    #[model(default = true)]
    pub active: bool,
    #[model(default = -1)]
    pub score: i32,
    #[model(default = 2.5)]
    pub ratio: f64,
    #[model(default = "UTC")]
    pub timezone: String,
    #[model(default_sql = "lower('X')")]
    pub code: String,
    #[model(default_expr = "now")]
    pub created_at: String,
    #[model(references = "roles.id", on_delete = "cascade", on_update = "set null")]
    pub role_id: i64,
    #[model(sql_type = "CITEXT")]
    pub nick: Option<String>,
    #[model(precision = 10, scale = 2)]
    pub balance: Decimal,
    #[model(backfill = "lower(name)")]
    pub slug: String,
    #[model(skip)]
    pub cache: Vec<String>,
}
"#,
    );
}

#[test]
fn container_keys_and_checks() {
    expand_with(
        "container_keys_and_checks",
        expand_model,
        r#"
#[model(
    index(columns = ["chat_id", "created_at"]),
    index(columns = ["email"], unique, name = "live_emails", predicate = "deleted_at IS NULL"),
    unique(columns = ["chat_id", "seq"]),
    check(expr = "seq >= 0")
)]
struct Message {
    #[model(primary_key)]
    id: i64,
    chat_id: i64,
    seq: i32,
    email: String,
    created_at: i64,
    deleted_at: Option<i64>,
}
"#,
    );
}

#[test]
fn composite_primary_key_and_crate_override() {
    expand_with(
        "composite_primary_key_and_crate_override",
        expand_model,
        r#"
#[model(crate = "my_app::db::driftless")]
pub(crate) struct PostTag {
    #[model(primary_key, references = "posts.id")]
    post_id: i64,
    #[model(primary_key, references = "tags.id")]
    tag_id: i64,
    r#type: i16,
}
"#,
    );
}

#[test]
fn db_enum() {
    let out = expand_with(
        "db_enum",
        expand_db_enum,
        r#"
#[model(name = "post_status")]
enum PostStatus {
    Draft,
    #[model(rename = "live")]
    Published,
    InReview,
}
"#,
    );
    assert!(out.contains(r#"&["draft", "live", "in_review"]"#));
}

#[test]
fn errors_are_all_reported() {
    let out = expand_with(
        "errors_are_all_reported",
        expand_model,
        r#"
#[model(tabel = "x")]
struct Bad {
    #[model(primary_key, primary_key)]
    id: i64,
    #[model(max_length = "ten", on_delete = "cascade")]
    name: String,
}
"#,
    );
    assert_eq!(out.matches("compile_error!").count(), 4, "{out}");
}

#[test]
fn expression_index() {
    let out = expand_with(
        "expression_index",
        expand_model,
        r#"
#[model(index(expression = "lower(email)", name = "users_lower_email_idx", unique, predicate = "email <> ''"))]
struct User {
    #[model(primary_key)]
    id: i64,
    email: String,
}
"#,
    );
    // Whitespace removed, as prettyplease breaks the call over lines.
    let flat: String = out.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(
        flat.contains(r#"TableItem::Expression("users_lower_email_idx","lower(email)",true,_driftless::__private::Option::Some("email<>''"),)"#),
        "{out}"
    );
}

#[test]
fn expression_index_errors() {
    let out = expand_with(
        "expression_index_errors",
        expand_model,
        r#"
#[model(index(expression = "lower(email)"), index(expression = "lower(email)", name = "x", columns = ["email"]))]
struct User {
    #[model(primary_key)]
    id: i64,
    email: String,
}
"#,
    );
    assert!(out.contains(r#"`index(expression = ...)` needs `name = \"...\"`"#), "{out}");
    assert!(out.contains("`index(expression = ...)` indexes its one expression: drop `columns` and `prefix`"), "{out}");
}

/// Without the features `iden` and `unlisted-check`: the `Model` impl alone, not wrapped in a `const _` block (so it
/// names the runtime crate by its path), and otherwise the same as in the whole expansion.
#[test]
fn lean_expansion_is_the_model_impl_alone() {
    let input = r#"
struct User {
    #[model(primary_key, auto_increment)]
    id: i64,
    name: String,
}
"#;
    let lean = expand_with(
        "lean_expansion",
        |t| crate::model::expand_model(t, Emit { iden: false, registration: false }),
        input,
    );
    assert!(!lean.contains("UserIden") && !lean.contains("__NAMES"), "{lean}");
    assert!(!lean.contains("inventory") && !lean.contains("registration"), "{lean}");
    assert!(lean.starts_with("#[automatically_derived]\n"), "{lean}");
    assert!(lean.contains("impl ::driftless::__private::Model for User"), "{lean}");
    assert!(!lean.contains("const _") && !lean.contains("extern crate"), "{lean}");
    // The attribute check, with no `const _` block to hold it, is evaluated with the constant.
    let flat = |text: &str| text.split_whitespace().collect::<String>();
    let checked =
        "ModelTable={::driftless::__private::assert_integer_column::<i64>();&::driftless::__private::ModelTable{";
    assert!(flat(&lean).contains(checked), "{lean}");
    // Otherwise the same impl as in the whole expansion (a model without attribute checks).
    let input = input.replace(", auto_increment", "");
    let lean = pretty(crate::model::expand_model(input.parse().unwrap(), Emit { iden: false, registration: false }));
    let full = pretty(expand_model(input.parse().unwrap()));
    let lean_impl = flat(&lean)
        .replace("#[allow(unused_qualifications,clippy::absolute_paths)]", "")
        .replace("::driftless::__private", "_driftless::__private");
    assert!(flat(&full).contains(&lean_impl), "the same impl as in\n{full}\nbut\n{lean}");
    let crate_path = pretty(crate::model::expand_model(
        input.replace("struct User", "#[model(crate = \"my::driftless\")]\nstruct User").parse().unwrap(),
        Emit { iden: false, registration: false },
    ));
    assert!(crate_path.contains("impl my::driftless::__private::Model for User"), "{crate_path}");

    let iden_only =
        pretty(crate::model::expand_model(input.parse().unwrap(), Emit { iden: true, registration: false }));
    assert!(iden_only.contains("enum UserIden") && !iden_only.contains("inventory"), "{iden_only}");
    let registered =
        pretty(crate::model::expand_model(input.parse().unwrap(), Emit { iden: false, registration: true }));
    assert!(!registered.contains("UserIden") && registered.contains("inventory::submit!"), "{registered}");
}
