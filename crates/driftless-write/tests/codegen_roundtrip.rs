//! Generated migration files compile back to exactly the steps they were generated from.
//!
//! `fixtures/codegen/every_step.rs` is generated from [`every_step`] by the writer (no rustfmt), and compiled here as
//! a module. The test checks that (1) the committed file is what the writer produces today and rustfmt leaves it
//! unchanged, and (2) evaluating it gives back the same `Migration`. `fixtures/codegen/every_step_json.rs` is the
//! same migration (plus text that is hard to quote) in the JSON shape big migrations are written in. The same at 1,000 and 5,000 tables, run on an
//! 8 MiB stack: `driftless-render-tests/tests/big_migrations.rs`. Regenerate with
//! `DRIFTLESS_UPDATE_FIXTURES=1 cargo test -p driftless-write --test codegen_roundtrip`.

use std::path::Path;

use driftless_core::migration::prelude::*;
use driftless_write::{self as write, HeaderChange, MigrationFile};

#[path = "fixtures/codegen/every_step.rs"]
mod every_step_file;

#[path = "fixtures/codegen/every_step_json.rs"]
mod every_step_json_file;

const NAME: &str = "m20261122_030000_every_step";

fn users() -> driftless_core::Table {
    table("users")
        .with_column(column("id", ColumnType::BigInt).auto_increment())
        .with_column(column("name", ColumnType::Varchar(100)).comment("shown \"as is\""))
        .with_column(
            column("bio", ColumnType::Text).nullable().default_value(Literal::String("it's a \\ back\nslash ✓".into())),
        )
        .with_column(column("score", ColumnType::Double).default_value(Literal::Float(0.5)))
        .with_column(column("rank", ColumnType::SmallInt).default_value(Literal::Int(-3)))
        .with_column(column("ok", ColumnType::Boolean).default_value(Literal::Bool(false)))
        .with_column(column("at", ColumnType::TimestampTz).default_expr(DefaultExpr::CurrentTimestamp))
        .with_column(column("price", ColumnType::Decimal { precision: 10, scale: 2 }).default_sql("0.00"))
        .with_column(column("mood", ColumnType::Enum("mood".into())))
        .with_column(column(
            "ci",
            ColumnType::Custom(CustomType {
                default: "TEXT".into(),
                sqlite: None,
                postgres: Some("CITEXT".into()),
                mysql: None,
            }),
        ))
        .primary_key("users_pkey", &["id"])
        .index(index("users_name_idx", &["name", "bio"]).unique().predicate("bio IS NOT NULL"))
        .unique("users_name_key", &["name"])
        .foreign_key(
            foreign_key("users_id_fkey", &["id"], "accounts", &["id"])
                .on_delete(ReferentialAction::Cascade)
                .on_update(ReferentialAction::SetNull),
        )
        .check("users_rank_check", "rank > -10")
        .comment("people")
}

fn every_step() -> (Vec<Step>, Vec<Step>) {
    let tz = column("tz", ColumnType::Text).nullable();
    let mood = enum_type("mood", &["ok", "meh"]);
    let fk = foreign_key("posts_user_id_fkey", &["user_id"], "users", &["id"]);
    let up = vec![
        create_enum(mood.clone()),
        alter_enum(mood.clone(), enum_type("mood", &["fine", "meh", "great"]), &[("ok", "fine")]),
        create_table(users()),
        rename_table("people", "persons"),
        add_column("users", tz.clone()),
        rename_column("users", "bio", "about"),
        alter_column("users", tz.clone(), column("tz", ColumnType::Varchar(64)).nullable()),
        alter_column_with_backfill("users", tz.clone(), column("tz", ColumnType::Text), "'UTC'"),
        set_primary_key("users", None, Some(primary_key("users_pkey", &["id", "name"]))),
        create_index("users", index("users_tz_idx", &["tz"])),
        rename_index("users", "users_tz_idx", "users_zone_idx"),
        add_unique("users", unique("users_tz_key", &["tz"])),
        add_foreign_key("posts", fk.clone()),
        alter_foreign_key("posts", fk.clone(), fk.clone().on_delete(ReferentialAction::Restrict)),
        add_check("users", check("users_tz_check", "tz <> ''")),
        set_table_comment("users", None, Some("people, again")),
        raw_sql(sql("UPDATE users SET tz = 'UTC'").mysql("UPDATE `users` SET `tz` = 'UTC'")),
        raw_sql(sql_per_dialect().sqlite("SELECT 1").postgres("SELECT 2")),
        raw_sql(sql("UPDATE users SET bio = NULL")).changes_nothing(),
        raw_sql(sql("ALTER TABLE users ADD COLUMN note TEXT"))
            .amounts_to([add_column("users", column("note", ColumnType::Text).nullable())]),
        rename_enum("mood", "feeling"),
        backfill("users", &[("tz", "'UTC'"), ("about", "lower(about)")])
            .when("tz IS NULL")
            .batch_size(250)
            .throttle_ms(5),
        backfill("users", &[("tz", "NULL")]).undo(&[("tz", "'UTC'")], Some("tz IS NULL")),
        backfill("users", &[("about", "''")]).cannot_undo("the old text is gone"),
        data("fill_slugs"),
        contract("m20261122_020000_widen"),
    ];
    let down = vec![
        irreversible("hand-written SQL has no inverse"),
        drop_check("users", check("users_tz_check", "tz <> ''")),
        drop_foreign_key("posts", fk),
        drop_unique("users", unique("users_tz_key", &["tz"])),
        drop_index("users", index("users_tz_idx", &["tz"])),
        drop_column("users", tz),
        drop_table(users()),
        drop_enum(mood),
        create_index("users", index_on_expression("users_lower_tz_idx", "lower(tz)").unique().predicate("tz <> ''")),
        backfill("users", &[]),
        backfill("users", &[("tz", "'UTC'")]).undo(&[("tz", "NULL")], None),
    ];
    (up, down)
}

fn generated_text() -> String {
    let (up, down) = every_step();
    generated_text_of(&up, &down, write::StepsShape::Functions)
}

/// Hand-written SQL that is hard to quote in a raw string literal or to see in a review: `"#`, a quote, a
/// backslash, a newline, a tab, a bidirectional override and a zero-width space.
fn awkward_sql() -> Step {
    raw_sql(sql("SELECT '\"#', 'a\\b', 'line\nbreak\t', '\u{202e}evil', 'zero\u{200b}width', 'é'"))
}

/// [`every_step`] plus [`awkward_sql`], as the JSON-shaped fixture holds it.
fn every_step_json() -> (Vec<Step>, Vec<Step>) {
    let (mut up, down) = every_step();
    up.push(awkward_sql());
    (up, down)
}

fn generated_json_text() -> String {
    let (up, down) = every_step_json();
    generated_text_of(&up, &down, write::StepsShape::Json)
}

fn generated_text_of(up: &[Step], down: &[Step], shape: write::StepsShape) -> String {
    let file = MigrationFile {
        name: NAME,
        command: "cargo xtask migrate-generate --name every_step",
        parent: Some("fnv1a64:0123456789abcdef"),
        snapshot: Some("fnv1a64:fedcba9876543210"),
        class: Class::Dangerous,
        changes: vec![
            HeaderChange {
                class: Class::Safe,
                code: "add_column".into(),
                summary: "add column `users.tz`".into(),
                reason: "a nullable column is added without rewriting the table".into(),
            },
            HeaderChange {
                class: Class::Dangerous,
                code: "drop_table".into(),
                summary: "drop table `users`".into(),
                reason: "every row of the table is lost; a very long reason wraps over several comment lines so the \
                         header stays within rustfmt's width and reviewers can read it without scrolling sideways"
                    .into(),
            },
        ],
        up,
        down,
        crate_path: "driftless_core",
        locks: vec![
            "step 1, add column `users.tz`: PostgreSQL ACCESS EXCLUSIVE, brief (no scan or rewrite); MySQL metadata \
             lock, brief (ALGORITHM=INSTANT, LOCK=NONE), online"
                .into(),
        ],
    };
    write::migration_file_in(&file, shape)
}

/// Formats `text` with rustfmt's default configuration: run in an empty temporary folder, which has no
/// `rustfmt.toml` above it.
fn rustfmt_default(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(write::project_rustfmt_config(dir.path()), None, "no rustfmt.toml above the temporary folder");
    write::rustfmt(text, dir.path()).unwrap()
}

#[test]
fn committed_fixture_is_what_the_writer_produces() {
    check_fixture("every_step.rs", generated_text());
}

#[test]
fn committed_json_fixture_is_what_the_writer_produces() {
    check_fixture("every_step_json.rs", generated_json_text());
}

fn check_fixture(name: &str, fresh: String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/codegen").join(name);
    if std::env::var_os("DRIFTLESS_UPDATE_FIXTURES").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap();
    assert!(
        committed == fresh,
        "{} is stale; regenerate with DRIFTLESS_UPDATE_FIXTURES=1 cargo test -p driftless-write --test codegen_roundtrip",
        path.display()
    );
    // The writer's text is rustfmt-clean as written, with rustfmt's defaults and with this workspace's rustfmt.toml.
    assert_eq!(rustfmt_default(&committed), committed);
    assert_eq!(write::rustfmt(&committed, Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap(), committed);
}

#[test]
fn generated_file_evaluates_to_the_same_migration() {
    let (up, down) = every_step();
    let m = every_step_file::migration();
    assert_eq!(m.name, NAME);
    assert_eq!(m.parent.as_deref(), Some("fnv1a64:0123456789abcdef"));
    assert_eq!(m.snapshot.as_deref(), Some("fnv1a64:fedcba9876543210"));
    assert_eq!(m.class, Class::Dangerous);
    assert!(!m.is_acknowledged(), "a generated dangerous migration starts unacknowledged");
    assert_eq!(m.up, up);
    assert_eq!(m.down, down);
}

#[test]
fn generated_json_file_evaluates_to_the_same_migration() {
    let (up, down) = every_step_json();
    let m = every_step_json_file::migration();
    assert_eq!((m.name.as_str(), m.class), (NAME, Class::Dangerous));
    assert_eq!(m.up, up);
    assert_eq!(m.down, down);
    let text = generated_json_text();
    // One step a line, the invisible and direction-changing characters escaped, the literal closed by enough `#`.
    assert!(text.contains("\nconst UP: &[&str] = &[\n    r#\"{\"step\":\"create_enum\""), "{text}");
    assert!(text.contains(r#"\u202eevil"#) && text.contains(r#"zero\u200bwidth"#) && text.contains("'é'"));
    assert!(text.contains(r###"r##"{"step":"raw_sql","sql":{"default":"SELECT '\"#'"###), "{text}");
    assert!(!text.contains('\u{202e}') && !text.contains('\u{200b}'));
}

/// Small migrations keep the builder functions; from [`write::JSON_ABOVE_STEPS`] steps on, the JSON shape.
#[test]
fn the_shape_follows_the_number_of_steps() {
    assert_eq!(write::StepsShape::for_steps(write::JSON_ABOVE_STEPS), write::StepsShape::Functions);
    assert_eq!(write::StepsShape::for_steps(write::JSON_ABOVE_STEPS + 1), write::StepsShape::Json);
    let (up, down) = every_step();
    let file = generated_text_of(&up, &down, write::StepsShape::for_steps(up.len() + down.len()));
    assert_eq!(file, generated_text());
}

#[test]
fn header_lists_changes_worst_first_with_the_acknowledgement_marker() {
    let text = generated_text();
    let dangerous = text.find("//! - [dangerous] drop table `users`").unwrap();
    let safe = text.find("//! - [safe] add column `users.tz`").unwrap();
    assert!(dangerous < safe);
    assert!(text.contains("        .acknowledged(\"\", \"\")\n"));
    // The steps are one per line in `#[rustfmt::skip]` functions; everything before them fits rustfmt's width.
    let formatted = &text[..text.find("#[rustfmt::skip]").unwrap()];
    assert!(formatted.lines().all(|l| l.len() <= 120), "lines fit the header width");
}

#[test]
fn a_1000_table_file_is_rustfmt_clean_as_written_and_deterministic() {
    let write_it = || {
        let schema = driftless_core::testing::synthetic(1_000);
        let plan =
            driftless_core::classify::plan(&driftless_core::Schema::empty(), &schema, &Default::default()).unwrap();
        let (up, down) = (plan.up_steps(), plan.down_steps());
        write::migration_file(&MigrationFile {
            name: "m20261122_000000_synthetic_1000",
            command: "cargo xtask migrate-generate --name synthetic_1000",
            parent: Some("fnv1a64:0123456789abcdef"),
            snapshot: Some("fnv1a64:fedcba9876543210"),
            class: plan.class(),
            changes: plan.changes.iter().map(write::header_change).collect(),
            up: &up,
            down: &down,
            crate_path: "driftless",
            locks: Vec::new(),
        })
    };
    let text = write_it();
    assert!(text.len() > 1_000_000, "{} bytes", text.len());
    assert!(text.contains(
        "\n#[rustfmt::skip]\nfn up() -> Vec<Step> {\n    steps_from_json(\"m20261122_000000_synthetic_1000\", \"up\", UP)\n}\n"
    ));
    assert!(
        text.contains("\n    r#\"{\"step\":\"create_table\",\"table\":{\"name\":\"tbl_00999\","),
        "one line per step"
    );
    assert!(rustfmt_default(&text) == text, "rustfmt changes the generated 1,000-table file");
    assert!(write_it() == text, "the same plan gives the same text");
}

/// An index's prefix lengths are written with `define`'s `.prefix(column, length)`, which builds the same index.
#[test]
fn index_prefixes_are_written_and_build_the_same_index() {
    let i = index("posts_body_idx", &["body", "id"]).predicate("id > 0").prefix("body", 100);
    assert_eq!(
        write::codegen::index(&i),
        r#"index("posts_body_idx", &["body", "id"]).predicate("id > 0").prefix("body", 100)"#
    );
    assert_eq!((i.prefix_of("body"), i.prefix_of("id")), (Some(100), None));
}
