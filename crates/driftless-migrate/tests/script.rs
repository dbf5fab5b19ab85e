//! `driftless_migrate::script` (what `migrate-sql` and `testing::migration_sql` print): a migration's SQL as the
//! migrator runs it — PostgreSQL's online recipes in their units (outside a transaction or in their own), MySQL's
//! `ALGORITHM=…, LOCK=…` clauses, SQLite's one transaction — with each unit's transaction and each statement's
//! lock; `Migration::online(false)` and the project's `online: false` give the plain statements in the migrator's
//! units; `View::Plain` the plain script. The control: the plain view of the same migration has none of it.

use driftless_core::Dialect;
use driftless_core::migration::prelude::*;
use driftless_migrate::Direction;
use driftless_migrate::script::{View, migration_script};

fn users() -> driftless_core::Table {
    table("users")
        .with_column(column("id", ColumnType::BigInt))
        .with_column(column("email", ColumnType::Varchar(200)).nullable())
        .with_column(column("team_id", ColumnType::BigInt).nullable())
        .primary_key("users_pkey", &["id"])
}

fn teams() -> driftless_core::Table {
    table("teams").with_column(column("id", ColumnType::BigInt)).primary_key("teams_pkey", &["id"])
}

const CREATE: &str = "m20260101T000000_create";
const CHANGE: &str = "m20260102T000000_change";

fn registry(online: Option<bool>) -> Vec<Migration> {
    let email = column("email", ColumnType::Varchar(200)).nullable();
    let required = column("email", ColumnType::Varchar(200));
    let mut change = Migration::new(CHANGE)
        .class(Class::ReviewRequired)
        .up([
            create_index("users", index("users_email_idx", &["email"])),
            add_foreign_key("users", foreign_key("users_team_id_fkey", &["team_id"], "teams", &["id"])),
            backfill("users", &[("email", "'none'")]).when("email IS NULL").batch_size(500),
            alter_column("users", email.clone(), required.clone()),
        ])
        .down([
            alter_column("users", required, email),
            drop_foreign_key("users", foreign_key("users_team_id_fkey", &["team_id"], "teams", &["id"])),
            drop_index("users", index("users_email_idx", &["email"])),
        ]);
    if let Some(online) = online {
        change = change.online(online);
    }
    vec![Migration::new(CREATE).up([create_table(teams()), create_table(users())]), change]
}

fn show(registry: &[Migration], dialect: Dialect, direction: Direction, view: View) -> String {
    migration_script(registry, CHANGE, direction, dialect, view).unwrap()
}

/// PostgreSQL: the online recipes in the units `apply::by_units` runs, each unit with its transaction and each
/// statement with its lock; the backfill a unit of its own.
#[test]
fn postgres_shows_the_online_units_with_their_locks() {
    let shown = show(&registry(None), Dialect::Postgres, Direction::Up, View::AsRun { online: true });
    assert_eq!(shown, PG_ONLINE);
    // The control: the plain view of the same migration, as `--plain` prints it, has none of it.
    let plain = show(&registry(None), Dialect::Postgres, Direction::Up, View::Plain);
    assert_eq!(plain, PG_PLAIN);
    assert!(!plain.contains("CONCURRENTLY") && !plain.contains("NOT VALID") && !plain.contains("-- unit"));
}

/// `--no-online` (the project's setting) and `Migration::online(false)` give the plain statements in the units the
/// migrator then runs (statement by statement: the backfill keeps the migration out of one transaction); a
/// migration's own `.online(true)` wins over the project's setting.
#[test]
fn online_off_by_the_project_or_the_migration_shows_the_plain_statements_as_they_run() {
    let off = show(&registry(None), Dialect::Postgres, Direction::Up, View::AsRun { online: false });
    assert_eq!(off, PG_NOT_ONLINE);
    assert_eq!(show(&registry(Some(false)), Dialect::Postgres, Direction::Up, View::AsRun { online: true }), off);
    let forced = show(&registry(Some(true)), Dialect::Postgres, Direction::Up, View::AsRun { online: false });
    assert_eq!(forced, PG_ONLINE);
    let mysql_off = show(&registry(Some(false)), Dialect::Mysql, Direction::Up, View::AsRun { online: true });
    assert_eq!(mysql_off, MYSQL_NOT_ONLINE);
}

/// MySQL/MariaDB: each `ALTER` with its `ALGORITHM=…, LOCK=…` clause (the foreign key through the online recipe, an
/// explicit table copy where the server must copy), each statement a unit of its own.
#[test]
fn mysql_shows_the_algorithm_clauses() {
    assert_eq!(show(&registry(None), Dialect::Mysql, Direction::Up, View::AsRun { online: true }), MYSQL_ONLINE);
}

/// The way down is never online: PostgreSQL's `down` here runs as one transaction; SQLite's table rebuild shows the
/// foreign-key pragmas the migrator runs around its transaction.
#[test]
fn down_runs_plain_in_the_migrators_units() {
    assert_eq!(show(&registry(None), Dialect::Postgres, Direction::Down, View::AsRun { online: true }), PG_DOWN);
    assert_eq!(show(&registry(None), Dialect::Sqlite, Direction::Down, View::AsRun { online: true }), SQLITE_DOWN);
    let err = migration_script(&registry(None), "m_missing", Direction::Up, Dialect::Sqlite, View::Plain).unwrap_err();
    assert_eq!(
        err.to_string(),
        "while applying migration m_missing: cannot render it for sqlite: it is not in the registry (2 \
         migration(s)); pass a migration's full name"
    );
}

const PG_ONLINE: &str = r#"-- unit 1 of 7: outside a transaction (progress recorded after it)
-- lock: SHARE UPDATE EXCLUSIVE: reads and writes continue (online)
CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_email_idx" ON "users" ("email");
-- unit 2 of 7: in its own transaction, with its progress
-- lock: brief ACCESS EXCLUSIVE or SHARE ROW EXCLUSIVE, no scan (online)
ALTER TABLE "users" ADD CONSTRAINT "users_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "teams" ("id") NOT VALID;
-- unit 3 of 7: outside a transaction (progress recorded after it)
-- lock: SHARE UPDATE EXCLUSIVE: reads and writes continue during the scan (online)
ALTER TABLE "users" VALIDATE CONSTRAINT "users_team_id_fkey";
-- unit 4 of 7: outside a transaction: in batches of 500 rows, each batch its own transaction
-- lock: row locks on one batch of 500 rows at a time, each committed (online)
-- backfill: runs in batches of 500 rows in ("id") order, each committed on its own
UPDATE "users" SET "email" = 'none' WHERE (email IS NULL);
-- unit 5 of 7: in its own transaction, with its progress
-- lock: brief ACCESS EXCLUSIVE or SHARE ROW EXCLUSIVE, no scan (online)
ALTER TABLE "users" ADD CONSTRAINT "users_email_not_null" CHECK ("email" IS NOT NULL) NOT VALID;
-- unit 6 of 7: outside a transaction (progress recorded after it)
-- lock: SHARE UPDATE EXCLUSIVE: reads and writes continue during the scan (online)
ALTER TABLE "users" VALIDATE CONSTRAINT "users_email_not_null";
-- unit 7 of 7: in one transaction, with its progress
-- lock: ACCESS EXCLUSIVE, brief (no scan: the check is validated) (online)
ALTER TABLE "users" ALTER COLUMN "email" SET NOT NULL;
-- lock: ACCESS EXCLUSIVE, brief (catalog only, no scan or rewrite) (online)
ALTER TABLE "users" DROP CONSTRAINT "users_email_not_null";
"#;

const PG_PLAIN: &str = r#"CREATE INDEX "users_email_idx" ON "users" ("email");
ALTER TABLE "users" ADD CONSTRAINT "users_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "teams" ("id");
-- run outside a transaction:
-- backfill: runs in batches of 500 rows in ("id") order, each committed on its own
UPDATE "users" SET "email" = 'none' WHERE (email IS NULL);
ALTER TABLE "users" ALTER COLUMN "email" SET NOT NULL;
"#;

const PG_NOT_ONLINE: &str = r#"-- unit 1 of 4: outside a transaction (progress recorded after it)
-- lock: SHARE: blocks writes for the whole index build (blocking)
CREATE INDEX "users_email_idx" ON "users" ("email");
-- unit 2 of 4: outside a transaction (progress recorded after it)
-- lock: SHARE ROW EXCLUSIVE on both tables: blocks writes for the validating scan (blocking)
ALTER TABLE "users" ADD CONSTRAINT "users_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "teams" ("id");
-- unit 3 of 4: outside a transaction: in batches of 500 rows, each batch its own transaction
-- lock: row locks on one batch of 500 rows at a time, each committed (online)
-- backfill: runs in batches of 500 rows in ("id") order, each committed on its own
UPDATE "users" SET "email" = 'none' WHERE (email IS NULL);
-- unit 4 of 4: outside a transaction (progress recorded after it)
-- lock: ACCESS EXCLUSIVE: blocks reads and writes while it scans or rewrites the table (blocking)
ALTER TABLE "users" ALTER COLUMN "email" SET NOT NULL;
"#;

const MYSQL_ONLINE: &str = r#"-- unit 1 of 4: on its own (MySQL commits each DDL statement; progress recorded after it)
-- lock: metadata lock, brief at start and end; no table rebuild (ALGORITHM=NOCOPY, LOCK=NONE) (online)
CREATE INDEX `users_email_idx` ON `users` (`email`) ALGORITHM=NOCOPY LOCK=NONE;
-- unit 2 of 4: on its own (MySQL commits each DDL statement; progress recorded after it)
-- lock: metadata lock, brief at start and end; no table copy, no row check (foreign_key_checks=0 between two orphan probes; ALGORITHM=INPLACE, LOCK=NONE) (online)
ALTER TABLE `users` ADD CONSTRAINT `users_team_id_fkey` FOREIGN KEY (`team_id`) REFERENCES `teams` (`id`), ALGORITHM=INPLACE, LOCK=NONE;
-- unit 3 of 4: outside a transaction: in batches of 500 rows, each batch its own transaction
-- lock: row locks on one batch of 500 rows at a time, each committed (online)
-- backfill: runs in batches of 500 rows in (`id`) order, each committed on its own
UPDATE `users` SET `email` = 'none' WHERE (email IS NULL);
-- unit 4 of 4: on its own (MySQL commits each DDL statement; progress recorded after it)
-- lock: metadata lock, brief at start and end; the table is rebuilt while writes go on (ALGORITHM=INPLACE, LOCK=NONE) (online)
ALTER TABLE `users` MODIFY COLUMN `email` VARCHAR(200) NOT NULL, ALGORITHM=INPLACE, LOCK=NONE;
"#;

const MYSQL_NOT_ONLINE: &str = r#"-- unit 1 of 4: on its own (MySQL commits each DDL statement; progress recorded after it)
-- lock: metadata lock; the server chooses in-place or a table copy (no ALGORITHM/LOCK clause) (blocking)
CREATE INDEX `users_email_idx` ON `users` (`email`);
-- unit 2 of 4: on its own (MySQL commits each DDL statement; progress recorded after it)
-- lock: metadata lock; the server chooses in-place or a table copy (no ALGORITHM/LOCK clause) (blocking)
ALTER TABLE `users` ADD CONSTRAINT `users_team_id_fkey` FOREIGN KEY (`team_id`) REFERENCES `teams` (`id`);
-- unit 3 of 4: outside a transaction: in batches of 500 rows, each batch its own transaction
-- lock: row locks on one batch of 500 rows at a time, each committed (online)
-- backfill: runs in batches of 500 rows in (`id`) order, each committed on its own
UPDATE `users` SET `email` = 'none' WHERE (email IS NULL);
-- unit 4 of 4: on its own (MySQL commits each DDL statement; progress recorded after it)
-- lock: metadata lock; the server chooses in-place or a table copy (no ALGORITHM/LOCK clause) (blocking)
ALTER TABLE `users` MODIFY COLUMN `email` VARCHAR(200) NOT NULL;
"#;

const PG_DOWN: &str = r#"-- unit 1 of 1: in one transaction, with the tracking-table row
-- lock: ACCESS EXCLUSIVE, brief (catalog only, no scan or rewrite) (online)
ALTER TABLE "users" ALTER COLUMN "email" DROP NOT NULL;
-- lock: ACCESS EXCLUSIVE, brief (catalog only, no scan or rewrite) (online)
ALTER TABLE "users" DROP CONSTRAINT "users_team_id_fkey";
-- lock: ACCESS EXCLUSIVE: blocks reads and writes while it scans or rewrites the table (blocking)
DROP INDEX "users_email_idx";
"#;

const SQLITE_DOWN: &str = r#"-- before the first unit, outside a transaction:
PRAGMA foreign_keys = OFF;
-- unit 1 of 1: in one transaction, with the tracking-table row
-- lock: database write lock (SQLite has one writer): writers wait until commit (blocking)
CREATE TABLE "__new_users" ( "id" BIGINT NOT NULL, "email" VARCHAR(200), "team_id" BIGINT, CONSTRAINT "users_pkey" PRIMARY KEY ("id") );
-- lock: database write lock (SQLite has one writer): writers wait until commit (blocking)
INSERT INTO "__new_users" ("id", "email", "team_id") SELECT "id", "email", "team_id" FROM "users";
-- lock: database write lock (SQLite has one writer): writers wait until commit (blocking)
DROP TABLE "users";
-- lock: database write lock (SQLite has one writer): writers wait until commit (blocking)
ALTER TABLE "__new_users" RENAME TO "users";
-- before the commit; must return no rows:
PRAGMA foreign_key_check;
-- after the transaction:
PRAGMA foreign_keys = ON;
"#;
