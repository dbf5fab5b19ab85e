use driftless::Model;

#[derive(Model)]
struct User {
    #[model(primary_key = true)]
    id: i64,
}

fn main() {}
