use driftless::Model;

#[derive(Model)]
struct Line {
    #[model(primary_key, auto_increment)]
    id: i64,
    #[model(primary_key)]
    order_id: i64,
}

fn main() {}
