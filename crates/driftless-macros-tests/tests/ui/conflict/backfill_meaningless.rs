use driftless::Model;

#[derive(Model)]
struct User {
    #[model(primary_key, auto_increment, backfill = "1")]
    id: i64,
    #[model(backfill = "'UTC'")]
    timezone: Option<String>,
    #[model(skip, backfill = "'x'")]
    cache: String,
}

fn main() {}
