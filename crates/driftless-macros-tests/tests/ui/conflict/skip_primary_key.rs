use driftless::Model;

#[derive(Model)]
struct User {
    #[model(primary_key)]
    id: i64,
    #[model(skip, primary_key, column = "cache")]
    cached: Vec<String>,
}

fn main() {}
