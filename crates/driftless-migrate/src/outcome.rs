//! What the migrator's operations return: the rows of the tracking table ([`AppliedMigration`]), the outcome of a
//! run ([`Report`], ending in a one-line [`Report::summary`]) and the state of a database ([`Status`], with its
//! [`Problem`]s).

use std::fmt;
use std::time::Duration;

use driftless_core::migration::Class;

/// Which way a migration runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Applying: the migration's `up` steps.
    Up,
    /// Reverting: the migration's `down` steps.
    Down,
}

impl Direction {
    /// `up` or `down`, as stored in the tracking table's `dirty` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Direction> {
        match s {
            "up" => Some(Direction::Up),
            "down" => Some(Direction::Down),
            _ => None,
        }
    }

    /// `applying` or `reverting`, for messages.
    pub fn verb(self) -> &'static str {
        match self {
            Direction::Up => "applying",
            Direction::Down => "reverting",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The operation a [`Report`] describes, named like its command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// `migrate`: every pending migration, as one batch.
    Migrate,
    /// `migrate-up`: the next pending migration.
    Up,
    /// `migrate-down`: the last batch.
    Down,
    /// `migrate-to NAME`: up or down to a named migration.
    To,
    /// `migrate-reset --force`: every applied migration, newest first.
    Reset,
    /// `migrate-resolve --applied NAME`: record a migration as applied without running it.
    ResolveApplied,
    /// `migrate-resolve --rolled-back NAME`: forget a dirty migration that was undone by hand.
    ResolveRolledBack,
}

impl Operation {
    /// The command's name (`migrate`, `migrate-down`, ...).
    pub fn command(self) -> &'static str {
        match self {
            Operation::Migrate => "migrate",
            Operation::Up => "migrate-up",
            Operation::Down => "migrate-down",
            Operation::To => "migrate-to",
            Operation::Reset => "migrate-reset",
            Operation::ResolveApplied => "migrate-resolve --applied",
            Operation::ResolveRolledBack => "migrate-resolve --rolled-back",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.command())
    }
}

/// One row of the tracking table: a migration that is applied (or, when `dirty`, part-way through).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppliedMigration {
    /// The row's id; rows are in the order they were recorded.
    pub id: i64,
    /// The migration's name.
    pub name: String,
    /// The batch it was applied in (`migrate-down` reverts the highest batch).
    pub batch: i64,
    /// The checksum of the migration's steps when it was applied.
    pub checksum: String,
    /// The migration's class when it was applied (`safe`, `review_required`, `dangerous`).
    pub class: String,
    /// When it was applied, UTC, RFC 3339 (`2026-11-22T03:00:00.123Z`).
    pub applied_at: String,
    /// How long its statements took, in milliseconds.
    pub duration_ms: i64,
    /// `Some` when a run in that direction did not finish: the database may be partly migrated.
    pub dirty: Option<Direction>,
    /// Statements completed by the last run (for migrations that cannot run in one transaction).
    pub statements_done: i64,
    /// Statements the migration has in the direction it last ran.
    pub statements_total: i64,
    /// The statement that failed, when one did.
    pub failed_statement: Option<String>,
}

impl AppliedMigration {
    /// The recorded class, if it is one driftless knows.
    pub fn class(&self) -> Option<Class> {
        Class::parse(&self.class)
    }
}

/// One migration a run applied or reverted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Step {
    /// The migration's name.
    pub name: String,
    /// Which way it ran.
    pub direction: Direction,
    /// Its class.
    pub class: Class,
    /// How long it took.
    pub duration: Duration,
    /// MySQL/MariaDB online: the algorithm each `ALTER` ran with, in statement order (empty elsewhere).
    pub algorithms: Vec<AlgorithmUsed>,
}

/// The algorithm the server ran one MySQL/MariaDB statement with (online mode; see `driftless_core::render::mysql_online`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AlgorithmUsed {
    /// The statement's index in the migration (from 0).
    pub statement: usize,
    /// The statement as it ran (with the algorithm that worked).
    pub sql: String,
    /// The algorithm it ran with. A shadow-table copy (`shadow_table`) reports `COPY`: the rows were copied, but
    /// by driftless in key-ordered chunks while writers went on, not by the server under a shared lock.
    pub algorithm: driftless_core::classify::MysqlAlgorithm,
    /// The algorithms the server refused first (errors 1845/1846), in the order tried.
    pub refused: Vec<driftless_core::classify::MysqlAlgorithm>,
    /// The change ran through the shadow-table recipe (`driftless_core::render::mysql_shadow`): a copy kept in sync
    /// by triggers, swapped in by one atomic `RENAME TABLE`, instead of an `ALTER` of the table itself.
    pub shadow_table: bool,
}

impl fmt::Display for AlgorithmUsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.shadow_table {
            return write!(
                f,
                "statement {}: shadow-table copy (rows copied in key order while triggers mirror writes, then one \
                 atomic RENAME TABLE; writers never wait for a rebuild)",
                self.statement + 1
            );
        }
        let lock = if self.algorithm.is_online() { "LOCK=NONE" } else { "LOCK=SHARED, a table copy" };
        write!(f, "statement {}: ALGORITHM={}, {lock}", self.statement + 1, self.algorithm)?;
        if !self.refused.is_empty() {
            let refused: Vec<&str> = self.refused.iter().map(|a| a.as_str()).collect();
            write!(f, " (the server refused {})", refused.join(", "))?;
        }
        Ok(())
    }
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// The operation.
    pub operation: Operation,
    /// The migrations applied or reverted, in the order they ran.
    pub steps: Vec<Step>,
    /// The batch the applied migrations were recorded in, if any were applied.
    pub batch: Option<i64>,
    /// Migrations recorded without running (`migrate-resolve`).
    pub resolved: Vec<String>,
    /// Warnings logged during the run (for example an ignored checksum mismatch).
    pub warnings: Vec<String>,
    /// Applied migrations after the run.
    pub applied_after: usize,
    /// Pending migrations after the run.
    pub pending_after: usize,
    /// Wall-clock time of the whole run, lock included.
    pub elapsed: Duration,
    /// An expand/contract migration whose expand this run applied and whose contract waits for the next run
    /// (`expand_contract.rs`); the run stopped there.
    pub contract_pending: Option<String>,
    /// When the contract is a later migration of its own (`contract_file.rs`): the migration whose expand this run
    /// applied (recorded applied); [`Report::contract_pending`] then names the contract migration.
    pub expanded: Option<String>,
}

impl Report {
    /// The names of the migrations applied by this run.
    pub fn applied(&self) -> Vec<&str> {
        self.steps.iter().filter(|s| s.direction == Direction::Up).map(|s| s.name.as_str()).collect()
    }

    /// The names of the migrations reverted by this run.
    pub fn reverted(&self) -> Vec<&str> {
        self.steps.iter().filter(|s| s.direction == Direction::Down).map(|s| s.name.as_str()).collect()
    }

    /// The one-line summary every run ends with, for example
    /// `migrate: applied 3 migrations in batch 2 (41 ms); 7 applied, 0 pending`.
    pub fn summary(&self) -> String {
        let ms = self.elapsed.as_millis();
        let up = self.applied().len();
        let down = self.reverted().len();
        let did = if !self.resolved.is_empty() {
            format!("recorded {} without running it", self.resolved.join(", "))
        } else if up > 0 {
            let batch = self.batch.map(|b| format!(" in batch {b}")).unwrap_or_default();
            format!("applied {}{batch}", count(up))
        } else if down > 0 {
            format!("reverted {}", count(down))
        } else if self.operation == Operation::ResolveRolledBack {
            "forgot the dirty migration".to_owned()
        } else {
            "nothing to do".to_owned()
        };
        let warnings = match self.warnings.len() {
            0 => String::new(),
            1 => ", 1 warning".to_owned(),
            n => format!(", {n} warnings"),
        };
        let did = match (&self.contract_pending, &self.expanded) {
            (Some(_), Some(_)) => did,
            (Some(name), None) if did == "nothing to do" => format!("expanded {name}"),
            (Some(name), None) => format!("{did}, expanded {name}"),
            (None, _) => did,
        };
        let contract = match (&self.contract_pending, &self.expanded) {
            (Some(contract), Some(expanded)) => format!(
                "; {expanded} is expanded and its contract migration {contract} is pending: the run stops here, the \
                 next `migrate` runs it (deploy first if the application must change; `migrate --contract` runs it \
                 now)"
            ),
            (Some(name), None) => format!(
                "; the contract of {name} runs on the next `migrate` (deploy first if the application must change;                  `migrate --contract` runs it now)"
            ),
            (None, _) => String::new(),
        };
        format!(
            "{}: {did} ({ms} ms); {} applied, {} pending{warnings}{contract}",
            self.operation, self.applied_after, self.pending_after
        )
    }
}

fn count(n: usize) -> String {
    if n == 1 { "1 migration".to_owned() } else { format!("{n} migrations") }
}

/// Something wrong between the registry and the database, as `migrate-status` lists it. The same conditions make
/// `migrate` refuse (except [`Problem::Conflict`] and an unacknowledged migration that is not about to run).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// A migration did not finish; the database may be partly migrated.
    Dirty {
        /// The migration.
        name: String,
        /// The direction it was running in.
        direction: Direction,
    },
    /// An online expand/contract migration whose expand ran and whose contract waits for the next `migrate`
    /// (`expand_contract.rs`): its row is dirty at the contract marker.
    ContractPending {
        /// The migration.
        name: String,
        /// Always [`Direction::Up`].
        direction: Direction,
    },
    /// An applied migration is not in the registry.
    Missing {
        /// The migration.
        name: String,
    },
    /// An applied migration was edited afterwards.
    ChecksumMismatch {
        /// The migration.
        name: String,
        /// The checksum in the tracking table.
        recorded: String,
        /// The checksum of the migration as it is now.
        current: String,
    },
    /// A pending migration sorts before the last applied one.
    OutOfOrder {
        /// The pending migration.
        name: String,
        /// The last applied migration.
        last_applied: String,
    },
    /// A pending migration is dangerous on the database's dialect (its steps, judged by the migrator) and has no
    /// acknowledgement with visible text.
    Unacknowledged {
        /// The migration.
        name: String,
        /// The codes of its dangerous steps (`declared_dangerous` for hand-written SQL declared dangerous).
        codes: Vec<String>,
    },
    /// The class written in the migration file disagrees with the class of its steps.
    LabelDisagrees {
        /// The migration.
        name: String,
        /// The label in the file.
        declared: Class,
        /// The class the migrator computed from the steps (worst over all dialects).
        computed: Class,
    },
    /// A pending migration cannot be judged (the schema before it cannot be replayed).
    Unjudged {
        /// The migration.
        name: String,
        /// Why.
        reason: String,
    },
    /// Two applied migrations were recorded in an order that disagrees with the registry (the registry was
    /// reordered after they were applied, or one was applied out of order).
    AppliedOutOfOrder {
        /// The migration the registry lists first, applied after `later`.
        earlier: String,
        /// The migration the registry lists after `earlier`, applied before it.
        later: String,
    },
    /// Two migrations were generated from the same parent snapshot (two branches merged).
    Conflict {
        /// The earlier migration.
        first: String,
        /// The later migration.
        second: String,
    },
    /// A migration that did not finish, but whose progress is exact, so the next run in its direction resumes it
    /// (`resume.rs`, the migrator's own decision): `migrate` for `up`, `migrate-down` for `down`.
    Resumable {
        /// The migration.
        name: String,
        /// The direction it was running in, and the one that resumes it.
        direction: Direction,
        /// Statements that completed.
        statements_done: i64,
        /// Statements it has in that direction.
        statements_total: i64,
        /// The statement that failed, if the migrator saw it fail.
        failed_statement: Option<String>,
        /// Whether it stopped in a backfill (its last key is recorded).
        in_backfill: bool,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Dirty { name, direction } => {
                write!(f, "{name}: did not finish {}; the database may be partly migrated", direction.verb())
            }
            Problem::ContractPending { name, .. } => write!(
                f,
                "{name}: expanded (online expand/contract); its contract runs on the next `migrate` (or `migrate \
                 --contract`); `migrate-down` undoes the expand instead"
            ),
            Problem::Missing { name } => write!(f, "{name}: applied, but missing from the registry"),
            Problem::ChecksumMismatch { name, recorded, current } => write!(
                f,
                "{name}: edited after it was applied (checksum {} recorded, {} now)",
                short(recorded),
                short(current)
            ),
            Problem::OutOfOrder { name, last_applied } => {
                write!(f, "{name}: pending, but older than the last applied migration {last_applied}")
            }
            Problem::Unacknowledged { name, codes } => {
                write!(f, "{name}: dangerous ({}) and not acknowledged", codes.join(", "))
            }
            Problem::LabelDisagrees { name, declared, computed } => write!(
                f,
                "{name}: labelled {declared} in its file, but its steps are {computed}; the label is wrong (or was \
                 edited)"
            ),
            Problem::Unjudged { name, reason } => write!(f, "{name}: cannot be judged: {reason}"),
            Problem::AppliedOutOfOrder { earlier, later } => write!(
                f,
                "{earlier}: applied after {later}, but the registry lists it before {later}; put it back after \
                 {later} in the registry, or run with --allow-out-of-order if that order was meant"
            ),
            Problem::Conflict { first, second } => {
                write!(f, "{first} and {second} were generated from the same snapshot (merged branches)")
            }
            Problem::Resumable {
                name,
                direction,
                statements_done,
                statements_total,
                failed_statement,
                in_backfill,
            } => {
                let at = statements_done + 1;
                let how = match (failed_statement, in_backfill) {
                    (Some(sql), _) => format!(" ({} failed)", crate::error::one_line(sql)),
                    (None, true) => " (in its backfill, after its last recorded batch)".to_owned(),
                    (None, false) => String::new(),
                };
                match direction {
                    Direction::Up => write!(
                        f,
                        "{name}: stopped at statement {at} of {statements_total}{how}; the next `migrate` resumes there"
                    ),
                    Direction::Down => write!(
                        f,
                        "{name}: stopped reverting at statement {at} of {statements_total}{how}; the next \
                         `migrate-down` resumes the revert"
                    ),
                }
            }
        }
    }
}

/// The first 12 characters of a checksum, for messages.
pub(crate) fn short(checksum: &str) -> &str {
    checksum.get(..12).unwrap_or(checksum)
}

/// The state of a database against the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status {
    /// Applied migrations (rows of the tracking table), in the order they were applied.
    pub applied: Vec<AppliedMigration>,
    /// Pending migrations, in registry order.
    pub pending: Vec<String>,
    /// Everything wrong.
    pub problems: Vec<Problem>,
    /// Migrations another migrator is applying or reverting right now (it holds the lock): their rows are
    /// unfinished because they are running, so they are not listed as [`Problem::Dirty`].
    pub in_progress: Vec<String>,
}

impl Status {
    /// Whether there is nothing pending, nothing running and nothing wrong.
    pub fn is_up_to_date(&self) -> bool {
        self.pending.is_empty() && self.problems.is_empty() && self.in_progress.is_empty()
    }
}
