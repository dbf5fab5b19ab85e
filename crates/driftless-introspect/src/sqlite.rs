//! SQLite: `sqlite_master` plus the table-valued pragmas (`pragma_table_info`, `pragma_index_list`,
//! `pragma_index_info`, `pragma_foreign_key_list`) for what SQLite knows as data, and the table's stored
//! `CREATE TABLE` text for what it only keeps as text: constraint names, `CHECK`s (an enum is `TEXT` with
//! `CHECK ("col" IN (...))`), and `AUTOINCREMENT`.

use std::collections::BTreeMap;

use driftless_core::Dialect;
use driftless_core::schema::{
    Check, Column, ColumnType, EnumType, ForeignKey, Index, PrimaryKey, ReferentialAction, Schema, Table,
    UniqueConstraint, constraint_name,
};
use sqlx::{Row, SqlitePool};

use crate::Error;
use crate::text;

const D: Dialect = Dialect::Sqlite;

pub(crate) async fn introspect(pool: &SqlitePool, skip: &[&str]) -> Result<Schema, Error> {
    let q = |what: &str| {
        let what = what.to_owned();
        move |source| Error::Query { what, source }
    };
    let rows = sqlx::query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
         ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .map_err(q("the list of tables"))?;
    let mut schema = Schema::empty();
    let mut enums: Vec<EnumType> = Vec::new();
    for row in rows {
        let name: String = row.try_get("name").map_err(q("the list of tables"))?;
        if skip.contains(&name.as_str()) {
            continue;
        }
        let sql: Option<String> = row.try_get("sql").map_err(q("the list of tables"))?;
        let parsed = parse_create_table(sql.as_deref().unwrap_or(""));
        let table = read_table(pool, &name, &parsed, &mut enums).await?;
        schema.tables.push(table);
    }
    schema.enums = enums;
    Ok(schema.normalized())
}

async fn read_table(
    pool: &SqlitePool,
    name: &str,
    parsed: &ParsedTable,
    enums: &mut Vec<EnumType>,
) -> Result<Table, Error> {
    let q = |what: &str| {
        let what = format!("{what} of table `{name}`");
        move |source| Error::Query { what, source }
    };
    let mut table = Table::new(name);
    let cols =
        sqlx::query("SELECT name, type, \"notnull\" AS nn, dflt_value, pk FROM pragma_table_info(?) ORDER BY cid")
            .bind(name)
            .fetch_all(pool)
            .await
            .map_err(q("the columns"))?;
    let mut pk: Vec<(i64, String)> = Vec::new();
    for row in &cols {
        let col_name: String = row.try_get("name").map_err(q("the columns"))?;
        let declared: String = row.try_get("type").map_err(q("the columns"))?;
        let notnull: i64 = row.try_get("nn").map_err(q("the columns"))?;
        let default: Option<String> = row.try_get("dflt_value").map_err(q("the columns"))?;
        let pk_pos: i64 = row.try_get("pk").map_err(q("the columns"))?;
        let info = parsed.columns.get(&col_name);
        let mut ty = text::column_type(D, &declared);
        let auto = info.is_some_and(|c| c.autoincrement);
        if let Some(values) = info.and_then(|c| c.enum_values.clone())
            && ty == ColumnType::Text
        {
            ty = ColumnType::Enum(crate::enum_name(enums, name, &col_name, values));
        }
        let mut col = Column::new(&col_name, ty);
        col.nullable = notnull == 0 && pk_pos == 0;
        col.auto_increment = auto;
        col.default = default.as_deref().and_then(|d| text::default_value(D, d, &col.ty));
        if pk_pos > 0 {
            pk.push((pk_pos, col_name));
        }
        table.columns.push(col);
    }
    if !pk.is_empty() {
        pk.sort();
        let name = parsed.primary_key_name.clone().unwrap_or_else(|| constraint_name(name, &[], "pkey"));
        table.primary_key = Some(PrimaryKey { name, columns: pk.into_iter().map(|(_, c)| c).collect() });
    }
    table.checks = parsed.checks.clone();

    // Indexes and unique constraints (SQLite backs a UNIQUE constraint with an automatic index, origin `u`).
    let index_rows =
        sqlx::query("SELECT name, \"unique\" AS uq, origin, partial FROM pragma_index_list(?) ORDER BY name")
            .bind(name)
            .fetch_all(pool)
            .await
            .map_err(q("the indexes"))?;
    for row in &index_rows {
        let index_name: String = row.try_get("name").map_err(q("the indexes"))?;
        let unique: i64 = row.try_get("uq").map_err(q("the indexes"))?;
        let origin: String = row.try_get("origin").map_err(q("the indexes"))?;
        let partial: i64 = row.try_get("partial").map_err(q("the indexes"))?;
        let cols = sqlx::query("SELECT name FROM pragma_index_info(?) ORDER BY seqno")
            .bind(&index_name)
            .fetch_all(pool)
            .await
            .map_err(q("the index columns"))?;
        let names: Vec<Option<String>> = cols
            .iter()
            .map(|r| r.try_get::<Option<String>, _>("name"))
            .collect::<Result<_, _>>()
            .map_err(q("the index columns"))?;
        // An element without a column name is an expression. An index over exactly one expression is read as an
        // expression index (its text from the stored CREATE INDEX); one that mixes columns and expressions, or has
        // several expressions, has no form in the model.
        let single = names.len() == 1;
        let mut expression = None;
        let columns = match names.into_iter().collect::<Option<Vec<String>>>() {
            Some(columns) => columns,
            None => {
                let sql: Option<String> = sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE name = ?")
                    .bind(&index_name)
                    .fetch_optional(pool)
                    .await
                    .map_err(q("the index definitions"))?
                    .flatten();
                match sql.as_deref().and_then(index_elements) {
                    Some(e) if single && origin == "c" => expression = Some(e),
                    _ => {
                        return Err(Error::ExpressionIndex {
                            table: name.to_owned(),
                            index: index_name,
                            definition: sql.unwrap_or_else(|| "an expression".into()),
                        });
                    }
                }
                Vec::new()
            }
        };
        match origin.as_str() {
            "pk" => {}
            "u" => {
                let refs: Vec<&str> = columns.iter().map(String::as_str).collect();
                let cname = parsed
                    .uniques
                    .iter()
                    .find(|(_, c)| *c == columns)
                    .map(|(n, _)| n.clone())
                    .unwrap_or_else(|| constraint_name(name, &refs, "key"));
                table.uniques.push(UniqueConstraint { name: cname, columns });
            }
            _ => {
                let predicate = if partial != 0 {
                    let sql: Option<String> = sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE name = ?")
                        .bind(&index_name)
                        .fetch_optional(pool)
                        .await
                        .map_err(q("the index definitions"))?
                        .flatten();
                    sql.as_deref().and_then(index_predicate)
                } else {
                    None
                };
                table.indexes.push(Index {
                    name: index_name,
                    columns,
                    unique: unique != 0,
                    predicate,
                    expression,
                    ..Default::default()
                });
            }
        }
    }

    // Foreign keys: the pragma has the facts; the CREATE TABLE text has the names.
    let fk_rows = sqlx::query(
        "SELECT id, seq, \"table\" AS ref_table, \"from\" AS col, \"to\" AS ref_col, on_update, on_delete \
         FROM pragma_foreign_key_list(?) ORDER BY id, seq",
    )
    .bind(name)
    .fetch_all(pool)
    .await
    .map_err(q("the foreign keys"))?;
    let mut fks: BTreeMap<i64, ForeignKey> = BTreeMap::new();
    let mut unresolved: Vec<i64> = Vec::new();
    for row in &fk_rows {
        let id: i64 = row.try_get("id").map_err(q("the foreign keys"))?;
        let ref_table: String = row.try_get("ref_table").map_err(q("the foreign keys"))?;
        let col: String = row.try_get("col").map_err(q("the foreign keys"))?;
        let ref_col: Option<String> = row.try_get("ref_col").map_err(q("the foreign keys"))?;
        let on_update: String = row.try_get("on_update").map_err(q("the foreign keys"))?;
        let on_delete: String = row.try_get("on_delete").map_err(q("the foreign keys"))?;
        let fk = fks.entry(id).or_insert_with(|| ForeignKey {
            name: String::new(),
            columns: Vec::new(),
            ref_table,
            ref_columns: Vec::new(),
            on_delete: ReferentialAction::from_keyword(&on_delete).unwrap_or_default(),
            on_update: ReferentialAction::from_keyword(&on_update).unwrap_or_default(),
        });
        fk.columns.push(col);
        match ref_col {
            Some(c) => fk.ref_columns.push(c),
            None => unresolved.push(id),
        }
    }
    for id in unresolved {
        // `REFERENCES parent` without columns names the parent's primary key.
        if let Some(fk) = fks.get_mut(&id) {
            let pk: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk")
                .bind(&fk.ref_table)
                .fetch_all(pool)
                .await
                .map_err(q("the referenced primary key"))?;
            fk.ref_columns = pk;
        }
    }
    for mut fk in fks.into_values() {
        let refs: Vec<&str> = fk.columns.iter().map(String::as_str).collect();
        fk.name = parsed
            .foreign_keys
            .iter()
            .find(|(_, cols, t)| *cols == fk.columns && t.eq_ignore_ascii_case(&fk.ref_table))
            .map(|(n, _, _)| n.clone())
            .unwrap_or_else(|| constraint_name(name, &refs, "fkey"));
        table.foreign_keys.push(fk);
    }
    table.normalize();
    Ok(table)
}

/// The predicate of a stored `CREATE INDEX ... WHERE ...`.
fn index_predicate(sql: &str) -> Option<String> {
    let tokens = tokenize(sql);
    let mut depth = 0;
    for t in &tokens {
        match t.text.as_str() {
            "(" => depth += 1,
            ")" => depth -= 1,
            _ if depth == 0 && t.is_word("where") => {
                return Some(text::strip_outer_parens(sql[t.end..].trim()).to_owned());
            }
            _ => {}
        }
    }
    None
}

/// The element list of a stored `CREATE INDEX name ON table (elements) ...`, without its outer parentheses: for an
/// index over one expression, the expression (`CREATE INDEX ix ON t ((lower(email)))` → `lower(email)`).
fn index_elements(sql: &str) -> Option<String> {
    let tokens = tokenize(sql);
    let mut depth = 0;
    let mut open = None;
    for t in &tokens {
        match t.text.as_str() {
            "(" => {
                if depth == 0 {
                    open = Some(t.end);
                }
                depth += 1;
            }
            ")" => {
                depth -= 1;
                if depth == 0 {
                    let inner = text::strip_outer_parens(&sql[open?..t.start]);
                    return (!inner.is_empty()).then(|| inner.to_owned());
                }
            }
            _ => {}
        }
    }
    None
}

/// What only the `CREATE TABLE` text says.
#[derive(Debug, Default)]
pub(crate) struct ParsedTable {
    pub(crate) primary_key_name: Option<String>,
    pub(crate) uniques: Vec<(String, Vec<String>)>,
    pub(crate) foreign_keys: Vec<(String, Vec<String>, String)>,
    pub(crate) checks: Vec<Check>,
    pub(crate) columns: BTreeMap<String, ParsedColumn>,
}

/// What the `CREATE TABLE` text says about one column.
#[derive(Debug, Default)]
pub(crate) struct ParsedColumn {
    pub(crate) autoincrement: bool,
    pub(crate) enum_values: Option<Vec<String>>,
}

#[derive(Debug, Clone)]
struct Token {
    text: String,
    /// The identifier's name without quotes, for words and quoted identifiers.
    ident: Option<String>,
    start: usize,
    end: usize,
}

impl Token {
    fn is_word(&self, w: &str) -> bool {
        self.ident.is_some() && !self.text.starts_with(['"', '`', '[']) && self.text.eq_ignore_ascii_case(w)
    }
}

fn tokenize(sql: &str) -> Vec<Token> {
    let bytes: Vec<(usize, char)> = sql.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let end_of = |k: usize| bytes.get(k).map(|(p, _)| *p).unwrap_or(sql.len());
    while i < bytes.len() {
        let (start, c) = bytes[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '-' && bytes.get(i + 1).map(|b| b.1) == Some('-') {
            while i < bytes.len() && bytes[i].1 != '\n' {
                i += 1;
            }
            continue;
        }
        // A block comment runs to `*/` or, as SQLite reads it, to the end of the text.
        if c == '/' && bytes.get(i + 1).map(|b| b.1) == Some('*') {
            i += 2;
            while i < bytes.len() && !(bytes[i].1 == '*' && bytes.get(i + 1).map(|b| b.1) == Some('/')) {
                i += 1;
            }
            i += 2;
            continue;
        }
        let close = match c {
            '"' => Some('"'),
            '`' => Some('`'),
            '[' => Some(']'),
            '\'' => Some('\''),
            _ => None,
        };
        if let Some(close) = close {
            let mut j = i + 1;
            let mut value = String::new();
            while j < bytes.len() {
                if bytes[j].1 == close {
                    if close != ']' && bytes.get(j + 1).map(|b| b.1) == Some(close) {
                        value.push(close);
                        j += 2;
                        continue;
                    }
                    break;
                }
                value.push(bytes[j].1);
                j += 1;
            }
            let end = end_of(j + 1);
            let ident = (c != '\'').then_some(value);
            out.push(Token { text: sql[start..end].to_owned(), ident, start, end });
            i = j + 1;
            continue;
        }
        if c.is_alphanumeric() || c == '_' {
            let mut j = i;
            while j < bytes.len() && (bytes[j].1.is_alphanumeric() || bytes[j].1 == '_' || bytes[j].1 == '.') {
                j += 1;
            }
            let end = end_of(j);
            let text = sql[start..end].to_owned();
            out.push(Token { ident: Some(text.clone()), text, start, end });
            i = j;
            continue;
        }
        let end = end_of(i + 1);
        out.push(Token { text: sql[start..end].to_owned(), ident: None, start, end });
        i += 1;
    }
    out
}

/// Splits the tokens between the outermost parentheses of `CREATE TABLE name (...)` at top-level commas.
fn body_items(tokens: &[Token]) -> Vec<&[Token]> {
    let Some(open) = tokens.iter().position(|t| t.text == "(") else { return Vec::new() };
    let mut items = Vec::new();
    let mut depth = 0;
    let mut start = open + 1;
    for (k, t) in tokens.iter().enumerate().skip(open) {
        match t.text.as_str() {
            "(" => depth += 1,
            ")" => {
                depth -= 1;
                if depth == 0 {
                    items.push(&tokens[start..k]);
                    break;
                }
            }
            "," if depth == 1 => {
                items.push(&tokens[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    items
}

/// The index just after the parenthesised group starting at `open` (which must be `(`).
fn group_end(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0;
    for (k, t) in tokens.iter().enumerate().skip(open) {
        match t.text.as_str() {
            "(" => depth += 1,
            ")" => {
                depth -= 1;
                if depth == 0 {
                    return k + 1;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

fn ident_list(tokens: &[Token]) -> Vec<String> {
    tokens.iter().filter_map(|t| t.ident.clone()).filter(|i| !i.eq_ignore_ascii_case("collate")).collect()
}

/// The source text inside the group starting at `open`.
fn group_text<'a>(sql: &'a str, tokens: &[Token], open: usize) -> &'a str {
    let end = group_end(tokens, open);
    if end <= open + 1 {
        return "";
    }
    let (a, b) = (tokens[open].end, tokens[end - 1].start);
    if a <= b { sql[a..b].trim() } else { "" }
}

/// `"col" IN ('a', 'b')` → the values, when the check is exactly an enum check on `column`.
fn enum_check(expr: &str, column: &str) -> Option<Vec<String>> {
    let tokens = tokenize(expr);
    let (first, rest) = tokens.split_first()?;
    if first.ident.as_deref() != Some(column) || !rest.first()?.is_word("in") || rest.get(1)?.text != "(" {
        return None;
    }
    let end = group_end(rest, 1);
    if end != rest.len() {
        return None;
    }
    let mut values = Vec::new();
    for (k, t) in rest[2..end - 1].iter().enumerate() {
        if k % 2 == 1 {
            if t.text != "," {
                return None;
            }
            continue;
        }
        values.push(text::string_literal(&t.text, false)?.0);
    }
    (!values.is_empty()).then_some(values)
}

pub(crate) fn parse_create_table(sql: &str) -> ParsedTable {
    let tokens = tokenize(sql);
    let table_name = tokens
        .iter()
        .position(|t| t.is_word("table"))
        .and_then(|p| {
            let mut k = p + 1;
            while tokens.get(k).is_some_and(|t| t.is_word("if") || t.is_word("not") || t.is_word("exists")) {
                k += 1;
            }
            tokens.get(k).and_then(|t| t.ident.clone())
        })
        .unwrap_or_default();
    let mut out = ParsedTable::default();
    for item in body_items(&tokens) {
        let Some(first) = item.first() else { continue };
        let (mut k, mut cname) = (0, None);
        if first.is_word("constraint") {
            cname = item.get(1).and_then(|t| t.ident.clone());
            k = 2;
        }
        let Some(head) = item.get(k) else { continue };
        let open_after = |from: usize| (from..item.len()).find(|&j| item[j].text == "(");
        if head.is_word("primary") {
            out.primary_key_name = cname;
        } else if head.is_word("unique") {
            if let Some(o) = open_after(k) {
                let cols = ident_list(&item[o + 1..group_end(item, o) - 1]);
                let refs: Vec<&str> = cols.iter().map(String::as_str).collect();
                let n = cname.unwrap_or_else(|| constraint_name(&table_name, &refs, "key"));
                out.uniques.push((n, cols));
            }
        } else if head.is_word("check") {
            if let Some(o) = open_after(k) {
                let expr = group_text(sql, item, o).to_owned();
                let n = cname.unwrap_or_else(|| constraint_name(&table_name, &[], "check"));
                out.checks.push(Check { name: n, expr });
            }
        } else if head.is_word("foreign") {
            if let (Some(o), Some(r)) = (open_after(k), item.iter().position(|t| t.is_word("references"))) {
                let cols = ident_list(&item[o + 1..group_end(item, o) - 1]);
                let ref_table = item.get(r + 1).and_then(|t| t.ident.clone()).unwrap_or_default();
                let refs: Vec<&str> = cols.iter().map(String::as_str).collect();
                let n = cname.unwrap_or_else(|| constraint_name(&table_name, &refs, "fkey"));
                out.foreign_keys.push((n, cols, ref_table));
            }
        } else if let Some(col) = head.ident.clone() {
            parse_column(sql, &table_name, &col, &item[k + 1..], &mut out);
        }
    }
    out
}

fn parse_column(sql: &str, table: &str, col: &str, rest: &[Token], out: &mut ParsedTable) {
    let mut info = ParsedColumn::default();
    let mut cname: Option<String> = None;
    let mut k = 0;
    while k < rest.len() {
        let t = &rest[k];
        if t.is_word("constraint") {
            cname = rest.get(k + 1).and_then(|t| t.ident.clone());
            k += 2;
            continue;
        }
        if t.is_word("autoincrement") {
            info.autoincrement = true;
        } else if t.is_word("primary") {
            if cname.is_some() {
                out.primary_key_name = cname.take();
            }
        } else if t.is_word("unique") {
            let n = cname.take().unwrap_or_else(|| constraint_name(table, &[col], "key"));
            out.uniques.push((n, vec![col.to_owned()]));
        } else if t.is_word("references") {
            let ref_table = rest.get(k + 1).and_then(|t| t.ident.clone()).unwrap_or_default();
            let n = cname.take().unwrap_or_else(|| constraint_name(table, &[col], "fkey"));
            out.foreign_keys.push((n, vec![col.to_owned()], ref_table));
        } else if t.is_word("check") && rest.get(k + 1).is_some_and(|t| t.text == "(") {
            let expr = group_text(sql, rest, k + 1).to_owned();
            match enum_check(&expr, col) {
                Some(values) if info.enum_values.is_none() => info.enum_values = Some(values),
                _ => {
                    let n = cname.take().unwrap_or_else(|| constraint_name(table, &[col], "check"));
                    out.checks.push(Check { name: n, expr });
                }
            }
            k = group_end(rest, k + 1);
            continue;
        } else if t.text == "(" {
            k = group_end(rest, k);
            continue;
        }
        k += 1;
    }
    out.columns.insert(col.to_owned(), info);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_table_text_gives_names_checks_enums_and_autoincrement() {
        let p = parse_create_table(
            r#"CREATE TABLE "posts" ( "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "status" TEXT NOT NULL DEFAULT 'draft' CHECK ("status" IN ('draft', 'it''s')), "code" varchar(8), "author_id" BIGINT, CONSTRAINT "posts_code_key" UNIQUE ("code"), CONSTRAINT "posts_author_id_fkey" FOREIGN KEY ("author_id") REFERENCES "users" ("id") ON DELETE CASCADE, CONSTRAINT "posts_len_check" CHECK (length(code) > 2) )"#,
        );
        assert!(p.columns["id"].autoincrement);
        assert_eq!(p.columns["status"].enum_values, Some(vec!["draft".to_owned(), "it's".to_owned()]));
        assert_eq!(p.uniques, vec![("posts_code_key".to_owned(), vec!["code".to_owned()])]);
        assert_eq!(p.foreign_keys[0].0, "posts_author_id_fkey");
        assert_eq!(p.checks, vec![Check { name: "posts_len_check".into(), expr: "length(code) > 2".into() }]);
    }

    #[test]
    fn comments_are_not_read_as_constraints() {
        let p = parse_create_table(
            "CREATE TABLE t ( /* unique references users (id) */ id INTEGER NOT NULL, -- unique\n \
             code TEXT /* CHECK (code IN ('a')) REFERENCES x (y) */, /* an unterminated comment UNIQUE (code)",
        );
        assert!(p.uniques.is_empty(), "{:?}", p.uniques);
        assert!(p.foreign_keys.is_empty());
        assert!(p.checks.is_empty(), "{:?}", p.checks);
        assert_eq!(p.columns["code"].enum_values, None);
        assert_eq!(p.columns.len(), 2);
    }

    #[test]
    fn index_expressions_are_read_from_the_index_text() {
        assert_eq!(
            index_elements(r#"CREATE INDEX "ix" ON "t" ((lower("email"))) WHERE (id > 0)"#).as_deref(),
            Some(r#"lower("email")"#)
        );
        assert_eq!(index_elements("CREATE INDEX ix ON t (a + (b))").as_deref(), Some("a + (b)"));
        assert_eq!(index_elements(r#"CREATE INDEX ix ON t (substr(x, 1, ')'))"#).as_deref(), Some("substr(x, 1, ')')"));
    }

    #[test]
    fn partial_index_predicates_are_read_from_the_index_text() {
        assert_eq!(index_predicate(r#"CREATE INDEX "ix" ON "t" ("a") WHERE (id > 0)"#).as_deref(), Some("id > 0"));
        assert_eq!(index_predicate(r#"CREATE INDEX "ix" ON "t" ("a")"#), None);
    }
}
