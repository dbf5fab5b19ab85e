use driftless::Model;

#[derive(Model)]
#[model(index(columns = "name"))]
struct User {
    #[model(primary_key)]
    id: i64,
    name: String,
}

fn main() {}
