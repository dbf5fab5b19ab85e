use driftless::Model;

#[derive(Model)]
struct Wrapper<T> {
    #[model(primary_key)]
    id: T,
}

fn main() {}
