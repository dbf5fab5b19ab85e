use driftless::Model;

#[derive(Model)]
struct Counter {
    #[model(primary_key)]
    id: i64,
    hits: u32,
}

fn main() {}
