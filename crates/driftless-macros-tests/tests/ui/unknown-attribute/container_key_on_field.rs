use driftless::Model;

#[derive(Model)]
struct User {
    #[model(primary_key, table = "users")]
    id: i64,
}

fn main() {}
