use driftless::Model;

#[derive(Model)]
#[model(table = users)]
struct User {
    #[model(primary_key)]
    id: i64,
}

fn main() {}
