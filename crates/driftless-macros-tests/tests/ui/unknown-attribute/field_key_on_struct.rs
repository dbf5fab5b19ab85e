use driftless::Model;

#[derive(Model)]
#[model(primary_key)]
struct User {
    id: i64,
}

fn main() {}
