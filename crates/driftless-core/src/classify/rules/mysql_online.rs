//! Online MySQL/MariaDB: the least-locking `ALGORITHM` the server supports for a step on an existing table
//! ([`mysql_algorithm`], one decision shared by the classifier and the renderer, like `needs_sqlite_rebuild`), and
//! the rule that says so where that algorithm is a table copy ([`mysql_copy_rule`], code `mysql_table_copy`).
//!
//! Checked on MariaDB 10.11 (`ALTER TABLE …, ALGORITHM=X, LOCK=NONE` tried from INSTANT down):
//!
//! | change | algorithm |
//! |---|---|
//! | add column (nullable, constant or current date/time default), drop column, rename column, rename index, change a default or comment, append enum values, widen a VARCHAR within its length bytes, drop a foreign key or check, table comment | INSTANT |
//! | create or drop an index, add or drop a unique constraint | NOCOPY |
//! | set or drop NOT NULL, replace the primary key | INPLACE |
//! | add (or drop and add again) a foreign key, with `foreign_key_checks=0` on the migrator's session: the server then checks no existing row, so the migrator probes for orphans before and after (`driftless-migrate`, `online_mysql_fk.rs`) | INPLACE (no rebuild: it only builds the key's index when none exists) |
//! | any other type change (INT → BIGINT, VARCHAR(60) → VARCHAR(300) across 255 bytes, reordered or removed enum values), add a check, add a column with a per-row default or auto-increment, drop the primary key alone | COPY (errors 1845/1846 for every online algorithm) |
//!
//! Every online algorithm runs with `LOCK=NONE`; MySQL 8 has no NOCOPY (the migrator runs INPLACE there).

use std::fmt;

use crate::schema::{Column, ColumnType};
use crate::step::Step;

use super::columns::default_kind;
use super::q;
use crate::classify::{Class, Classification as C, Context};

/// An `ALTER TABLE` algorithm of MySQL/MariaDB, from the least locking to the most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MysqlAlgorithm {
    /// Only the data dictionary changes.
    Instant,
    /// In place without rebuilding the clustered index (MariaDB 10.3+; MySQL runs INPLACE instead).
    Nocopy,
    /// In place, rebuilding the table while writes go on (`LOCK=NONE`).
    Inplace,
    /// A copy of the table; writes wait for the whole copy.
    Copy,
}

impl MysqlAlgorithm {
    /// `INSTANT`, `NOCOPY`, `INPLACE` or `COPY`, as written in the clause.
    pub fn as_str(self) -> &'static str {
        match self {
            MysqlAlgorithm::Instant => "INSTANT",
            MysqlAlgorithm::Nocopy => "NOCOPY",
            MysqlAlgorithm::Inplace => "INPLACE",
            MysqlAlgorithm::Copy => "COPY",
        }
    }

    /// Reads an algorithm's name (any case).
    pub fn parse(s: &str) -> Option<MysqlAlgorithm> {
        match s.to_ascii_uppercase().as_str() {
            "INSTANT" => Some(MysqlAlgorithm::Instant),
            "NOCOPY" => Some(MysqlAlgorithm::Nocopy),
            "INPLACE" => Some(MysqlAlgorithm::Inplace),
            "COPY" => Some(MysqlAlgorithm::Copy),
            _ => None,
        }
    }

    /// The next weaker algorithm that still keeps writers running (`LOCK=NONE`): INSTANT → NOCOPY → INPLACE →
    /// none. A table copy is never a fallback.
    pub fn weaker_online(self) -> Option<MysqlAlgorithm> {
        match self {
            MysqlAlgorithm::Instant => Some(MysqlAlgorithm::Nocopy),
            MysqlAlgorithm::Nocopy => Some(MysqlAlgorithm::Inplace),
            MysqlAlgorithm::Inplace | MysqlAlgorithm::Copy => None,
        }
    }

    /// Whether writers keep working while it runs.
    pub fn is_online(self) -> bool {
        self != MysqlAlgorithm::Copy
    }
}

impl fmt::Display for MysqlAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a VARCHAR/CHAR length of `n` characters needs two length bytes (more than 255 bytes in utf8mb4).
fn long_varchar(n: u32) -> bool {
    n.saturating_mul(4) > 255
}

/// The algorithm of a `MODIFY COLUMN` from `from` to `to`.
fn modify(from: &Column, to: &Column) -> MysqlAlgorithm {
    use MysqlAlgorithm::*;
    if from.auto_increment != to.auto_increment {
        return Copy;
    }
    let type_ok = match (&from.ty, &to.ty) {
        (a, b) if a == b => true,
        (ColumnType::Varchar(a), ColumnType::Varchar(b)) => b >= a && long_varchar(*a) == long_varchar(*b),
        _ => false,
    };
    if !type_ok {
        Copy
    } else if from.nullable != to.nullable {
        Inplace
    } else {
        Instant
    }
}

/// The least-locking algorithm MySQL/MariaDB support for `step` on an existing table, for its main `ALTER`
/// statement(s); `None` when the step runs no `ALTER` on an existing table (creating or dropping a table, renaming
/// one, hand-written SQL). For a step that runs several `ALTER`s, the most locking of them.
pub fn mysql_algorithm(step: &Step) -> Option<MysqlAlgorithm> {
    use MysqlAlgorithm::*;
    Some(match step {
        Step::AddColumn { column, .. } => {
            if column.auto_increment || matches!(default_kind(column), "volatile") {
                Copy
            } else {
                Instant
            }
        }
        Step::DropColumn { .. } | Step::RenameColumn { .. } | Step::RenameIndex { .. } => Instant,
        Step::SetTableComment { .. } | Step::DropForeignKey { .. } | Step::DropCheck { .. } => Instant,
        Step::AlterColumn { from, to, .. } => modify(from, to),
        Step::AlterEnum { from, to, renamed_values } => {
            if renamed_values.is_empty() && to.values.starts_with(&from.values) { Instant } else { Copy }
        }
        Step::CreateIndex { .. } | Step::DropIndex { .. } | Step::AddUnique { .. } | Step::DropUnique { .. } => Nocopy,
        Step::SetPrimaryKey { to: None, .. } => Copy,
        Step::SetPrimaryKey { .. } => Inplace,
        // Online only with foreign_key_checks=0, which the migrator sets around it, between two orphan probes.
        Step::AddForeignKey { .. } | Step::AlterForeignKey { .. } => Inplace,
        Step::AddCheck { .. } => Copy,
        Step::CreateTable { .. }
        | Step::DropTable { .. }
        | Step::RenameTable { .. }
        | Step::CreateEnum { .. }
        | Step::DropEnum { .. }
        | Step::RenameEnum { .. }
        | Step::RawSql { .. }
        | Step::Irreversible { .. }
        // Row updates in batches and Rust data steps are DML: no ALTER, no algorithm.
        | Step::Backfill { .. }
        | Step::Data { .. }
        | Step::Contract { .. } => return None,
    })
}

/// Why the server copies the table for `step`, and what to do instead.
fn copy_reason(step: &Step) -> (String, &'static str) {
    let table = step.table().unwrap_or_default();
    match step {
        Step::AddCheck { check, .. } => (
            format!(
                "adds check {} on {}: MySQL/MariaDB copy the table to check every row (no online algorithm)",
                q(&check.name),
                q(table)
            ),
            "enforce the rule in the application, or run it in a quiet period",
        ),
        Step::AddColumn { column, .. } => (
            format!(
                "adds column {} with a per-row default or auto-increment: MySQL/MariaDB copy the table to fill it",
                q(&format!("{table}.{}", column.name))
            ),
            "add it nullable without a default (instant), backfill it in batches, then set the default",
        ),
        Step::AlterColumn { to, .. } => (
            format!(
                "changes the type of {}: MySQL/MariaDB copy the table (no online algorithm for this type change)",
                q(&format!("{table}.{}", to.name))
            ),
            "add a new column (instant), backfill it in batches, switch the application over, then drop the old column",
        ),
        Step::AlterEnum { from, .. } => (
            format!(
                "reorders, removes or renames values of enum {}: MySQL/MariaDB copy every table using it",
                q(&from.name)
            ),
            "only append values (instant)",
        ),
        _ => (
            format!("changes {}: MySQL/MariaDB copy the table (no online algorithm for this change)", q(table)),
            "run it in a quiet period",
        ),
    }
}

/// On MySQL: a step the server can only run by copying the table is at least `review_required` and says so. A
/// verdict already at least `review_required` keeps its code, with the copy added to its reason unless it says it.
pub(super) fn mysql_copy_rule(step: &Step, base: C, ctx: &Context<'_>) -> C {
    if step.table().is_some_and(|t| ctx.new_tables.contains(t)) || mysql_algorithm(step) != Some(MysqlAlgorithm::Copy) {
        return base;
    }
    let (reason, alternative) = copy_reason(step);
    let says_copy = base.reason.contains("cop") || base.reason.contains("rebuil");
    if base.class >= Class::ReviewRequired {
        if says_copy || base.code == "auto_increment_unsupported" {
            return base;
        }
        let mut c = base;
        c.reason =
            format!("{}; MySQL/MariaDB copy the table (ALGORITHM=COPY), writes wait for the whole copy", c.reason);
        return c;
    }
    // A change that cannot fail still blocks writers for the copy: the reason it is safe stays, the copy is added.
    let reason = if says_copy { base.reason } else { reason };
    C::review("mysql_table_copy", format!("{reason}; writes wait for the whole copy (ALGORITHM=COPY)")).or(alternative)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithms_follow_what_mariadb_accepts() {
        use MysqlAlgorithm::*;
        let c = |ty: ColumnType, nullable: bool| Column { nullable, ..Column::new("c", ty) };
        assert_eq!(modify(&c(ColumnType::Integer, true), &c(ColumnType::Integer, false)), Inplace);
        assert_eq!(modify(&c(ColumnType::Integer, true), &c(ColumnType::BigInt, true)), Copy);
        assert_eq!(modify(&c(ColumnType::Varchar(20), true), &c(ColumnType::Varchar(60), true)), Instant);
        assert_eq!(modify(&c(ColumnType::Varchar(60), true), &c(ColumnType::Varchar(300), true)), Copy);
        assert_eq!(modify(&c(ColumnType::Varchar(100), true), &c(ColumnType::Varchar(200), true)), Instant);
        assert_eq!(modify(&c(ColumnType::Varchar(60), true), &c(ColumnType::Varchar(20), true)), Copy);
        assert_eq!(Instant.weaker_online(), Some(Nocopy));
        assert_eq!(Nocopy.weaker_online(), Some(Inplace));
        assert_eq!(Inplace.weaker_online(), None);
        assert_eq!(MysqlAlgorithm::parse("nocopy"), Some(Nocopy));
    }
}
