use driftless::DbEnum;

#[derive(DbEnum)]
#[model(name = "status", name = "post_status")]
enum Status {
    Draft,
}

fn main() {}
