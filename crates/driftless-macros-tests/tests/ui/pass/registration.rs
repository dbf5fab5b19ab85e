// Every derived model registers itself (for `migrate-generate`'s "missing from schema![...]" check), except one
// marked `unlisted`; the registrations come back sorted, whatever order the linker left them in.
use driftless::Model;

#[derive(Model)]
pub struct Zebra {
    #[model(primary_key)]
    pub id: i64,
}

#[derive(Model)]
#[model(table = "animals")]
pub struct Aardvark {
    #[model(primary_key)]
    pub id: i64,
}

#[derive(Model)]
#[model(unlisted)]
pub struct Scratch {
    #[model(primary_key)]
    pub id: i64,
}

fn main() {
    let all = driftless::model::registered();
    let found: Vec<(&str, &str)> = all.iter().map(|r| (r.path().rsplit("::").next().unwrap(), r.table())).collect();
    assert_eq!(found, [("Aardvark", "animals"), ("Zebra", "zebra")]);
    assert!(all[0].path().ends_with("::Aardvark") && all[0].path().len() > "::Aardvark".len(), "{}", all[0].path());

    let listed = driftless::schema![Zebra];
    let missing = driftless::model::unlisted(&all, &listed);
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].table(), "animals");
    assert!(driftless::model::unlisted(&all, &driftless::schema![Aardvark, Zebra]).is_empty());
}
