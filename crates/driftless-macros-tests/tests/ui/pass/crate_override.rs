// `crate = "..."` lets a crate that re-exports driftless under another path use the derives.
mod reexport {
    pub use driftless as db;
}

#[derive(driftless::Model)]
#[model(crate = "crate::reexport::db")]
struct Tag {
    #[model(primary_key)]
    id: i32,
    kind: Kind,
}

#[derive(driftless::DbEnum)]
#[model(crate = "crate::reexport::db")]
enum Kind {
    Topic,
}

fn main() {
    let def = <Tag as driftless::Model>::model_def();
    assert_eq!(def.table.name, "tag");
    let _ = (Kind::Topic, TagIden::Kind);
}
