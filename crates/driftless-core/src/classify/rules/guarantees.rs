//! Rules for steps that cannot fail because of what the table or the plan itself guarantees: a foreign key on a
//! column that is NULL in every row, and a unique constraint or index whose columns contain a key that already holds
//! (an existing primary key or unique key, or one dropped earlier in the same plan). Each returns `None` when it does
//! not apply, and the general rule of the step decides.
//!
//! The physical cost stays visible: on PostgreSQL a unique index built without CONCURRENTLY keeps the
//! `create_index_blocking` code (it cannot fail, but it blocks writes while it builds, like any other index), and on
//! SQLite a step that needs a table rebuild gets the `sqlite_rebuild` code on top (see `sqlite.rs`).

use crate::dialect::Dialect;
use crate::schema::ForeignKey;

use super::{MY, PG, q};
use crate::classify::{Classification as C, Context};

/// A foreign key on an existing table where one of its columns was added in this plan nullable and without a
/// default: every existing row holds NULL there, and a foreign key (MATCH SIMPLE, the default on every dialect)
/// does not check a row with a NULL in any of its columns, so adding it cannot fail.
pub(super) fn add_foreign_key_null_column(table: &str, fk: &ForeignKey, d: Dialect, ctx: &Context<'_>) -> Option<C> {
    if ctx.new_tables.contains(table) {
        return None;
    }
    let column = fk.columns.iter().find(|c| ctx.null_columns.contains(&(table.to_owned(), (*c).clone())))?;
    let what = super::keys::adds_foreign_key(table, fk);
    let cost = match d {
        PG => "; PostgreSQL still reads the table once to check it, under a lock that blocks writes",
        MY => {
            "; online, MySQL adds it in place without checking rows (foreign_key_checks=0, ALGORITHM=INPLACE, LOCK=NONE) between two orphan probes"
        }
        _ => "",
    };
    Some(C::safe(
        "add_foreign_key_null_column",
        format!(
            "{what}: column {} was added in this migration without a default, so every existing row holds NULL there and no row is checked; it cannot fail{cost}",
            q(column)
        ),
    ))
}

/// The key already enforced on `table` whose columns are all in `columns`, described for a reason, and whether it
/// was dropped earlier in the plan: the primary key, a unique constraint or a unique index without a predicate
/// or prefix lengths (which make only a prefix unique) in
/// the schema just before the step, or one dropped earlier in the same plan.
fn contained_key(table: &str, columns: &[String], ctx: &Context<'_>) -> Option<(String, bool)> {
    let within = |key: &[String]| !key.is_empty() && key.iter().all(|k| columns.contains(k));
    if let Some(t) = ctx.before.table(table) {
        if let Some(pk) = t.primary_key.as_ref().filter(|pk| within(&pk.columns)) {
            return Some((format!("the primary key ({})", pk.columns.join(", ")), false));
        }
        if let Some(u) = t.uniques.iter().find(|u| within(&u.columns)) {
            return Some((format!("unique constraint {} ({})", q(&u.name), u.columns.join(", ")), false));
        }
        if let Some(i) =
            t.indexes.iter().find(|i| i.unique && i.predicate.is_none() && i.prefixes.is_empty() && within(&i.columns))
        {
            return Some((format!("unique index {} ({})", q(&i.name), i.columns.join(", ")), false));
        }
    }
    ctx.dropped_uniques
        .iter()
        .find(|(t, cols)| t == table && within(cols))
        .map(|(_, cols)| (format!("the unique key ({}) dropped earlier in this migration", cols.join(", ")), true))
}

/// A unique constraint (`index` false) or unique index (`index` true) named `name` on an existing table whose
/// columns contain a key that holds: existing rows cannot collide, so it cannot fail.
pub(super) fn unique_implied_by_key(
    table: &str,
    name: &str,
    columns: &[String],
    index: bool,
    d: Dialect,
    ctx: &Context<'_>,
) -> Option<C> {
    if ctx.new_tables.contains(table) {
        return None;
    }
    let (key, dropped) = contained_key(table, columns, ctx)?;
    let (code, why) = if dropped {
        (
            "unique_superset_of_dropped",
            format!("its columns contain those of {key}, which the existing rows satisfied, so they cannot collide"),
        )
    } else {
        ("unique_contains_key", format!("its columns contain {key}, so existing rows cannot collide"))
    };
    let what = format!(
        "{} {} on {} ({})",
        if index { "creates unique index" } else { "adds unique constraint" },
        q(name),
        q(table),
        columns.join(", ")
    );
    Some(match d {
        PG => C::review(
            "create_index_blocking",
            format!(
                "{what}: it cannot fail ({why}), but PostgreSQL builds its index without CONCURRENTLY, which blocks writes to the table while it builds"
            ),
        )
        .or(if index {
            "create the index CONCURRENTLY in a migration that does not run in a transaction"
        } else {
            "on a large table create the unique index CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE USING INDEX"
        }),
        MY => C::safe(code, format!("{what}: {why}; InnoDB builds the index online")),
        _ => C::safe(code, format!("{what}: {why}")),
    })
}
