use driftless::Model;

#[derive(Model)]
#[model(index(name = "by_name"), index)]
struct User {
    #[model(primary_key)]
    id: i64,
    name: String,
}

fn main() {}
