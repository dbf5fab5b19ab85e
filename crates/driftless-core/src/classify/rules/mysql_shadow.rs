//! On MySQL/MariaDB, a column made NOT NULL on an existing table runs online through the shadow-table recipe
//! (`render::mysql_shadow`): the reason names it (shadow table, triggers, cut-over rename) instead of the in-place
//! rebuild, or says why the table gets the rebuild instead (no primary key, foreign keys to or from it: the
//! refusals the schema shows; a table with triggers of its own is refused by the migrator, which reads them).

use crate::render::mysql_shadow::{shadow_candidate, shadow_refusal};
use crate::step::Step;

use super::q;
use crate::classify::{Classification as C, Context};

/// The words the column rules use for MySQL's in-place rebuild.
const REBUILD: &str = "MySQL rebuilds the table in place";

/// The MySQL verdict of `step` with the recipe (or its refusal) in its reason.
pub(super) fn mysql_shadow_rule(step: &Step, base: C, ctx: &Context<'_>) -> C {
    let Some(table) = step.table() else { return base };
    if ctx.new_tables.contains(table) || !shadow_candidate(step) || !base.reason.contains(REBUILD) {
        return base;
    }
    let how = match shadow_refusal(table, ctx.before) {
        Some(why) => format!(
            "{REBUILD} (online, the shadow-table copy is refused: {why}); its final exclusive phase stalls writers"
        ),
        None => format!(
            "online, driftless copies {} through a shadow table instead of rebuilding it in place (pt-online-schema-change \
             style: triggers copy every write to `_{table}__driftless_new`, the rows are copied in primary-key chunks, \
             then a cut-over RENAME TABLE swaps it in, under lock_wait_timeout); a table with triggers of its own gets \
             the in-place rebuild",
            q(table)
        ),
    };
    let mut c = base;
    c.reason = c.reason.replace(REBUILD, &how);
    c
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::define::{column, foreign_key, table};
    use crate::schema::{ColumnType, Schema};

    fn verdict(before: &Schema) -> String {
        let empty = BTreeSet::new();
        let (e2, e3, e4, e5) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        let ctx = Context {
            before,
            new_tables: &empty,
            new_columns: &e2,
            null_columns: &e3,
            dropped_uniques: &e4,
            backfilled: &e5,
            expand_blocker: None,
        };
        let c = column("note", ColumnType::Text);
        let step = Step::AlterColumn { table: "orders".into(), from: c.clone().nullable(), to: c, backfill: None };
        let base = C::review("set_not_null", "makes `orders.note` NOT NULL; MySQL rebuilds the table in place");
        mysql_shadow_rule(&step, base, &ctx).reason
    }

    #[test]
    fn the_reason_names_the_recipe_or_why_it_is_refused() {
        let orders = table("orders")
            .with_column(column("id", ColumnType::BigInt))
            .with_column(column("note", ColumnType::Text).nullable())
            .primary_key("orders_pkey", &["id"]);
        let mut schema = Schema { tables: vec![orders.clone()], enums: Vec::new() };
        assert_eq!(
            verdict(&schema),
            "makes `orders.note` NOT NULL; online, driftless copies `orders` through a shadow table instead of \
             rebuilding it in place (pt-online-schema-change style: triggers copy every write to \
             `_orders__driftless_new`, the rows are copied in primary-key chunks, then a cut-over RENAME TABLE swaps \
             it in, under lock_wait_timeout); a table with triggers of its own gets the in-place rebuild"
        );
        let items = table("items")
            .with_column(column("id", ColumnType::BigInt))
            .primary_key("items_pkey", &["id"])
            .foreign_key(foreign_key("items_order_fk", &["id"], "orders", &["id"]));
        schema.tables.push(items);
        assert_eq!(
            verdict(&schema),
            "makes `orders.note` NOT NULL; MySQL rebuilds the table in place (online, the shadow-table copy is \
             refused: table `items` references it by a foreign key (the rename would leave it pointing at the old \
             table)); its final exclusive phase stalls writers"
        );
        let keyless = table("orders").with_column(column("note", ColumnType::Text).nullable());
        let schema = Schema { tables: vec![keyless], enums: Vec::new() };
        assert!(verdict(&schema).contains("refused: the table has no primary key to copy it by"));
    }
}
