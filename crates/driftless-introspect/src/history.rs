//! Checks on the migration history itself, needing no database: whether the committed snapshot still matches the
//! replay of the migrations (snapshot repair), and whether two migrations were generated from the same parent
//! snapshot (branch conflicts).

use std::fmt;

use driftless_core::Dialect;
use driftless_core::migration::Migration;
use driftless_core::replay::{self, ReplayError};
use driftless_core::schema::Schema;

use crate::{Difference, compare};

/// The schema after every migration's `up`, replayed in memory from empty.
pub fn replay_all(migrations: &[Migration]) -> Result<Schema, ReplayFailure> {
    let mut schema = Schema::empty();
    for m in migrations {
        schema = replay::apply_steps(&schema, &m.up)
            .map_err(|source| ReplayFailure { migration: m.name.clone(), source })?;
    }
    Ok(schema)
}

/// A migration whose steps cannot be replayed in memory.
#[derive(Debug, Clone, thiserror::Error)]
#[error("migration `{migration}` cannot be replayed in memory: {source}")]
pub struct ReplayFailure {
    /// The migration.
    pub migration: String,
    /// Why.
    #[source]
    pub source: ReplayError,
}

/// How the committed snapshot compares with the replay of the migrations.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotCheck {
    /// The schema the migrations replay to.
    pub replayed: Schema,
    /// What differs, snapshot against replay (empty when they agree, or when they differ only in a way the listing
    /// does not show, such as a `default_sql` spelled as a literal; see [`SnapshotCheck::matches`]).
    pub differences: Vec<Difference>,
    matches: bool,
}

impl SnapshotCheck {
    /// Whether the snapshot describes exactly the schema the migrations replay to.
    pub fn matches(&self) -> bool {
        self.matches
    }
}

/// Compares the committed snapshot with the replay of `migrations`.
pub fn check_snapshot(snapshot: &Schema, migrations: &[Migration]) -> Result<SnapshotCheck, ReplayFailure> {
    let replayed = replay_all(migrations)?;
    let matches = replay::equivalent(snapshot, &replayed);
    // PostgreSQL's view loses nothing of the portable model, so it lists the differences that matter.
    let differences = if matches { Vec::new() } else { compare(&replayed, snapshot, Dialect::Postgres) };
    Ok(SnapshotCheck { replayed, differences, matches })
}

/// Two migrations generated from the same parent snapshot: two branches that each generated a migration were
/// merged, and the second was never generated on top of the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The shared parent snapshot hash.
    pub parent: String,
    /// The earlier migration (registry order).
    pub first: String,
    /// The later migration.
    pub second: String,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "migrations `{}` and `{}` were both generated from snapshot {} (two branches merged)",
            self.first,
            self.second,
            self.parent.get(..12).unwrap_or(&self.parent)
        )
    }
}

impl Conflict {
    /// What to do about it.
    pub fn fix(&self) -> String {
        format!(
            "regenerate one on top of the other: remove `{second}` (its file and its line in the registry), restore \
             schema.json to the state after `{first}`, then run `cargo xtask migrate-generate --name <name>` so the \
             change is generated again from `{first}`'s snapshot",
            first = self.first,
            second = self.second
        )
    }
}

/// Every pair of migrations generated from the same parent snapshot, in registry order.
pub fn branch_conflicts(migrations: &[Migration]) -> Vec<Conflict> {
    let mut out = Vec::new();
    for (i, m) in migrations.iter().enumerate() {
        let Some(parent) = &m.parent else { continue };
        if let Some(first) = migrations[..i].iter().find(|o| o.parent.as_ref() == Some(parent)) {
            out.push(Conflict { parent: parent.clone(), first: first.name.clone(), second: m.name.clone() });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_migrations_from_one_parent_conflict() {
        let ms = [
            Migration::new("m1").parent("p0"),
            Migration::new("m2").parent("p1"),
            Migration::new("m3").parent("p1"),
            Migration::new("m4"),
        ];
        let c = branch_conflicts(&ms);
        assert_eq!(c, vec![Conflict { parent: "p1".into(), first: "m2".into(), second: "m3".into() }]);
        assert_eq!(
            c[0].to_string(),
            "migrations `m2` and `m3` were both generated from snapshot p1 (two branches merged)"
        );
        assert!(c[0].fix().starts_with("regenerate one on top of the other: remove `m3`"));
    }
}
