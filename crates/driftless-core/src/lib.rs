//! driftless-core: the pure half of driftless — the portable schema model, the schema.json text format, the
//! differ, classifier, judge, replay and renderer. The migration-file writer is `driftless-write`.
//!
//! Why a separate crate: everything here is pure computation over values, with no database driver, so
//! `migrate-generate`, the derive's compile-fail tests and the differ's benchmarks build without sqlx.
//!
//! Architecture Invariant: nothing in this crate talks to a database, and nothing panics on user input; bad input
//! is an error value naming the file, table, column or attribute.
#![deny(missing_docs)]

pub mod classify;
pub mod data;
pub mod define;
pub mod dialect;
pub mod diff;
pub mod hash;
pub mod judge;
pub mod migration;
pub mod model;
pub mod render;
pub mod replay;
pub mod report;
pub mod schema;
pub mod snapshot;
pub mod step;
#[cfg(feature = "testing")]
pub mod testing;

pub use dialect::Dialect;
pub use schema::{Column, ColumnType, DefaultExpr, DefaultValue, Literal, Schema, Table};
