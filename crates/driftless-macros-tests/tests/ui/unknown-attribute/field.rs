use driftless::Model;

#[derive(Model)]
struct User {
    #[model(primary)]
    id: i64,
}

fn main() {}
