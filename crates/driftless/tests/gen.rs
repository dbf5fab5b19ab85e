//! Hygiene: the derives must compile when the user's scope shadows prelude names, which proves every path in the
//! generated code is fully qualified or goes through `driftless::__private`.
//!
//! The shadowing items are never used by the generated code; if they were, this file would fail to compile
//! (wrong arity, wrong kind) rather than pass by accident.

// The shadows exist only to be in scope under their prelude names: nothing reads them, and they are spelled like
// the names they hide rather than in the usual style.
#![allow(dead_code, non_camel_case_types, non_upper_case_globals, missing_debug_implementations)]

mod shadowed {
    use driftless::{DbEnum, Model, SqlColumn};

    // Types and constructors the generated code must not pick up from the user's scope.
    struct Result;
    struct Option;
    struct Vec;
    struct String;
    struct Box;
    struct Cow;
    struct From;
    struct Iden;
    struct ModelDef;
    struct ColumnType;
    const Some: () = ();
    const None: () = ();
    const Ok: () = ();
    const Err: () = ();
    mod core {}
    mod std {}
    mod sea_query {}
    mod driftless_core {}

    #[derive(DbEnum)]
    pub enum Mood {
        Happy,
        Sad,
    }

    #[derive(Model)]
    #[model(
        table = "shadowed_things",
        index(columns = ["label"], unique, name = "things_label", predicate = "label <> ''"),
        unique(columns = ["label", "mood"]),
        check(expr = "count >= 0")
    )]
    pub struct Thing {
        #[model(primary_key, auto_increment)]
        id: i64,
        #[model(max_length = 10, default = "x")]
        label: ::std::string::String,
        mood: ::std::option::Option<Mood>,
        #[model(default = 1, references = "others.id", on_delete = "cascade")]
        count: i32,
        #[model(sql_type = "CITEXT")]
        nick: ::std::option::Option<::std::string::String>,
        #[model(skip)]
        skipped: Vec,
    }

    pub fn def() -> driftless::schema::ModelDef {
        let _ = <Mood as SqlColumn>::column_type();
        <Thing as Model>::model_def()
    }
}

#[test]
fn derives_compile_with_shadowed_prelude_names() {
    let def = shadowed::def();
    assert_eq!(def.table.name, "shadowed_things");
    let names: Vec<&str> = def.table.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "label", "mood", "count", "nick"]);
    assert_eq!(def.enums[0].values, ["happy", "sad"]);
    use driftless::sea_query::IdenStatic;
    assert_eq!(shadowed::ThingIden::Table.as_str(), "shadowed_things");
    assert_eq!(shadowed::ThingIden::Count.as_str(), "count");
}
