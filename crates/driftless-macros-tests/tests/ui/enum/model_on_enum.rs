use driftless::Model;

#[derive(Model)]
enum Status {
    Draft,
}

fn main() {}
