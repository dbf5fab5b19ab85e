use driftless::Model;

#[derive(Model)]
#[model(table = "users")]
#[model(table = "people")]
struct User {
    #[model(primary_key)]
    id: i64,
}

fn main() {}
