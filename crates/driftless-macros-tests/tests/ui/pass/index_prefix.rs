use driftless::Model;

#[derive(Model)]
#[model(index(columns = ["body", "title"], name = "posts_body_idx", prefix(body = 100, title = 20)))]
struct Post {
    #[model(primary_key)]
    id: i64,
    body: String,
    title: String,
}

fn main() {
    let s = driftless::schema![Post].build().expect("the schema is valid");
    let index = &s.table("post").unwrap().indexes[0];
    assert_eq!(index.prefix_of("body"), Some(100));
    assert_eq!(index.prefix_of("title"), Some(20));
}
