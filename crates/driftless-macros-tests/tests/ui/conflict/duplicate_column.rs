use driftless::Model;

#[derive(Model)]
struct User {
    #[model(primary_key)]
    id: i64,
    name: String,
    #[model(column = "name")]
    display_name: String,
}

fn main() {}
