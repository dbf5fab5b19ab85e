use driftless::Model;

#[derive(Model)]
struct User {
    #[model(primary_key)]
    id: i64,
    #[model(sql_type = "CITEXT", max_length = 20)]
    name: String,
}

fn main() {}
