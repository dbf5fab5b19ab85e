//! The contract phase as a later migration of its own (`Step::Contract`, written by `migrate-generate`): migration
//! N changes the types (frozen `alter_column` steps) and migration N+1 holds `contract("<N>")`.
//!
//! - **N**, on online PostgreSQL, runs the expand of its expand/contract plan (`expand_contract.rs`) and is recorded
//!   applied at the contract marker (not dirty); the run stops after it ([`crate::Report::contract_pending`] names
//!   N+1) unless `Migrator::contract_now(true)` (`migrate --contract`), which runs the contract in N itself.
//! - **N+1** runs, against what it finds: the shadow columns present → the contract (statements after the marker);
//!   every column already of the new type and no shadow column (N ran plain, or contracted under `--contract`, or
//!   N+1 was reverted) → nothing; otherwise → the whole plan, expand then contract, in one go. Its `down` changes
//!   nothing: the schema after N already has the new type. It renders to nothing everywhere else.
//! - **N's down** while expanded (shadow present, N+1 not applied) abandons the expand (`abandon.rs`); otherwise it
//!   is the plain reverse type change.
//!
//! A migration with eligible type changes and no registered contract migration keeps the single-file behaviour: it
//! pauses at the marker with its row dirty.

use driftless_core::migration::{Migration, schemas_along};
use driftless_core::render::RenderedMigration;
use driftless_core::render::backfill::BackfillSql;
use driftless_core::schema::Schema;
use driftless_core::step::Step;

use crate::connection::DialectConnection;
use crate::expand_contract::{ident, is_contract_marker, literal, shadow, widenings};

/// The migration whose expand `m` contracts, when `m` is a contract migration (its `up` holds a contract step).
pub fn contracts(m: &Migration) -> Option<&str> {
    m.up.iter().find_map(|s| match s {
        Step::Contract { migration } => Some(migration.as_str()),
        _ => None,
    })
}

/// The registered migration that holds the contract of migration `name`, if any.
pub fn contract_migration<'a>(migrations: &'a [Migration], name: &str) -> Option<&'a Migration> {
    migrations.iter().find(|m| contracts(m) == Some(name))
}

/// The first applied migration of `applied` (names, in order) that waits for its contract migration: it has one
/// registered, and that one is not applied. Returns the two migrations.
pub fn awaiting_contract<'a, 'b>(
    migrations: &'a [Migration],
    applied: impl IntoIterator<Item = &'b str>,
) -> Option<(&'a Migration, &'a Migration)> {
    // One pass over the registry, not one per applied name: `drift` asks on every status.
    // The first contract migration of each, as `contract_migration` finds it.
    let mut contracted: std::collections::HashMap<&str, &Migration> = std::collections::HashMap::new();
    for m in migrations {
        if let Some(of) = contracts(m) {
            contracted.entry(of).or_insert(m);
        }
    }
    if contracted.is_empty() {
        return None;
    }
    let names: Vec<&str> = applied.into_iter().collect();
    let done: std::collections::HashSet<&str> = names.iter().copied().collect();
    names.iter().find_map(|name| {
        let contract = *contracted.get(name)?;
        if done.contains(contract.name.as_str()) {
            return None;
        }
        Some((migrations.iter().find(|m| m.name == *name)?, contract))
    })
}

/// Whether online PostgreSQL runs `steps` as expand/contract against `before` (the schema before them): the
/// generator writes a contract migration after such a migration.
pub fn runs_expand_contract(steps: &[Step], before: &Schema) -> bool {
    crate::expand_contract::plan(steps, before).is_some()
}

/// What a contract migration's unit checks before it runs: for each column of the expand, its table, name, shadow
/// name and new type (PostgreSQL's spelling), and where the contract starts in the plan.
#[derive(Debug, Clone)]
pub(crate) struct ContractCheck {
    /// The migration whose expand it contracts.
    pub of: String,
    /// `(table, column, shadow column, new type)`.
    pub columns: Vec<(String, String, String, String)>,
    /// The index of the contract marker in the plan.
    pub marker: usize,
}

/// A contract migration's plan, the backfills it runs (by step index of the contracted migration) and its check.
pub(crate) type ContractPlan = (RenderedMigration, Vec<(usize, BackfillSql)>, ContractCheck);

/// The plan of contract migration `registry[i]` on online PostgreSQL: the whole expand/contract plan of the
/// migration it contracts (against the schema before that one), its backfills, and what to check before running.
/// `Err` with the reason when the contracted migration is not an earlier registered expand/contract migration.
pub(crate) fn contract_plan(registry: &[Migration], i: usize) -> Result<Option<ContractPlan>, String> {
    let Some(of) = contracts(&registry[i]) else { return Ok(None) };
    let k = registry[..i]
        .iter()
        .position(|m| m.name == of)
        .ok_or_else(|| format!("its contract step names `{of}`, which is not a migration registered before it"))?;
    let before = schemas_along(&registry[..k]).pop().flatten().ok_or(
        "the schema before the migration it contracts is unknown (an earlier migration has undeclared raw SQL)",
    )?;
    let up = &registry[k].up;
    let Some((plan, backfills)) = crate::expand_contract::plan(up, &before) else {
        return Err(format!(
            "`{of}` is not an online expand/contract migration against the schema before it (its `up` must hold \
             only eligible type changes)"
        ));
    };
    let marker = marker(&plan).ok_or("the plan has no marker")?;
    // The statements keep their step index in the contracted migration: backfills are found by it. The plan was
    // made from these widenings, so each has a PostgreSQL type.
    let mut columns = Vec::new();
    for w in widenings(up, &before).ok_or("the plan's type changes cannot be read back")? {
        let ty = crate::expand_contract::pg_type(&w, &before)
            .ok_or_else(|| format!("no PostgreSQL type for `{}`.`{}`", w.table, w.from.name))?;
        columns.push((w.table.to_owned(), w.from.name.clone(), shadow(&w.from.name), ty));
    }
    Ok(Some((plan, backfills, ContractCheck { of: of.to_owned(), columns, marker })))
}

/// The parts of migration `registry[i]`'s unit that this module decides, applying on PostgreSQL: the name of its
/// registered contract migration (an expand/contract migration then stops at its marker, recorded applied), and,
/// for a contract migration run online, its plan, backfills and check (replacing the rendered plan, which is
/// empty).
pub(crate) fn unit_parts(
    registry: &[Migration],
    i: usize,
    direction: crate::outcome::Direction,
    online: bool,
    dialect: driftless_core::Dialect,
) -> Result<(Option<String>, Option<ContractPlan>), crate::Error> {
    if dialect != driftless_core::Dialect::Postgres || direction != crate::outcome::Direction::Up {
        return Ok((None, None));
    }
    let contract_in = contract_migration(registry, &registry[i].name).map(|m| m.name.clone());
    let plan = if online {
        contract_plan(registry, i).map_err(|reason| crate::Error::Render {
            name: registry[i].name.clone(),
            direction,
            dialect,
            reason,
        })?
    } else {
        None
    };
    Ok((contract_in, plan))
}

/// The online PostgreSQL statements of `registry[i]` for the review, when the two-file form applies, with the steps
/// their `step` indexes refer to: an expand/contract migration whose contract migration is registered, its expand
/// (the plan up to the contract marker); a contract migration, the contract of the migration it contracts (the plan
/// after the marker, against the database as its expand leaves it). `None` otherwise; `Err` with the reason for a
/// contract migration the migrator refuses (as `contract_plan`).
pub fn review_plan(registry: &[Migration], i: usize) -> Result<Option<(RenderedMigration, &[Step])>, String> {
    let m = &registry[i];
    if let Some((mut plan, _, check)) = contract_plan(registry, i)? {
        plan.statements.drain(..=check.marker);
        let of = registry[..i].iter().find(|x| x.name == check.of).ok_or("the contracted migration is gone")?;
        return Ok(Some((plan, &of.up)));
    }
    let expand = || {
        contract_migration(registry, &m.name)?;
        let before = schemas_along(&registry[..i]).pop().flatten()?;
        let (mut plan, _) = crate::expand_contract::plan(&m.up, &before)?;
        plan.statements.truncate(marker(&plan)?);
        Some((plan, &m.up[..]))
    };
    Ok(expand())
}

/// The index of the contract marker in an expand/contract plan.
fn marker(plan: &RenderedMigration) -> Option<usize> {
    plan.statements.iter().position(|s| is_contract_marker(&s.sql))
}

/// What a contract migration finds in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    /// A shadow column of the expand exists: run the contract.
    Expanded,
    /// Every column has the new type and no shadow column exists: nothing to do.
    Contracted,
    /// The expand has not run: run the whole plan.
    NotExpanded,
}

/// The column `table.column`'s `format_type` and whether its type is `ty`'s type (by OID), if it exists.
async fn column_type<C: DialectConnection>(
    conn: &mut C,
    table: &str,
    column: &str,
    ty: &str,
) -> Result<Option<(String, bool)>, sqlx::Error> {
    let sql = format!(
        "SELECT format_type(atttypid, atttypmod), CASE WHEN atttypid = to_regtype({}) THEN 't' ELSE 'f' END FROM \
         pg_attribute WHERE attrelid = to_regclass({}) AND attname = {} AND NOT attisdropped",
        literal(ty),
        literal(&ident(table)),
        literal(column)
    );
    let rows = conn.fetch_text(&sql).await?;
    Ok(rows.into_iter().next().map(|r| {
        let mut r = r.into_iter();
        (r.next().flatten().unwrap_or_default(), r.next().flatten().as_deref() == Some("t"))
    }))
}

/// Whether a column whose `format_type` is `actual` has the modifier of `ty` (`numeric(12,2)`, `varchar(20)`), when
/// `ty` has one.
fn same_modifier(actual: &str, ty: &str) -> bool {
    let squash = |s: &str| s.to_ascii_lowercase().replace(' ', "");
    let ty = squash(ty);
    match (ty.find('('), ty.find(')')) {
        (Some(a), Some(b)) if a < b => squash(actual).contains(&ty[a..=b]),
        _ => true,
    }
}

/// What the contract migration of `check` finds in the database (see [`Found`]).
pub(crate) async fn found<C: DialectConnection>(conn: &mut C, check: &ContractCheck) -> Result<Found, sqlx::Error> {
    let mut all_new = true;
    for (table, column, shadow, ty) in &check.columns {
        if column_type(conn, table, shadow, ty).await?.is_some() {
            return Ok(Found::Expanded);
        }
        match column_type(conn, table, column, ty).await? {
            Some((actual, true)) if same_modifier(&actual, ty) => {}
            _ => all_new = false,
        }
    }
    Ok(if all_new { Found::Contracted } else { Found::NotExpanded })
}

/// Whether migration `m`'s expand is in the database now: one of its shadow columns exists (against `before`, the
/// schema before it). `false` when it is not an expand/contract migration.
pub(crate) async fn is_expanded<C: DialectConnection>(
    conn: &mut C,
    m: &Migration,
    before: &Schema,
) -> Result<bool, sqlx::Error> {
    for w in widenings(&m.up, before).unwrap_or_default() {
        if column_type(conn, w.table, &shadow(&w.from.name), "text").await?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The rows of `to_revert` (applied, not dirty) whose migration has a registered contract migration and whose
/// expand is in the database now: reverting them abandons the expand (`abandon.rs`) instead of running the reverse
/// type change, which would fail or lose the shadow objects.
pub(crate) async fn expanded_to_revert<C: DialectConnection>(
    conn: &mut C,
    migrations: &[Migration],
    to_revert: &[&crate::outcome::AppliedMigration],
) -> Result<Vec<String>, crate::Error> {
    let mut out = Vec::new();
    for row in to_revert.iter().filter(|r| r.dirty.is_none()) {
        let Some(i) = migrations.iter().position(|m| m.name == row.name) else { continue };
        if contract_migration(migrations, &row.name).is_none() {
            continue;
        }
        let Some(before) = schemas_along(&migrations[..i]).pop().flatten() else {
            // Without it the expand cannot be looked for, and the reverse type change could meet it: refused.
            return Err(crate::Error::Render {
                name: row.name.clone(),
                direction: crate::outcome::Direction::Down,
                dialect: driftless_core::Dialect::Postgres,
                reason: "the schema before it is unknown (an earlier migration has undeclared raw SQL), so whether \
                         its expand is in the database cannot be told"
                    .to_owned(),
            });
        };
        let expanded = is_expanded(conn, &migrations[i], &before)
            .await
            .map_err(crate::Error::db(format!("looking for the expand of {} before reverting it", row.name)))?;
        if expanded {
            out.push(row.name.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftless_core::define::*;

    #[test]
    fn a_contract_migration_names_the_migration_it_contracts() {
        let registry = [Migration::new("m1"), Migration::new("m2"), Migration::new("m3").up([contract("m2")])];
        assert_eq!(contracts(&registry[2]), Some("m2"));
        assert_eq!(contract_migration(&registry, "m2").map(|m| m.name.as_str()), Some("m3"));
        assert!(contract_migration(&registry, "m1").is_none());
        let (n, n1) = awaiting_contract(&registry, ["m1", "m2"]).expect("m2 waits");
        assert_eq!((n.name.as_str(), n1.name.as_str()), ("m2", "m3"));
        assert!(awaiting_contract(&registry, ["m1", "m2", "m3"]).is_none());
        // Not an earlier registered migration: refused with the reason.
        let wrong = [Migration::new("m1").up([contract("m9")])];
        assert!(contract_plan(&wrong, 0).unwrap_err().contains("`m9`, which is not a migration registered before"));
        // Not an expand/contract migration.
        assert!(contract_plan(&registry, 2).unwrap_err().contains("is not an online expand/contract migration"));
    }

    #[test]
    fn the_review_shows_the_expand_in_n_and_the_contract_in_its_contract_migration() {
        use driftless_core::testing::orders_items::{create, widen_up};
        let registry = vec![create(), Migration::new("m2").up(widen_up()), Migration::new("m3").up([contract("m2")])];
        let (expand, steps) = review_plan(&registry, 1).unwrap().expect("the expand");
        assert_eq!(steps.len(), 2);
        assert_eq!(expand.statements[0].sql, r#"ALTER TABLE "orders" ADD COLUMN "id__driftless_new" bigint"#);
        assert!(expand.statements.iter().all(|s| !s.sql.contains("DROP COLUMN") && !is_contract_marker(&s.sql)));
        let (contract, steps) = review_plan(&registry, 2).unwrap().expect("the contract");
        assert_eq!(steps.len(), 2, "the statements refer to m2's steps");
        assert_eq!(contract.statements[0].sql, r#"ALTER TABLE "items" DROP CONSTRAINT "items_order_id_fkey""#);
        assert!(contract.statements.iter().any(|s| s.sql == r#"ALTER TABLE "orders" DROP COLUMN "id""#));
        // Without its contract migration, m2 is reviewed as one plan (the single-file form).
        assert!(review_plan(&registry[..2], 1).unwrap().is_none());
        assert!(review_plan(&registry, 0).unwrap().is_none());
        // A contract migration the migrator refuses is refused here too, with the same reason.
        let wrong = [Migration::new("m1").up([driftless_core::define::contract("m9")])];
        assert!(review_plan(&wrong, 0).unwrap_err().contains("`m9`, which is not a migration registered before"));
    }

    #[test]
    fn a_modifier_is_compared_without_case_or_spaces() {
        assert!(same_modifier("numeric(12,2)", "NUMERIC(12, 2)"));
        assert!(!same_modifier("numeric(10,2)", "NUMERIC(12,2)"));
        assert!(same_modifier("character varying(20)", "VARCHAR(20)"));
        assert!(same_modifier("bigint", "bigint"));
    }
}
