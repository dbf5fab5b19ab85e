use driftless::DbEnum;

#[derive(DbEnum)]
#[model(renamed_from = "")]
enum Status {
    Draft,
}

fn main() {}
