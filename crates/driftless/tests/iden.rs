//! The `<Struct>Iden` enum's impls, written by the derive instead of derived: copies work, and sea-query quotes
//! exactly the names that need it.

use std::borrow::Cow;

use driftless::prelude::*;
use driftless::sea_query::{Iden, IdenStatic, MysqlQueryBuilder, PostgresQueryBuilder, Query};

#[derive(Model)]
#[model(table = "order lines")]
#[allow(dead_code)] // Fields describe columns; no test reads them.
struct OrderLine {
    #[model(primary_key)]
    id: i64,
    #[model(column = "unit price")]
    unit_price: f64,
    quantity: i32,
}

#[test]
#[allow(clippy::clone_on_copy)] // `Clone` itself is under test.
fn copies_name_the_same_column() {
    let a = OrderLineIden::Quantity;
    let b = a;
    let c = a.clone();
    assert_eq!([a.as_str(), b.as_str(), c.as_str()], ["quantity"; 3]);
    assert_eq!(OrderLineIden::Id.as_str(), "id");
}

#[test]
fn names_that_need_quoting_are_owned_and_quoted() {
    assert_eq!(OrderLineIden::Table.as_str(), "order lines");
    assert_eq!(OrderLineIden::UnitPrice.unquoted(), "unit price");
    assert!(matches!(OrderLineIden::Quantity.quoted(), Cow::Borrowed("quantity")));
    assert!(matches!(OrderLineIden::UnitPrice.quoted(), Cow::Owned(s) if s == "unit price"));
    assert!(matches!(OrderLineIden::Table.quoted(), Cow::Owned(s) if s == "order lines"));
    let select = Query::select()
        .columns([OrderLineIden::Quantity, OrderLineIden::UnitPrice])
        .from(OrderLineIden::Table)
        .to_owned();
    assert_eq!(select.to_string(PostgresQueryBuilder), r#"SELECT "quantity", "unit price" FROM "order lines""#);
    assert_eq!(select.to_string(MysqlQueryBuilder), "SELECT `quantity`, `unit price` FROM `order lines`");
}
