use driftless::Model;

#[derive(Model)]
struct Post {
    #[model(primary_key)]
    id: i64,
    #[model(references = "nocolon")]
    author_id: i64,
}

fn main() {}
