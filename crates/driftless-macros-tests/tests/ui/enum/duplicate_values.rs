use driftless::DbEnum;

#[derive(DbEnum)]
enum Status {
    Draft,
    #[model(rename = "draft")]
    Sketch,
}

fn main() {}
