//! MySQL cannot index a TEXT, BLOB or JSON column without a prefix length, and MariaDB refuses it in a primary key
//! and silently indexes only a prefix otherwise. The renderer refuses such a key before anything runs, naming it
//! and the fix; PostgreSQL and SQLite index the same column whole.

use driftless_core::render::{self, RenderError};
use driftless_core::schema::{Index, UniqueConstraint};
use driftless_core::step::Step;
use driftless_core::{Column, ColumnType, Dialect, Schema, Table};
use driftless_render_tests::Harness;
use driftless_render_tests::fixtures::{SEED, base};

fn bio_index() -> Step {
    Step::CreateIndex {
        table: "users".into(),
        index: Index { name: "users_bio_idx".into(), columns: vec!["bio".into()], ..Default::default() },
    }
}

#[tokio::test]
async fn mariadb_refuses_a_text_index_and_the_renderer_says_so_first() {
    let Some(mut h) = Harness::open(Dialect::Mysql).await else { return };
    let s = base();
    h.create(&s).await;
    h.exec(SEED).await;
    let e = render::render_steps(&[bio_index()], Dialect::Mysql, &s).unwrap_err();
    assert_eq!(
        e.to_string(),
        "create_index on table `users` cannot be rendered for mysql: index `users_bio_idx` covers column `bio`, which \
         is TEXT on MySQL/MariaDB: MySQL cannot index a TEXT column without a prefix length (MariaDB refuses it in a \
         primary key, and otherwise indexes only a prefix or a hash); give the index a prefix length for the column \
         (`prefix(bio = 100)` in the derive's `index(...)`, `.prefix(\"bio\", 100)` in `define`; MySQL then indexes \
         its first 100 characters), or give the column a `max_length` (a VARCHAR can be indexed whole)"
    );
    // What MariaDB does without the refusal: it indexes only the first 768 characters (note 1071), not the column
    // as declared; and a TEXT primary key fails outright.
    h.exec("CREATE INDEX users_bio_raw ON users (bio)").await;
    let sub_part = h
        .value(
            "SELECT sub_part FROM information_schema.statistics WHERE table_schema = DATABASE() \
             AND index_name = 'users_bio_raw'",
        )
        .await;
    assert_eq!(sub_part, "768");
    h.exec("DROP INDEX users_bio_raw ON users").await;
    let server = h.exec_fails("CREATE TABLE notes (body LONGTEXT PRIMARY KEY)").await;
    assert!(server.contains("BLOB/TEXT column 'body' used in key specification without a key length"), "{server}");
    // The fix in the message works: with a `max_length`, the column becomes a VARCHAR and the index builds.
    let from = s.table("users").unwrap().column("bio").unwrap().clone();
    let to = Column { ty: ColumnType::Varchar(200), ..from.clone() };
    let after = h.up(&s, &[Step::AlterColumn { table: "users".into(), from, to, backfill: None }]).await;
    h.up(&after, &[bio_index()]).await;
    assert_eq!(h.index_names("users").await, ["users_bio_idx", "users_email_idx"]);
    h.close().await;
}

#[tokio::test]
async fn postgres_and_sqlite_index_the_text_column_whole() {
    for d in [Dialect::Postgres, Dialect::Sqlite] {
        let Some(mut h) = Harness::open(d).await else { continue };
        let s = base();
        h.create(&s).await;
        h.up(&s, &[bio_index()]).await;
        assert_eq!(h.index_names("users").await, ["users_bio_idx", "users_email_idx"], "{d}");
        h.close().await;
    }
}

/// Every way a key reaches a column: a new table's unique constraint on bytes, a unique constraint added on JSON,
/// a primary key on text, and a column that turns into TEXT under an existing index.
#[test]
fn every_key_on_an_unbounded_column_is_refused_on_mysql_only() {
    let mut files = Table::new("files");
    files.columns.push(Column::new("digest", ColumnType::Bytes));
    files.columns.push(Column::new("meta", ColumnType::Json));
    files.uniques.push(UniqueConstraint { name: "files_digest_key".into(), columns: vec!["digest".into()] });
    let create = Step::CreateTable { table: files.clone() };
    let reason = |e: RenderError| match e {
        RenderError::Unsupported { reason, .. } => reason,
        other => panic!("{other}"),
    };
    assert_eq!(
        reason(render::render_steps(std::slice::from_ref(&create), Dialect::Mysql, &Schema::empty()).unwrap_err()),
        "unique constraint `files_digest_key` covers column `digest`, which is BLOB on MySQL/MariaDB: MySQL cannot index \
         a BLOB column without a prefix length (MariaDB refuses it in a primary key, and otherwise indexes only a \
         prefix or a hash); index a bounded column instead (a `max_length` string, or a \
         hash of the bytes in its own column)"
    );
    for d in [Dialect::Postgres, Dialect::Sqlite] {
        assert!(render::render_steps(std::slice::from_ref(&create), d, &Schema::empty()).is_ok(), "{d}");
    }
    let mut plain = files.clone();
    plain.uniques.clear();
    let mut s = Schema::empty();
    s.tables.push(plain);
    let add = Step::AddUnique {
        table: "files".into(),
        unique: UniqueConstraint { name: "files_meta_key".into(), columns: vec!["meta".into()] },
    };
    assert_eq!(
        reason(render::render_steps(&[add], Dialect::Mysql, &s).unwrap_err()),
        "unique constraint `files_meta_key` covers column `meta`, which is JSON on MySQL/MariaDB: MySQL cannot index \
         a JSON column without a prefix length (MariaDB refuses it in a primary key, and otherwise indexes only a \
         prefix or a hash); index a bounded generated column that extracts the value \
         instead"
    );
    let s = base();
    let from = s.table("users").unwrap().column("email").unwrap().clone();
    let to = Column { ty: ColumnType::Text, ..from.clone() };
    let widen = Step::AlterColumn { table: "users".into(), from, to, backfill: None };
    assert_eq!(
        reason(render::render_steps(std::slice::from_ref(&widen), Dialect::Mysql, &s).unwrap_err()),
        "index `users_email_idx` covers column `email`, which is TEXT on MySQL/MariaDB: MySQL cannot index a TEXT \
         column without a prefix length (MariaDB refuses it in a primary key, and otherwise indexes only a prefix or \
         a hash); give the index a prefix length for the column (`prefix(email = 100)` in the derive's \
         `index(...)`, `.prefix(\"email\", 100)` in `define`; MySQL then indexes its first 100 characters), or give \
         the column a `max_length` (a VARCHAR can be indexed whole)"
    );
    assert!(render::render_steps(&[widen], Dialect::Postgres, &s).is_ok());
}

/// A prefix length is the fix for an index: the same step with a prefix renders (`` `bio` (100) `` on MySQL only),
/// a column that becomes TEXT under a prefixed index is fine, and a unique index cannot take the fix.
#[test]
fn a_prefixed_index_passes_and_a_unique_index_is_told_otherwise() {
    let s = base();
    let prefixed = Step::CreateIndex {
        table: "users".into(),
        index: Index { name: "users_bio_idx".into(), columns: vec!["bio".into()], ..Default::default() }
            .prefix("bio", 100),
    };
    let sql = |d| render::render_steps(std::slice::from_ref(&prefixed), d, &s).unwrap().script();
    assert_eq!(sql(Dialect::Mysql).trim(), "CREATE INDEX `users_bio_idx` ON `users` (`bio` (100));");
    assert_eq!(sql(Dialect::Postgres).trim(), r#"CREATE INDEX "users_bio_idx" ON "users" ("bio");"#);
    assert_eq!(sql(Dialect::Sqlite).trim(), r#"CREATE INDEX "users_bio_idx" ON "users" ("bio");"#);
    let unique = Step::CreateIndex {
        table: "users".into(),
        index: Index { name: "users_bio_key".into(), columns: vec!["bio".into()], unique: true, ..Default::default() },
    };
    let RenderError::Unsupported { reason, .. } = render::render_steps(&[unique], Dialect::Mysql, &s).unwrap_err()
    else {
        panic!("expected a refusal")
    };
    assert!(
        reason.starts_with("unique index `users_bio_key` covers column `bio`")
            && reason.ends_with(
                "give the column a `max_length` (a VARCHAR can be indexed whole); a prefix length is possible only on \
                 a non-unique index, as uniqueness of a prefix is not uniqueness of the column"
            ),
        "{reason}"
    );
}
