//! Migrations written with builder steps, rendered per dialect by `driftless_core::render` against the schema the
//! migrator replays: a change SQLite can only make by rebuilding a parent table must not cascade into its children
//! (foreign keys off outside the transaction), and a rebuild that leaves a dangling reference is rolled back.

mod common;

use common::*;
use driftless_core::Dialect;
use driftless_core::migration::{Class, Migration};
use driftless_core::schema::{Column, ColumnType, ForeignKey, PrimaryKey, ReferentialAction, Table};
use driftless_core::step::Step;

fn table(name: &str, columns: Vec<Column>) -> Table {
    let mut t = Table::new(name);
    t.columns = columns;
    t.primary_key = Some(PrimaryKey { name: format!("{name}_pkey"), columns: vec!["id".into()] });
    t
}

fn authors() -> Table {
    table("authors", vec![Column::new("id", ColumnType::BigInt), Column::new("name", ColumnType::Varchar(100))])
}

fn books() -> Table {
    let mut t = table(
        "books",
        vec![
            Column::new("id", ColumnType::BigInt),
            Column::new("author_id", ColumnType::BigInt),
            Column::new("title", ColumnType::Varchar(200)),
        ],
    );
    t.foreign_keys.push(ForeignKey {
        name: "books_author_id_fkey".into(),
        columns: vec!["author_id".into()],
        ref_table: "authors".into(),
        ref_columns: vec!["id".into()],
        on_delete: ReferentialAction::Cascade,
        on_update: ReferentialAction::NoAction,
    });
    t
}

fn create() -> Migration {
    Migration::new("m20260201T000000_authors_and_books")
        .up([Step::CreateTable { table: authors() }, Step::CreateTable { table: books() }])
        .down([Step::DropTable { table: books() }, Step::DropTable { table: authors() }])
}

/// `authors.name` becomes nullable: on SQLite, a rebuild of the parent table `authors`.
fn relax(extra_up: Vec<Step>) -> Migration {
    let from = Column::new("name", ColumnType::Varchar(100));
    let to = Column { nullable: true, ..from.clone() };
    let change = |from: &Column, to: &Column| Step::AlterColumn {
        table: "authors".into(),
        from: from.clone(),
        to: to.clone(),
        backfill: None,
    };
    let mut up = vec![change(&from, &to)];
    up.extend(extra_up);
    Migration::new("m20260202T000000_authors_name_nullable")
        .class(Class::ReviewRequired)
        .up(up)
        .down([change(&to, &from)])
}

async fn a_parent_rebuild_keeps_the_children(t: Target) {
    t.migrator([create()]).migrate().await.unwrap();
    t.exec("INSERT INTO authors (id, name) VALUES (1, 'Le Guin')").await;
    t.exec("INSERT INTO books (id, author_id, title) VALUES (1, 1, 'The Dispossessed')").await;

    let report = t.migrator([create(), relax(vec![])]).migrate().await.unwrap();
    assert_eq!(report.applied().len(), 1);
    assert_eq!(t.strings("SELECT title FROM books").await, ["The Dispossessed"]);
    t.exec("INSERT INTO authors (id, name) VALUES (2, NULL)").await;
    t.exec("DELETE FROM authors WHERE id = 2").await;

    // Down rebuilds the parent again (NOT NULL back); the child row survives that too.
    let report = t.migrator([create(), relax(vec![])]).down().await.unwrap();
    assert_eq!(report.reverted().len(), 1);
    assert_eq!(t.strings("SELECT title FROM books").await, ["The Dispossessed"]);
    if t.dialect == Dialect::Sqlite {
        // The migrator restored the connection's setting afterwards: cascades work again.
        let on = t.count("PRAGMA foreign_keys").await;
        assert_eq!(on, 1);
    }
    t.migrator([create(), relax(vec![])]).down().await.unwrap();
    assert!(!t.has_table("books").await);
}
on_every_backend!(a_parent_rebuild_keeps_the_children);

#[tokio::test]
async fn sqlite_rolls_back_a_rebuild_that_leaves_a_dangling_reference() {
    let t = Target::new(driftless_testdb::Backend::Sqlite).await.unwrap();
    t.migrator([create()]).migrate().await.unwrap();
    t.exec("INSERT INTO authors (id, name) VALUES (1, 'Le Guin')").await;
    // With foreign keys off for the rebuild, this orphan would go in unnoticed without the check before commit.
    let orphan = same("INSERT INTO books (id, author_id, title) VALUES (2, 999, 'orphan')");
    let before = t.migrator([create()]).history().await.unwrap();
    let err = t.migrator([create(), relax(vec![orphan])]).migrate().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "while applying migration m20260202T000000_authors_name_nullable: PRAGMA foreign_key_check found rows in \
         books that reference missing rows; the migration was rolled back and the database is unchanged; fix the \
         data (or the migration) and run again"
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM books").await, 0);
    assert_eq!(t.migrator([create()]).history().await.unwrap(), before);
    // Still NOT NULL: the rebuild was rolled back with the rest.
    let notnull = t.count("SELECT \"notnull\" FROM pragma_table_info('authors') WHERE name = 'name'").await;
    assert_eq!(notnull, 1);
}
