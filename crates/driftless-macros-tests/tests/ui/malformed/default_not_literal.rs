use driftless::Model;

#[derive(Model)]
struct Event {
    #[model(primary_key)]
    id: i64,
    #[model(default = now())]
    at: String,
}

fn main() {}
