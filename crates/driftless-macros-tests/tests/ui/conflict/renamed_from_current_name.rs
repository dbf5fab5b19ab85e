use driftless::Model;

#[derive(Model)]
#[model(table = "users", renamed_from = "users")]
struct User {
    #[model(primary_key)]
    id: i64,
    #[model(column = "email", renamed_from = "email")]
    mail: String,
}

fn main() {}
