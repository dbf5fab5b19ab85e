use driftless::Model;

#[derive(Model)]
struct Counter {
    #[model(primary_key, auto_increment)]
    id: i64,
    #[model(auto_increment)]
    seq: i64,
}

fn main() {}
