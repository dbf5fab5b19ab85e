//! Index prefix lengths in the model: the snapshot format (old files read unchanged), validation, the differ (a
//! prefix change is an index change; a renamed column keeps its prefix), replay and the step description.

use driftless_core::define::*;
use driftless_core::report::describe;
use driftless_core::schema::{ColumnRename, Index, RenameHints};
use driftless_core::step::Step;
use driftless_core::{ColumnType, Schema, replay};

fn posts(index: Index) -> Schema {
    let mut s = Schema::empty();
    s.tables.push(
        table("posts")
            .with_column(column("id", ColumnType::BigInt))
            .with_column(column("body", ColumnType::Text))
            .with_column(column("title", ColumnType::Varchar(50)))
            .with_column(column("views", ColumnType::Integer))
            .primary_key("posts_pkey", &["id"])
            .index(index),
    );
    s
}

fn body_idx(len: u32) -> Index {
    index("posts_body_idx", &["body", "id"]).prefix("body", len)
}

fn errors(s: &Schema) -> Vec<String> {
    match s.validate() {
        Ok(()) => Vec::new(),
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn the_snapshot_writes_prefixes_only_when_there_are_some_and_reads_old_files_unchanged() {
    let old = r#"{"name": "posts_title_idx", "columns": ["title"]}"#;
    let read: Index = serde_json::from_str(old).unwrap();
    assert_eq!(read, index("posts_title_idx", &["title"]));
    assert_eq!(serde_json::to_string(&read).unwrap(), r#"{"name":"posts_title_idx","columns":["title"]}"#);
    let with = body_idx(100);
    let json = serde_json::to_string(&with).unwrap();
    assert_eq!(json, r#"{"name":"posts_body_idx","columns":["body","id"],"prefixes":{"body":100}}"#);
    assert_eq!(serde_json::from_str::<Index>(&json).unwrap(), with);
    assert_eq!(errors(&posts(with)), Vec::<String>::new());
}

#[test]
fn a_bad_prefix_is_refused_naming_the_index_and_the_fix() {
    let cases = [
        (
            index("posts_body_idx", &["body"]).prefix("title", 10),
            "a prefix length is given for `title`, which the index does not cover",
        ),
        (
            index("posts_body_idx", &["body"]).unique().prefix("body", 10),
            "a unique index cannot index a prefix of `body`: MySQL/MariaDB would enforce uniqueness of the first 10 \
             characters only; drop the prefix, or make the index non-unique",
        ),
        (
            index("posts_body_idx", &["views"]).prefix("views", 4),
            "column `views` is i32, which has no prefix; only text and binary columns can be indexed by a prefix",
        ),
        (
            index("posts_body_idx", &["body"]).prefix("body", 769),
            "the prefix length of `body` is 769; it must be between 1 and 768 characters (a prefix as long as a \
             bounded column is the whole column: drop the prefix)",
        ),
        (
            index("posts_body_idx", &["title"]).prefix("title", 50),
            "the prefix length of `title` is 50; it must be between 1 and 49 characters (a prefix as long as a \
             bounded column is the whole column: drop the prefix)",
        ),
        (
            index("posts_body_idx", &["body"]).prefix("body", 0),
            "the prefix length of `body` is 0; it must be between 1 and 768 characters (a prefix as long as a \
             bounded column is the whole column: drop the prefix)",
        ),
    ];
    for (i, message) in cases {
        assert_eq!(errors(&posts(i)), [format!("table `posts`: index `posts_body_idx`: {message}")]);
    }
}

#[test]
fn a_prefix_change_drops_and_recreates_the_index() {
    let d = driftless_core::diff::diff(&posts(body_idx(100)), &posts(body_idx(50)), &RenameHints::default()).unwrap();
    let steps: Vec<&Step> = d.steps().collect();
    assert_eq!(steps, [&drop_index("posts", body_idx(100)), &create_index("posts", body_idx(50)),]);
    assert_eq!(describe(steps[1]), "create index `posts_body_idx` on `posts` (body(50) on MySQL, id)");
    // Dropping the prefix is a change too; an equal prefix is none.
    let plain = index("posts_body_idx", &["body", "id"]);
    assert_eq!(
        driftless_core::diff::diff(&posts(body_idx(100)), &posts(plain), &RenameHints::default())
            .unwrap()
            .steps()
            .count(),
        2
    );
    assert_eq!(
        driftless_core::diff::diff(&posts(body_idx(100)), &posts(body_idx(100)), &RenameHints::default())
            .unwrap()
            .steps()
            .count(),
        0
    );
}

#[test]
fn a_renamed_column_keeps_its_prefix_in_the_diff_and_the_replay() {
    let old = posts(body_idx(100));
    let mut new = old.clone();
    let t = &mut new.tables[0];
    t.columns[1].name = "content".into();
    t.indexes[0] = index("posts_body_idx", &["content", "id"]).prefix("content", 100);
    let hints = RenameHints {
        columns: vec![ColumnRename { table: "posts".into(), from: "body".into(), to: "content".into() }],
        ..RenameHints::default()
    };
    let d = driftless_core::diff::diff(&old, &new, &hints).unwrap();
    let steps: Vec<Step> = d.steps().cloned().collect();
    assert_eq!(steps, [rename_column("posts", "body", "content")]);
    let after = replay::apply_steps(&old, &steps).unwrap();
    assert_eq!(after.tables[0].indexes[0], new.tables[0].indexes[0]);
}
