use driftless::Model;

#[derive(Model)]
struct Price {
    #[model(primary_key)]
    id: i64,
    #[model(precision = 10, scale = 2)]
    amount: f64,
}

fn main() {}
