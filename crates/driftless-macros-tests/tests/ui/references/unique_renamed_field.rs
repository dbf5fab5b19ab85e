use driftless::Model;

#[derive(Model)]
#[model(unique(columns = ["email"]))]
struct User {
    #[model(primary_key)]
    id: i64,
    #[model(column = "email_address")]
    email: String,
}

fn main() {}
