use driftless::Model;

#[derive(Model)]
struct User {
    #[model(primary_key, auto_increment)]
    id: String,
}

fn main() {}
