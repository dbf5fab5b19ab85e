use driftless::Model;

#[derive(Model)]
struct Seat {
    #[model(primary_key)]
    id: i64,
    table: i32,
}

fn main() {}
