use driftless::DbEnum;

#[derive(DbEnum)]
#[model(name = "post_status", renamed_from = "post_status")]
enum Status {
    Draft,
}

fn main() {}
