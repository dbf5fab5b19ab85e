//! Key, index and constraint rules: primary keys, indexes, unique constraints, foreign keys and checks.

use crate::dialect::Dialect;
use crate::schema::{Check, DefaultValue, ForeignKey, Index, UniqueConstraint};

use super::{LITE, MY, PG, q};
use crate::classify::{Classification as C, Context};

pub(super) fn set_primary_key(
    table: &str,
    from: Option<&crate::schema::PrimaryKey>,
    to: Option<&crate::schema::PrimaryKey>,
    d: Dialect,
    table_is_new: bool,
) -> C {
    if table_is_new {
        return C::safe(
            "set_primary_key_new_table",
            format!("sets the primary key of {}, a table created in this migration", q(table)),
        );
    }
    match (from, to) {
        (Some(f), Some(t)) if f.columns == t.columns => {
            let what = format!("renames the primary key of {} from {} to {}", q(table), q(&f.name), q(&t.name));
            match d {
                MY => C::safe(
                    "rename_primary_key",
                    format!("{what}; MySQL always names a primary key PRIMARY, so there is nothing to run"),
                ),
                PG => C::safe(
                    "rename_primary_key",
                    format!("{what} with RENAME CONSTRAINT: a catalog change, the index and its rows are untouched"),
                ),
                _ => C::review("rename_primary_key", what),
            }
        }
        (None, Some(t)) => C::review(
            "add_primary_key",
            format!(
                "adds primary key ({}) to {}, which fails on duplicate or NULL keys; {}",
                t.columns.join(", "),
                q(table),
                match d {
                    PG => "PostgreSQL builds its index under an exclusive lock",
                    MY => "MySQL rebuilds the table around the new clustered key",
                    _ => "existing rows are checked",
                }
            ),
        ),
        (Some(f), None) => C::review(
            "drop_primary_key",
            format!(
                "drops the primary key ({}) of {}: duplicate rows become possible and the down fails once they exist{}",
                f.columns.join(", "),
                q(table),
                if d == MY { "; MySQL rebuilds the table" } else { "" }
            ),
        ),
        (Some(f), Some(t)) => C::review(
            "change_primary_key",
            format!(
                "changes the primary key of {} from ({}) to ({}), which fails on duplicate keys; {}",
                q(table),
                f.columns.join(", "),
                t.columns.join(", "),
                match d {
                    PG => "PostgreSQL builds the new index under an exclusive lock",
                    MY => "MySQL rebuilds the table around the new clustered key",
                    _ => "existing rows are checked",
                }
            ),
        ),
        (None, None) => C::safe("set_primary_key", format!("leaves {} without a primary key", q(table))),
    }
}

/// `adds foreign key "f" on "t" (a, b) -> r(x, y)`: how every foreign-key rule starts its reason.
pub(super) fn adds_foreign_key(table: &str, fk: &ForeignKey) -> String {
    format!(
        "adds foreign key {} on {} ({}) -> {}({})",
        q(&fk.name),
        q(table),
        fk.columns.join(", "),
        fk.ref_table,
        fk.ref_columns.join(", ")
    )
}

pub(super) fn add_foreign_key(table: &str, fk: &ForeignKey, d: Dialect, table_is_new: bool) -> C {
    let what = adds_foreign_key(table, fk);
    if table_is_new {
        return C::safe(
            "add_foreign_key_new_table",
            format!("{what} to a table created in this migration (no rows yet)"),
        );
    }
    match d {
        PG => C::review(
            "add_foreign_key",
            format!(
                "{what}: PostgreSQL checks every row (failing on orphans) while locking both tables against writes"
            ),
        )
        .or("add it NOT VALID, then VALIDATE CONSTRAINT in a later migration (validation does not block writes)"),
        MY => C::review(
            "add_foreign_key",
            format!(
                "{what}: rows without a parent (orphans) make it fail; online, the migrator probes for orphans first \
                 (refusing with counts and example keys), adds it with foreign_key_checks=0 (ALGORITHM=INPLACE, \
                 LOCK=NONE: no table copy, writes go on), and probes again after, dropping it if orphans slipped in"
            ),
        )
        .or("delete or fix orphan rows first"),
        _ => C::review("add_foreign_key", format!("{what}: rows that violate it make the migration fail"))
            .or("delete or fix orphan rows first"),
    }
}

pub(super) fn alter_foreign_key(table: &str, from: &ForeignKey, to: &ForeignKey, d: Dialect, table_is_new: bool) -> C {
    if table_is_new {
        return C::safe(
            "alter_foreign_key_new_table",
            format!("changes foreign key {} on {}, a table created in this migration", q(&to.name), q(table)),
        );
    }
    let relock = match d {
        PG => "; it is dropped and added again, which checks every row while locking both tables against writes",
        MY => {
            "; it is dropped and added again (online: with foreign_key_checks=0 between two orphan probes, ALGORITHM=INPLACE, LOCK=NONE)"
        }
        _ => "",
    };
    if from.on_delete == to.on_delete && from.on_update == to.on_update {
        return C::review(
            "rename_foreign_key",
            format!("renames foreign key {} to {} on {}{relock}", q(&from.name), q(&to.name), q(table)),
        );
    }
    let mut parts = Vec::new();
    if from.on_delete != to.on_delete {
        parts.push(format!("ON DELETE {} -> {}", from.on_delete.sql(), to.on_delete.sql()));
    }
    if from.on_update != to.on_update {
        parts.push(format!("ON UPDATE {} -> {}", from.on_update.sql(), to.on_update.sql()));
    }
    C::review(
        "change_foreign_key_action",
        format!(
            "changes foreign key {} on {} ({}): what happens to child rows on delete or update changes{relock}",
            q(&to.name),
            q(table),
            parts.join(", ")
        ),
    )
}

/// On MySQL every foreign key needs an index whose leading columns are the key's columns. Returns the foreign key of
/// `table` that only `index` serves, if any (the unique constraints and other indexes are checked as alternatives).
pub(super) fn mysql_foreign_key_needing(
    table: &str,
    index: &crate::schema::Index,
    ctx: &Context<'_>,
) -> Option<String> {
    let t = ctx.before.table(table)?;
    let serves =
        |cols: &[String], fk: &ForeignKey| cols.len() >= fk.columns.len() && cols[..fk.columns.len()] == fk.columns[..];
    t.foreign_keys
        .iter()
        .find(|fk| {
            serves(&index.columns, fk)
                && !t.indexes.iter().any(|i| i.name != index.name && serves(&i.columns, fk))
                && !t.uniques.iter().any(|u| serves(&u.columns, fk))
                && !t.primary_key.as_ref().is_some_and(|pk| serves(&pk.columns, fk))
        })
        .map(|fk| fk.name.clone())
}

/// A unique constraint or index whose columns were all added in this plan with one constant default: every existing
/// row holds the same value, so it fails as soon as the table has two rows.
pub(super) fn unique_on_constant_column(table: &str, columns: &[String], ctx: &Context<'_>) -> Option<C> {
    let t = ctx.before.table(table)?;
    let all_constant = !columns.is_empty()
        && columns.iter().all(|c| {
            ctx.new_columns.contains(&(table.to_owned(), c.clone()))
                && t.column(c).is_some_and(|col| {
                    matches!(col.default, Some(DefaultValue::Value(_)))
                        || matches!(col.default, Some(DefaultValue::Expr(e)) if !e.is_volatile())
                })
        });
    all_constant.then(|| {
        C::dangerous(
            "add_unique_constant_default",
            format!(
                "makes ({}) of {} unique right after adding it with a constant default: every existing row holds the same value, so this fails as soon as the table has two rows",
                columns.join(", "),
                q(table)
            ),
        )
        .or("add the column nullable without default (NULLs do not collide), fill unique values, then add the constraint")
    })
}

pub(super) fn create_index(table: &str, index: &Index, d: Dialect, table_is_new: bool, ctx: &Context<'_>) -> C {
    let what = format!("creates {}index {} on {}", if index.unique { "unique " } else { "" }, q(&index.name), q(table));
    if table_is_new {
        return C::safe("create_index_new_table", format!("{what}, a table created in this migration (no rows yet)"));
    }
    if index.unique
        && let Some(c) = unique_on_constant_column(table, &index.columns, ctx)
    {
        return c;
    }
    let mut c = match d {
        PG => C::review(
            "create_index_blocking",
            format!("{what} without CONCURRENTLY, which blocks writes to the table while the index builds"),
        )
        .or("create the index CONCURRENTLY in a migration that does not run in a transaction"),
        MY => C::safe(
            "create_index",
            format!("{what}; InnoDB builds it online (LOCK=NONE; ALGORITHM=NOCOPY on MariaDB, INPLACE on MySQL)"),
        ),
        _ => C::safe("create_index", format!("{what}; SQLite builds it in one write transaction")),
    };
    if index.unique {
        c = C::review(
            "create_unique_index",
            format!(
                "{what}, which fails if existing rows hold duplicates{}",
                if d == PG { " and blocks writes while it builds" } else { "" }
            ),
        )
        .or("check for duplicates first (SELECT ... GROUP BY ... HAVING count(*) > 1)");
    }
    if index.predicate.is_some() && d == MY {
        c = C::review(
            "partial_index_unsupported",
            format!(
                "{what} with a WHERE predicate, which MySQL/MariaDB cannot express: the index cannot be created as written"
            ),
        );
    }
    c
}

pub(super) fn drop_index(table: &str, index: &Index, d: Dialect, ctx: &Context<'_>) -> C {
    if d == MY
        && let Some(fk) = mysql_foreign_key_needing(table, index, ctx)
    {
        return C::review(
            "drop_index_used_by_foreign_key",
            format!(
                "drops index {} on {}, which MySQL needs for foreign key {}: the drop fails while that foreign key exists and no other index starts with its columns",
                q(&index.name),
                q(table),
                q(&fk)
            ),
        )
        .or("create the replacement index first, or drop the foreign key in the same migration before the index");
    }
    if index.unique {
        C::review(
            "drop_unique_index",
            format!(
                "drops unique index {} on {}: duplicates become possible, and the down fails once they exist",
                q(&index.name),
                q(table)
            ),
        )
    } else {
        C::safe(
            "drop_index",
            format!("drops index {} on {}; queries that used it get slower", q(&index.name), q(table)),
        )
    }
}

pub(super) fn rename_index(table: &str, from: &str, to: &str, d: Dialect) -> C {
    C::safe(
        "rename_index",
        match d {
            LITE => format!(
                "renames index {} to {} on {}; SQLite has no ALTER INDEX, so it is dropped and built again",
                q(from),
                q(to),
                q(table)
            ),
            _ => format!("renames index {} to {} on {}: a catalog change only", q(from), q(to), q(table)),
        },
    )
}

pub(super) fn add_unique(
    table: &str,
    unique: &UniqueConstraint,
    d: Dialect,
    table_is_new: bool,
    ctx: &Context<'_>,
) -> C {
    let what = format!("adds unique constraint {} on {} ({})", q(&unique.name), q(table), unique.columns.join(", "));
    if table_is_new {
        return C::safe("add_unique_new_table", format!("{what}, a table created in this migration (no rows yet)"));
    }
    if let Some(c) = unique_on_constant_column(table, &unique.columns, ctx) {
        return c;
    }
    C::review(
        "add_unique",
        format!(
            "{what}, which fails if existing rows hold duplicates{}",
            match d {
                PG => " and blocks writes while its index builds",
                MY => "; the index builds online",
                _ => "",
            }
        ),
    )
    .or(if d == PG {
        "check for duplicates first; on a large table create a unique index CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE USING INDEX"
    } else {
        "check for duplicates first (SELECT ... GROUP BY ... HAVING count(*) > 1)"
    })
}

pub(super) fn drop_unique(table: &str, unique: &UniqueConstraint) -> C {
    C::review(
        "drop_unique",
        format!(
            "drops unique constraint {} on {}: duplicates become possible, and the down fails once they exist",
            q(&unique.name),
            q(table)
        ),
    )
}

pub(super) fn drop_foreign_key(table: &str, foreign_key: &ForeignKey) -> C {
    C::review(
        "drop_foreign_key",
        format!(
            "drops foreign key {} on {}: orphan rows become possible, and the down fails once they exist",
            q(&foreign_key.name),
            q(table)
        ),
    )
}

pub(super) fn add_check(table: &str, check: &Check, d: Dialect, table_is_new: bool) -> C {
    let what = format!("adds check {} on {}", q(&check.name), q(table));
    if table_is_new {
        return C::safe("add_check_new_table", format!("{what}, a table created in this migration (no rows yet)"));
    }
    match d {
        PG => C::review(
            "add_check",
            format!("{what}, which fails if a row violates it and scans the table under an exclusive lock"),
        )
        .or("add it NOT VALID, then VALIDATE CONSTRAINT in a later migration (validation does not block writes)"),
        MY => C::review(
            "add_check",
            format!("{what}, which fails if a row violates it; MySQL copies the table to check it"),
        ),
        _ => C::review("add_check", format!("{what}, which fails if a row violates it")),
    }
}

pub(super) fn drop_check(table: &str, check: &Check) -> C {
    C::review(
        "drop_check",
        format!(
            "drops check {} on {}: violating rows become possible, and the down fails once they exist",
            q(&check.name),
            q(table)
        ),
    )
}
