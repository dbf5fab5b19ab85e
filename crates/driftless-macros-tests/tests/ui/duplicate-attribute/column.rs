use driftless::Model;

#[derive(Model)]
struct User {
    #[model(primary_key)]
    id: i64,
    #[model(column = "full_name", column = "display_name")]
    name: String,
}

fn main() {}
