use driftless::Model;

#[derive(Model)]
#[model(check(expr = "price > 0"), check(expr = "stock >= 0"))]
struct Item {
    #[model(primary_key)]
    id: i64,
    price: i64,
    stock: i64,
}

fn main() {}
