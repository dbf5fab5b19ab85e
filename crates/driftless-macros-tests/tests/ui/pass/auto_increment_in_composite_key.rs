// `auto_increment` on one column of a composite primary key: PostgreSQL and MySQL (the column leads the key)
// generate it; SQLite refuses it when the migration is rendered.
use driftless::Model;

#[derive(Model)]
struct Line {
    #[model(primary_key, auto_increment)]
    id: i64,
    #[model(primary_key)]
    order_id: i64,
}

fn main() {
    let def = <Line as Model>::model_def();
    assert!(def.table.column("id").expect("the id column").auto_increment);
}
