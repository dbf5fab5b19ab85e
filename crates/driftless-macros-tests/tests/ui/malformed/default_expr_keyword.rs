use driftless::Model;

#[derive(Model)]
struct Event {
    #[model(primary_key)]
    id: i64,
    #[model(default_expr = "tomorrow")]
    at: String,
}

fn main() {}
