use driftless::DbEnum;

#[derive(DbEnum)]
#[model(rename_all = "Title Case")]
enum Status {
    Draft,
}

fn main() {}
