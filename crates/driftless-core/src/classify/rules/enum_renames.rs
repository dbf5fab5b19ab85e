//! Enum type renames (`rename_enum`).
//!
//! PostgreSQL renames the type in the catalog (`ALTER TYPE ... RENAME TO`): instant, and the columns keep their
//! values, but code that names the type breaks until it is deployed (a cast such as `$1::old_name`, a driver enum
//! mapped by type name such as sqlx's `#[sqlx(type_name = "old_name")]`), exactly like a table rename; hence
//! review_required. MySQL/MariaDB and SQLite have no named enum types (the enum lives in each column, as an inline
//! `ENUM(...)` or a `CHECK`), so nothing runs and the step is safe.

use crate::dialect::Dialect;

use super::super::Classification as C;
use super::{LITE, PG, q};

pub(super) fn rename_enum(from: &str, to: &str, d: Dialect) -> C {
    if d == PG {
        C::review(
            "rename_enum",
            format!(
                "renames enum type {} to {} (a catalog change; the columns keep their values): code that names the \
                 type (a cast, or a driver type mapped by name) fails until the new code is deployed",
                q(from),
                q(to)
            ),
        )
        .or("deploy code that does not name the type (or names both) first, then rename")
    } else {
        C::safe(
            "rename_enum",
            format!(
                "renames enum {} to {}: {} has no named enum types (the values live in each column), so nothing runs",
                q(from),
                q(to),
                if d == LITE { "SQLite" } else { "MySQL/MariaDB" }
            ),
        )
    }
}
