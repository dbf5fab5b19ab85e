use driftless::Model;

#[derive(Model)]
struct User {
    #[model(primary_key, unique)]
    id: i64,
}

fn main() {}
