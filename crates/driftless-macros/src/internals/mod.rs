//! The derive's front end: attributes → own AST → cross-field checks, with every error collected in a [`Ctxt`].
//!
//! The split follows serde_derive: `attr` only reads what the user wrote, `ast` ties it to the fields it belongs
//! to, and `check` enforces the rules that span several attributes or fields. Code generation reads the checked
//! AST and never reports errors of its own.

pub mod ast;
pub mod attr;
pub mod check;
pub mod ctxt;
pub mod symbol;

pub use ctxt::Ctxt;
