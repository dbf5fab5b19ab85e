use driftless::DbEnum;

#[derive(DbEnum)]
enum Status {
    Draft,
    #[model(value = "live")]
    Published,
}

fn main() {}
