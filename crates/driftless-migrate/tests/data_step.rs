//! Rust data steps (`data("name")` with `Migration::data_fn`) on real databases: the function pages through a
//! table with `Batches` and writes what SQL cannot compute, runs once (recorded with its migration), a failing one
//! is rolled back with its migration where the dialect allows, and a data step without its function is refused
//! before anything runs.

mod common;

use common::*;
use driftless_core::Dialect;
use driftless_core::migration::prelude::*;

fn people() -> driftless_core::Table {
    table("people")
        .with_column(column("id", ColumnType::BigInt))
        .with_column(column("name", ColumnType::Varchar(64)))
        .with_column(column("slug", ColumnType::Varchar(64)).nullable())
        .primary_key("people_pkey", &["id"])
}

fn runs() -> driftless_core::Table {
    table("data_runs").with_column(column("n", ColumnType::Integer))
}

/// Records its run, then sets each slug to the name reversed and lower-cased, 1000 rows a batch.
fn slugs(conn: &mut dyn DataConnection) -> BoxFuture<'_, Result<(), DataError>> {
    Box::pin(async move {
        conn.execute("INSERT INTO data_runs (n) VALUES (?)", &[Value::Int(1)]).await?;
        let mut batches =
            Batches::new("SELECT id, name FROM people WHERE id > ? ORDER BY id LIMIT ?", Value::Int(0), 1000);
        while let Some(rows) = batches.next(conn).await? {
            for row in rows {
                let name = row[1].as_str().ok_or_else(|| DataError::new("a name is not text"))?;
                let slug: String = name.chars().rev().collect::<String>().to_lowercase();
                conn.execute("UPDATE people SET slug = ? WHERE id = ?", &[Value::Text(slug), row[0].clone()]).await?;
            }
        }
        Ok(())
    })
}

/// Records its run, then fails.
fn boom(conn: &mut dyn DataConnection) -> BoxFuture<'_, Result<(), DataError>> {
    Box::pin(async move {
        conn.execute("INSERT INTO data_runs (n) VALUES (?)", &[Value::Int(2)]).await?;
        Err(DataError::new("the reference data is missing"))
    })
}

const SLUGS: &str = "m20260102T000000_slugs";
const BOOM: &str = "m20260103T000000_boom";

fn history() -> Vec<Migration> {
    vec![
        Migration::new("m20260101T000000_people")
            .up([create_table(people()), create_table(runs())])
            .down([drop_table(runs()), drop_table(people())]),
        Migration::new(SLUGS)
            .class(Class::ReviewRequired)
            .up([data("slugs")])
            .down([irreversible("slugs stay")])
            .data_fn("slugs", slugs),
    ]
}

async fn a_data_step_runs_once_with_its_migration(t: Target) {
    t.migrator(history()[..1].to_vec()).migrate().await.unwrap();
    for start in (1..=2_500).step_by(500) {
        let values: Vec<String> = (start..start + 500).map(|i| format!("({i}, 'Name {i} X')")).collect();
        t.exec(&format!("INSERT INTO people (id, name) VALUES {}", values.join(", "))).await;
    }
    t.migrator(history()).migrate().await.unwrap();
    assert_eq!(t.count("SELECT COUNT(*) FROM people WHERE slug IS NULL").await, 0);
    assert_eq!(
        t.strings("SELECT slug FROM people WHERE id IN (7, 2500) ORDER BY id").await,
        ["x 7 eman", "x 0052 eman"]
    );
    // Recorded: the next run does not run it again.
    let report = t.migrator(history()).migrate().await.unwrap();
    assert!(report.applied().is_empty());
    assert_eq!(t.count("SELECT COUNT(*) FROM data_runs").await, 1);

    // A failing function: its migration is rolled back with what it wrote where the dialect has transactional DDL;
    // MySQL keeps what ran and leaves the row dirty, naming the step.
    let mut failing = history();
    failing.push(Migration::new(BOOM).class(Class::ReviewRequired).up([data("boom")]).data_fn("boom", boom));
    let err = t.migrator(failing.clone()).migrate().await.unwrap_err().to_string();
    assert!(err.contains("the data function `boom` failed: the reference data is missing"), "{err}");
    let rows = t.migrator([]).history().await.unwrap();
    match t.dialect {
        Dialect::Mysql => {
            assert_eq!(t.count("SELECT COUNT(*) FROM data_runs").await, 2);
            assert!(rows.iter().any(|r| r.name == BOOM && r.dirty.is_some()), "{rows:?}");
        }
        _ => {
            assert_eq!(t.count("SELECT COUNT(*) FROM data_runs").await, 1);
            assert!(rows.iter().all(|r| r.name != BOOM), "{rows:?}");
        }
    }

    // A data step without its function is refused before anything runs.
    let mut missing = history();
    missing.push(Migration::new("m20260104T000000_nope").class(Class::ReviewRequired).up([data("nope")]));
    let fresh = Target::new(t.db.backend()).await.unwrap();
    let err = fresh.migrator(missing).migrate().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "while applying migration m20260104T000000_nope: cannot render it for {}: its data step `nope` has no \
             function; give it in the migration file with `.data_fn(\"nope\", nope)`",
            fresh.dialect
        )
    );
    assert!(!fresh.has_table("people").await, "a refusal changes nothing");
}

on_every_backend!(a_data_step_runs_once_with_its_migration);
