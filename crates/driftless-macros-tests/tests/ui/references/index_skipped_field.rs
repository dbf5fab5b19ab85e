use driftless::Model;

#[derive(Model)]
#[model(index(columns = ["score", "score"]))]
struct Player {
    #[model(primary_key)]
    id: i64,
    #[model(skip)]
    score: i64,
}

fn main() {}
