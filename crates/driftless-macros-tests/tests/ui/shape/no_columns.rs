use driftless::Model;

#[derive(Model)]
struct Empty {
    #[model(skip)]
    cache: Vec<u8>,
}

fn main() {}
