use driftless::Model;

#[derive(Model)]
#[model(
    index(columns = ["body"], prefix(title = 10)),
    index(columns = ["body"], prefix(body = 0)),
    index(columns = ["body"], prefix(body = "100")),
    index(columns = ["body"], unique, prefix(body = 100)),
    index(columns = ["body"], prefix(body = 10, body = 20)),
    index(columns = ["body"], prefix)
)]
struct Post {
    #[model(primary_key)]
    id: i64,
    body: String,
    title: String,
}

fn main() {}
