use driftless::Model;

#[derive(Model)]
#[model(tabel = "users")]
struct User {
    #[model(primary_key)]
    id: i64,
}

fn main() {}
