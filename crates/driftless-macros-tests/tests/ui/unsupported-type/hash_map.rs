use std::collections::HashMap;

use driftless::Model;

#[derive(Model)]
struct Settings {
    #[model(primary_key)]
    id: i64,
    values: HashMap<String, String>,
}

fn main() {}
