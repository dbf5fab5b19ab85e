//! Resuming a MySQL/MariaDB migration that stopped part-way. MySQL has no transactional DDL: each statement commits
//! on its own, and the migrator records its progress after each one (`apply::begin_row`, `online_mysql.rs`). Each
//! DDL statement is atomic (InnoDB on MySQL 8, MariaDB 10.6+): a statement that fails with a server error — refused
//! by every online algorithm, a lock-wait timeout, a duplicate key, `max_statement_time`, orphans found by the
//! online foreign key's probes — leaves nothing. When the migrator saw that happen it recorded the statement
//! (`failed_statement`) with the statements before it as done, and that record is exact: the next `migrate`
//! resumes at the failed statement instead of refusing the dirty row.
//!
//! Progress is unknown, and the row stays dirty (resolve it by hand), when the migrator did not see the statement
//! fail (killed, crashed, the connection lost: the statement may have committed just before), when the migration
//! changed since (another checksum or statement count), and when the failed statement is hand-written SQL or a
//! Rust data step (either may have done part of its work).

use driftless_core::Dialect;
use driftless_core::render::mysql_online::clause_algorithm;
use driftless_core::step::Step;

use crate::apply::{Unit, fit_failed_statement};
use crate::outcome::{AppliedMigration, Direction};

/// Whether `row`, a dirty row on `dialect`, may be a resumable MySQL record (checked against the plan by
/// [`exact`] before anything runs).
pub(crate) fn candidate(dialect: Dialect, row: &AppliedMigration) -> bool {
    dialect == Dialect::Mysql
        && row.dirty == Some(Direction::Up)
        && row.failed_statement.is_some()
        && (0..row.statements_total).contains(&row.statements_done)
}

/// Whether statement `index` of `unit` (on MySQL, up) leaves nothing when it fails with a server error, so that a
/// record of its failure is exact.
pub(crate) fn atomic_statement(dialect: Dialect, unit: &Unit<'_>, index: usize) -> bool {
    dialect == Dialect::Mysql
        && unit.direction == Direction::Up
        && unit
            .plan
            .statements
            .get(index)
            .and_then(|s| unit.migration.up.get(s.step))
            .is_some_and(|step| !matches!(step, Step::RawSql { .. } | Step::Data { .. } | Step::Irreversible { .. }))
}

/// `sql` without its trailing `ALGORITHM=…, LOCK=…` clause (the migrator may have run another algorithm than the
/// one written, or the plain SQL with `--no-online`).
fn without_clause(sql: &str) -> &str {
    if clause_algorithm(sql).is_none() {
        return sql;
    }
    let at = sql.to_ascii_uppercase().rfind("ALGORITHM=").unwrap_or(sql.len());
    sql[..at].trim_end().trim_end_matches(',')
}

/// Whether `row` records exactly where `unit` stopped: the same statement count, and the statement it names as
/// failed is, clause aside, the plan's statement at that index, which leaves nothing when it fails.
pub(crate) fn exact(dialect: Dialect, unit: &Unit<'_>, row: &AppliedMigration) -> bool {
    let (Ok(at), Some(failed)) = (usize::try_from(row.statements_done), row.failed_statement.as_deref()) else {
        return false;
    };
    let Some(statement) = unit.plan.statements.get(at) else { return false };
    let same = |a: &str, b: &str| without_clause(a) == without_clause(b);
    candidate(dialect, row)
        && row.statements_total == unit.plan.statements.len() as i64
        && atomic_statement(dialect, unit, at)
        && (same(failed, &statement.sql) || same(failed, &fit_failed_statement(&statement.sql)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clause_is_ignored_when_comparing() {
        assert_eq!(
            without_clause("ALTER TABLE `t` ADD COLUMN `a` INT, ALGORITHM=INPLACE, LOCK=NONE"),
            "ALTER TABLE `t` ADD COLUMN `a` INT"
        );
        assert_eq!(
            without_clause("CREATE INDEX `i` ON `t` (`a`) ALGORITHM=NOCOPY LOCK=NONE"),
            "CREATE INDEX `i` ON `t` (`a`)"
        );
        assert_eq!(without_clause("ALTER TABLE `t` ADD COLUMN `a` INT"), "ALTER TABLE `t` ADD COLUMN `a` INT");
    }
}
