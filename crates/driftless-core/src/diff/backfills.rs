//! Columns whose existing rows need a value, written as expand steps around a batched backfill instead of one
//! statement that fails or rewrites the table:
//!
//! - a NOT NULL column added to a table that already exists, with a backfill value (`#[model(backfill = "...")]` or
//!   the answers file): `AddColumn` nullable (and without its default, when the backfill is not the default), the
//!   default set, a `Backfill` of the rows where it is NULL, then `AlterColumn` to NOT NULL (online on PostgreSQL:
//!   `CHECK … NOT VALID`, `VALIDATE`, `SET NOT NULL` without a scan);
//! - a nullable column made NOT NULL, with a backfill value: any other change to it first (so the value is of the new
//!   type), then the `Backfill`, then the `AlterColumn` to NOT NULL;
//! - a column added to a table that already exists with a per-row (volatile) default, such as `gen_random_uuid()`
//!   or `clock_timestamp()`: PostgreSQL computes it for every row in a full rewrite under ACCESS EXCLUSIVE, MySQL
//!   copies the table, SQLite refuses it and rebuilds. Instead: `AddColumn` nullable without a default, the default
//!   set (a catalog change: only new rows get it), a `Backfill` of the existing rows with `DEFAULT` (each row its own
//!   value), then NOT NULL if the column is NOT NULL.
//!
//! The steps are dialect-neutral, so the same expansion runs on every dialect: only PostgreSQL needs it to avoid the
//! rewrite, but it is correct everywhere, and it is what SQLite needs anyway (its `ADD COLUMN` refuses a non-constant
//! default on a table with rows).
//!
//! Without a backfill value, a NOT NULL column without a default is added (or tightened) as before, and the
//! classifier says how to give one. Where the rows cannot be batched — the table has no primary key (PostgreSQL and
//! MySQL order the batches by it), or the column's name needs quoting in the backfill's condition, which is SQL used
//! as written on every dialect — a value is written the older way, one `UPDATE … WHERE col IS NULL` in the
//! `AlterColumn` that makes it NOT NULL (after an `AddColumn` nullable), and a per-row default is added as written.

use crate::schema::{Column, DefaultValue};
use crate::step::{BackfillInverse, DEFAULT_BATCH_SIZE, Step};

/// The value a backfill of a volatile default sets: the column's own default, evaluated per row (`UPDATE … SET c =
/// DEFAULT`; SQLite, which has no `DEFAULT` in `UPDATE`, gets the default's expression when it is rendered).
pub const DEFAULT_VALUE: &str = "DEFAULT";

/// SQL functions whose value changes from row to row, so that a column added with one of them as its default is
/// computed row by row (a table rewrite on PostgreSQL), matched by name in a raw SQL default (`default_sql`):
/// PostgreSQL's volatile functions (`random`, `clock_timestamp`, `timeofday`, `nextval`, `gen_random_uuid` and the
/// `uuid-ossp` generators), MySQL/MariaDB's (`uuid`, `uuid_short`, `rand`, `sys_guid`, `random_bytes`) and
/// SQLite's (`random`, `randomblob`). `now()`, `CURRENT_TIMESTAMP` and the like are not in it: they are stable
/// within a statement, and PostgreSQL 11+ stores one value for the existing rows without a rewrite.
const VOLATILE_FUNCTIONS: &[&str] = &[
    "clock_timestamp",
    "gen_random_uuid",
    "nextval",
    "rand",
    "random",
    "random_bytes",
    "randomblob",
    "sys_guid",
    "timeofday",
    "uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "uuid_short",
];

/// Whether a default yields a different value per row: the portable `gen_random_uuid` expression, or raw SQL that
/// calls one of [`VOLATILE_FUNCTIONS`]. Raw SQL is matched by function name (a call is a name followed by `(`,
/// outside string literals), so a user function with another name is not recognised: driftless still says it
/// cannot judge that default.
pub fn is_volatile_default(default: &DefaultValue) -> bool {
    match default {
        DefaultValue::Expr(e) => e.is_volatile(),
        DefaultValue::Value(_) => false,
        DefaultValue::Sql(sql) => calls(sql).any(|f| VOLATILE_FUNCTIONS.iter().any(|v| f.eq_ignore_ascii_case(v))),
    }
}

/// The names of the functions an SQL expression calls (an identifier followed by `(`), outside string literals and
/// quoted identifiers.
fn calls(sql: &str) -> impl Iterator<Item = &str> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\'' || c == b'"' || c == b'`' {
            // Skip the quoted text (a doubled quote stays inside).
            i += 1;
            while i < bytes.len() {
                if bytes[i] == c {
                    if bytes.get(i + 1) == Some(&c) {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i += 1;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'.') {
                i += 1;
            }
            let mut j = i;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            if bytes.get(j) == Some(&b'(') {
                let name = &sql[start..i];
                // `schema.function(`: the function's own name.
                out.push(name.rsplit('.').next().unwrap_or(name));
            }
        } else {
            i += 1;
        }
    }
    out.into_iter()
}

/// Words that a column name must not be to be written unquoted in a backfill's predicate: the reserved words of
/// PostgreSQL (where `user IS NULL` would even read `current_user`), MySQL/MariaDB and SQLite that are plausible
/// column names. The predicate is SQL used as written on every dialect, and quoting differs between them (MySQL
/// reads `"x"` as a string), so such a column is filled by the unbatched form instead (see [`add_column`]).
const RESERVED: &[&str] = &[
    "add",
    "all",
    "alter",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "between",
    "binary",
    "both",
    "by",
    "case",
    "cast",
    "change",
    "check",
    "collate",
    "column",
    "condition",
    "constraint",
    "create",
    "cross",
    "current_date",
    "current_role",
    "current_time",
    "current_timestamp",
    "current_user",
    "database",
    "default",
    "delete",
    "desc",
    "distinct",
    "div",
    "do",
    "drop",
    "else",
    "end",
    "except",
    "exists",
    "false",
    "fetch",
    "for",
    "foreign",
    "from",
    "full",
    "grant",
    "group",
    "groups",
    "having",
    "if",
    "ignore",
    "in",
    "index",
    "inner",
    "insert",
    "interval",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "key",
    "keys",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "lock",
    "match",
    "mod",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "option",
    "or",
    "order",
    "outer",
    "primary",
    "range",
    "rank",
    "read",
    "references",
    "regexp",
    "rename",
    "repeat",
    "replace",
    "returning",
    "right",
    "row",
    "rows",
    "schema",
    "select",
    "session_user",
    "set",
    "show",
    "some",
    "table",
    "then",
    "to",
    "trailing",
    "trigger",
    "true",
    "union",
    "unique",
    "update",
    "usage",
    "use",
    "user",
    "using",
    "values",
    "when",
    "where",
    "window",
    "with",
    "write",
];

/// The backfill's predicate, `column IS NULL`, with the name unquoted (see [`RESERVED`]); `None` when the name needs
/// quoting.
fn is_null(column: &str) -> Option<String> {
    let plain = column.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && column.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    (plain && !RESERVED.contains(&column)).then(|| format!("{column} IS NULL"))
}

/// The batched backfill of `column`'s NULLs, when the table can be batched (`keyed`: it has a primary key to order
/// the batches by; PostgreSQL and MySQL refuse a backfill without one) and the column's name can be written in the
/// predicate; `None` otherwise.
fn batched(table: &str, column: &str, value: &str, keyed: bool) -> Option<Step> {
    let predicate = is_null(column).filter(|_| keyed)?;
    Some(Step::Backfill {
        table: table.to_owned(),
        set: vec![(column.to_owned(), value.to_owned())],
        predicate: Some(predicate),
        batch_size: DEFAULT_BATCH_SIZE,
        throttle_ms: 0,
        inverse: BackfillInverse::Nothing,
    })
}

/// The steps that add `column` to `table`, a table that already exists (and so may hold rows; `keyed`: it has a
/// primary key), when its rows need a value written by a backfill: `backfill` given for it, or a per-row default.
/// `None`: a plain `AddColumn` does.
///
/// Where the rows cannot be batched (no primary key, or a column name that needs quoting), a NOT NULL column with a
/// value is added nullable and then made NOT NULL by one `AlterColumn` whose `backfill` fills the NULLs in a single
/// `UPDATE` first (still never a failing `ADD COLUMN … NOT NULL`), and a per-row default is added as written.
pub(super) fn add_column(table: &str, column: &Column, backfill_value: Option<&str>, keyed: bool) -> Option<Vec<Step>> {
    if column.auto_increment {
        return None;
    }
    let volatile = column.default.as_ref().is_some_and(is_volatile_default);
    let value = match (backfill_value, &column.default) {
        (Some(v), _) => v,
        (None, Some(_)) if volatile => DEFAULT_VALUE,
        // A constant or stable default fills the existing rows (PostgreSQL 11+ and MySQL without a rewrite); a
        // nullable column's rows may stay NULL; a NOT NULL column without a value is the classifier's to refuse.
        (None, _) => return None,
    };
    if column.nullable && !volatile {
        // Nothing requires a value: the rows may stay NULL (the derive refuses `backfill` on an `Option` field).
        return None;
    }
    let bare = Column { nullable: true, default: None, ..column.clone() };
    let add = Step::AddColumn { table: table.to_owned(), column: bare.clone() };
    let Some(fill) = batched(table, &column.name, value, keyed) else {
        if backfill_value.is_none() || column.nullable {
            return None;
        }
        let to = column.clone();
        let inline = Step::AlterColumn { table: table.to_owned(), from: bare, to, backfill: Some(value.to_owned()) };
        return Some(vec![add, inline]);
    };
    let mut steps = vec![add];
    let mut at = bare;
    if column.default.is_some() {
        // The default first: rows inserted while the backfill runs get it and need none.
        let with_default = Column { default: column.default.clone(), ..at.clone() };
        steps.push(Step::AlterColumn { table: table.to_owned(), from: at, to: with_default.clone(), backfill: None });
        at = with_default;
    }
    steps.push(fill);
    if !column.nullable {
        steps.push(Step::AlterColumn { table: table.to_owned(), from: at, to: column.clone(), backfill: None });
    }
    Some(steps)
}

/// The steps for `from` → `to` when the change makes the column NOT NULL and a backfill value is given: any other
/// change first (type, default: the value is written in the new type, as the model has it), then the batched
/// backfill and NOT NULL — or, where the rows cannot be batched (see [`add_column`]), NOT NULL with the
/// `AlterColumn`'s own single-`UPDATE` `backfill`. `None`: a plain `AlterColumn` does.
pub(super) fn tighten(
    table: &str,
    from: &Column,
    to: &Column,
    backfill_value: Option<&str>,
    keyed: bool,
) -> Option<Vec<Step>> {
    let value = backfill_value.filter(|_| from.nullable && !to.nullable)?;
    let alter = |from: &Column, to: &Column, backfill: Option<String>| Step::AlterColumn {
        table: table.to_owned(),
        from: from.clone(),
        to: to.clone(),
        backfill,
    };
    let mid = Column { nullable: true, ..to.clone() };
    let mut steps = Vec::new();
    if *from != mid {
        steps.push(alter(from, &mid, None));
    }
    match batched(table, &to.name, value, keyed) {
        Some(fill) => steps.extend([fill, alter(&mid, to, None)]),
        None => steps.push(alter(&mid, to, Some(value.to_owned()))),
    }
    Some(steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{DefaultExpr, Literal};

    #[test]
    fn volatile_defaults_are_recognised_by_function_name() {
        let sql = |s: &str| is_volatile_default(&DefaultValue::Sql(s.into()));
        assert!(sql("gen_random_uuid()"));
        assert!(sql("CLOCK_TIMESTAMP ()"));
        assert!(sql("(random() * 100)::int"));
        assert!(sql("nextval('users_seq'::regclass)"));
        assert!(sql("public.uuid_generate_v4()"));
        assert!(sql("(uuid())"));
        assert!(!sql("now()"));
        assert!(!sql("CURRENT_TIMESTAMP"));
        assert!(!sql("lower('random()')"), "a call inside a string literal is not a call");
        assert!(!sql("'x'"));
        assert!(!sql("random_text"), "a name without a call");
        for e in [DefaultExpr::CurrentTimestamp, DefaultExpr::CurrentDate, DefaultExpr::CurrentTime] {
            assert!(!is_volatile_default(&DefaultValue::Expr(e)), "{e:?}");
        }
        assert!(is_volatile_default(&DefaultValue::Expr(DefaultExpr::GenRandomUuid)));
        assert!(!is_volatile_default(&DefaultValue::Value(Literal::Int(1))));
    }

    #[test]
    fn a_column_name_that_needs_quoting_is_not_written_bare() {
        assert_eq!(is_null("time_zone").as_deref(), Some("time_zone IS NULL"));
        assert_eq!(is_null("user"), None);
        assert_eq!(is_null("Mixed"), None);
        assert_eq!(is_null("9lives"), None);
    }

    use crate::define::{add_column, alter_column, backfill as fill, column, table};
    use crate::schema::{ColumnBackfill, ColumnType, RenameHints, Schema};

    fn users(extra: &[Column]) -> Schema {
        let mut t = table("users").with_column(column("id", ColumnType::BigInt)).primary_key("users_pkey", &["id"]);
        for c in extra {
            t = t.with_column(c.clone());
        }
        Schema { tables: vec![t], enums: vec![] }.normalized()
    }

    fn hints(entries: &[(&str, &str, &str)]) -> RenameHints {
        RenameHints {
            backfills: entries
                .iter()
                .map(|(t, c, v)| ColumnBackfill { table: (*t).into(), column: (*c).into(), value: (*v).into() })
                .collect(),
            ..RenameHints::default()
        }
    }

    fn steps(old: &Schema, new: &Schema, h: &RenameHints) -> Vec<Step> {
        let steps: Vec<Step> = crate::diff::diff(old, new, h).unwrap().steps().cloned().collect();
        // The contract holds: the steps lead to the new schema, and their inverses back.
        assert_eq!(crate::replay::apply_steps(old, &steps).unwrap(), *new);
        let down: Vec<Step> = steps.iter().rev().map(Step::inverse).collect();
        assert_eq!(crate::replay::apply_steps(new, &down).unwrap(), *old);
        steps
    }

    /// A NOT NULL column without a default, added with a backfill value: nullable, backfilled, NOT NULL.
    #[test]
    fn an_added_not_null_column_with_a_backfill_is_expanded() {
        let tz = column("tz", ColumnType::Text);
        let got = steps(&users(&[]), &users(std::slice::from_ref(&tz)), &hints(&[("users", "tz", "'UTC'")]));
        assert_eq!(
            got,
            [
                add_column("users", tz.clone().nullable()),
                fill("users", &[("tz", "'UTC'")]).when("tz IS NULL"),
                alter_column("users", tz.clone().nullable(), tz.clone()),
            ]
        );
        // Without the value it stays one `AddColumn` (which the classifier calls dangerous).
        assert_eq!(
            steps(&users(&[]), &users(std::slice::from_ref(&tz)), &hints(&[])),
            [add_column("users", tz.clone())]
        );
        // On a new table there are no rows: a plain `CREATE TABLE`.
        let created = steps(&Schema::empty(), &users(&[tz]), &hints(&[("users", "tz", "'UTC'")]));
        assert_eq!(created.iter().map(Step::kind).collect::<Vec<_>>(), ["create_table"]);
    }

    /// A column with a constant default and a backfill value: the existing rows get the backfill value, new rows
    /// the default (set before the backfill, so rows inserted meanwhile need none).
    #[test]
    fn a_backfill_value_overrides_the_default_for_existing_rows() {
        let tz = column("tz", ColumnType::Text).default_value(crate::schema::Literal::String("UTC".into()));
        let bare = column("tz", ColumnType::Text).nullable();
        let got = steps(&users(&[]), &users(std::slice::from_ref(&tz)), &hints(&[("users", "tz", "'GMT'")]));
        let with_default = tz.clone().nullable();
        assert_eq!(
            got,
            [
                add_column("users", bare.clone()),
                alter_column("users", bare, with_default.clone()),
                fill("users", &[("tz", "'GMT'")]).when("tz IS NULL"),
                alter_column("users", with_default, tz.clone()),
            ]
        );
        // Without a value the constant default fills the rows: one `AddColumn`.
        assert_eq!(steps(&users(&[]), &users(std::slice::from_ref(&tz)), &hints(&[])), [add_column("users", tz)]);
    }

    /// A nullable column made NOT NULL with a backfill value: the backfill runs first.
    #[test]
    fn a_tightened_column_with_a_backfill_is_backfilled_first() {
        let tz = column("tz", ColumnType::Text);
        let got = steps(
            &users(&[tz.clone().nullable()]),
            &users(std::slice::from_ref(&tz)),
            &hints(&[("users", "tz", "'UTC'")]),
        );
        assert_eq!(
            got,
            [
                fill("users", &[("tz", "'UTC'")]).when("tz IS NULL"),
                alter_column("users", tz.clone().nullable(), tz.clone())
            ]
        );
        // A value kept in the model after its migration is not needed again: nothing to do.
        assert!(
            steps(&users(std::slice::from_ref(&tz)), &users(&[tz]), &hints(&[("users", "tz", "'UTC'")])).is_empty()
        );
    }

    /// A column added with a per-row default: nullable without it, the default set, every existing row backfilled
    /// with `DEFAULT`, then NOT NULL; a nullable one stops after the backfill.
    #[test]
    fn a_volatile_default_is_added_without_a_rewrite() {
        let uid = column("uid", ColumnType::Uuid).default_expr(DefaultExpr::GenRandomUuid);
        let bare = column("uid", ColumnType::Uuid).nullable();
        let got = steps(&users(&[]), &users(std::slice::from_ref(&uid)), &hints(&[]));
        assert_eq!(
            got,
            [
                add_column("users", bare.clone()),
                alter_column("users", bare.clone(), uid.clone().nullable()),
                fill("users", &[("uid", "DEFAULT")]).when("uid IS NULL"),
                alter_column("users", uid.clone().nullable(), uid.clone()),
            ]
        );
        let nullable = uid.clone().nullable();
        let got = steps(&users(&[]), &users(std::slice::from_ref(&nullable)), &hints(&[]));
        assert_eq!(got.iter().map(Step::kind).collect::<Vec<_>>(), ["add_column", "alter_column", "backfill"]);
        // A stable default (now) fills the rows once, without a rewrite: one `AddColumn`.
        let at = column("at", ColumnType::TimestampTz).default_expr(DefaultExpr::CurrentTimestamp);
        assert_eq!(steps(&users(&[]), &users(std::slice::from_ref(&at)), &hints(&[])), [add_column("users", at)]);
    }

    /// A value for a column the new schema does not have, or two values for one column, is an error naming it.
    #[test]
    fn a_backfill_matching_nothing_is_refused() {
        let tz = column("tz", ColumnType::Text);
        let err = |h: &RenameHints| {
            crate::diff::diff(&users(&[]), &users(std::slice::from_ref(&tz)), h).unwrap_err().to_string()
        };
        assert_eq!(
            err(&hints(&[("users", "zone", "'UTC'")])),
            "backfill for `users.zone`: table `users` has no column `zone`; name the column by its new name"
        );
        assert_eq!(
            err(&hints(&[("people", "tz", "'UTC'")])),
            "backfill for `people.tz`: the new schema has no table `people`; name the table by its new name"
        );
        assert_eq!(
            err(&hints(&[("users", "tz", "'UTC'"), ("users", "tz", "'GMT'")])),
            "backfill for `users.tz`: two values are given, `'UTC'` and `'GMT'`; keep one of them"
        );
    }

    /// Rows that cannot be batched (a table without a primary key, a column name that needs quoting) are filled by
    /// the `AlterColumn`'s own single `UPDATE` instead; a per-row default there is added as written.
    #[test]
    fn rows_that_cannot_be_batched_are_filled_in_one_update() {
        let keyless = |extra: &[Column]| {
            let mut t = table("logs").with_column(column("id", ColumnType::BigInt));
            for c in extra {
                t = t.with_column(c.clone());
            }
            Schema { tables: vec![t], enums: vec![] }.normalized()
        };
        let tz = column("tz", ColumnType::Text);
        let got = steps(&keyless(&[]), &keyless(std::slice::from_ref(&tz)), &hints(&[("logs", "tz", "'UTC'")]));
        let mut inline = alter_column("logs", tz.clone().nullable(), tz.clone());
        if let Step::AlterColumn { backfill, .. } = &mut inline {
            *backfill = Some("'UTC'".into());
        }
        assert_eq!(got, [add_column("logs", tz.clone().nullable()), inline.clone()]);
        let got = steps(
            &keyless(&[tz.clone().nullable()]),
            &keyless(std::slice::from_ref(&tz)),
            &hints(&[("logs", "tz", "'UTC'")]),
        );
        assert_eq!(got, [inline]);
        let uid = column("uid", ColumnType::Uuid).default_expr(DefaultExpr::GenRandomUuid);
        assert_eq!(steps(&keyless(&[]), &keyless(std::slice::from_ref(&uid)), &hints(&[])), [add_column("logs", uid)]);
        // A reserved word as the column's name, on a keyed table: the same single UPDATE, which quotes it.
        let user = column("user", ColumnType::Text);
        let got = steps(&users(&[]), &users(std::slice::from_ref(&user)), &hints(&[("users", "user", "'x'")]));
        assert_eq!(got.iter().map(Step::kind).collect::<Vec<_>>(), ["add_column", "alter_column"]);
        assert!(matches!(&got[1], Step::AlterColumn { backfill: Some(v), .. } if v == "'x'"));
    }

    /// A column made NOT NULL and changed otherwise (here its type) gets the other change first, so the backfill's
    /// value is of the new type.
    #[test]
    fn a_tightened_column_changes_type_before_its_backfill() {
        let old = column("score", ColumnType::Real).nullable();
        let new = column("score", ColumnType::Text);
        let got = steps(
            &users(std::slice::from_ref(&old)),
            &users(std::slice::from_ref(&new)),
            &hints(&[("users", "score", "'none'")]),
        );
        let mid = new.clone().nullable();
        assert_eq!(
            got,
            [
                alter_column("users", old, mid.clone()),
                fill("users", &[("score", "'none'")]).when("score IS NULL"),
                alter_column("users", mid, new),
            ]
        );
    }
}
