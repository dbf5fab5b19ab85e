//! The steps the differ writes around a batched backfill (see `diff::backfills`): the per-row default set on a
//! column just added without one, and NOT NULL on a column a backfill earlier in the plan has filled. Their verdicts
//! say which phase they are, so the report explains the expansion.

use std::collections::BTreeSet;

use crate::classify::{Classification as C, Context};
use crate::diff::is_volatile_default;
use crate::schema::Column;
use crate::step::Step;

use super::{LITE, MY, PG, q};
use crate::dialect::Dialect;

/// Keeps [`Context::backfilled`] current after `step`: a backfill whose condition is `column IS NULL` (the one the
/// differ writes) fills that column's NULLs; dropping or renaming the column forgets it.
pub(crate) fn track_backfilled(step: &Step, backfilled: &mut BTreeSet<(String, String)>) {
    match step {
        Step::Backfill { table, set, predicate: Some(p), .. } => {
            for (column, _) in set {
                if p.trim() == format!("{column} IS NULL") {
                    backfilled.insert((table.clone(), column.clone()));
                }
            }
        }
        Step::DropColumn { table, column } => {
            backfilled.remove(&(table.clone(), column.name.clone()));
        }
        Step::RenameColumn { table, from, .. } => {
            backfilled.remove(&(table.clone(), from.clone()));
        }
        Step::DropTable { table } => backfilled.retain(|(t, _)| *t != table.name),
        _ => {}
    }
}

/// NOT NULL on a column whose NULLs a backfill earlier in the plan has filled.
pub(super) fn set_not_null_after_backfill(table: &str, to: &Column, d: Dialect, ctx: &Context<'_>) -> Option<C> {
    if !ctx.backfilled.contains(&(table.to_owned(), to.name.clone())) {
        return None;
    }
    let name = q(&format!("{table}.{}", to.name));
    let how = match d {
        PG => {
            "run online (the default), PostgreSQL adds CHECK (col IS NOT NULL) NOT VALID, validates it while writes go on, then SET NOT NULL skips the scan"
        }
        MY => "MySQL rebuilds the table in place",
        _ => "SQLite checks the rows as it rebuilds the table",
    };
    Some(
        C::review(
            "set_not_null_after_backfill",
            format!(
                "makes {name} NOT NULL once the backfill before it has filled its NULLs: {how}; it fails if code wrote NULL into the column since the backfill"
            ),
        )
        .or("deploy code that always writes the column before running this migration"),
    )
}

/// The per-row (volatile) default set on a column that an earlier step of the plan added nullable without a
/// default, and nothing has written since: the phase between the `AddColumn` and the backfill.
pub(super) fn default_before_backfill(
    table: &str,
    from: &Column,
    to: &Column,
    d: Dialect,
    ctx: &Context<'_>,
) -> Option<C> {
    let fresh = ctx.null_columns.contains(&(table.to_owned(), to.name.clone()));
    if !fresh || from.default.is_some() || !to.default.as_ref().is_some_and(is_volatile_default) {
        return None;
    }
    let name = q(&format!("{table}.{}", to.name));
    let instead = match d {
        PG => "with which PostgreSQL computes it for every row in a table rewrite under an ACCESS EXCLUSIVE lock",
        MY => "with which MySQL copies the table",
        _ => "which SQLite's ADD COLUMN refuses on a table with rows",
    };
    Some(C::safe(
        "set_default_before_backfill",
        format!(
            "sets the per-row default of {name}, added without one just before: rows inserted from now on get it, and the rows already there stay NULL until a backfill gives each its own value (the generator writes one next){} — instead of ADD COLUMN … DEFAULT, {instead}",
            if d == LITE { "" } else { "; a catalog change" }
        ),
    ))
}

#[cfg(test)]
mod tests {
    use crate::classify::{Class, classify_steps};
    use crate::define::{add_column, alter_column, backfill, column, table};
    use crate::schema::{ColumnType, DefaultExpr, Schema};

    fn users() -> Schema {
        Schema {
            tables: vec![
                table("users")
                    .with_column(column("id", ColumnType::BigInt))
                    .with_column(column("tz", ColumnType::Text).nullable())
                    .primary_key("users_pkey", &["id"]),
            ],
            enums: vec![],
        }
        .normalized()
    }

    /// NOT NULL after a backfill of the column's NULLs is `set_not_null_after_backfill`; after a backfill of other
    /// rows (another condition) it stays `set_not_null`.
    #[test]
    fn not_null_after_the_backfill_of_its_nulls() {
        let tighten = alter_column("users", column("tz", ColumnType::Text).nullable(), column("tz", ColumnType::Text));
        let after =
            classify_steps(&users(), &[backfill("users", &[("tz", "'UTC'")]).when("tz IS NULL"), tighten.clone()]);
        assert_eq!(after[1].postgres.code, "set_not_null_after_backfill");
        assert_eq!(after[1].postgres.class, Class::ReviewRequired);
        assert!(after[1].postgres.reason.contains("NOT VALID"), "{}", after[1].postgres.reason);
        assert_eq!(after[1].mysql.code, "set_not_null_after_backfill");
        let other = classify_steps(&users(), &[backfill("users", &[("tz", "'UTC'")]).when("tz = ''"), tighten.clone()]);
        assert_eq!(other[1].postgres.code, "set_not_null");
        assert_eq!(classify_steps(&users(), &[tighten])[0].postgres.code, "set_not_null");
    }

    /// A volatile default set on a column just added without one is the safe phase before its backfill; the same
    /// change on an older column is an ordinary default change.
    #[test]
    fn the_volatile_default_before_its_backfill() {
        let bare = column("uid", ColumnType::Uuid).nullable();
        let with = bare.clone().default_expr(DefaultExpr::GenRandomUuid);
        let v = classify_steps(
            &users(),
            &[add_column("users", bare.clone()), alter_column("users", bare.clone(), with.clone())],
        );
        assert_eq!((v[1].postgres.class, v[1].postgres.code), (Class::Safe, "set_default_before_backfill"));
        assert!(v[1].postgres.reason.contains("ACCESS EXCLUSIVE"), "{}", v[1].postgres.reason);
        assert_eq!(v[1].sqlite.class, Class::ReviewRequired, "SQLite rebuilds the table to set a default");
        let tz = column("tz", ColumnType::Text).nullable();
        let old = classify_steps(&users(), &[alter_column("users", tz.clone(), tz.default_sql("random()"))]);
        assert_eq!(old[0].postgres.code, "change_default");
    }
}
