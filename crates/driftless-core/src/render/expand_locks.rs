//! The locks of the statements of a PostgreSQL expand/contract plan (`driftless-migrate`'s `expand_contract.rs`,
//! the online form of a rewriting type change on an existing table), read from their text as `locks.rs` does. Every
//! statement of the plan names the shadow column (`…__driftless_new`), or is the old column's `DROP COLUMN`, the
//! backfill, or the contract marker; a plain `ALTER COLUMN … TYPE` is none of these and keeps its rewrite lock.

use super::locks::LockInfo;

fn info(lock: &str) -> Option<LockInfo> {
    Some(LockInfo { lock: lock.to_owned(), online: true })
}

/// The lock of `upper` (a statement in upper case, from an `AlterColumn` step's plan), when it is one of the
/// expand/contract statements.
pub(crate) fn expand_contract_lock(upper: &str) -> Option<LockInfo> {
    if upper.starts_with("-- DRIFTLESS: THE CONTRACT PHASE") {
        return info("none: the migrator stops here after the expand; the next `migrate` runs the contract");
    }
    if upper.starts_with("-- BACKFILL") {
        return info("row locks on one batch at a time, each committed");
    }
    let shadow = upper.contains("__DRIFTLESS_NEW");
    let alter = upper.starts_with("ALTER TABLE ");
    let old_column_dropped = alter && upper.contains(" DROP COLUMN ");
    if !(shadow || old_column_dropped) {
        return None;
    }
    if upper.starts_with("CREATE OR REPLACE FUNCTION") || upper.starts_with("DROP FUNCTION") {
        return info("none on the table (a trigger function)");
    }
    if upper.starts_with("COMMENT ON COLUMN") {
        return info("SHARE UPDATE EXCLUSIVE, brief (catalog only)");
    }
    if upper.starts_with("CREATE TRIGGER") {
        return info("SHARE ROW EXCLUSIVE, brief (blocks writes while the trigger is created, no scan)");
    }
    if upper.starts_with("SELECT SETVAL") || upper.starts_with("DO $$") {
        return info("none on the table (the identity's sequence)");
    }
    if upper.starts_with("DROP TRIGGER") || upper.starts_with("ALTER INDEX") || alter {
        return info("ACCESS EXCLUSIVE, brief (catalog only, no scan or rewrite)");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_type_change_is_not_one_of_them() {
        assert_eq!(expand_contract_lock(r#"ALTER TABLE "ORDERS" ALTER COLUMN "ID" TYPE BIGINT"#), None);
        let add = expand_contract_lock(r#"ALTER TABLE "ORDERS" ADD COLUMN "ID__DRIFTLESS_NEW" BIGINT"#).unwrap();
        assert_eq!(add.lock, "ACCESS EXCLUSIVE, brief (catalog only, no scan or rewrite)");
        assert!(expand_contract_lock(r#"CREATE TRIGGER "T__DRIFTLESS_NEW" BEFORE INSERT"#).unwrap().online);
        let comment = expand_contract_lock(r#"COMMENT ON COLUMN "T"."C__DRIFTLESS_NEW" IS 'X'"#).unwrap();
        assert_eq!(comment.lock, "SHARE UPDATE EXCLUSIVE, brief (catalog only)");
    }
}
