// The type mapping goes through the trait system, so aliases and fully qualified paths work.
use driftless::Model;

type Id = i64;
type MaybeName = ::std::option::Option<::std::string::String>;

#[derive(Model)]
pub struct Person {
    #[model(primary_key)]
    pub id: Id,
    pub name: MaybeName,
    pub avatar: std::vec::Vec<u8>,
}

fn main() {
    let def = <Person as Model>::model_def();
    assert!(def.table.columns[1].nullable);
}
