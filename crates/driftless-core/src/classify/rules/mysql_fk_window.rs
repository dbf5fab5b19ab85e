//! On MySQL/MariaDB, a type change of a column that a foreign key uses (on either side) runs with the key dropped
//! before the `MODIFY COLUMN` and added back after (the servers refuse the change with the key in place: see
//! `render/mysql_fk_modify.rs`). While the key is away nothing enforces it, and adding it back checks every row, so
//! the reason names the keys and that window, and the step is at least `review_required`.

use crate::classify::{Class, Classification as C, Context};
use crate::render::mysql_fk_modify::foreign_keys_using;
use crate::step::Step;

use super::q;

/// The rule on top of the MySQL verdict of an `alter_column` on an existing table.
pub(super) fn rule(step: &Step, base: C, ctx: &Context<'_>) -> C {
    let Step::AlterColumn { table, from, to, .. } = step else { return base };
    if from.ty == to.ty || ctx.new_tables.contains(table) {
        return base;
    }
    let keys = foreign_keys_using(ctx.before, table, &from.name);
    if keys.is_empty() {
        return base;
    }
    let names = keys.iter().map(|(on, fk)| q(&format!("{on}.{}", fk.name))).collect::<Vec<_>>().join(", ");
    let window = format!(
        "MySQL/MariaDB refuse to change the type of a column a foreign key uses, so the foreign key{} {names} {} \
         dropped before the MODIFY and added back after the migration's last type change of {}: in between, writes \
         are not checked against {}, and adding {} back checks every row (an orphan written in between fails it)",
        if keys.len() > 1 { "s" } else { "" },
        if keys.len() > 1 { "are" } else { "is" },
        if keys.len() > 1 { "their columns" } else { "its columns" },
        if keys.len() > 1 { "them" } else { "it" },
        if keys.len() > 1 { "them" } else { "it" },
    );
    if base.class >= Class::ReviewRequired {
        let mut c = base;
        c.reason = format!("{}; {window}", c.reason);
        return c;
    }
    C::review("mysql_fk_retype", format!("{}; {window}", base.reason))
}

#[cfg(test)]
mod tests {
    use crate::classify::{Class, classify_steps};
    use crate::define::*;
    use crate::dialect::Dialect;
    use crate::schema::{ColumnType, Schema};

    fn schema() -> Schema {
        let orders = table("orders").with_column(column("id", ColumnType::Integer)).primary_key("orders_pkey", &["id"]);
        let items = table("items")
            .with_column(column("id", ColumnType::Integer))
            .with_column(column("order_id", ColumnType::Integer))
            .with_column(column("n", ColumnType::Integer))
            .primary_key("items_pkey", &["id"])
            .foreign_key(foreign_key("items_order_id_fkey", &["order_id"], "orders", &["id"]));
        Schema { tables: vec![orders, items], enums: vec![] }
    }

    #[test]
    fn a_retyped_key_column_names_the_dropped_foreign_key_on_mysql_only() {
        let s = schema();
        let widen = alter_column("orders", column("id", ColumnType::Integer), column("id", ColumnType::BigInt));
        let c = &classify_steps(&s, &[widen])[0];
        let my = c.get(Dialect::Mysql);
        assert!(my.class >= Class::ReviewRequired);
        assert!(
            my.reason.ends_with(
                "MySQL/MariaDB refuse to change the type of a column a foreign key uses, so the foreign key \
                 `items.items_order_id_fkey` is dropped before the MODIFY and added back after the migration's last \
                 type change of its columns: in between, writes are not checked against it, and adding it back \
                 checks every row (an orphan written in between fails it)"
            ),
            "{}",
            my.reason
        );
        assert!(!c.get(Dialect::Postgres).reason.contains("refuse to change"));
        assert!(!c.get(Dialect::Sqlite).reason.contains("refuse to change"));
    }

    #[test]
    fn a_column_no_foreign_key_uses_keeps_its_reason() {
        let s = schema();
        let widen = alter_column("items", column("n", ColumnType::Integer), column("n", ColumnType::BigInt));
        let c = &classify_steps(&s, &[widen])[0];
        assert!(!c.get(Dialect::Mysql).reason.contains("foreign key"), "{}", c.get(Dialect::Mysql).reason);
    }
}
