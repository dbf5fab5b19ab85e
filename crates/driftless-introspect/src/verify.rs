//! `migrate-verify`: every migration applied up, then every one reverted, on a scratch database; after each step
//! the database is introspected and compared with the state the migrations' frozen steps replay to in memory. The
//! first disagreement fails the run, naming the migration, the direction and the difference.
//!
//! Migrations are acknowledged on the scratch copy (a dangerous migration's data loss is the point of testing it
//! on a scratch database); a migration whose `down` is irreversible ends the down pass there, which is reported,
//! not failed.

use std::fmt;

use driftless_core::Dialect;
use driftless_core::migration::Migration;
use driftless_core::replay::{self, ReplayError};
use driftless_core::schema::Schema;
use driftless_migrate::Direction;
use driftless_migrate::{Database, Migrator};

use crate::{Difference, compare, introspect};

/// What a successful verification checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// The scratch database's dialect.
    pub dialect: Dialect,
    /// Migrations applied up (and compared).
    pub applied: usize,
    /// Migrations reverted (and compared).
    pub reverted: usize,
    /// The migration whose `down` is irreversible, which ended the down pass, if any.
    pub irreversible: Option<String>,
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "verified on {}: {} migration(s) up and {} down, each matching the replayed schema",
            self.dialect.display_name(),
            self.applied,
            self.reverted
        )?;
        if let Some(name) = &self.irreversible {
            write!(f, " (the down pass stopped at {name}, whose down is irreversible)")?;
        }
        Ok(())
    }
}

/// Why verification failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyFailure {
    /// The scratch database could not be opened or read.
    #[error(transparent)]
    Introspect(#[from] crate::Error),
    /// The scratch database already holds tables.
    #[error("the scratch database is not empty (it has table `{table}`); give migrate-verify an empty database")]
    NotEmpty {
        /// One of its tables.
        table: String,
    },
    /// A migration's steps cannot be replayed in memory.
    #[error("{direction} of migration `{migration}` cannot be replayed in memory: {source}")]
    Replay {
        /// The migration.
        migration: String,
        /// Which way.
        direction: Direction,
        /// What went wrong.
        #[source]
        source: ReplayError,
    },
    /// The migrator failed to apply or revert a migration.
    #[error("migration `{migration}` failed to {} on the scratch database: {source}", if *direction == Direction::Up { "apply" } else { "revert" })]
    Apply {
        /// The migration.
        migration: String,
        /// Which way.
        direction: Direction,
        /// The migrator's error.
        #[source]
        source: driftless_migrate::Error,
    },
    /// After a migration ran, the database disagreed with the replayed schema.
    #[error(
        "after {} migration `{migration}`, the database disagrees with the replayed schema: {first}{}",
        if *direction == Direction::Up { "applying" } else { "reverting" },
        more(differences.len())
    )]
    Mismatch {
        /// The migration.
        migration: String,
        /// Which way it ran.
        direction: Direction,
        /// The first difference.
        first: Difference,
        /// Every difference.
        differences: Vec<Difference>,
    },
}

fn more(n: usize) -> String {
    if n > 1 { format!(" (and {} more)", n - 1) } else { String::new() }
}

/// Verifies `migrations` on `db`, which must be empty (a scratch database).
pub async fn verify(db: &Database, migrations: &[Migration]) -> Result<VerifyReport, VerifyFailure> {
    let dialect = db.dialect();
    let start = introspect(db).await?;
    if let Some(t) = start.tables.first() {
        return Err(VerifyFailure::NotEmpty { table: t.name.clone() });
    }
    let recorded = Migrator::new(db.clone(), Vec::new()).history().await.map_err(|source| VerifyFailure::Apply {
        migration: "(tracking table)".into(),
        direction: Direction::Up,
        source,
    })?;
    if !recorded.is_empty() {
        return Err(VerifyFailure::NotEmpty { table: driftless_migrate::DEFAULT_TABLE.to_owned() });
    }
    let scratch: Vec<Migration> =
        migrations
            .iter()
            .map(|m| {
                if m.is_acknowledged() {
                    m.clone()
                } else {
                    m.clone().acknowledged("migrate-verify", "scratch database")
                }
            })
            .collect();
    // A scratch database has no writers: an expand/contract migration runs both phases in its one `up`.
    let migrator = Migrator::new(db.clone(), scratch.clone()).contract_now(true);
    let mut states = vec![Schema::empty()];
    for m in &scratch {
        let before = states.last().cloned().unwrap_or_default();
        let after = replay::apply_steps(&before, &m.up).map_err(|source| VerifyFailure::Replay {
            migration: m.name.clone(),
            direction: Direction::Up,
            source,
        })?;
        migrator.up().await.map_err(|source| VerifyFailure::Apply {
            migration: m.name.clone(),
            direction: Direction::Up,
            source,
        })?;
        check(db, &after, &m.name, Direction::Up).await?;
        states.push(after);
    }
    let mut reverted = 0;
    let mut irreversible = None;
    for (i, m) in scratch.iter().enumerate().rev() {
        if !m.is_reversible() {
            irreversible = Some(m.name.clone());
            break;
        }
        migrator.down().await.map_err(|source| VerifyFailure::Apply {
            migration: m.name.clone(),
            direction: Direction::Down,
            source,
        })?;
        check(db, &states[i], &m.name, Direction::Down).await?;
        reverted += 1;
    }
    Ok(VerifyReport { dialect, applied: scratch.len(), reverted, irreversible })
}

async fn check(db: &Database, expected: &Schema, migration: &str, direction: Direction) -> Result<(), VerifyFailure> {
    let actual = introspect(db).await?;
    let differences = compare(expected, &actual, db.dialect());
    match differences.first() {
        None => Ok(()),
        Some(first) => Err(VerifyFailure::Mismatch {
            migration: migration.to_owned(),
            direction,
            first: first.clone(),
            differences,
        }),
    }
}
