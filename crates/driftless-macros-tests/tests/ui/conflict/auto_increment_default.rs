use driftless::Model;

#[derive(Model)]
struct Counter {
    #[model(primary_key, auto_increment, default = 1)]
    id: i64,
}

fn main() {}
