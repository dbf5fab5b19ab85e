use driftless::DbEnum;

#[derive(DbEnum)]
struct Status {
    value: String,
}

fn main() {}
