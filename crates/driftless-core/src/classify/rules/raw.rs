//! Raw SQL and irreversible steps.

use super::super::Classification as C;

pub(super) fn raw_sql() -> C {
    C::review("raw_sql", "hand-written SQL: driftless cannot judge it, so a reviewer must")
}

pub(super) fn irreversible(reason: &str) -> C {
    C::dangerous("irreversible", format!("cannot be undone: {reason}"))
}

pub(super) fn data_step(name: &str) -> C {
    C::review(
        "data_step",
        format!("runs the Rust data function `{name}` against the data: driftless cannot judge it, so a reviewer must"),
    )
}
