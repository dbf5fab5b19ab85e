//! MySQL/MariaDB: `information_schema` for the connection's `DATABASE()` — `TABLES` and `COLUMNS` (the full
//! `COLUMN_TYPE`, so `tinyint(1)` and inline `enum('a','b')` read back), `STATISTICS` for the primary key, unique
//! and plain indexes, `KEY_COLUMN_USAGE` + `REFERENTIAL_CONSTRAINTS` for foreign keys, and `CHECK_CONSTRAINTS` for
//! checks (MariaDB's `JSON` is `LONGTEXT` plus a `json_valid` column check, which reads back as `json`).
//! A string default the catalog shows with a `?` is read again from a temporary copy of the table, because the
//! catalog turns 4-byte characters into `?` (see `recover_four_byte_defaults`).

use std::collections::BTreeMap;

use driftless_core::Dialect;
use driftless_core::schema::{
    Check, Column, ColumnType, DefaultValue, EnumType, ForeignKey, Index, Literal, PrimaryKey, ReferentialAction,
    Schema, Table, constraint_name,
};
use sqlx::{MySqlPool, Row};

use crate::Error;
use crate::text;

const D: Dialect = Dialect::Mysql;

const TABLES: &str = "SELECT CONVERT(TABLE_NAME USING utf8mb4) AS name, \
CONVERT(TABLE_COMMENT USING utf8mb4) AS comment FROM information_schema.TABLES \
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME";

const COLUMNS: &str = "SELECT CONVERT(TABLE_NAME USING utf8mb4) AS tbl, CONVERT(COLUMN_NAME USING utf8mb4) AS name, \
CONVERT(COLUMN_TYPE USING utf8mb4) AS ty, CONVERT(IS_NULLABLE USING utf8mb4) AS nullable, \
CONVERT(COLUMN_DEFAULT USING utf8mb4) AS dflt, CONVERT(EXTRA USING utf8mb4) AS extra, \
CONVERT(COLUMN_COMMENT USING utf8mb4) AS comment FROM information_schema.COLUMNS \
WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION";

const STATISTICS: &str = "SELECT CONVERT(TABLE_NAME USING utf8mb4) AS tbl, CONVERT(INDEX_NAME USING utf8mb4) AS name, \
CAST(NON_UNIQUE AS SIGNED) AS non_unique, CONVERT(COLUMN_NAME USING utf8mb4) AS col, \
CAST(SUB_PART AS SIGNED) AS sub_part \
FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX";

const FOREIGN_KEYS: &str = "SELECT CONVERT(k.TABLE_NAME USING utf8mb4) AS tbl, \
CONVERT(k.CONSTRAINT_NAME USING utf8mb4) AS name, CONVERT(k.COLUMN_NAME USING utf8mb4) AS col, \
CONVERT(k.REFERENCED_TABLE_NAME USING utf8mb4) AS ref_table, \
CONVERT(k.REFERENCED_COLUMN_NAME USING utf8mb4) AS ref_col, \
CONVERT(r.UPDATE_RULE USING utf8mb4) AS upd, CONVERT(r.DELETE_RULE USING utf8mb4) AS del \
FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME \
WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL \
ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION";

/// MariaDB's `CHECK_CONSTRAINTS` has the table and the level (column or table).
const CHECKS_MARIADB: &str = "SELECT CONVERT(TABLE_NAME USING utf8mb4) AS tbl, \
CONVERT(CONSTRAINT_NAME USING utf8mb4) AS name, CONVERT(CHECK_CLAUSE USING utf8mb4) AS expr, \
CONVERT(LEVEL USING utf8mb4) AS level FROM information_schema.CHECK_CONSTRAINTS \
WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY TABLE_NAME, CONSTRAINT_NAME";

/// MySQL 8 names the table only in `TABLE_CONSTRAINTS`.
const CHECKS_MYSQL: &str = "SELECT CONVERT(t.TABLE_NAME USING utf8mb4) AS tbl, \
CONVERT(c.CONSTRAINT_NAME USING utf8mb4) AS name, CONVERT(c.CHECK_CLAUSE USING utf8mb4) AS expr, 'Table' AS level \
FROM information_schema.TABLE_CONSTRAINTS t JOIN information_schema.CHECK_CONSTRAINTS c \
ON c.CONSTRAINT_SCHEMA = t.CONSTRAINT_SCHEMA AND c.CONSTRAINT_NAME = t.CONSTRAINT_NAME \
WHERE t.TABLE_SCHEMA = DATABASE() AND t.CONSTRAINT_TYPE = 'CHECK' ORDER BY t.TABLE_NAME, c.CONSTRAINT_NAME";

/// The temporary table [`recover_four_byte_defaults`] reads defaults from (visible only to its own connection).
const PROBE: &str = "__driftless_default_probe";

fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// MariaDB (and MySQL) keep identifiers and the catalog in 3-byte `utf8mb3`: `information_schema.COLUMNS` and
/// `SHOW CREATE TABLE` print a constant default holding a 4-byte character (an emoji) with `?` in its place, whatever
/// the session's character set (measured on MariaDB 10.11 with `SET NAMES utf8mb4`), although the stored default is
/// intact. A string default that shows a `?` is therefore read again from the value itself: a temporary copy of the
/// table (`CREATE TEMPORARY TABLE ... LIKE`, which no other connection sees) gets one row of defaults, with strict
/// mode and check constraints off for that one insert so that columns without defaults and checks do not get in
/// the way, and the row is read back in `utf8mb4`. A default that cannot be read this way is an error naming the
/// column rather than a `?` written into a snapshot.
async fn recover_four_byte_defaults(
    pool: &MySqlPool,
    tables: &mut BTreeMap<String, Table>,
    mariadb: bool,
) -> Result<(), Error> {
    for t in tables.values_mut() {
        let suspects: Vec<String> = t
            .columns
            .iter()
            .filter(|c| matches!(&c.default, Some(DefaultValue::Value(Literal::String(v))) if v.contains('?')))
            .map(|c| c.name.clone())
            .collect();
        if suspects.is_empty() {
            continue;
        }
        let what = format!(
            "the defaults of table `{}` ({}; the catalog shows 4-byte characters as `?`, so driftless reads them \
             from a temporary copy of the table, which needs the CREATE TEMPORARY TABLES privilege)",
            t.name,
            suspects.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
        );
        let values = probe_defaults(pool, &t.name, &suspects, mariadb)
            .await
            .map_err(|source| Error::Query { what: what.clone(), source })?;
        for (name, value) in suspects.iter().zip(values) {
            if let (Some(col), Some(v)) = (t.column_mut(name), value) {
                col.default = Some(DefaultValue::Value(text::coerce(Literal::String(v), &col.ty)));
            }
        }
    }
    Ok(())
}

/// The default of each of `columns` of `table`, read from one inserted row of a temporary copy of it.
async fn probe_defaults(
    pool: &MySqlPool,
    table: &str,
    columns: &[String],
    mariadb: bool,
) -> Result<Vec<Option<String>>, sqlx::Error> {
    use sqlx::AssertSqlSafe;
    let mut conn = pool.acquire().await?;
    let run = async {
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE TEMPORARY TABLE {} LIKE {}", ident(PROBE), ident(table))))
            .execute(&mut *conn)
            .await?;
        let insert = format!("INSERT INTO {} () VALUES ()", ident(PROBE));
        if mariadb {
            let sql = format!("SET STATEMENT sql_mode = '', check_constraint_checks = 0 FOR {insert}");
            sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut *conn).await?;
        } else {
            let mode: String =
                sqlx::query_scalar("SELECT CONVERT(@@SESSION.sql_mode USING utf8mb4)").fetch_one(&mut *conn).await?;
            sqlx::raw_sql("SET SESSION sql_mode = ''").execute(&mut *conn).await?;
            let inserted = sqlx::raw_sql(AssertSqlSafe(insert)).execute(&mut *conn).await;
            sqlx::query("SET SESSION sql_mode = ?").bind(mode).execute(&mut *conn).await?;
            inserted?;
        }
        let select = columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("CONVERT({} USING utf8mb4) AS v{i}", ident(c)))
            .collect::<Vec<_>>()
            .join(", ");
        let row = sqlx::raw_sql(AssertSqlSafe(format!("SELECT {select} FROM {}", ident(PROBE))))
            .fetch_one(&mut *conn)
            .await?;
        let values = (0..columns.len()).map(|i| row.try_get::<Option<String>, _>(i)).collect::<Result<Vec<_>, _>>()?;
        sqlx::raw_sql(AssertSqlSafe(format!("DROP TEMPORARY TABLE {}", ident(PROBE)))).execute(&mut *conn).await?;
        Ok(values)
    }
    .await;
    if run.is_err() {
        // The temporary table may still exist on this connection: close it rather than return it to the pool.
        let _ = conn.detach();
    }
    run
}

fn action(rule: &str) -> ReferentialAction {
    ReferentialAction::from_keyword(rule).unwrap_or_default()
}

pub(crate) async fn introspect(pool: &MySqlPool, skip: &[&str]) -> Result<Schema, Error> {
    let q = |what: &'static str| move |source| Error::Query { what: what.to_owned(), source };
    let version: String = sqlx::query_scalar("SELECT CONVERT(VERSION() USING utf8mb4)")
        .fetch_one(pool)
        .await
        .map_err(q("the server version"))?;
    let mariadb = version.to_ascii_lowercase().contains("mariadb");
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    for row in sqlx::query(TABLES).fetch_all(pool).await.map_err(q("the list of tables"))? {
        let name: String = row.try_get("name").map_err(q("the list of tables"))?;
        if skip.contains(&name.as_str()) {
            continue;
        }
        let mut t = Table::new(&name);
        let comment: Option<String> = row.try_get("comment").map_err(q("the list of tables"))?;
        t.comment = comment.filter(|c| !c.is_empty());
        tables.insert(name, t);
    }
    let mut enums: Vec<EnumType> = Vec::new();
    for row in sqlx::query(COLUMNS).fetch_all(pool).await.map_err(q("the columns"))? {
        let tbl: String = row.try_get("tbl").map_err(q("the columns"))?;
        let Some(table) = tables.get_mut(&tbl) else { continue };
        let name: String = row.try_get("name").map_err(q("the columns"))?;
        let declared: String = row.try_get("ty").map_err(q("the columns"))?;
        let nullable: String = row.try_get("nullable").map_err(q("the columns"))?;
        let default: Option<String> = row.try_get("dflt").map_err(q("the columns"))?;
        let extra: Option<String> = row.try_get("extra").map_err(q("the columns"))?;
        let extra = extra.unwrap_or_default().to_ascii_lowercase();
        let comment: Option<String> = row.try_get("comment").map_err(q("the columns"))?;
        let ty = match text::mysql_enum_values(&declared) {
            Some(values) => ColumnType::Enum(crate::enum_name(&mut enums, &tbl, &name, values)),
            None => text::column_type(D, &declared),
        };
        let mut col = Column::new(name, ty);
        col.nullable = nullable.eq_ignore_ascii_case("yes");
        col.auto_increment = extra.contains("auto_increment");
        col.comment = comment.filter(|c| !c.is_empty());
        col.default = match default {
            None => None,
            // MySQL 8 shows a literal default unquoted; only expression defaults are marked DEFAULT_GENERATED.
            Some(d) if !mariadb && !extra.contains("default_generated") => {
                Some(DefaultValue::Value(text::coerce(Literal::String(d), &col.ty)))
            }
            Some(d) => text::default_value(D, &d, &col.ty),
        };
        table.columns.push(col);
    }
    recover_four_byte_defaults(pool, &mut tables, mariadb).await?;
    // Per index: unique, the columns, and the prefix lengths (`SUB_PART`) of the columns indexed by a prefix.
    type Found = (bool, Vec<String>, BTreeMap<String, u32>);
    let mut indexes: BTreeMap<(String, String), Found> = BTreeMap::new();
    for row in sqlx::query(STATISTICS).fetch_all(pool).await.map_err(q("the indexes"))? {
        let tbl: String = row.try_get("tbl").map_err(q("the indexes"))?;
        let name: String = row.try_get("name").map_err(q("the indexes"))?;
        let non_unique: i64 = row.try_get("non_unique").map_err(q("the indexes"))?;
        let col: Option<String> = row.try_get("col").map_err(q("the indexes"))?;
        let sub_part: Option<i64> = row.try_get("sub_part").map_err(q("the indexes"))?;
        // MySQL 8 functional key parts have no column (MariaDB has none).
        let Some(col) = col else {
            return Err(Error::ExpressionIndex { table: tbl, index: name, definition: "an expression".into() });
        };
        let entry = indexes.entry((tbl, name)).or_insert((non_unique == 0, Vec::new(), BTreeMap::new()));
        if let Some(len) = sub_part.and_then(|n| u32::try_from(n).ok()) {
            entry.2.insert(col.clone(), len);
        }
        entry.1.push(col);
    }
    let mut fks: BTreeMap<(String, String), ForeignKey> = BTreeMap::new();
    for row in sqlx::query(FOREIGN_KEYS).fetch_all(pool).await.map_err(q("the foreign keys"))? {
        let tbl: String = row.try_get("tbl").map_err(q("the foreign keys"))?;
        let name: String = row.try_get("name").map_err(q("the foreign keys"))?;
        let col: String = row.try_get("col").map_err(q("the foreign keys"))?;
        let ref_table: String = row.try_get("ref_table").map_err(q("the foreign keys"))?;
        let ref_col: String = row.try_get("ref_col").map_err(q("the foreign keys"))?;
        let upd: String = row.try_get("upd").map_err(q("the foreign keys"))?;
        let del: String = row.try_get("del").map_err(q("the foreign keys"))?;
        let fk = fks.entry((tbl, name.clone())).or_insert_with(|| ForeignKey {
            name,
            columns: Vec::new(),
            ref_table,
            ref_columns: Vec::new(),
            on_delete: action(&del),
            on_update: action(&upd),
        });
        fk.columns.push(col);
        fk.ref_columns.push(ref_col);
    }
    for ((tbl, _), fk) in fks {
        if let Some(t) = tables.get_mut(&tbl) {
            t.foreign_keys.push(fk);
        }
    }
    for ((tbl, name), (unique, columns, prefixes)) in indexes {
        let Some(t) = tables.get_mut(&tbl) else { continue };
        if name == "PRIMARY" {
            t.primary_key = Some(PrimaryKey { name: constraint_name(&tbl, &[], "pkey"), columns });
            continue;
        }
        // The index MySQL creates (or driftless keeps) for a foreign key is the key's own, not a model index.
        if !unique && t.foreign_keys.iter().any(|fk| fk.name == name && fk.columns == columns) {
            continue;
        }
        t.indexes.push(Index { name, columns, unique, predicate: None, prefixes, expression: None });
    }
    let checks = sqlx::query(if mariadb { CHECKS_MARIADB } else { CHECKS_MYSQL })
        .fetch_all(pool)
        .await
        .map_err(q("the check constraints"))?;
    for row in checks {
        let tbl: String = row.try_get("tbl").map_err(q("the check constraints"))?;
        let Some(t) = tables.get_mut(&tbl) else { continue };
        let name: String = row.try_get("name").map_err(q("the check constraints"))?;
        let expr: String = row.try_get("expr").map_err(q("the check constraints"))?;
        let level: String = row.try_get("level").map_err(q("the check constraints"))?;
        if level.eq_ignore_ascii_case("column") {
            let json = text::canonical_sql(&expr) == format!("json_valid{}", name.to_lowercase());
            if let Some(col) = t.column_mut(&name)
                && json
                && col.ty == ColumnType::Text
            {
                col.ty = ColumnType::Json;
                continue;
            }
        }
        t.checks.push(Check { name, expr: text::strip_outer_parens(&expr).to_owned() });
    }
    Ok(Schema { tables: tables.into_values().collect(), enums }.normalized())
}
