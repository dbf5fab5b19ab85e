use driftless::Model;

#[derive(Model)]
struct Price {
    #[model(primary_key)]
    id: i64,
    #[model(scale = 2)]
    amount: rust_decimal::Decimal,
    #[model(precision = 4, scale = 6)]
    rate: rust_decimal::Decimal,
}

fn main() {}
