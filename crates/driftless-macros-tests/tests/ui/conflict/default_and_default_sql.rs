use driftless::Model;

#[derive(Model)]
struct User {
    #[model(primary_key)]
    id: i64,
    #[model(default = "UTC", default_sql = "'UTC'")]
    timezone: String,
}

fn main() {}
