//! What a run tells its caller while it works. The migrator prints nothing itself: it emits `tracing` events
//! (target `driftless_migrate`) and calls the [`Progress`] the caller installed with [`crate::Migrator::progress`].
//! The default reports nothing, so an application that embeds the migrator gets no output it did not ask for; the
//! CLI installs an indicatif bar or plain lines on stderr.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::outcome::{AlgorithmUsed, Direction, Step};

/// Receives a run's progress. Every method does nothing by default; implement the ones you want to show.
///
/// The calls of one run come in this order: at most one [`Progress::waiting_for_lock`], then (for operations that
/// run migrations) [`Progress::start`], the warnings, a [`Progress::migration_started`] and, when it succeeds, a
/// [`Progress::migration_finished`] per migration, and last [`Progress::finished`] with the run's one-line summary
/// (also when it failed). A refusal before the run starts calls nothing after the lock wait: the error says it all.
pub trait Progress: Send + Sync {
    /// Another migrator holds the lock (`lock` names it); this run waits at most `timeout` for it.
    fn waiting_for_lock(&self, lock: &str, timeout: Duration) {
        let _ = (lock, timeout);
    }

    /// `total` migrations are about to run.
    fn start(&self, total: usize) {
        let _ = total;
    }

    /// Something the caller should know (an applied migration that was edited, accepted because checksums are
    /// ignored).
    fn warning(&self, message: &str) {
        let _ = message;
    }

    /// A migration starts.
    fn migration_started(&self, name: &str, direction: Direction) {
        let _ = (name, direction);
    }

    /// MySQL/MariaDB online: a statement of migration `name` ran with `used.algorithm` (after the server refused
    /// `used.refused`). Called as each `ALTER` finishes, before [`Progress::migration_finished`].
    fn statement_algorithm(&self, name: &str, used: &AlgorithmUsed) {
        let _ = (name, used);
    }

    /// A migration completed (applied or reverted), with its class and how long its statements took.
    fn migration_finished(&self, step: &Step) {
        let _ = step;
    }

    /// A backfill made progress: called once when it starts (no batch done yet) and after each committed batch;
    /// [`BackfillProgress::finished`] on the last call.
    fn backfill_progress(&self, progress: &BackfillProgress) {
        let _ = progress;
    }

    /// The run ended, successfully or not: `summary` is its one-line summary (the report's
    /// [`crate::Report::summary`], or what failed after how many migrations).
    fn finished(&self, summary: &str) {
        let _ = summary;
    }
}

/// Where a backfill stands (see [`Progress::backfill_progress`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BackfillProgress {
    /// The migration.
    pub migration: String,
    /// The table.
    pub table: String,
    /// Rows changed so far by this run (a resumed run counts from where it resumed).
    pub rows_done: u64,
    /// The estimated rows to do when this run started: those matching the predicate after the recorded key.
    pub rows_total: u64,
    /// Batches committed by this run.
    pub batches: u64,
    /// The key of the last row done, as text (empty before the first batch).
    pub last_key: Vec<String>,
    /// Whether this run resumed after a key recorded by an earlier, interrupted one.
    pub resumed: bool,
    /// How long this run has been going.
    pub elapsed: Duration,
    /// Whether this is the last call: the backfill is done.
    pub finished: bool,
}

impl BackfillProgress {
    /// Rows per second so far (0 before the first batch).
    pub fn rows_per_second(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 { self.rows_done as f64 / s } else { 0.0 }
    }

    /// The estimated time left at the rate so far (`None` before the first batch, or when the rate is 0).
    pub fn eta(&self) -> Option<Duration> {
        let rate = self.rows_per_second();
        (rate > 0.0).then(|| Duration::from_secs_f64(self.rows_total.saturating_sub(self.rows_done) as f64 / rate))
    }

    /// One line for logs: `backfill users: 12000 of 20000 rows, 3 batches, 4000 rows/s, ETA 2 s`.
    pub fn line(&self) -> String {
        let eta = match (self.finished, self.eta()) {
            (true, _) => format!(", done in {} ms", self.elapsed.as_millis()),
            (false, Some(eta)) => format!(", ETA {} s", eta.as_secs()),
            (false, None) => String::new(),
        };
        format!(
            "backfill {} ({}): {} of {} rows, {} batch(es), {:.0} rows/s{eta}{}",
            self.table,
            self.migration,
            self.rows_done,
            self.rows_total,
            self.batches,
            self.rows_per_second(),
            if self.resumed { ", resumed" } else { "" }
        )
    }
}

/// Reports nothing (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// The installed [`Progress`], shareable between clones of a migrator.
#[derive(Clone)]
pub(crate) struct Reporter(pub Arc<dyn Progress>);

impl Default for Reporter {
    fn default() -> Self {
        Reporter(Arc::new(NoProgress))
    }
}

impl fmt::Debug for Reporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Reporter(..)")
    }
}

impl Reporter {
    pub fn waiting_for_lock(&self, lock: &str, timeout: Duration) {
        tracing::info!(lock, timeout_s = timeout.as_secs_f64(), "waiting for the migration lock");
        self.0.waiting_for_lock(lock, timeout);
    }

    pub fn start(&self, total: usize) {
        tracing::debug!(total, "running migrations");
        self.0.start(total);
    }

    pub fn warning(&self, message: &str) {
        tracing::warn!("{message}");
        self.0.warning(message);
    }

    pub fn migration_started(&self, name: &str, direction: Direction) {
        tracing::debug!(migration = name, direction = direction.as_str(), "migration started");
        self.0.migration_started(name, direction);
    }

    pub fn statement_algorithm(&self, name: &str, used: &AlgorithmUsed) {
        let refused: Vec<&str> = used.refused.iter().map(|a| a.as_str()).collect();
        tracing::info!(
            migration = name,
            statement = used.statement + 1,
            algorithm = used.algorithm.as_str(),
            refused = refused.join(",").as_str(),
            "statement ran with ALGORITHM={}",
            used.algorithm
        );
        self.0.statement_algorithm(name, used);
    }

    pub fn migration_finished(&self, step: &Step) {
        tracing::info!(
            migration = step.name.as_str(),
            direction = step.direction.as_str(),
            class = step.class.as_str(),
            duration_ms = u64::try_from(step.duration.as_millis()).unwrap_or(u64::MAX),
            "migration {}",
            if step.direction == Direction::Up { "applied" } else { "reverted" }
        );
        self.0.migration_finished(step);
    }

    pub fn backfill_progress(&self, p: &BackfillProgress) {
        tracing::info!(
            migration = p.migration.as_str(),
            table = p.table.as_str(),
            rows_done = p.rows_done,
            rows_total = p.rows_total,
            batches = p.batches,
            "{}",
            p.line()
        );
        self.0.backfill_progress(p);
    }

    pub fn finished(&self, summary: &str) {
        tracing::info!("{summary}");
        self.0.finished(summary);
    }
}
