//! Shared helpers: the three databases, running rendered SQL, and emptying a database between cases.
#![allow(dead_code)]

use driftless_core::Dialect;
use driftless_core::classify;
use driftless_core::migration::Class;
use driftless_core::render::{self, RenderedMigration};
use driftless_core::replay;
use driftless_core::schema::{ColumnType, RenameHints, Schema, Table};
use driftless_core::step::Step;
use driftless_introspect::{compare, introspect};
use driftless_migrate::Database;
use driftless_testdb::{Backend, TestDb};
use sqlx::AssertSqlSafe;

/// A test database and an open pool on it (`None` when the server is unavailable: skipped loudly by testdb).
pub async fn open(backend: Backend) -> Option<(TestDb, Database)> {
    let db = TestDb::new(backend).await?;
    let pool = Database::connect(db.url()).await.expect("connect to the test database");
    Some((db, pool))
}

/// Runs one statement.
pub async fn exec(db: &Database, sql: &str) -> Result<(), sqlx::Error> {
    let sql = AssertSqlSafe(sql.to_owned());
    match db {
        Database::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        Database::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        Database::Mysql(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        _ => unreachable!("three dialects"),
    }
}

/// Runs a rendered migration's statements in order on one connection (no transaction; SQLite's foreign keys off
/// when asked).
pub async fn run(db: &Database, m: &RenderedMigration) -> Result<(), String> {
    let mut sqls: Vec<String> = Vec::new();
    if m.sqlite_foreign_keys_off {
        sqls.push(render::SQLITE_FOREIGN_KEYS_OFF.to_owned());
    }
    sqls.extend(m.statements.iter().map(|s| s.sql.clone()));
    if m.sqlite_foreign_keys_off {
        sqls.push(render::SQLITE_FOREIGN_KEYS_ON.to_owned());
    }
    macro_rules! on_one_connection {
        ($pool:expr) => {{
            let mut conn = $pool.acquire().await.map_err(|e| e.to_string())?;
            for sql in &sqls {
                sqlx::raw_sql(AssertSqlSafe(sql.clone()))
                    .execute(&mut *conn)
                    .await
                    .map_err(|e| format!("{e} in: {sql}"))?;
            }
            Ok(())
        }};
    }
    match db {
        Database::Sqlite(p) => on_one_connection!(p),
        Database::Postgres(p) => on_one_connection!(p),
        Database::Mysql(p) => on_one_connection!(p),
        _ => unreachable!("three dialects"),
    }
}

/// Creates `schema` from empty, in the differ's order (`diff(empty, schema)`), as a first generated migration would.
pub async fn create(db: &Database, schema: &Schema) -> Result<(), String> {
    let steps: Vec<Step> = driftless_core::diff::diff(&Schema::empty(), schema, &RenameHints::default())
        .map_err(|e| e.to_string())?
        .steps()
        .cloned()
        .collect();
    let rendered = render::render_steps(&steps, db.dialect(), &Schema::empty()).map_err(|e| e.to_string())?;
    run(db, &rendered).await
}

/// Drops every table (and PostgreSQL type) so the next case starts empty.
pub async fn wipe(db: &Database) {
    match db.dialect() {
        Dialect::Postgres => {
            exec(db, "DROP SCHEMA public CASCADE; CREATE SCHEMA public").await.expect("reset the public schema");
        }
        Dialect::Mysql => {
            // One script, so the session setting applies to the drops (a pool may hand out another connection).
            let s = driftless_introspect::introspect_skipping(db, &[]).await.expect("introspect");
            let mut sql = String::from("SET FOREIGN_KEY_CHECKS = 0;");
            for t in &s.tables {
                sql.push_str(&format!("DROP TABLE `{}`;", t.name));
            }
            sql.push_str("SET FOREIGN_KEY_CHECKS = 1");
            exec(db, &sql).await.expect("drop every table");
        }
        _ => {
            let s = driftless_introspect::introspect_skipping(db, &[]).await.expect("introspect");
            let mut sql = String::from("PRAGMA foreign_keys = OFF;");
            for t in &s.tables {
                sql.push_str(&format!("DROP TABLE \"{}\";", t.name));
            }
            sql.push_str("PRAGMA foreign_keys = ON");
            exec(db, &sql).await.expect("drop every table");
        }
    }
}

/// A schema the dialect can create: MySQL/MariaDB have no partial indexes, and cannot index a `LONGTEXT` column
/// without a prefix length (which the model does not have), so indexes and uniques on the generator's text columns
/// (`name`, `code`, `note` are text in some draws) are left out there.
pub fn creatable(schema: &Schema, dialect: Dialect) -> Schema {
    let mut s = schema.clone();
    if dialect == Dialect::Mysql {
        for t in &mut s.tables {
            let texty: Vec<String> = t
                .columns
                .iter()
                .filter(|c| {
                    matches!(c.ty, ColumnType::Text | ColumnType::Json | ColumnType::Bytes)
                        || ["name", "code", "note"].contains(&c.name.as_str())
                })
                .map(|c| c.name.clone())
                .collect();
            t.indexes.retain(|i| !i.columns.iter().any(|c| texty.contains(c)));
            t.uniques.retain(|u| !u.columns.iter().any(|c| texty.contains(c)));
            for i in &mut t.indexes {
                i.predicate = None;
            }
        }
    }
    s
}

/// An SQL literal for one seeded value of a column of `ty` (NULL for foreign-key columns).
fn value(d: Dialect, name: &str, ty: &ColumnType, schema: &Schema) -> String {
    use ColumnType as T;
    if name.ends_with("_id") {
        return "NULL".into();
    }
    match ty {
        T::SmallInt | T::Integer | T::BigInt => "1".into(),
        T::Real | T::Double | T::Decimal { .. } => "1.5".into(),
        T::Boolean if d == Dialect::Postgres => "TRUE".into(),
        T::Boolean => "1".into(),
        T::Uuid => "'00000000-0000-4000-8000-000000000001'".into(),
        T::Json => "'{}'".into(),
        T::Date => "'2020-01-02'".into(),
        T::Time => "'03:04:05'".into(),
        T::DateTime | T::TimestampTz => "'2020-01-02 00:00:00'".into(),
        T::Enum(e) => {
            format!("'{}'", schema.enum_type(e).and_then(|e| e.values.first()).map_or("", |v| v.as_str()))
        }
        _ => "'x'".into(),
    }
}

fn ident(d: Dialect, name: &str) -> String {
    if d == Dialect::Mysql { format!("`{name}`") } else { format!("\"{name}\"") }
}

async fn seed(db: &Database, schema: &Schema) -> Result<(), String> {
    let d = db.dialect();
    for t in &schema.tables {
        let cols: Vec<String> = t.columns.iter().map(|c| ident(d, &c.name)).collect();
        let vals: Vec<String> = t.columns.iter().map(|c| value(d, &c.name, &c.ty, schema)).collect();
        let sql = format!("INSERT INTO {} ({}) VALUES ({})", ident(d, &t.name), cols.join(", "), vals.join(", "));
        exec(db, &sql).await.map_err(|e| format!("seeding {}: {e} in {sql}", t.name))?;
    }
    Ok(())
}

pub async fn count(db: &Database, table: &str) -> Result<i64, String> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {}", ident(db.dialect(), table)));
    let r = match db {
        Database::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        Database::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        Database::Mysql(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        _ => unreachable!("three dialects"),
    };
    r.map_err(|e| format!("counting {table}: {e}"))
}

/// Tables on both sides of the plan: (name in A, name in B).
fn kept(a: &Schema, b: &Schema, hints: &RenameHints) -> Vec<(String, String)> {
    a.tables
        .iter()
        .filter_map(|t: &Table| {
            let to = hints.tables.iter().find(|h| h.from == t.name).map_or(t.name.clone(), |h| h.to.clone());
            b.table(&to).map(|_| (t.name.clone(), to))
        })
        .collect()
}

async fn expect_state(db: &Database, expected: &Schema, when: &str) -> Result<(), String> {
    let actual = introspect(db).await.map_err(|e| e.to_string())?;
    let diffs = compare(expected, &actual, db.dialect());
    if diffs.is_empty() {
        Ok(())
    } else {
        let list: Vec<String> = diffs.iter().map(ToString::to_string).collect();
        Err(format!("{} {when}: {}", db.dialect(), list.join("; ")))
    }
}

/// One case on an empty database: see the module docs.
pub async fn case(db: &Database, a: &Schema, b: &Schema, hints: &RenameHints) -> Result<(), String> {
    let d = db.dialect();
    let a = creatable(a, d);
    let b = creatable(b, d);
    let plan = classify::plan(&a, &b, hints).map_err(|e| e.to_string())?;
    let up = plan.up_steps();
    let down = plan.down_steps();
    let after = replay::apply_steps(&a, &up).map_err(|e| format!("replaying up: {e}"))?;
    if !replay::equivalent(&after, &b) {
        return Err("the plan's up steps do not replay to B".into());
    }
    create(db, &a).await.map_err(|e| format!("creating A: {e}"))?;
    expect_state(db, &a, "after creating A").await?;
    seed(db, &a).await?;
    let dangerous = plan.class_for(d) == Class::Dangerous;
    if std::env::var_os("DRIFTLESS_SHOW_SQL").is_some() {
        let show = |s: &[driftless_core::step::Step], ctx: &Schema| render::render_steps(s, d, ctx).map(|r| r.script());
        eprintln!("up:\n{:?}\ndown:\n{:?}", show(&up, &a), show(&down, &after));
    }
    let up_sql = render::render_steps(&up, d, &a).map_err(|e| format!("rendering up: {e}"))?;
    let class = plan.class_for(d);
    let mut rows_kept = true;
    if let Err(e) = run(db, &up_sql).await {
        if class == Class::Safe {
            return Err(format!("applying a safe plan to seeded rows failed: {e}"));
        }
        // A plan that is not safe may fail on existing rows (review_required: a NULL where NOT NULL is now
        // required; dangerous: a NOT NULL column without default): it must work on an empty database.
        rows_kept = false;
        wipe(db).await;
        create(db, &a).await.map_err(|e| format!("creating A again: {e}"))?;
        run(db, &up_sql).await.map_err(|e| format!("applying the {class} plan to no rows: {e}"))?;
    }
    expect_state(db, &b, "after the plan").await?;
    let kept = kept(&a, &b, hints);
    if !dangerous && rows_kept {
        for (_, t) in &kept {
            if count(db, t).await? != 1 {
                return Err(format!("{d}: the seeded row of `{t}` was lost by a {} plan", plan.class_for(d)));
            }
        }
    }
    if down.iter().any(|s| matches!(s, driftless_core::step::Step::Irreversible { .. })) {
        return Ok(());
    }
    let down_sql = render::render_steps(&down, d, &after).map_err(|e| format!("rendering down: {e}"))?;
    if let Err(e) = run(db, &down_sql).await {
        if class == Class::Safe && rows_kept {
            return Err(format!("applying the down of a safe plan to the seeded rows: {e}"));
        }
        // The down of a plan that is not safe may not fit the rows left (re-adding a dropped NOT NULL column without
        // a default): it must work from B with no rows.
        rows_kept = false;
        wipe(db).await;
        create(db, &after).await.map_err(|e| format!("creating B: {e}"))?;
        run(db, &down_sql).await.map_err(|e| format!("applying the down to no rows: {e}"))?;
    }
    expect_state(db, &a, "after the down").await?;
    if !dangerous && rows_kept {
        for (t, _) in &kept {
            if count(db, t).await? != 1 {
                return Err(format!("{d}: the seeded row of `{t}` was lost by the down of a non-dangerous plan"));
            }
        }
    }
    Ok(())
}
