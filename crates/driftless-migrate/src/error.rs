//! Every way a migrator operation can fail or refuse, as one `#[non_exhaustive]` enum whose messages say what
//! happened, to which migration, and what to do next.

use std::time::Duration;

use driftless_core::Dialect;
use driftless_core::migration::Class;

use crate::outcome::{Direction, short};

/// Why an operation failed or refused. A refusal (every variant except [`Error::Connect`], [`Error::Unreachable`],
/// [`Error::Database`], [`Error::Statement`] and [`Error::ForeignKeyViolation`]) is decided before anything runs and
/// changes nothing. Every message hides passwords, and says the driver's error itself rather than through
/// `source()`, so that printing the error with its chain does not repeat it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database URL's scheme is not one driftless supports.
    #[error(
        "unsupported database url `{url}`: expected one starting with sqlite:, postgres:, postgresql:, mysql: or \
         mariadb:; check DATABASE_URL"
    )]
    UnsupportedUrl {
        /// The URL, with any password hidden.
        url: String,
    },

    /// The URL names a database whose sqlx driver was left out of the build.
    #[error(
        "cannot open `{url}`: driftless was built without the `{feature}` driver; enable the `{feature}` feature \
         of driftless-migrate (or of driftless / driftless-cli, which pass it on)"
    )]
    DriverNotEnabled {
        /// The URL, with any password hidden.
        url: String,
        /// The feature that would compile the driver (`sqlite`, `postgres` or `mysql`).
        feature: &'static str,
    },

    /// Connecting failed.
    #[error("could not connect to {url}: {}; check DATABASE_URL and that the database is running", describe(cause))]
    Connect {
        /// The URL, with any password hidden.
        url: String,
        /// The driver's error. Not the error's `source()`: the message already says it, and a chain printer
        /// (anyhow's `{:#}`) would print it again.
        cause: sqlx::Error,
    },

    /// A query of the migrator's own (the tracking table, the lock, a transaction) failed.
    #[error("database error while {context}: {}", describe(cause))]
    Database {
        /// What the migrator was doing.
        context: String,
        /// The driver's error (in the message, so not the error's `source()`).
        cause: sqlx::Error,
    },

    /// The configured tracking table name cannot be used.
    #[error(
        "invalid tracking table name `{name}`: use letters, digits and underscores, optionally qualified as \
         `schema.table`, at most 64 characters each"
    )]
    InvalidTableName {
        /// The configured name.
        name: String,
    },

    /// Another migrator held the lock for longer than the lock timeout.
    #[error(
        "timed out after {} ms waiting for the migration lock ({lock}): another migrator is running against this \
         database; wait for it to finish and run again, or raise the lock timeout",
        waited.as_millis()
    )]
    LockTimeout {
        /// Which lock: the advisory lock key, the `GET_LOCK` name, or the lock file.
        lock: String,
        /// How long the migrator waited.
        waited: Duration,
    },

    /// The registry lists a migration twice.
    #[error("the migration registry lists {name} twice; remove the duplicate entry from the registry")]
    DuplicateMigration {
        /// The migration.
        name: String,
    },

    /// A migration did not finish on an earlier run and the database may be partly migrated.
    #[error(
        "{}; fix the database by hand, then run `cargo xtask migrate-resolve --applied {name}` if the migration is \
         now completely {}, or `cargo xtask migrate-resolve --rolled-back {name}` if it is completely {}",
        dirty_what(name, *direction, *statements_done, *statements_total, failed_statement.as_deref()),
        if *direction == Direction::Up { "applied" } else { "still applied" },
        if *direction == Direction::Up { "undone" } else { "reverted" }
    )]
    Dirty {
        /// The migration.
        name: String,
        /// The direction it was running in.
        direction: Direction,
        /// Statements that completed.
        statements_done: i64,
        /// Statements it has in that direction.
        statements_total: i64,
        /// The statement that failed, if the migrator saw it fail (rather than stop).
        failed_statement: Option<String>,
    },

    /// An applied migration is not in the registry.
    #[error(
        "migration {name} is applied in the database but missing from the registry; restore it from version \
         control (was it deleted or renamed?), or run `cargo xtask migrate-status` to see every difference"
    )]
    MissingMigration {
        /// The migration.
        name: String,
    },

    /// An applied migration was edited afterwards.
    #[error(
        "migration {name} was edited after it was applied (checksum {} recorded, {} now); revert the edit and put \
         the change in a new migration (`cargo xtask migrate-generate`), or, if the edit changes nothing in the \
         database, set dangerous_ignore_checksums",
        short(recorded),
        short(current)
    )]
    ChecksumMismatch {
        /// The migration.
        name: String,
        /// The checksum in the tracking table.
        recorded: String,
        /// The checksum of the migration as it is now.
        current: String,
    },

    /// A pending migration sorts before the last applied one.
    #[error(
        "pending migration {name} is older than the last applied migration {last_applied} (merged from another \
         branch?); regenerate it on top of {last_applied}, or allow out-of-order migrations (allow_out_of_order)"
    )]
    OutOfOrder {
        /// The pending migration.
        name: String,
        /// The last applied migration.
        last_applied: String,
    },

    /// A migration about to run is dangerous on the database's dialect, judged from its steps, and has no
    /// acknowledgement with visible text.
    #[error(
        "refusing to run migration {name} ({file}): it is dangerous on {dialect} ({why}) and has no \
         acknowledgement; review it, then fill in the `.acknowledged(\"\", \"\")` in {file} with who reviewed it \
         and why the data loss is fine (add the call if the file has none)",
        dialect = dialect.name(),
        why = why_dangerous(codes)
    )]
    Unacknowledged {
        /// The migration.
        name: String,
        /// The migration's file (`<migrations folder>/<name>.rs`), or its name when the folder is unknown.
        file: String,
        /// The database's dialect.
        dialect: Dialect,
        /// The codes of the dangerous steps.
        codes: Vec<String>,
    },

    /// A migration's `.class(...)` label disagrees with the class of its steps.
    #[error(
        "refusing to run migration {name} ({file}): it is labelled `Class::{declared_label}`, but its steps are \
         {computed}; the migrator judges the steps, not the label. Regenerate the migration, or correct the label to \
         `Class::{computed_label}`{ack}",
        declared_label = class_label(*declared),
        computed_label = class_label(*computed),
        ack = if *computed == Class::Dangerous { " and have a reviewer fill in its acknowledgement" } else { "" }
    )]
    LabelDisagrees {
        /// The migration.
        name: String,
        /// The migration's file, or its name when the folder is unknown.
        file: String,
        /// The label in the file.
        declared: Class,
        /// The computed class (worst over all dialects).
        computed: Class,
    },

    /// A migration about to run cannot be judged, because the schema before it cannot be replayed.
    #[error("refusing to run migration {name}: {reason}")]
    Unjudged {
        /// The migration.
        name: String,
        /// Why.
        reason: String,
    },

    /// A data-losing operation was asked for in production without `force_production`.
    #[error(
        "refusing to run {command} in production ({env_var}=production): it would revert {}; pass \
         --force-production if you really mean to",
        list(migrations)
    )]
    Production {
        /// The command (`migrate-down`, `migrate-to`, `migrate-reset`).
        command: &'static str,
        /// The environment variable that said `production`.
        env_var: String,
        /// The migrations it would revert, newest first.
        migrations: Vec<String>,
    },

    /// `reset` without `force`.
    #[error(
        "migrate-reset reverts every applied migration ({count}) and loses the data they hold; pass --force to \
         confirm"
    )]
    ResetNotForced {
        /// How many migrations are applied.
        count: usize,
    },

    /// A named migration is not in the registry.
    #[error("unknown migration {name}: it is not in the registry; run `cargo xtask migrate-status` to list them")]
    UnknownMigration {
        /// The name given.
        name: String,
    },

    /// `resolve_applied` on a migration that is cleanly applied already.
    #[error("migration {name} is already applied; there is nothing to resolve")]
    AlreadyApplied {
        /// The migration.
        name: String,
    },

    /// `resolve_rolled_back` on a migration that is not dirty.
    #[error(
        "migration {name} is not marked dirty, so there is nothing to resolve; use `cargo xtask migrate-down` to \
         revert an applied migration"
    )]
    NotDirty {
        /// The migration.
        name: String,
    },

    /// A migration has no `down` (an irreversible step).
    #[error("cannot revert migration {name}: {reason}; restore from a backup, or write a new migration instead")]
    Irreversible {
        /// The migration.
        name: String,
        /// Why it cannot be undone.
        reason: String,
    },

    /// A migration's steps could not be turned into SQL for this database.
    #[error("while {} migration {name}: cannot render it for {dialect}: {reason}", direction.verb())]
    Render {
        /// The migration.
        name: String,
        /// The direction.
        direction: Direction,
        /// The dialect.
        dialect: Dialect,
        /// Why.
        reason: String,
    },

    /// A statement of a migration failed.
    #[error(
        "while {} migration {name}: statement {} of {total} failed: {}\n    {}\n{}",
        direction.verb(),
        index + 1,
        describe(cause),
        one_line(statement),
        aftermath(name, *direction, *index, *partial, *resumable)
    )]
    Statement {
        /// The migration.
        name: String,
        /// The direction.
        direction: Direction,
        /// The failed statement's index (0-based).
        index: usize,
        /// How many statements the migration has.
        total: usize,
        /// The failed statement.
        statement: String,
        /// Whether earlier statements stayed applied (MySQL/MariaDB, or a non-transactional migration): the
        /// migration is then marked dirty.
        partial: bool,
        /// Whether the next run resumes at this statement (MySQL: it left nothing, and the statements before it
        /// are recorded; see `resume.rs`) instead of refusing the dirty migration.
        resumable: bool,
        /// The database's error (in the message, so not the error's `source()`).
        cause: sqlx::Error,
    },

    /// SQLite: a migration that ran with foreign keys off left rows pointing at missing parents.
    #[error(
        "while {} migration {name}: PRAGMA foreign_key_check found rows in {} that reference missing rows; the \
         migration was rolled back and the database is unchanged; fix the data (or the migration) and run again",
        direction.verb(),
        list(tables)
    )]
    ForeignKeyViolation {
        /// The migration.
        name: String,
        /// The direction.
        direction: Direction,
        /// The tables holding violating rows.
        tables: Vec<String>,
    },

    /// The database server did not accept a connection (refused, or no answer within the connect timeout).
    #[error("could not connect to {url}: {reason}; check DATABASE_URL and that the database is running")]
    Unreachable {
        /// The URL, with any password hidden.
        url: String,
        /// What happened: `connection refused at host:port`, or no answer within the timeout.
        reason: String,
    },

    /// Two applied migrations were recorded in an order that disagrees with the registry.
    #[error(
        "migration {later} was applied before {earlier}, but the registry lists {earlier} first (was the registry \
         reordered after they were applied?); put {earlier} back after {later} in the registry, or, if {earlier} \
         was applied out of order on purpose, run with --allow-out-of-order (allow_out_of_order)"
    )]
    AppliedOutOfOrder {
        /// The migration the registry lists first but that was applied second.
        earlier: String,
        /// The migration the registry lists second but that was applied first.
        later: String,
    },

    /// A data probe found rows on which a step of the migration would fail (`driftless_core::render::probe`).
    /// Decided just before the migration runs, so none of its statements has run; migrations before it in the
    /// same batch stay applied (each is probed on the data its predecessors left).
    #[error(
        "refusing to {} migration {name}: step {} ({} on {}) would fail on existing data: {} {} (examples, {}: {}); \
         {}. Nothing of {name} has run",
        if *direction == Direction::Up { "apply" } else { "revert" },
        found.step + 1,
        found.step_kind,
        found.table,
        found.count,
        found.finds,
        found.example_columns.join(", "),
        found.examples.join("; "),
        found.advice,
    )]
    DataProbe {
        /// The migration.
        name: String,
        /// The direction.
        direction: Direction,
        /// What the probe found.
        found: Box<ProbeFinding>,
    },
    /// A statement of an online PostgreSQL migration failed; the units before it stay applied and the next run
    /// resumes at the failed unit (see `Migrator::online`).
    #[error(
        "while applying migration {name} online: statement {} of {total} failed: {}\n    {}\n{}; the statements \
         before it stayed applied and are recorded, so the next run resumes at this statement (an INVALID index left \
         by an interrupted concurrent build is dropped and built again); fix the cause and run the migrator again",
        index + 1,
        describe(cause),
        one_line(statement),
        hint
    )]
    OnlineStatement {
        /// The migration.
        name: String,
        /// The failed statement's index (0-based).
        index: usize,
        /// How many statements the online plan has.
        total: usize,
        /// The failed statement.
        statement: String,
        /// What to look at: the lock timeout given up on, or the statement's own failure.
        hint: String,
        /// The database's error.
        cause: Box<sqlx::Error>,
    },
    /// The PostgreSQL URL's `schema=` parameter names a schema the database does not have.
    #[error(
        "the schema `{schema}` named by `schema=` in {url} does not exist in that database; create it (CREATE \
         SCHEMA) or fix the URL"
    )]
    UnknownSchema {
        /// The URL, with any password hidden.
        url: String,
        /// The schema the URL names.
        schema: String,
    },
    /// A backfill failed part-way (or was interrupted): its committed batches stay, and its last key is recorded.
    #[error(
        "while {} migration {name}: the backfill of `{}` (statement {} of {}) failed after {} batch(es) of this run \
         ({} rows): {}\n    {}\n{}",
        direction.verb(),
        failure.table,
        failure.index + 1,
        failure.total,
        failure.batches,
        failure.rows,
        describe(&failure.cause),
        one_line(&failure.statement),
        backfill_aftermath(name, *direction, failure.last_key.as_deref())
    )]
    Backfill {
        /// The migration.
        name: String,
        /// The direction.
        direction: Direction,
        /// Where it stopped and why.
        failure: Box<BackfillFailure>,
    },
    /// A statement of an online MySQL/MariaDB migration failed: the server refused every online algorithm for it
    /// (errors 1845/1846), or it kept waiting for its metadata lock (see `Migrator::online`).
    #[error(
        "while applying migration {name} online: statement {} of {total} failed: {}\n    {}\n{problem}",
        index + 1,
        describe(cause),
        one_line(statement)
    )]
    MysqlOnline {
        /// The migration.
        name: String,
        /// The failed statement's index (0-based).
        index: usize,
        /// How many statements the migration has.
        total: usize,
        /// The failed statement, as last tried.
        statement: String,
        /// What happened, what state the database is in, and what to do.
        problem: String,
        /// The database's error.
        cause: Box<sqlx::Error>,
    },
    /// A foreign key added online on MySQL/MariaDB (with `foreign_key_checks=0`, which checks no existing row) met
    /// rows without a parent: found by the probe just before it (it did not run), or written while it ran (it was
    /// dropped again). Either way nothing of that statement is left; the statements before it stay applied and are
    /// recorded, and the next run resumes at it.
    #[error("{}", fk_orphans(name, *index, *total, *after, found))]
    MysqlForeignKeyOrphans {
        /// The migration.
        name: String,
        /// The statement's index (0-based).
        index: usize,
        /// How many statements the migration has.
        total: usize,
        /// Whether the orphans were found after the foreign key was added (and it was dropped again).
        after: bool,
        /// What the probe found.
        found: Box<ProbeFinding>,
    },
    /// A run that applies found a migration whose revert stopped in its backfill: the next `migrate-down` resumes
    /// that revert (`resume.rs`), so it is not a dirty row to repair by hand.
    #[error(
        "migration {name} did not finish reverting on an earlier run: it stopped at statement {} of \
         {statements_total}, in its backfill, whose progress is recorded; run `cargo xtask migrate-down` to resume \
         the revert (or `migrate-resolve` once it is fixed by hand) before applying",
        statements_done + 1
    )]
    RevertToResume {
        /// The migration.
        name: String,
        /// Statements of the revert that completed.
        statements_done: i64,
        /// Statements the revert has.
        statements_total: i64,
    },
}

/// The message of [`Error::MysqlForeignKeyOrphans`].
fn fk_orphans(name: &str, index: usize, total: usize, after: bool, found: &ProbeFinding) -> String {
    let statement = format!(
        "statement {} of {total} (step {}, {} on {}: added online with foreign_key_checks=0, which checks no \
         existing row)",
        index + 1,
        found.step + 1,
        found.step_kind,
        found.table
    );
    let rows = format!(
        "{} {} (examples, {}: {})",
        found.count,
        found.finds,
        found.example_columns.join(", "),
        found.examples.join("; ")
    );
    let state = match index {
        0 => format!("Nothing of {name} has run; it is still pending"),
        1 => format!("Statement 1 ran and is recorded; the next run of {name} resumes at statement 2"),
        n => format!("Statements 1 to {n} ran and are recorded; the next run of {name} resumes at statement {}", n + 1),
    };
    if after {
        format!(
            "while applying migration {name}: {statement} was undone: {rows} were written while it was being \
             added; the foreign key was dropped again (with the index it created), so nothing of the statement is \
             left; {}. {state}",
            found.advice
        )
    } else {
        format!("refusing to run {statement} of migration {name}: {rows}; {}. {state}", found.advice)
    }
}

/// Where a backfill stopped, for [`Error::Backfill`].
#[derive(Debug)]
#[non_exhaustive]
pub struct BackfillFailure {
    /// The table.
    pub table: String,
    /// The backfill's statement index in the migration's plan (0-based).
    pub index: usize,
    /// How many statements the plan has.
    pub total: usize,
    /// Batches this run committed.
    pub batches: u64,
    /// Rows this run changed.
    pub rows: u64,
    /// The last key recorded (as the tracking table holds it), if a batch ever committed.
    pub last_key: Option<String>,
    /// The statement that failed.
    pub statement: String,
    /// The database's error (in the message, not `source()`).
    pub cause: sqlx::Error,
}

fn backfill_aftermath(name: &str, direction: Direction, last_key: Option<&str>) -> String {
    let done = match last_key {
        Some(key) => format!("the rows up to key {key} are done and that key is recorded"),
        None => "no batch had committed".to_owned(),
    };
    match direction {
        Direction::Up => format!(
            "each batch commits on its own: {done}, so the next run resumes there without redoing a batch; fix the \
             cause and run the migrator again"
        ),
        Direction::Down => format!(
            "each batch commits on its own: {done}, so the next revert of {name} resumes there without redoing a \
             batch; fix the cause and revert again"
        ),
    }
}

/// What a data probe found, for [`Error::DataProbe`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeFinding {
    /// The step's index (from 0).
    pub step: usize,
    /// The step's kind.
    pub step_kind: &'static str,
    /// The table the probe read.
    pub table: String,
    /// What it counted (`rows where tz is NULL`).
    pub finds: String,
    /// How many.
    pub count: i64,
    /// What each example is made of (`id`).
    pub example_columns: Vec<String>,
    /// Up to five examples, each its columns joined with `, `.
    pub examples: Vec<String>,
    /// Why the step fails on them and what to do.
    pub advice: String,
}

impl Error {
    pub(crate) fn db(context: impl Into<String>) -> impl FnOnce(sqlx::Error) -> Error {
        let context = context.into();
        move |cause| Error::Database { context, cause }
    }
}

/// Why a migration is dangerous, from its dangerous steps' codes.
fn why_dangerous(codes: &[String]) -> String {
    if codes.iter().all(|c| c == "declared_dangerous") {
        "declared dangerous in its file".to_owned()
    } else {
        let codes: Vec<&str> = codes.iter().map(String::as_str).filter(|c| *c != "declared_dangerous").collect();
        format!("{}: it loses data", codes.join(", "))
    }
}

/// `Safe`, `ReviewRequired` or `Dangerous`: the variant as a migration file spells it.
fn class_label(class: Class) -> &'static str {
    match class {
        Class::Safe => "Safe",
        Class::ReviewRequired => "ReviewRequired",
        Class::Dangerous => "Dangerous",
    }
}

/// A driver error as one line, password-free: a database's own message with PostgreSQL's DETAIL and HINT (the
/// duplicate key, say), without sqlx's `at line N` (a line of the server's C source) or its `error returned from
/// database:` prefix.
pub(crate) fn describe(error: &sqlx::Error) -> String {
    let text = match error {
        #[cfg(feature = "postgres")]
        sqlx::Error::Database(db) => match db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
            Some(pg) => {
                let mut text = pg.message().to_owned();
                if let Some(detail) = pg.detail() {
                    text.push_str(&format!(" (DETAIL: {detail})"));
                }
                if let Some(hint) = pg.hint() {
                    text.push_str(&format!(" (HINT: {hint})"));
                }
                text
            }
            None => db.to_string(),
        },
        other => other.to_string(),
    };
    crate::redact::redact(&text)
}

fn list(names: &[String]) -> String {
    if names.is_empty() { "nothing".to_owned() } else { names.join(", ") }
}

/// A statement on one line, cut to a readable length.
pub(crate) fn one_line(sql: &str) -> String {
    let flat: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 200 { format!("{}...", flat.chars().take(200).collect::<String>()) } else { flat }
}

fn dirty_what(name: &str, direction: Direction, done: i64, total: i64, failed: Option<&str>) -> String {
    match failed {
        Some(stmt) if crate::expand_contract::is_contract_marker(stmt) => format!(
            "migration {name} is expanded (online expand/contract, statements 1 to {done} of {total}) and waits for \
             its contract: run `migrate` to run the contract, or `migrate-down` to undo the expand (PostgreSQL)"
        ),
        Some(stmt) => format!(
            "migration {name} did not finish {} on an earlier run: statement {} of {total} failed ({}) and the \
             statements before it stayed applied, so the database is partly migrated",
            direction.verb(),
            done + 1,
            one_line(stmt)
        ),
        // The row says statement `done + 1` started before it ran, and each statement finished after it did.
        None if done < total => format!(
            "migration {name} did not finish {} on an earlier run: the migrator was killed or crashed after starting \
             statement {} of {total}, which may or may not have run; {}, so the database may be partly migrated",
            direction.verb(),
            done + 1,
            finished(done)
        ),
        None => format!(
            "migration {name} did not finish {} on an earlier run: all {total} statements finished, but the migrator \
             was killed or crashed before recording the migration as complete",
            direction.verb()
        ),
    }
}

fn finished(done: i64) -> String {
    match done {
        ..=0 => "no statement before it finished".to_owned(),
        1 => "statement 1 finished".to_owned(),
        n => format!("statements 1 to {n} finished"),
    }
}

fn aftermath(name: &str, direction: Direction, index: usize, partial: bool, resumable: bool) -> String {
    if partial {
        let kept = match index {
            0 => "no statement before it had run".to_owned(),
            1 => "statement 1 stayed applied".to_owned(),
            n => format!("statements 1 to {n} stayed applied"),
        };
        if resumable {
            return format!(
                "{kept} and {} recorded; the failed statement left nothing (MySQL runs each DDL statement \
                 atomically), so {name} is marked dirty at it and the next run resumes there: fix the cause and run \
                 the migrator again",
                if index == 1 { "is" } else { "are" }
            );
        }
        let (done, undone) =
            if direction == Direction::Up { ("applied", "undone") } else { ("still applied", "reverted") };
        format!(
            "the migration could not run in one transaction ({kept}), so {name} is marked dirty and the migrator \
             refuses to run until it is resolved: fix the database by hand, then run `cargo xtask migrate-resolve \
             --applied {name}` if the migration is now completely {done}, or `cargo xtask migrate-resolve \
             --rolled-back {name}` if it is completely {undone}"
        )
    } else {
        format!("the migration was rolled back and the database is unchanged; fix {name} and run again")
    }
}
