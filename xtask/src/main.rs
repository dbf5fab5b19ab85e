//! This repository's xtask: `cargo xtask <command>` runs driftless's commands on the example application, exactly
//! as a user's own xtask does on theirs — it hands the models and the project layout to `driftless_cli::main`.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    driftless_cli::main(project(), std::env::args_os().skip(1))
}

/// The repository root, worked out from this crate's manifest so the command works from any folder.
fn project_root() -> PathBuf {
    let dir =
        std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from).unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
    dir.parent().expect("xtask lives one level below the repository root").to_owned()
}

/// The example application's driftless project: its models, `snapshots/schema.json` and its migrations folder.
fn project() -> driftless_cli::Project {
    let root = project_root();
    driftless_cli::Project::new(&root, example_app::schema())
        .with_migrations(root.join("examples/example-app/src/migrations"), example_app::migrations::migrations())
}
