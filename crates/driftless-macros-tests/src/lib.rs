//! Compile-fail and compile-pass tests of `#[derive(Model)]` and `#[derive(DbEnum)]`; the crate itself is empty.
//!
//! `tests/ui/<error-kind>/<case>.rs` must fail to compile with the `.stderr` beside it; `tests/ui/pass/*.rs` must
//! compile. Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test -p driftless-macros-tests`, then
//! read each one: it must point at the offending token and say what to do. The compiler's wording changes between
//! releases, so the files match the toolchain in `rust-version`.
