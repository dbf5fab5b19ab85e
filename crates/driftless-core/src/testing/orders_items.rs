//! The `orders`/`items` pair of the expand/contract tests (migrate, introspect and cli): `orders` with an
//! auto-increment key of a given type, `items` referencing it (its index and a cascading foreign key), the migration
//! creating both with `integer` keys, and the two steps widening `orders.id` and `items.order_id` to `bigint`.

use crate::define::{alter_column, column, create_table, drop_table, foreign_key, index, table};
use crate::migration::Migration;
use crate::schema::{ColumnType, ReferentialAction, Table};
use crate::step::Step;

/// The name of [`create`].
pub const CREATE: &str = "m20260101T000000_create_orders";
/// The name of the migration that widens the keys ([`widen_up`], [`widen_down`]).
pub const WIDEN: &str = "m20260102T000000_orders_id_bigint";

/// `orders (id ty auto-increment)`, primary key `orders_pkey`.
pub fn orders(ty: ColumnType) -> Table {
    table("orders").with_column(column("id", ty).auto_increment()).primary_key("orders_pkey", &["id"])
}

/// `items (id bigint auto-increment, order_id ty)`, primary key `items_pkey`, index `items_order_id_idx` and foreign
/// key `items_order_id_fkey` to `orders (id)` on delete cascade.
pub fn items(ty: ColumnType) -> Table {
    table("items")
        .with_column(column("id", ColumnType::BigInt).auto_increment())
        .with_column(column("order_id", ty))
        .primary_key("items_pkey", &["id"])
        .index(index("items_order_id_idx", &["order_id"]))
        .foreign_key(
            foreign_key("items_order_id_fkey", &["order_id"], "orders", &["id"]).on_delete(ReferentialAction::Cascade),
        )
}

/// [`CREATE`]: both tables with `integer` keys (down drops them).
pub fn create() -> Migration {
    Migration::new(CREATE)
        .up([create_table(orders(ColumnType::Integer)), create_table(items(ColumnType::Integer))])
        .down([drop_table(items(ColumnType::Integer)), drop_table(orders(ColumnType::Integer))])
}

/// `orders.id` and then `items.order_id` from `integer` to `bigint`.
pub fn widen_up() -> Vec<Step> {
    let id = |ty| column("id", ty).auto_increment();
    let order_id = |ty| column("order_id", ty);
    vec![
        alter_column("orders", id(ColumnType::Integer), id(ColumnType::BigInt)),
        alter_column("items", order_id(ColumnType::Integer), order_id(ColumnType::BigInt)),
    ]
}

/// The reverse of [`widen_up`]: `items.order_id` and then `orders.id` back to `integer`.
pub fn widen_down() -> Vec<Step> {
    let id = |ty| column("id", ty).auto_increment();
    let order_id = |ty| column("order_id", ty);
    vec![
        alter_column("items", order_id(ColumnType::BigInt), order_id(ColumnType::Integer)),
        alter_column("orders", id(ColumnType::BigInt), id(ColumnType::Integer)),
    ]
}
