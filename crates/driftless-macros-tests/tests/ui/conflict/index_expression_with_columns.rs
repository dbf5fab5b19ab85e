use driftless::Model;

#[derive(Model)]
#[model(index(expression = "lower(email)", name = "users_lower_email_idx", columns = ["email"]))]
struct User {
    #[model(primary_key)]
    id: i64,
    email: String,
}

fn main() {}
