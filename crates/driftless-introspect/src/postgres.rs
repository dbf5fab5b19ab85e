//! PostgreSQL: `pg_catalog` in the connection's `current_schema()` — `pg_class`/`pg_attribute`/`pg_attrdef` for
//! tables and columns (`format_type` for the declared type, `pg_get_expr` for defaults, `attidentity` for identity
//! columns), `pg_type`/`pg_enum` for enum types, `pg_constraint` for primary keys, uniques, foreign keys and checks
//! (`pg_get_constraintdef`), and `pg_index` for the remaining indexes, partial predicates included.

use std::collections::BTreeMap;

use driftless_core::Dialect;
use driftless_core::schema::{
    Check, Column, ColumnType, EnumType, ForeignKey, Index, PrimaryKey, ReferentialAction, Schema, Table,
    UniqueConstraint,
};
use sqlx::{PgPool, Row};

use crate::Error;
use crate::text;

const D: Dialect = Dialect::Postgres;

const TABLES: &str = "SELECT c.relname::text AS name, obj_description(c.oid, 'pg_class') AS comment \
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname";

const COLUMNS: &str = "SELECT c.relname::text AS tbl, a.attname::text AS name, \
format_type(a.atttypid, a.atttypmod) AS ty, a.attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS dflt, \
a.attidentity::text AS identity, t.typtype::text AS typtype, t.typname::text AS typname, \
col_description(a.attrelid, a.attnum) AS comment \
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped \
ORDER BY c.relname, a.attnum";

const ENUMS: &str = "SELECT t.typname::text AS name, e.enumlabel::text AS value \
FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace \
WHERE n.nspname = current_schema() ORDER BY t.typname, e.enumsortorder";

const CONSTRAINTS: &str = "SELECT c.relname::text AS tbl, con.conname::text AS name, con.contype::text AS kind, \
pg_get_constraintdef(con.oid) AS def, \
ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, i) \
  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i) AS cols, \
fc.relname::text AS ref_table, \
ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, i) \
  JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i) AS ref_cols, \
con.confdeltype::text AS del, con.confupdtype::text AS upd \
FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
LEFT JOIN pg_class fc ON fc.oid = con.confrelid \
WHERE n.nspname = current_schema() AND con.contype IN ('p', 'u', 'f', 'c') ORDER BY c.relname, con.conname";

const INDEXES: &str = "SELECT c.relname::text AS tbl, i.relname::text AS name, x.indisunique AS uq, \
pg_get_expr(x.indpred, x.indrelid) AS pred, pg_get_indexdef(x.indexrelid) AS def, \
(0 = ANY(x.indkey::int2[])) AS has_expr, pg_get_expr(x.indexprs, x.indrelid) AS exprs, \
ARRAY(SELECT COALESCE(a.attname::text, '<expression>') FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(n, i) \
  LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n ORDER BY k.i) AS cols \
FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid \
JOIN pg_namespace n ON n.oid = c.relnamespace \
WHERE n.nspname = current_schema() AND NOT x.indisprimary \
AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid AND con.contype IN ('p', 'u', 'x')) \
ORDER BY c.relname, i.relname";

fn action(code: &str) -> ReferentialAction {
    match code {
        "r" => ReferentialAction::Restrict,
        "c" => ReferentialAction::Cascade,
        "n" => ReferentialAction::SetNull,
        "d" => ReferentialAction::SetDefault,
        _ => ReferentialAction::NoAction,
    }
}

pub(crate) async fn introspect(pool: &PgPool, skip: &[&str]) -> Result<Schema, Error> {
    let q = |what: &'static str| move |source| Error::Query { what: what.to_owned(), source };
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    for row in sqlx::query(TABLES).fetch_all(pool).await.map_err(q("the list of tables"))? {
        let name: String = row.try_get("name").map_err(q("the list of tables"))?;
        if skip.contains(&name.as_str()) {
            continue;
        }
        let mut t = Table::new(&name);
        t.comment = row.try_get("comment").map_err(q("the list of tables"))?;
        tables.insert(name, t);
    }
    let mut enums: Vec<EnumType> = Vec::new();
    for row in sqlx::query(ENUMS).fetch_all(pool).await.map_err(q("the enum types"))? {
        let name: String = row.try_get("name").map_err(q("the enum types"))?;
        let value: String = row.try_get("value").map_err(q("the enum types"))?;
        match enums.last_mut() {
            Some(e) if e.name == name => e.values.push(value),
            _ => enums.push(EnumType { name, values: vec![value] }),
        }
    }
    for row in sqlx::query(COLUMNS).fetch_all(pool).await.map_err(q("the columns"))? {
        let tbl: String = row.try_get("tbl").map_err(q("the columns"))?;
        let Some(table) = tables.get_mut(&tbl) else { continue };
        let name: String = row.try_get("name").map_err(q("the columns"))?;
        let declared: String = row.try_get("ty").map_err(q("the columns"))?;
        let notnull: bool = row.try_get("notnull").map_err(q("the columns"))?;
        let default: Option<String> = row.try_get("dflt").map_err(q("the columns"))?;
        let identity: String = row.try_get("identity").map_err(q("the columns"))?;
        let typtype: String = row.try_get("typtype").map_err(q("the columns"))?;
        let typname: String = row.try_get("typname").map_err(q("the columns"))?;
        let ty = if typtype == "e" { ColumnType::Enum(typname) } else { text::column_type(D, &declared) };
        let mut col = Column::new(name, ty);
        col.nullable = !notnull;
        col.comment = row.try_get("comment").map_err(q("the columns"))?;
        match default.as_deref() {
            Some(d) if text::is_sequence_default(d) => col.auto_increment = true,
            Some(d) => col.default = text::default_value(D, d, &col.ty),
            None => {}
        }
        if !identity.is_empty() {
            col.auto_increment = true;
        }
        table.columns.push(col);
    }
    for row in sqlx::query(CONSTRAINTS).fetch_all(pool).await.map_err(q("the constraints"))? {
        let tbl: String = row.try_get("tbl").map_err(q("the constraints"))?;
        let Some(table) = tables.get_mut(&tbl) else { continue };
        let name: String = row.try_get("name").map_err(q("the constraints"))?;
        let kind: String = row.try_get("kind").map_err(q("the constraints"))?;
        let def: String = row.try_get("def").map_err(q("the constraints"))?;
        let columns: Vec<String> = row.try_get("cols").map_err(q("the constraints"))?;
        match kind.as_str() {
            "p" => table.primary_key = Some(PrimaryKey { name, columns }),
            "u" => table.uniques.push(UniqueConstraint { name, columns }),
            "f" => {
                let ref_table: Option<String> = row.try_get("ref_table").map_err(q("the constraints"))?;
                let ref_columns: Vec<String> = row.try_get("ref_cols").map_err(q("the constraints"))?;
                let del: String = row.try_get("del").map_err(q("the constraints"))?;
                let upd: String = row.try_get("upd").map_err(q("the constraints"))?;
                table.foreign_keys.push(ForeignKey {
                    name,
                    columns,
                    ref_table: ref_table.unwrap_or_default(),
                    ref_columns,
                    on_delete: action(&del),
                    on_update: action(&upd),
                });
            }
            _ => {
                let body = def.trim().strip_suffix("NOT VALID").unwrap_or(&def).trim();
                let body = body.strip_prefix("CHECK").unwrap_or(body);
                table.checks.push(Check { name, expr: text::strip_outer_parens(body).to_owned() });
            }
        }
    }
    for row in sqlx::query(INDEXES).fetch_all(pool).await.map_err(q("the indexes"))? {
        let tbl: String = row.try_get("tbl").map_err(q("the indexes"))?;
        let Some(table) = tables.get_mut(&tbl) else { continue };
        let pred: Option<String> = row.try_get("pred").map_err(q("the indexes"))?;
        let name: String = row.try_get("name").map_err(q("the indexes"))?;
        let columns: Vec<String> = row.try_get("cols").map_err(q("the indexes"))?;
        // An element that is an expression has attribute number 0.
        let has_expr: bool = row.try_get("has_expr").map_err(q("the indexes"))?;
        // An index over exactly one expression is read as an expression index; one that mixes columns and
        // expressions, or has several expressions, has no form in the model.
        let (columns, expression) = if has_expr {
            let exprs: Option<String> = row.try_get("exprs").map_err(q("the indexes"))?;
            match exprs {
                Some(e) if columns.len() == 1 => (Vec::new(), Some(text::strip_outer_parens(&e).to_owned())),
                _ => {
                    let definition: String = row.try_get("def").map_err(q("the indexes"))?;
                    return Err(Error::ExpressionIndex { table: tbl, index: name, definition });
                }
            }
        } else {
            (columns, None)
        };
        table.indexes.push(Index {
            name,
            columns,
            unique: row.try_get("uq").map_err(q("the indexes"))?,
            predicate: pred.map(|p| text::strip_outer_parens(&p).to_owned()),
            expression,
            ..Default::default()
        });
    }
    Ok(Schema { tables: tables.into_values().collect(), enums }.normalized())
}
