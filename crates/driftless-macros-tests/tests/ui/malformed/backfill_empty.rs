use driftless::Model;

#[derive(Model)]
struct User {
    #[model(primary_key)]
    id: i64,
    #[model(backfill = "  ")]
    timezone: String,
}

fn main() {}
