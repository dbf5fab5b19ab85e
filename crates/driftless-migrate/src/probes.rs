//! Data probes before risky steps: the migrator runs the read-only queries of `driftless_core::render::probe`
//! just before a migration's first statement, and refuses the migration when one finds rows the step would fail
//! on ([`Error::DataProbe`], with the count and up to five example keys). Nothing of that migration has run then.
//!
//! Probes read the data as it is before the migration, so they are written against the schema before it (the same
//! replay the renderer uses, `plan.rs`); a probe that depends on an earlier step of the same migration is not
//! written (see the core module), and the database's own error stays the last line of defence.

use driftless_core::Dialect;
use driftless_core::migration::{Migration, schemas_along};
use driftless_core::render::probe::{Probe, probes};

use crate::connection::DialectConnection;
use crate::error::{Error, ProbeFinding};
use crate::outcome::Direction;

/// The probes for each of `wanted` (registry index and direction), in the same order. A migration whose schema
/// cannot be computed (after undeclared hand-written SQL) gets none; rendering reports it.
pub(crate) fn probe_plans(registry: &[Migration], wanted: &[(usize, Direction)], dialect: Dialect) -> Vec<Vec<Probe>> {
    let Some(last) = wanted.iter().map(|&(i, _)| i).max() else { return Vec::new() };
    let before = schemas_along(&registry[..=last]);
    wanted
        .iter()
        .map(|&(i, direction)| {
            let (steps, schema) = match direction {
                Direction::Up => (&registry[i].up, &before[i]),
                Direction::Down => (&registry[i].down, &before[i + 1]),
            };
            schema.as_ref().map(|s| probes(steps, dialect, s)).unwrap_or_default()
        })
        .collect()
}

/// What one probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    /// How many rows (or duplicated values).
    pub count: i64,
    /// Up to five examples, each its columns joined with `, `.
    pub examples: Vec<String>,
}

impl Found {
    /// The finding to report for `probe`, which found these rows.
    pub(crate) fn finding(self, probe: &Probe) -> ProbeFinding {
        ProbeFinding {
            step: probe.step,
            step_kind: probe.step_kind,
            table: probe.table.clone(),
            finds: probe.finds.clone(),
            count: self.count,
            example_columns: probe.example_columns.clone(),
            examples: self.examples,
            advice: probe.advice.clone(),
        }
    }
}

/// Runs one probe: its count, and its examples when the count is not zero.
pub(crate) async fn run_probe<C: DialectConnection>(conn: &mut C, probe: &Probe) -> Result<Found, sqlx::Error> {
    let rows = conn.fetch_text(&probe.count_sql).await?;
    let text = rows.first().and_then(|r| r.first()).cloned().flatten().unwrap_or_default();
    let count = text
        .trim()
        .parse::<i64>()
        .map_err(|_| sqlx::Error::Protocol(format!("a probe's count is not a number: `{text}`")))?;
    let mut examples = Vec::new();
    if count > 0 {
        for row in conn.fetch_text(&probe.examples_sql).await? {
            let shown: Vec<String> = row.into_iter().map(|v| v.unwrap_or_else(|| "NULL".to_owned())).collect();
            examples.push(shown.join(", "));
        }
    }
    Ok(Found { count, examples })
}

/// Runs `probes` for migration `name` in `direction`; the first that finds rows is the refusal.
pub(crate) async fn check<C: DialectConnection>(
    conn: &mut C,
    name: &str,
    direction: Direction,
    probes: &[Probe],
) -> Result<(), Error> {
    for probe in probes {
        let found = run_probe(conn, probe).await.map_err(Error::db(format!(
            "probing {} of migration {name} (step {}, {} on {}): {}",
            probe.finds,
            probe.step + 1,
            probe.step_kind,
            probe.table,
            probe.count_sql
        )))?;
        if found.count > 0 {
            return Err(Error::DataProbe { name: name.to_owned(), direction, found: Box::new(found.finding(probe)) });
        }
    }
    Ok(())
}

/// The rows of a text-only query, each column decoded as text or NULL.
pub(crate) fn text_rows<R>(rows: Vec<R>) -> Result<Vec<Vec<Option<String>>>, sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    rows.iter().map(|row| (0..row.len()).map(|i| row.try_get::<Option<String>, usize>(i)).collect()).collect()
}
