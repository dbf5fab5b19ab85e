use driftless::Model;

// Five unrelated mistakes: all of them are reported in one compile.
#[derive(Model)]
#[model(tabel = "users", index(columns = ["nope"]))]
struct User {
    #[model(primary_key, primary_key)]
    id: i64,
    #[model(max_length = "ten", on_delete = "cascade")]
    name: String,
    #[model(default = 1, default_sql = "2")]
    score: i32,
}

fn main() {}
