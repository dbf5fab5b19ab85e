//! What a rendered statement locks, for people: the lock it takes on its table and whether writers keep working
//! while it runs ("online"). The one describer of locks: `migrate --dry-run`, `migrate-sql`, `migrate-review`
//! ([`annotated_script`]) and the generated files' headers all use it.
//!
//! This reads the step and the statement's text (a statement the renderer wrote `CONCURRENTLY`, `NOT VALID` or
//! `VALIDATE CONSTRAINT` takes a weaker lock than the same step written plainly), so it stays right whichever way
//! the renderer spells a step. It is a description, not a decision: nothing runs differently because of it.

use crate::dialect::Dialect;
use crate::step::Step;

/// The lock a statement takes. A brief lock (a catalog change under `lock_timeout`, no scan or rewrite) counts as
/// online: writers wait for the catalog change only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockInfo {
    /// The lock, in the database's words, and what it blocks.
    pub lock: String,
    /// Whether reads and writes on the table keep working while it runs.
    pub online: bool,
}

fn info(lock: &str, online: bool) -> LockInfo {
    LockInfo { lock: lock.to_owned(), online }
}

/// The lock each statement of `plan` (rendered from `steps`, possibly rewritten into its online form) takes on
/// `dialect`, in order. Unlike [`statement_lock`] alone, this sees the statements before each one: PostgreSQL's
/// `SET NOT NULL` after a validated `CHECK (col IS NOT NULL)` on the same column skips its scan.
pub fn plan_locks(dialect: Dialect, steps: &[Step], plan: &super::RenderedMigration) -> Vec<LockInfo> {
    let mut validated: Vec<String> = Vec::new();
    let mut out = Vec::with_capacity(plan.statements.len());
    for s in &plan.statements {
        let Some(step) = steps.get(s.step) else {
            out.push(info("unknown (statement without its step)", false));
            continue;
        };
        if dialect == Dialect::Postgres {
            if let Some(rest) = s.sql.split_once(" ADD CONSTRAINT ").map(|(_, r)| r)
                && let Some((_, column)) = rest.split_once(" CHECK (")
                && let Some(column) = column.strip_suffix(" IS NOT NULL) NOT VALID")
            {
                validated.push(column.to_owned());
            }
            if s.sql.ends_with(" SET NOT NULL")
                && validated.iter().any(|c| s.sql.ends_with(&format!(" ALTER COLUMN {c} SET NOT NULL")))
            {
                out.push(info("ACCESS EXCLUSIVE, brief (no scan: the check is validated)", true));
                continue;
            }
        }
        out.push(statement_lock(dialect, step, &s.sql));
    }
    out
}

/// `plan` (rendered from `steps`, possibly rewritten into its online form) as a script whose statements each carry a
/// comment naming the lock they take and whether writers keep working ([`plan_locks`]), and, when not in the
/// migration's transaction, that they run on their own. For the review report (`migrate-review`).
pub fn annotated_script(dialect: Dialect, steps: &[Step], plan: &super::RenderedMigration) -> String {
    let mut out = String::new();
    for (s, lock) in plan.statements.iter().zip(plan_locks(dialect, steps, plan)) {
        let how = if lock.online { "online" } else { "blocking" };
        out.push_str(&format!("-- lock: {} ({how})\n", lock.lock));
        if !s.transactional {
            out.push_str("-- run outside a transaction:\n");
        }
        out.push_str(&s.sql);
        out.push_str(";\n");
    }
    out
}

/// The lock `sql` (rendered from `step`) takes on `dialect`.
pub fn statement_lock(dialect: Dialect, step: &Step, sql: &str) -> LockInfo {
    if let Step::Backfill { batch_size, .. } = step {
        return match dialect {
            Dialect::Sqlite => {
                info(&format!("database write lock per batch of {batch_size} rows, released between batches"), true)
            }
            _ => info(&format!("row locks on one batch of {batch_size} rows at a time, each committed"), true),
        };
    }
    if let Step::Data { .. } = step {
        return info("unknown (a Rust data step)", false);
    }
    let upper = sql.to_ascii_uppercase();
    match dialect {
        Dialect::Sqlite => info("database write lock (SQLite has one writer): writers wait until commit", false),
        Dialect::Mysql => {
            if let Step::CreateTable { .. } = step {
                return info("none on existing tables (new table)", true);
            }
            if let Step::DropTable { .. } = step {
                return info(
                    "exclusive metadata lock on the table, brief (waits for open transactions on it; no copy)",
                    true,
                );
            }
            if super::mysql_shadow::parse_shadow(sql).is_some() {
                return info(
                    "shadow table: metadata lock, brief, to create the triggers and for the cut-over rename; row share \
                     locks on 200 rows at a time during the copy; no rebuild of the table in place",
                    true,
                );
            }
            if super::mysql_online::online_foreign_key(step, sql).is_some() {
                return info(
                    "metadata lock, brief at start and end; no table copy, no row check (foreign_key_checks=0 \
                     between two orphan probes; ALGORITHM=INPLACE, LOCK=NONE)",
                    true,
                );
            }
            match super::mysql_online::clause_algorithm(sql) {
                Some(crate::classify::MysqlAlgorithm::Instant) => {
                    info("metadata lock, brief (ALGORITHM=INSTANT, LOCK=NONE)", true)
                }
                Some(crate::classify::MysqlAlgorithm::Nocopy) => {
                    info("metadata lock, brief at start and end; no table rebuild (ALGORITHM=NOCOPY, LOCK=NONE)", true)
                }
                Some(crate::classify::MysqlAlgorithm::Inplace) if upper.contains("LOCK=NONE") => info(
                    "metadata lock, brief at start and end; the table is rebuilt while writes go on (ALGORITHM=INPLACE, \
                     LOCK=NONE)",
                    true,
                ),
                Some(crate::classify::MysqlAlgorithm::Copy) => {
                    info("table copy: writes wait for the whole copy, reads go on (ALGORITHM=COPY, LOCK=SHARED)", false)
                }
                _ if matches!(step, Step::RawSql { .. }) => info("unknown (hand-written SQL)", false),
                _ => {
                    info("metadata lock; the server chooses in-place or a table copy (no ALGORITHM/LOCK clause)", false)
                }
            }
        }
        Dialect::Postgres => postgres(step, &upper),
    }
}

fn postgres(step: &Step, upper: &str) -> LockInfo {
    if let Step::AlterColumn { .. } = step
        && let Some(lock) = super::expand_locks::expand_contract_lock(upper)
    {
        return lock;
    }
    if upper.contains("CONCURRENTLY") {
        return info("SHARE UPDATE EXCLUSIVE: reads and writes continue", true);
    }
    if upper.contains("VALIDATE CONSTRAINT") {
        return info("SHARE UPDATE EXCLUSIVE: reads and writes continue during the scan", true);
    }
    if upper.contains("NOT VALID") {
        return info("brief ACCESS EXCLUSIVE or SHARE ROW EXCLUSIVE, no scan", true);
    }
    // One catalog change, no scan or rewrite: a default set or dropped, NOT NULL dropped, a constraint dropped.
    let single = upper.starts_with("ALTER TABLE ")
        && !upper.contains(", ALTER ")
        && !upper.contains(", ADD ")
        && !upper.contains(", DROP ");
    if single
        && (upper.contains(" SET DEFAULT ")
            || upper.ends_with(" DROP DEFAULT")
            || upper.ends_with(" DROP NOT NULL")
            || upper.contains(" DROP CONSTRAINT "))
    {
        return info("ACCESS EXCLUSIVE, brief (catalog only, no scan or rewrite)", true);
    }
    match step {
        Step::CreateTable { .. } | Step::CreateEnum { .. } => info("none on existing tables (new object)", true),
        Step::DropTable { .. } => info(
            "ACCESS EXCLUSIVE, brief, on the table and on the tables linked to it by a foreign key (no scan or rewrite)",
            true,
        ),
        Step::CreateIndex { .. } => info("SHARE: blocks writes for the whole index build", false),
        Step::AddForeignKey { .. } | Step::AlterForeignKey { .. } => {
            info("SHARE ROW EXCLUSIVE on both tables: blocks writes for the validating scan", false)
        }
        Step::AddColumn { .. }
        | Step::RenameColumn { .. }
        | Step::RenameTable { .. }
        | Step::RenameIndex { .. }
        | Step::SetTableComment { .. }
        | Step::DropColumn { .. }
        | Step::DropCheck { .. }
        | Step::DropForeignKey { .. }
        | Step::DropUnique { .. } => info("ACCESS EXCLUSIVE, brief (no scan or rewrite)", true),
        Step::RawSql { .. } => info("unknown (hand-written SQL)", false),
        Step::RenameEnum { .. } => info("ACCESS EXCLUSIVE on the type only, brief; no table is locked", true),
        _ => info("ACCESS EXCLUSIVE: blocks reads and writes while it scans or rewrites the table", false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::define::{add_column, column, create_index, index};
    use crate::schema::ColumnType;

    #[test]
    fn postgres_locks_follow_the_statement_text() {
        let step = create_index("users", index("users_email_idx", &["email"]));
        assert_eq!(
            statement_lock(Dialect::Postgres, &step, r#"CREATE INDEX "users_email_idx" ON "users" ("email")"#),
            info("SHARE: blocks writes for the whole index build", false)
        );
        assert!(
            statement_lock(Dialect::Postgres, &step, r#"CREATE INDEX CONCURRENTLY "i" ON "users" ("email")"#).online
        );
        let add = add_column("users", column("tz", ColumnType::Text).nullable());
        assert_eq!(
            statement_lock(
                Dialect::Mysql,
                &add,
                "ALTER TABLE `users` ADD COLUMN `tz` text, ALGORITHM=INSTANT, LOCK=NONE"
            ),
            info("metadata lock, brief (ALGORITHM=INSTANT, LOCK=NONE)", true)
        );
        assert!(!statement_lock(Dialect::Sqlite, &add, "ALTER TABLE \"users\" ADD COLUMN \"tz\" TEXT").online);
        let drop = crate::step::Step::DropTable { table: crate::schema::Table::new("users") };
        assert_eq!(
            statement_lock(Dialect::Postgres, &drop, r#"DROP TABLE "users""#),
            info(
                "ACCESS EXCLUSIVE, brief, on the table and on the tables linked to it by a foreign key (no scan or \
                 rewrite)",
                true
            )
        );
        assert_eq!(
            statement_lock(Dialect::Mysql, &drop, "DROP TABLE `users`"),
            info("exclusive metadata lock on the table, brief (waits for open transactions on it; no copy)", true)
        );
    }
}
