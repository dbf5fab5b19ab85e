//! [`Migrator`]: the configuration (registry, tracking table, lock timeout, escape hatches) and the operations
//! behind the `migrate*` commands, each run on one connection in the order lock → ensure the tracking table →
//! refuse if dirty → validate applied against known → refuse unacknowledged dangerous → apply or revert → unlock.

use std::time::{Duration, Instant};

use driftless_core::migration::Migration;
use driftless_core::render::RenderedMigration;

use crate::apply::{self, Unit};
use crate::connection::DialectConnection;
use crate::database::Database;
use crate::error::Error;
use crate::outcome::{AppliedMigration, Direction, Operation, Report, Status, Step};
use crate::plan::plans;
use crate::progress::{Progress, Reporter};
use crate::tracking::TrackingTable;
use crate::validate::{check_registry, validate};

mod refuse;
mod rendered;
mod resolve;
mod session;

use driftless_core::judge::judge_registry;
use resolve::Resolution;
use session::Session;

/// The tracking table's default name.
pub const DEFAULT_TABLE: &str = "driftless_migrations";

/// How long a migrator waits for another one to finish by default.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// Applies and reverts the migrations of a registry on one database.
///
/// Every operation takes one connection from the pool for its whole run and holds the migration lock on it, so
/// migrators in any number of processes can run at once: one works, the others wait and then find nothing to do.
#[derive(Debug, Clone)]
pub struct Migrator {
    db: Database,
    pub(crate) migrations: Vec<Migration>,
    table: String,
    lock_timeout: Duration,
    allow_out_of_order: bool,
    ignore_checksums: bool,
    pub(crate) force_production: bool,
    pub(crate) environment: Option<Environment>,
    pub(crate) progress: Reporter,
    source_dir: Option<std::path::PathBuf>,
    skip_data_probes: bool,
    pub(crate) online: bool,
    pub(crate) statement_lock_timeout: Duration,
    pub(crate) lock_attempts: u32,
    pub(crate) contract_now: bool,
    pub(crate) mysql_shadow_table: bool,
}

/// The environment the caller named, and where the name came from (shown in the production guard's refusal).
#[derive(Debug, Clone)]
pub(crate) struct Environment {
    pub(crate) source: String,
    pub(crate) name: String,
}

/// What an operation that changes the database (under the lock) asks for.
#[derive(Debug, Clone)]
enum Request {
    Migrate,
    Up,
    Down,
    To(String),
    Reset { force: bool },
    ResolveApplied(String),
    ResolveRolledBack(String),
}

/// What runs under the lock: a request on the registry, or one rendered migration outside it (see
/// [`crate::testing::apply_rendered`]).
#[derive(Debug, Clone, Copy)]
enum Job<'a> {
    Request(&'a Request),
    Rendered { name: &'a str, rendered: &'a RenderedMigration },
}

impl Request {
    fn operation(&self) -> Operation {
        match self {
            Request::Migrate => Operation::Migrate,
            Request::Up => Operation::Up,
            Request::Down => Operation::Down,
            Request::To(_) => Operation::To,
            Request::Reset { .. } => Operation::Reset,
            Request::ResolveApplied(_) => Operation::ResolveApplied,
            Request::ResolveRolledBack(_) => Operation::ResolveRolledBack,
        }
    }
}

/// Runs `$body` on one connection taken from the migrator's pool, whatever its database: the body is generic code
/// in which `$conn` is `&mut C` for the dialect's connection type `C: DialectConnection`, and evaluates to
/// `(Result<T, Error>, bool)`, the bool saying the connection must be closed rather than pooled.
macro_rules! on_connection {
    ($migrator:expr, |$conn:ident| $body:expr) => {{
        check_registry(&$migrator.migrations)?;
        match &$migrator.db {
            #[cfg(feature = "sqlite")]
            Database::Sqlite(pool) => {
                let mut session = Session::acquire(pool).await?;
                let $conn = &mut *session.conn;
                let (result, poisoned) = $body;
                session.end(result, poisoned)
            }
            #[cfg(feature = "postgres")]
            Database::Postgres(pool) => {
                let mut session = Session::acquire(pool).await?;
                let $conn = &mut *session.conn;
                let (result, poisoned) = $body;
                session.end(result, poisoned)
            }
            #[cfg(feature = "mysql")]
            Database::Mysql(pool) => {
                let mut session = Session::acquire(pool).await?;
                let $conn = &mut *session.conn;
                let (result, poisoned) = $body;
                session.end(result, poisoned)
            }
        }
    }};
}

impl Migrator {
    /// A migrator for `migrations` (the registry, in its order) on a pool the application already has.
    pub fn new(db: impl Into<Database>, migrations: impl IntoIterator<Item = Migration>) -> Migrator {
        Migrator {
            db: db.into(),
            migrations: migrations.into_iter().collect(),
            table: DEFAULT_TABLE.to_owned(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            allow_out_of_order: false,
            ignore_checksums: false,
            force_production: false,
            environment: None,
            progress: Reporter::default(),
            source_dir: None,
            skip_data_probes: false,
            online: true,
            statement_lock_timeout: crate::online::DEFAULT_STATEMENT_LOCK_TIMEOUT,
            lock_attempts: crate::online::DEFAULT_LOCK_ATTEMPTS,
            contract_now: false,
            mysql_shadow_table: true,
        }
    }

    /// Skips the data probes run before each migration (see `probes.rs`): for a table so large that even a
    /// counting scan is too slow, when the database's own error is an acceptable way to find bad rows. Off by
    /// default.
    pub fn skip_data_probes(mut self, skip: bool) -> Migrator {
        self.skip_data_probes = skip;
        self
    }

    /// Whether migrations run online on PostgreSQL (default `true`; see [`crate::online`]): indexes built and
    /// dropped concurrently, constraints added `NOT VALID` then validated, NOT NULL through a validated check, each
    /// unit under a `lock_timeout`. A migration's own `.online(...)` wins over this project setting.
    pub fn online(mut self, online: bool) -> Migrator {
        self.online = online;
        self
    }

    /// The `lock_timeout` of each statement of an online PostgreSQL migration (default
    /// [`crate::online::DEFAULT_STATEMENT_LOCK_TIMEOUT`], 2 s), so that a statement waiting behind a long
    /// transaction gives up instead of queueing every reader and writer of the table behind it.
    pub fn statement_lock_timeout(mut self, timeout: Duration) -> Migrator {
        self.statement_lock_timeout = timeout;
        self
    }

    /// How many times a unit of an online migration is tried when its lock timeout expires (default
    /// [`crate::online::DEFAULT_LOCK_ATTEMPTS`]; at least 1), with a doubling pause from 100 ms between attempts.
    pub fn lock_attempts(mut self, attempts: u32) -> Migrator {
        self.lock_attempts = attempts.max(1);
        self
    }

    /// A migrator on a new pool opened from `url` (see [`Database::connect`]).
    pub async fn connect(url: &str, migrations: impl IntoIterator<Item = Migration>) -> Result<Migrator, Error> {
        Ok(Migrator::new(Database::connect(url).await?, migrations))
    }

    /// A migrator on `DATABASE_URL`, or on the SQLite file [`crate::DEFAULT_DATABASE_URL`] when it is unset. This
    /// and [`Database::from_env`] are the only functions of the crate that read the process environment, and only
    /// because the caller chose them; [`Migrator::connect`] and [`Migrator::new`] read nothing.
    pub async fn from_env(migrations: impl IntoIterator<Item = Migration>) -> Result<Migrator, Error> {
        Ok(Migrator::new(Database::from_env().await?, migrations))
    }

    /// Names the tracking table (default [`DEFAULT_TABLE`]); `schema.table` is accepted on PostgreSQL and MySQL.
    ///
    /// # Warning
    ///
    /// Changing the name on a database that has been migrated makes every migration look pending: the migrator
    /// would run them again. Copy the old table (with its rows) to the new name first.
    pub fn dangerous_table_name(mut self, name: impl Into<String>) -> Migrator {
        self.table = name.into();
        self
    }

    /// How long to wait for another migrator's lock before failing (default [`DEFAULT_LOCK_TIMEOUT`]).
    pub fn lock_timeout(mut self, timeout: Duration) -> Migrator {
        self.lock_timeout = timeout;
        self
    }

    /// Applies pending migrations that sort before the last applied one (from a merged branch) instead of
    /// refusing. They run in registry order, after everything already applied.
    pub fn allow_out_of_order(mut self, allow: bool) -> Migrator {
        self.allow_out_of_order = allow;
        self
    }

    /// Accepts applied migrations whose steps were edited afterwards, logging a warning for each.
    ///
    /// # Warning
    ///
    /// The database keeps the schema the *original* migration produced. If the edit changed what the migration
    /// does, the database no longer matches the registry, and reverting the migration runs the edited `down`
    /// against the original schema, which can fail or lose data. Use it only for edits that change nothing in the
    /// database (a reformatted raw SQL step, say), then switch it off again.
    pub fn dangerous_ignore_checksums(mut self, ignore: bool) -> Migrator {
        self.ignore_checksums = ignore;
        self
    }

    /// Allows `down`, `to` (downward) and `reset` in production (see [`Migrator::environment`]).
    pub fn force_production(mut self, force: bool) -> Migrator {
        self.force_production = force;
        self
    }

    /// Names the environment the migrator runs in: `production` (any case) turns the production guard on, which
    /// refuses `down`, a downward `to` and `reset` unless [`Migrator::force_production`] is set. Unnamed (the
    /// default), there is no guard: the migrator reads no environment variable itself. The refusal says
    /// `environment=production`; see [`Migrator::environment_from_variable`] to name the variable instead.
    pub fn environment(mut self, environment: impl Into<String>) -> Migrator {
        self.environment = Some(Environment { source: "environment".to_owned(), name: environment.into() });
        self
    }

    /// Names the environment as read by the caller from the environment variable `variable` (which the production
    /// guard's refusal names), for example `DRIFTLESS_ENV` through [`crate::environment_from`].
    pub fn environment_from_variable(mut self, variable: impl Into<String>, value: impl Into<String>) -> Migrator {
        self.environment = Some(Environment { source: variable.into(), name: value.into() });
        self
    }

    /// Where to report progress (default: nowhere; `tracing` events are emitted either way).
    pub fn progress(mut self, progress: impl Progress + 'static) -> Migrator {
        self.progress = Reporter(std::sync::Arc::new(progress));
        self
    }

    /// The folder the migration files live in (`<folder>/<name>.rs`), so that refusals name the file to edit.
    pub fn migrations_dir(mut self, folder: impl Into<std::path::PathBuf>) -> Migrator {
        self.source_dir = Some(folder.into());
        self
    }

    /// The file a migration is defined in, for messages: `<migrations folder>/<name>.rs`, or `<name>.rs` when the
    /// folder is unknown.
    fn file_of(&self, name: &str) -> String {
        let file = format!("{name}.rs");
        match &self.source_dir {
            Some(dir) => dir.join(file).display().to_string(),
            None => file,
        }
    }

    /// The database.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The registry.
    pub fn migrations(&self) -> &[Migration] {
        &self.migrations
    }

    /// `migrate`: applies every pending migration, in registry order, as one batch. Idempotent: with nothing
    /// pending it does nothing, so it is safe to call at every start-up, from every replica at once.
    pub async fn migrate(&self) -> Result<Report, Error> {
        self.report(Request::Migrate).await
    }

    /// `migrate-up`: applies the next pending migration, as a batch of its own.
    pub async fn up(&self) -> Result<Report, Error> {
        self.report(Request::Up).await
    }

    /// `migrate-down`: reverts the last batch, newest migration first. Refused in production unless forced.
    pub async fn down(&self) -> Result<Report, Error> {
        self.report(Request::Down).await
    }

    /// `migrate-to NAME`: applies pending migrations up to and including `name` (one batch), or, when `name` is
    /// applied, reverts every applied migration after it (refused in production unless forced).
    pub async fn to(&self, name: &str) -> Result<Report, Error> {
        self.report(Request::To(name.to_owned())).await
    }

    /// `migrate-reset --force`: reverts every applied migration, newest first. Refused without `force`, and in
    /// production unless forced.
    pub async fn reset(&self, force: bool) -> Result<Report, Error> {
        self.report(Request::Reset { force }).await
    }

    /// `migrate-resolve --applied NAME`: records `name` as applied without running it (baselining a database that
    /// already has its schema), or marks a dirty migration as completed by hand.
    pub async fn resolve_applied(&self, name: &str) -> Result<Report, Error> {
        self.report(Request::ResolveApplied(name.to_owned())).await
    }

    /// `migrate-resolve --rolled-back NAME`: forgets a dirty migration that was undone by hand, so that the next
    /// run applies it again.
    pub async fn resolve_rolled_back(&self, name: &str) -> Result<Report, Error> {
        self.report(Request::ResolveRolledBack(name.to_owned())).await
    }

    /// `migrate-status`: applied migrations (with batch, time, class), pending ones, and every problem. Reads
    /// only: it neither takes the lock nor creates the tracking table.
    pub async fn status(&self) -> Result<Status, Error> {
        on_connection!(self, |conn| (self.status_on(conn).await, false))
    }

    /// `migrate --dry-run`: what `migrate` would run (statements, locks, rows, data probes), read-only: it takes
    /// no lock, creates no tracking table and runs only `SELECT`s. See [`crate::dry_run`].
    pub async fn dry_run(&self) -> Result<crate::dry_run::DryRun, Error> {
        on_connection!(self, |conn| {
            let result = match self.rows_if_any(conn).await {
                Ok(applied) => {
                    crate::dry_run::dry_run(conn, &self.migrations, &applied, self.online, self.mysql_shadow_table)
                        .await
                }
                Err(e) => Err(e),
            };
            (result, false)
        })
    }

    /// `migrate-history`: every row of the tracking table, in the order they were recorded.
    pub async fn history(&self) -> Result<Vec<AppliedMigration>, Error> {
        on_connection!(self, |conn| (self.rows_if_any(conn).await, false))
    }

    /// Runs an operation that changes the database, under the lock.
    async fn report(&self, request: Request) -> Result<Report, Error> {
        on_connection!(self, |conn| self.locked(conn, Job::Request(&request)).await)
    }

    async fn status_on<C: DialectConnection>(&self, conn: &mut C) -> Result<Status, Error> {
        let applied = self.rows_if_any(conn).await?;
        let pg = C::DIALECT == driftless_core::Dialect::Postgres;
        let online_units = |m: &Migration| pg && self.online_for(m, C::DIALECT).is_some();
        crate::status::status(conn, self, &self.migrations, &self.table, applied, online_units).await
    }

    /// The units a run of `wanted` executes (rendered plans, online recipes, backfills), each resuming its row in
    /// `resume` if any; `migrate-status` builds them too, to ask the same question (`resume::record_fits`).
    pub(crate) fn units<'a>(
        &'a self,
        wanted: &[(usize, Direction)],
        dialect: driftless_core::Dialect,
        checksums: &'a [String],
        verdicts: &[Result<driftless_core::judge::Verdict, driftless_core::judge::JudgeError>],
        batch: i64,
        resume: &crate::resume::Resumed,
    ) -> Result<Vec<Unit<'a>>, Error> {
        let backfills = crate::plan::backfill_plans(&self.migrations, wanted, dialect)?;
        let plans = plans(&self.migrations, wanted, dialect)?;
        let units = plans.into_iter().zip(wanted).zip(backfills).map(|((plan, &(i, direction)), mut backfills)| {
            let online = self.online_for(&self.migrations[i], dialect).filter(|_| direction == Direction::Up);
            let (plan, more) = crate::expand_contract::online_plan(
                &self.migrations,
                wanted,
                i,
                plan,
                online.is_some(),
                self.mysql_shadow_table,
            );
            backfills.extend(more);
            let (contract_in, contract) =
                crate::contract_file::unit_parts(&self.migrations, i, direction, online.is_some(), dialect)?;
            let (plan, contract_check) = match contract {
                Some((plan, more, check)) => {
                    backfills.extend(more);
                    (plan, Some(check))
                }
                None => (plan, None),
            };
            Ok(Unit {
                migration: &self.migrations[i],
                checksum: &checksums[i],
                // The computed class on this dialect is what is recorded and shown, never the file's label.
                class: verdicts[i].as_ref().map_or(self.migrations[i].class, |v| v.class_for(dialect)),
                direction,
                batch,
                plan,
                online,
                resume_from: resume.get(&self.migrations[i].name).cloned(),
                backfills,
                progress: self.progress.clone(),
                used: Default::default(),
                paused: Default::default(),
                contract_in,
                expanded: Default::default(),
                contract_check,
            })
        });
        units.collect()
    }

    async fn rows_if_any<C: DialectConnection>(&self, conn: &mut C) -> Result<Vec<AppliedMigration>, Error> {
        let table = TrackingTable::new(&self.table, C::DIALECT)?;
        if !conn.table_exists(&table).await.map_err(Error::db("looking for the tracking table"))? {
            return Ok(Vec::new());
        }
        conn.applied(&table).await.map_err(Error::db("reading the tracking table"))
    }

    /// Runs `job` under the lock. Returns whether the connection must be closed (the lock may still be held).
    async fn locked<C: DialectConnection>(&self, conn: &mut C, job: Job<'_>) -> (Result<Report, Error>, bool) {
        let table = match TrackingTable::new(&self.table, C::DIALECT) {
            Ok(t) => t,
            Err(e) => return (Err(e), false),
        };
        let start = Instant::now();
        // One attempt first, so that a wait is announced (one line) instead of looking like a hang.
        let lock = match conn.lock(&table, Duration::ZERO).await {
            Err(Error::LockTimeout { lock, .. }) => {
                self.progress.waiting_for_lock(&lock, self.lock_timeout);
                conn.lock(&table, self.lock_timeout).await
            }
            first => first,
        };
        let lock = match lock {
            Ok(lock) => lock,
            Err(e) => return (Err(e), false),
        };
        let result = match job {
            Job::Request(request) => self.under_lock(conn, &table, request, start).await,
            Job::Rendered { name, rendered } => self.rendered_under_lock(conn, &table, name, rendered, start).await,
        };
        match conn.unlock(lock).await {
            Ok(()) => (result, false),
            Err(e) => (result.and(Err(e)), true),
        }
    }

    /// Runs one migration outside the registry, already rendered; see [`crate::testing::apply_rendered`].
    pub(crate) async fn apply_rendered(&self, name: &str, rendered: &RenderedMigration) -> Result<Report, Error> {
        on_connection!(self, |conn| self.locked(conn, Job::Rendered { name, rendered }).await)
    }

    async fn under_lock<C: DialectConnection>(
        &self,
        conn: &mut C,
        table: &TrackingTable,
        request: &Request,
        start: Instant,
    ) -> Result<Report, Error> {
        conn.ensure_table(table).await.map_err(Error::db(format!("creating the tracking table {}", table.name)))?;
        let mut applied = conn.applied(table).await.map_err(Error::db("reading the tracking table"))?;
        let checksums: Vec<String> = self.migrations.iter().map(|m| m.checksum()).collect();
        // Dirty rows this run resumes rather than refuses, in the direction it runs (see `resume.rs`).
        let direction = match request {
            Request::Migrate | Request::Up => Some(Direction::Up),
            Request::Down | Request::Reset { .. } => Some(Direction::Down),
            Request::To(name) if applied.iter().any(|a| a.name == *name) => Some(Direction::Down),
            Request::To(_) => Some(Direction::Up),
            Request::ResolveApplied(_) | Request::ResolveRolledBack(_) => None,
        };
        let pg = C::DIALECT == driftless_core::Dialect::Postgres;
        let online_units = |m: &Migration| pg && self.online_for(m, C::DIALECT).is_some();
        let verdicts = judge_registry(&self.migrations);
        let fits = |r: &AppliedMigration| self.row_fits_plan(C::DIALECT, &self.migrations, &checksums, &verdicts, r);
        let registry = crate::resume::Registry { migrations: &self.migrations, checksums: &checksums };
        let resume =
            crate::resume::resumable(conn, table, direction, registry, &mut applied, online_units, fits).await?;
        let mut v = validate(&self.migrations, &checksums, &verdicts, &applied, C::DIALECT);
        let operation = request.operation();
        let mut report = Report {
            operation,
            steps: Vec::new(),
            batch: None,
            resolved: Vec::new(),
            warnings: Vec::new(),
            applied_after: applied.len(),
            pending_after: v.pending.len(),
            elapsed: Duration::ZERO,
            contract_pending: None,
            expanded: None,
        };
        let position = |name: &str| self.migrations.iter().position(|m| m.name == name);

        // What the request means: migrations to apply (registry indexes) or rows to revert (newest first).
        let (to_apply, mut to_revert): (Vec<usize>, Vec<&AppliedMigration>) = match request {
            Request::Migrate => (v.pending.clone(), Vec::new()),
            Request::Up => (v.pending.iter().take(1).copied().collect(), Vec::new()),
            Request::Down => {
                let last = applied.iter().map(|a| a.batch).max();
                (Vec::new(), applied.iter().rev().filter(|a| Some(a.batch) == last).collect())
            }
            Request::Reset { force } => {
                if !force {
                    return Err(Error::ResetNotForced { count: applied.len() });
                }
                (Vec::new(), applied.iter().rev().collect())
            }
            Request::To(name) => {
                let target = position(name).ok_or_else(|| Error::UnknownMigration { name: name.clone() })?;
                if applied.iter().any(|a| a.name == *name) {
                    let after = |a: &&AppliedMigration| position(&a.name).is_none_or(|p| p > target);
                    (Vec::new(), applied.iter().rev().filter(after).collect())
                } else {
                    (v.pending.iter().copied().filter(|&i| i <= target).collect(), Vec::new())
                }
            }
            Request::ResolveApplied(name) => {
                return self.resolve(conn, table, Resolution::Applied, name, &applied, v, report, start).await;
            }
            Request::ResolveRolledBack(name) => {
                return self.resolve(conn, table, Resolution::RolledBack, name, &applied, v, report, start).await;
            }
        };

        // A paused expand among the rows to revert is undone rather than refused (`abandon.rs`).
        let mut abandoning = crate::abandon::paused_expands(pg, &to_revert, &mut v);
        if pg {
            // An applied expand whose contract is a later migration, still expanded: undone the same way.
            abandoning.extend(crate::contract_file::expanded_to_revert(conn, &self.migrations, &to_revert).await?);
        }
        crate::resume::check_reverted(&resume, &to_revert)?;
        let applying = matches!(request, Request::Migrate | Request::Up) || !to_apply.is_empty();
        self.refuse(&v, &applied, &to_apply, applying, &mut report)?;
        if !to_revert.is_empty() {
            self.production_guard(operation, &to_revert)?;
        }
        self.abandon(conn, table, &abandoning, &verdicts, &mut report, &mut to_revert).await?;

        // Render everything before running anything: a migration that cannot run is found before the batch starts.
        let dialect = C::DIALECT;
        let batch = applied.iter().map(|a| a.batch).max().unwrap_or(0) + 1;
        let mut wanted: Vec<(usize, Direction)> = to_apply.iter().map(|&i| (i, Direction::Up)).collect();
        for row in &to_revert {
            let i = position(&row.name).ok_or_else(|| Error::MissingMigration { name: row.name.clone() })?;
            wanted.push((i, Direction::Down));
        }
        let units = self.units(&wanted, dialect, &checksums, &verdicts, batch, &resume)?;

        // Data probes, run just before each migration (on the data its earlier siblings in this batch left).
        let probe_lists = if self.skip_data_probes {
            vec![Vec::new(); wanted.len()]
        } else {
            crate::probes::probe_plans(&self.migrations, &wanted, dialect)
        };

        let progress = &self.progress;
        progress.start(units.len());
        for w in &report.warnings {
            progress.warning(w);
        }
        let mut failure = None;
        for (unit, probes) in units.iter().zip(&probe_lists) {
            if let Err(e) = crate::probes::check(conn, &unit.migration.name, unit.direction, probes).await {
                failure = Some(e);
                break;
            }
            progress.migration_started(&unit.migration.name, unit.direction);
            match apply::run(conn, table, unit).await {
                Ok(_) if unit.paused.load(std::sync::atomic::Ordering::SeqCst) => {
                    report.contract_pending = Some(unit.migration.name.clone());
                    break;
                }
                Ok(took) => {
                    let step = Step {
                        name: unit.migration.name.clone(),
                        direction: unit.direction,
                        class: unit.class,
                        duration: took,
                        algorithms: unit.used.lock().map(|mut used| std::mem::take(&mut *used)).unwrap_or_default(),
                    };
                    progress.migration_finished(&step);
                    report.steps.push(step);
                    if unit.direction == Direction::Up {
                        report.batch = Some(batch);
                        report.applied_after += 1;
                        report.pending_after -= 1;
                    } else {
                        report.applied_after -= 1;
                        report.pending_after += 1;
                    }
                    // An expand whose contract is a later migration: the run stops here (`contract_file.rs`).
                    if unit.expanded.load(std::sync::atomic::Ordering::SeqCst) {
                        report.contract_pending = unit.contract_in.clone();
                        report.expanded = Some(unit.migration.name.clone());
                        break;
                    }
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        report.elapsed = start.elapsed();
        match failure {
            None => {
                progress.finished(&report.summary());
                Ok(report)
            }
            Some(e) => {
                progress.finished(&format!(
                    "{}: failed after {} ({} ms)",
                    operation,
                    done(&report),
                    report.elapsed.as_millis()
                ));
                Err(e)
            }
        }
    }
}

fn done(report: &Report) -> String {
    match report.steps.len() {
        0 => "no migration completed".to_owned(),
        1 => "1 migration completed".to_owned(),
        n => format!("{n} migrations completed"),
    }
}

/// Applies every pending migration on `db`: the call for an application's start-up. Idempotent and safe to run
/// from every replica at once (the lock makes the others wait, then find nothing pending).
pub async fn migrate_on_startup(
    db: impl Into<Database>,
    migrations: impl IntoIterator<Item = Migration>,
) -> Result<Report, Error> {
    Migrator::new(db, migrations).migrate().await
}
