//! Table rules: creating, dropping, renaming tables and changing their comment.

use crate::dialect::Dialect;
use crate::schema::Table;

use super::super::Classification as C;
use super::{LITE, q};

pub(super) fn create_table(table: &Table) -> C {
    C::safe("create_table", format!("creates the new, empty table {}", q(&table.name)))
}

pub(super) fn drop_table(table: &Table) -> C {
    C::dangerous("drop_table", format!("drops table {} and every row in it", q(&table.name)))
        .or(format!(
            "stop using {} in code and deploy first; if the table was renamed, add #[model(renamed_from = \"{}\")] to the model of its new name",
            q(&table.name),
            table.name
        ))
}

pub(super) fn rename_table(from: &str, to: &str) -> C {
    C::review(
        "rename_table",
        format!(
            "renames table {} to {}: code still running against the old name fails until the new code is deployed",
            q(from),
            q(to)
        ),
    )
    .or("deploy code that works with both names first (for example through a view with the old name), then rename")
}

pub(super) fn set_table_comment(table: &str, d: Dialect) -> C {
    C::safe(
        "change_comment",
        match d {
            LITE => format!("changes the comment of {}; SQLite does not store comments, so nothing runs", q(table)),
            _ => format!("changes the comment of {}: a catalog change only", q(table)),
        },
    )
}
