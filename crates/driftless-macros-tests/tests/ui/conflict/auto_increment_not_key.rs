use driftless::Model;

#[derive(Model)]
struct Counter {
    #[model(primary_key)]
    name: String,
    #[model(auto_increment)]
    seq: i64,
}

fn main() {}
