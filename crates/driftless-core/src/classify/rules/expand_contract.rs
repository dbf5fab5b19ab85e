//! PostgreSQL expand/contract for a rewriting integer widening (`smallint`/`integer` → `integer`/`bigint`), on keys
//! and on the foreign-key columns that reference them: one decision ([`expand_contract_widening`]) shared by the
//! classifier (code `expand_contract_type`) and the migrator's online rewrite (`driftless-migrate`'s
//! `expand_contract.rs`), like `mysql_algorithm` and `needs_sqlite_rebuild`.
//!
//! A plain `ALTER COLUMN … TYPE bigint` rewrites the table and every index under ACCESS EXCLUSIVE (and re-checks the
//! foreign keys that reference the column), stalling every reader and writer for the whole rewrite. Online, the
//! migrator runs the same step in two phases instead:
//!
//! - **expand** (the first `migrate`): a nullable shadow column `<column>__driftless_new` of the new type, a
//!   trigger that copies the old column into it on every INSERT and UPDATE, a batched backfill of the existing
//!   rows, `CHECK (shadow IS NOT NULL)` added `NOT VALID` and validated, and every index, unique constraint and
//!   primary key on the column built again on the shadow column, concurrently. Writers keep running; the old
//!   column stays the one the application reads.
//! - **contract** (the next `migrate`, or the same one with `--contract`): one short transaction under
//!   `lock_timeout` drops the foreign keys on or to the column, the trigger and the old column, renames the shadow
//!   column, takes the primary key, unique constraints and indexes over with `USING INDEX` / `ALTER INDEX … RENAME`,
//!   moves the identity (the sequence carries on where the old one stopped), and adds the foreign keys back
//!   `NOT VALID`; each is then validated in its own transaction.

use crate::schema::{Column, ColumnType, Schema};
use crate::step::Step;

use super::q;
use crate::classify::{Class, Classification as C, Context};

/// The suffix of the shadow column, of the copies of indexes and constraints, and of the sync trigger.
pub const SHADOW_SUFFIX: &str = "__driftless_new";

/// PostgreSQL's identifier limit in bytes.
const MAX_NAME: usize = 63;

/// Whether `from` → `to` is an integer widening that PostgreSQL makes by rewriting the table.
fn integer_widening(from: &ColumnType, to: &ColumnType) -> bool {
    matches!(
        (from, to),
        (ColumnType::SmallInt, ColumnType::Integer)
            | (ColumnType::SmallInt, ColumnType::BigInt)
            | (ColumnType::Integer, ColumnType::BigInt)
    )
}

/// Whether `text` (an SQL expression) may mention `column` (a conservative, case-insensitive text search).
fn mentions(text: &str, column: &str) -> bool {
    text.to_ascii_lowercase().contains(&column.to_ascii_lowercase())
}

/// Whether PostgreSQL can run `table.from` → `to` as expand/contract (`Ok`), or why it runs as one `ALTER … TYPE`
/// (`Err`, a reason for the review). `before` is the schema just before the step.
pub fn expand_contract_widening(table: &str, from: &Column, to: &Column, before: &Schema) -> Result<(), String> {
    if !integer_widening(&from.ty, &to.ty) {
        return Err("only integer widenings (smallint/integer → integer/bigint) run as expand/contract".into());
    }
    if (Column { ty: from.ty.clone(), ..to.clone() }) != *from {
        return Err("the step changes more than the type".into());
    }
    if from.default.is_some() || from.comment.is_some() {
        return Err("the column has a default or a comment, which the swap does not carry over".into());
    }
    let t = before.table(table).ok_or_else(|| format!("table {} is not in the schema before the step", q(table)))?;
    let pk = t.primary_key.as_ref().ok_or_else(|| format!("{} has no primary key to order the backfill", q(table)))?;
    if pk.columns.contains(&from.name) && pk.columns.len() > 1 {
        return Err("the column is part of a composite primary key".into());
    }
    let long = |name: &str| name.len() + SHADOW_SUFFIX.len() + "_not_null".len() > MAX_NAME;
    let mut names = vec![format!("{table}_{}", from.name), pk.name.clone()];
    for index in t.indexes.iter().filter(|i| i.columns.contains(&from.name)) {
        if index.expression.is_some() || index.predicate.as_deref().is_some_and(|p| mentions(p, &from.name)) {
            return Err(format!("index {} uses the column in an expression or predicate", q(&index.name)));
        }
        names.push(index.name.clone());
    }
    names.extend(t.uniques.iter().filter(|u| u.columns.contains(&from.name)).map(|u| u.name.clone()));
    if let Some(name) = names.iter().find(|n| long(n)) {
        return Err(format!("the name {} is too long to derive the shadow names from", q(name)));
    }
    if let Some(check) = t.checks.iter().find(|c| mentions(&c.expr, &from.name)) {
        return Err(format!("check {} may use the column", q(&check.name)));
    }
    Ok(())
}

/// The rule on top of the PostgreSQL verdict: an eligible widening on an existing table is `review_required`, code
/// `expand_contract_type`, with both phases in the reason.
pub(crate) fn expand_contract_rule(step: &Step, base: C, ctx: &Context<'_>) -> C {
    let Step::AlterColumn { table, from, to, backfill: None } = step else { return base };
    if ctx.new_tables.contains(table) || base.code != "widen_type_rewrite" {
        return base;
    }
    if expand_contract_widening(table, from, to, ctx.before).is_err() {
        return base;
    }
    let what = q(&format!("{table}.{}", from.name));
    let shadow = q(&format!("{}{SHADOW_SUFFIX}", from.name));
    let not_null = if to.nullable { "" } else { ", NOT NULL through a validated check" };
    let identity = if to.auto_increment { ", moves the identity (its sequence carries on)" } else { "" };
    C::new(
        Class::ReviewRequired,
        "expand_contract_type",
        format!(
            "changes {what} from {} to {}: a plain ALTER … TYPE would rewrite the table and its indexes under ACCESS \
             EXCLUSIVE, so online PostgreSQL runs it in two phases. Expand (this `migrate`): a shadow column {shadow} \
             kept equal to {} by a trigger, a batched backfill{not_null}, and the indexes and keys on it built \
             concurrently; writers keep running, and the run stops there. Contract (the next `migrate`, or `migrate \
             --contract`): one short transaction under lock_timeout drops the foreign keys on and to the column, \
             swaps the columns, takes the keys over USING INDEX{identity}, and adds the foreign keys back NOT VALID, \
             each validated after in its own transaction (when the migration holds nothing but such type changes; \
             otherwise it runs as one ALTER … TYPE)",
            from.ty,
            to.ty,
            q(&from.name)
        ),
    )
    .or("run the contract in a quiet moment: it takes ACCESS EXCLUSIVE on the table and the referencing tables briefly")
}
