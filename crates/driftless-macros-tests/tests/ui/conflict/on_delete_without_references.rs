use driftless::Model;

#[derive(Model)]
struct Post {
    #[model(primary_key)]
    id: i64,
    #[model(on_delete = "cascade", on_update = "cascade")]
    author_id: i64,
}

fn main() {}
