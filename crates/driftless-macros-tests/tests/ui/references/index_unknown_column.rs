use driftless::Model;

#[derive(Model)]
#[model(index(columns = ["chat_id", "created"]))]
struct Message {
    #[model(primary_key)]
    id: i64,
    chat_id: i64,
    created_at: i64,
}

fn main() {}
