//! Runs the trybuild suites; see the crate docs for how to regenerate the expected output.

/// Every error kind, one folder each.
const KINDS: &[&str] = &[
    "unknown-attribute",
    "duplicate-attribute",
    "malformed",
    "conflict",
    "references",
    "unsupported-type",
    "enum",
    "shape",
    "multi-error",
];

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    for kind in KINDS {
        t.compile_fail(format!("tests/ui/{kind}/*.rs"));
    }
    t.pass("tests/ui/pass/*.rs");
}

#[test]
fn every_ui_folder_is_run() {
    let mut folders: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ui"))
        .expect("tests/ui exists")
        .map(|e| e.expect("readable entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name != "pass")
        .collect();
    folders.sort();
    let mut kinds: Vec<String> = KINDS.iter().map(|k| (*k).to_owned()).collect();
    kinds.sort();
    assert_eq!(folders, kinds, "add the new folder to KINDS so its cases run");
}
