//! Drift: the live database against the schema its applied migrations promise.
//!
//! The expected schema is computed without a database: the frozen `up` steps of the applied migrations (in the
//! order the tracking table recorded them) are replayed in memory from an empty schema. The database is
//! introspected and the two are compared as the dialect can represent them; every [`Difference`] comes with what to
//! do about it.

use std::fmt;

use driftless_core::migration::Migration;
use driftless_core::replay::{self, ReplayError};
use driftless_core::schema::Schema;
use driftless_migrate::{Database, Migrator, expand_contract};

use crate::{Difference, compare, introspect};

/// Why drift could not be computed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DriftError {
    /// The database could not be read.
    #[error(transparent)]
    Introspect(#[from] crate::Error),
    /// The tracking table could not be read.
    #[error(transparent)]
    Migrator(#[from] driftless_migrate::Error),
    /// An applied migration's steps cannot be replayed (hand-written SQL that does not declare its effect, or a
    /// migration that does not match the state before it).
    #[error("cannot compute the schema expected after migration `{migration}`: {source}; drift is not checked")]
    Replay {
        /// The migration whose steps failed to replay.
        migration: String,
        /// What went wrong.
        #[source]
        source: ReplayError,
    },
}

/// The drift between a database and the schema its applied migrations promise.
#[derive(Debug, Clone, PartialEq)]
pub struct Drift {
    /// The schema expected after the applied migrations (replayed in memory).
    pub expected: Schema,
    /// The schema read from the database.
    pub actual: Schema,
    /// Every difference, in a stable order; empty when there is no drift.
    pub differences: Vec<Difference>,
    /// An online expand/contract migration paused between its expand and its contract: the objects its expand
    /// created are expected (in `expected`), listed here instead of as differences.
    pub expand_in_progress: Option<ExpandInProgress>,
}

/// A migration whose expand ran and whose contract waits: its tracking row is dirty at the contract marker, or it is
/// applied and its contract migration is registered and pending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandInProgress {
    /// The migration.
    pub migration: String,
    /// Its contract migration, when the contract is a migration of its own.
    pub contract_migration: Option<String>,
    /// The objects its expand created (`driftless_migrate::expand_contract::expanded`), in plan order.
    pub objects: Vec<String>,
}

impl Drift {
    /// Whether the database matches the expected schema.
    pub fn is_clean(&self) -> bool {
        self.differences.is_empty()
    }
}

impl fmt::Display for Drift {
    /// One `drift` line per difference followed by an indented `fix:` line, or `no drift`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(e) = &self.expand_in_progress {
            let pending = match &e.contract_migration {
                Some(c) => format!("contract pending in migration {c} (the next `migrate` runs it)"),
                None => "contract pending (the next `migrate` runs it)".to_owned(),
            };
            writeln!(f, "expand   in progress for {}: {pending}; not drift: {}", e.migration, e.objects.join(", "))?;
        }
        if self.differences.is_empty() {
            return writeln!(f, "no drift: the database matches the schema of its applied migrations");
        }
        for d in &self.differences {
            writeln!(f, "drift    {d}")?;
            writeln!(f, "         fix: {}", d.guidance())?;
        }
        Ok(())
    }
}

/// The schema after applying the named migrations' `up` steps, in the given order, from empty. Names not in
/// `migrations` are skipped (the migrator reports them as missing).
pub fn expected_after<'a>(
    migrations: &[Migration],
    applied: impl IntoIterator<Item = &'a str>,
) -> Result<Schema, DriftError> {
    let mut schema = Schema::empty();
    for name in applied {
        let Some(m) = migrations.iter().find(|m| m.name == name) else { continue };
        schema = replay::apply_steps(&schema, &m.up)
            .map_err(|source| DriftError::Replay { migration: m.name.clone(), source })?;
    }
    Ok(schema)
}

/// Compares the database with the schema expected after the migrations its tracking table lists as applied.
pub async fn drift(db: &Database, migrations: &[Migration]) -> Result<Drift, DriftError> {
    let history = Migrator::new(db.clone(), migrations.to_vec()).history().await?;
    let mut expected = expected_after(migrations, history.iter().map(|r| r.name.as_str()))?;
    let mut expand_in_progress = None;
    // A paused expand/contract: expected is the schema before it plus exactly what its expand created.
    if let Some(row) = history.iter().find(|r| expand_contract::is_contract_pending(r))
        && let Some(m) = migrations.iter().find(|m| m.name == row.name)
    {
        let before = history.iter().map(|r| r.name.as_str()).filter(|n| *n != row.name);
        if let Some(e) = expand_contract::expanded(&m.up, &expected_after(migrations, before)?) {
            expected = e.schema;
            expand_in_progress =
                Some(ExpandInProgress { migration: m.name.clone(), contract_migration: None, objects: e.objects });
        }
    }
    let actual = introspect(db).await?;
    // An applied expand/contract migration whose contract migration is registered and not applied yet: expected is
    // its expand when the database holds it (online PostgreSQL), otherwise the type change as it ran.
    if expand_in_progress.is_none()
        && let Some((m, contract)) =
            driftless_migrate::contract_file::awaiting_contract(migrations, history.iter().map(|r| r.name.as_str()))
    {
        let before = history.iter().map(|r| r.name.as_str()).filter(|n| *n != m.name);
        if let Some(e) = expand_contract::expanded(&m.up, &expected_after(migrations, before)?) {
            let holds = |t: &driftless_core::schema::Table| {
                t.columns.iter().any(|c| {
                    c.name.ends_with(driftless_core::classify::SHADOW_SUFFIX)
                        && actual.table(&t.name).is_some_and(|a| a.column(&c.name).is_some())
                })
            };
            if e.schema.tables.iter().any(holds) {
                expected = e.schema;
                expand_in_progress = Some(ExpandInProgress {
                    migration: m.name.clone(),
                    contract_migration: Some(contract.name.clone()),
                    objects: e.objects,
                });
            }
        }
    }
    let differences = compare(&expected, &actual, db.dialect());
    Ok(Drift { expected, actual, differences, expand_in_progress })
}
