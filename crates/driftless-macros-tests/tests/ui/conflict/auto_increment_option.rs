use driftless::Model;

#[derive(Model)]
struct Ticket {
    #[model(primary_key)]
    id: i64,
    #[model(auto_increment)]
    number: Option<i64>,
}

fn main() {}
