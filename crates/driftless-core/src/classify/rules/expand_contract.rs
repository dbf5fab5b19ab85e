//! PostgreSQL expand/contract for a type change that rewrites the table: an integer widening (`smallint`/`integer`
//! → `integer`/`bigint`, on keys and on the foreign-key columns that reference them) and the other rewriting type
//! changes (`integer` → `numeric`, `integer` → `text`, `text` → `uuid`, `text` → `integer`, `timestamp` →
//! `timestamptz`, a narrowing a probe guards, ...). One decision ([`expand_contract_eligible`]) shared by the
//! classifier (code `expand_contract_type`) and the migrator's online rewrite (`driftless-migrate`'s
//! `expand_contract.rs`), like `mysql_algorithm` and `needs_sqlite_rebuild`.
//!
//! A plain `ALTER COLUMN … TYPE … USING` rewrites the table and every index under ACCESS EXCLUSIVE (and re-checks
//! the foreign keys that reference the column), stalling every reader and writer for the whole rewrite. Online, the
//! migrator runs the same step in two phases instead:
//!
//! - **expand** (the first `migrate`): a nullable shadow column `<column>__driftless_new` of the new type, a
//!   trigger that sets it to the old column converted by the plain ALTER's own `USING` expression on every INSERT
//!   and UPDATE, a batched backfill of the existing rows, `CHECK (shadow IS NOT NULL)` added `NOT VALID` and
//!   validated, and every index, unique constraint and primary key on the column built again on the shadow column,
//!   concurrently. Writers keep running; the old column stays the one the application reads. A conversion that can
//!   fail on data is only eligible when a data probe finds the failing rows first (`render::probe`).
//! - **contract** (the next `migrate`, or the same one with `--contract`): one short transaction under
//!   `lock_timeout` drops the foreign keys on or to the column, the trigger and the old column, renames the shadow
//!   column, gives it the column's default and comment, takes the primary key, unique constraints and indexes over
//!   with `USING INDEX` / `ALTER INDEX … RENAME`, moves the identity (the sequence carries on where the old one
//!   stopped), and adds the foreign keys back `NOT VALID`; each is then validated in its own transaction.
//!
//! Binary-coercible changes (`varchar(n)` → `varchar(m ≥ n)`, `varchar` → `text`, `numeric(p,s)` → `numeric(q ≥
//! p,s)`) are not eligible: PostgreSQL changes only the catalog for them, so the plain ALTER is already brief.

use crate::dialect::Dialect;
use crate::render::probe::probes_type_change;
use crate::schema::{Column, ColumnType, Schema};
use crate::step::Step;

use super::columns::{TypeChange, judge_type, pg_no_rewrite};
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

/// Whether `from` → `to` is an integer widening (the recipe that also swaps the foreign keys on and to the column).
pub fn is_integer_widening(from: &ColumnType, to: &ColumnType) -> bool {
    integer_widening(from, to)
}

/// Whether PostgreSQL can run `table.from` → `to` as expand/contract (`Ok`), or why it runs as one `ALTER … TYPE`
/// (`Err`, a reason for the review). `before` is the schema just before the step.
pub fn expand_contract_eligible(table: &str, from: &Column, to: &Column, before: &Schema) -> Result<(), String> {
    let widening = integer_widening(&from.ty, &to.ty);
    if from.ty == to.ty {
        return Err("the type does not change".into());
    }
    if pg_no_rewrite(&from.ty, &to.ty) {
        return Err(
            "PostgreSQL changes this type in the catalog only (binary coercible): the ALTER … TYPE is brief".into()
        );
    }
    match judge_type(&from.ty, &to.ty, before) {
        TypeChange::Unknown => return Err("a custom type is involved: driftless cannot tell how it converts".into()),
        TypeChange::Narrow | TypeChange::Incompatible if !probes_type_change(Dialect::Postgres, &from.ty, &to.ty) => {
            return Err(format!(
                "converting {} to {} can fail on existing rows and no probe finds them before the expand",
                from.ty, to.ty
            ));
        }
        _ => {}
    }
    if (Column { ty: from.ty.clone(), ..to.clone() }) != *from {
        return Err("the step changes more than the type".into());
    }
    if from.auto_increment && !(from.ty.is_integer() && to.ty.is_integer()) {
        return Err("an identity column changes to a type that is not an integer".into());
    }
    let t = before.table(table).ok_or_else(|| format!("table {} is not in the schema before the step", q(table)))?;
    if !widening {
        // Only a widening keeps the foreign key's two sides compatible while one of them is swapped.
        let on = t.foreign_keys.iter().find(|fk| fk.columns.contains(&from.name));
        let to_it = before
            .tables
            .iter()
            .flat_map(|c| c.foreign_keys.iter().map(move |fk| (c, fk)))
            .find(|(_, fk)| fk.ref_table == table && fk.ref_columns.contains(&from.name));
        if let Some(fk) = on.or(to_it.map(|(_, fk)| fk)) {
            return Err(format!(
                "foreign key {} uses the column: only integer widenings swap the columns of a foreign key",
                q(&fk.name)
            ));
        }
    }
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

/// Why the migrator runs the type changes of `steps` (a migration's `up`, from `before`) as plain `ALTER … TYPE`
/// on PostgreSQL (`driftless-migrate`'s `expand_contract::widenings`, which wants every step an eligible type change
/// against the schema before the migration): the first other step, as `<kind> on <table>`; `None` when every step
/// is one.
pub(crate) fn expand_blocker(steps: &[&Step], before: &Schema) -> Option<String> {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for step in steps {
        if let Step::AlterColumn { table, from, to, backfill: None } = step
            && expand_contract_eligible(table, from, to, before).is_ok()
            && !seen.contains(&(table.as_str(), from.name.as_str()))
        {
            seen.push((table, &from.name));
            continue;
        }
        let on = step.table().map(|t| format!(" on {}", q(t))).unwrap_or_default();
        return Some(format!("a step that is not one ({}{on})", step.kind()));
    }
    None
}

/// The base codes of a type change that PostgreSQL makes by rewriting the table.
const REWRITING: [&str; 4] =
    ["widen_type_rewrite", "narrow_type", "incompatible_type_change", "change_type_reinterpret"];

/// The rule on top of the PostgreSQL verdict: an eligible type change on an existing table is code
/// `expand_contract_type` (`review_required`, or `dangerous` when the plain change was), with both phases in the
/// reason.
pub(crate) fn expand_contract_rule(step: &Step, base: C, ctx: &Context<'_>) -> C {
    let Step::AlterColumn { table, from, to, backfill: None } = step else { return base };
    if ctx.new_tables.contains(table) || !REWRITING.contains(&base.code) {
        return base;
    }
    if expand_contract_eligible(table, from, to, ctx.before).is_err() {
        return base;
    }
    match ctx.expand_blocker {
        Some("") => return base,
        Some(other) => {
            let reason = format!(
                "{}; online PostgreSQL would run it as expand/contract, but this migration also holds {other}, so it \
                 runs as one ALTER … TYPE (a migration of eligible type changes only runs as expand/contract: move \
                 the other steps to a migration of their own)",
                base.reason
            );
            return C { reason, ..base };
        }
        None => {}
    }
    let what = q(&format!("{table}.{}", from.name));
    let shadow = q(&format!("{}{SHADOW_SUFFIX}", from.name));
    let widening = integer_widening(&from.ty, &to.ty);
    let probed = probes_type_change(Dialect::Postgres, &from.ty, &to.ty);
    let not_null = if to.nullable { "" } else { ", NOT NULL through a validated check" };
    let identity = if to.auto_increment { ", moves the identity (its sequence carries on)" } else { "" };
    let value = if widening {
        q(&from.name)
    } else {
        let cast =
            crate::render::expand_sql::postgres_cast(&format!("\"{}\"", from.name), &from.ty, &to.ty, ctx.before);
        format!("`{cast}` (the plain ALTER's USING)")
    };
    let probe = if probed {
        "; a probe first refuses, changing nothing, when a row holds a value that does not convert, and while both \
         columns exist a write whose value does not convert fails in the trigger with PostgreSQL's cast error"
    } else {
        ""
    };
    let zone = if base.code == "change_type_reinterpret" {
        "; existing values are reinterpreted through the migrator's session time zone, in the backfill and in the \
         trigger (its function is pinned to that zone), as the plain ALTER would"
    } else {
        ""
    };
    let mut carried = Vec::new();
    if to.default.is_some() {
        carried.push("the default");
    }
    if to.comment.is_some() {
        carried.push("the comment");
    }
    let carried = if carried.is_empty() { String::new() } else { format!(", gives it {}", carried.join(" and ")) };
    let fks = if widening { " drops the foreign keys on and to the column," } else { "" };
    let fks_back = if widening {
        ", and adds the foreign keys back NOT VALID, each validated after in its own transaction"
    } else {
        ""
    };
    let class = base.class.max(Class::ReviewRequired);
    C::new(
        class,
        "expand_contract_type",
        format!(
            "changes {what} from {} to {}: a plain ALTER … TYPE would rewrite the table and its indexes under ACCESS \
             EXCLUSIVE, so online PostgreSQL runs it in two phases. Expand (this `migrate`): a shadow column {shadow} \
             of type {} kept equal to {value} by a trigger, a batched backfill{not_null}, and the indexes and keys on \
             it built concurrently; writers keep running, and the run stops there{probe}{zone}. Contract (the next \
             `migrate`, or `migrate --contract`): one short transaction under lock_timeout{fks} swaps the columns{carried}, \
             takes the keys over USING INDEX{identity}{fks_back} (when the migration holds nothing but such type \
             changes; otherwise it runs as one ALTER … TYPE)",
            from.ty, to.ty, to.ty
        ),
    )
    .or("run the contract in a quiet moment: it takes ACCESS EXCLUSIVE on the table and the referencing tables briefly")
}

#[cfg(test)]
mod tests {
    use crate::classify::classify_steps;
    use crate::define::*;
    use crate::replay::apply_steps;
    use crate::schema::{ColumnType, Schema};

    fn before() -> Schema {
        let t = table("accounts")
            .with_column(column("id", ColumnType::BigInt).auto_increment())
            .with_column(column("amount", ColumnType::Integer).default_sql("0").comment("in cents"))
            .primary_key("accounts_pkey", &["id"])
            .index(index("accounts_amount_idx", &["amount"]));
        apply_steps(&Schema::empty(), &[create_table(t)]).unwrap()
    }

    fn to_numeric() -> crate::step::Step {
        let amount = |ty| column("amount", ty).default_sql("0").comment("in cents");
        alter_column("accounts", amount(ColumnType::Integer), amount(ColumnType::Decimal { precision: 12, scale: 2 }))
    }

    #[test]
    fn a_type_change_alone_is_expand_contract_and_mixed_says_why_it_is_not() {
        let alone = classify_steps(&before(), &[to_numeric()]);
        assert_eq!(alone[0].postgres.code, "expand_contract_type");
        assert!(
            alone[0].postgres.reason.contains("gives it the default and the comment"),
            "{}",
            alone[0].postgres.reason
        );
        let note = add_column("accounts", column("note", ColumnType::Text).nullable());
        let mixed = classify_steps(&before(), &[to_numeric(), note]);
        assert_eq!(mixed[0].postgres.code, "widen_type_rewrite");
        assert!(
            mixed[0].postgres.reason.ends_with(
                "but this migration also holds a step that is not one (add_column on `accounts`), so it runs as one \
                 ALTER … TYPE (a migration of eligible type changes only runs as expand/contract: move the other \
                 steps to a migration of their own)"
            ),
            "{}",
            mixed[0].postgres.reason
        );
    }
}
