//! From migrations to the statements the migrator runs, through the renderer (`driftless_core::render`): the one
//! place that knows how steps become SQL, which statements must run outside a transaction, and when SQLite needs
//! its foreign keys off.
//!
//! The renderer needs the schema as it is *before* the steps (an SQLite rebuild recreates the whole table, MySQL
//! spells an enum inline in every column). The migrator computes it by replaying the registry's `up` steps in
//! memory from the empty schema (`driftless_core::replay`, with the renderer's `ReplayOptions::DATABASE`), in
//! registry order: the `up` of migration *i* renders against the schema after migrations *0..i*, its `down` against
//! the schema after *0..=i*. The replay is skipped when every migration to run is hand-written SQL, which needs no
//! schema; it stops at hand-written SQL that does not declare its effect, and a later migration that needs the
//! schema is refused, naming the migration and step to declare.

use driftless_core::Dialect;
use driftless_core::migration::{Migration, schemas_along};
use driftless_core::render::backfill::{BackfillSql, backfills};
use driftless_core::render::{RenderError, RenderedMigration, render_steps};
use driftless_core::replay::{ReplayOptions, apply_steps_with};
use driftless_core::schema::Schema;
use driftless_core::step::Step;

use crate::error::Error;
use crate::outcome::Direction;

fn steps(m: &Migration, direction: Direction) -> &[Step] {
    match direction {
        Direction::Up => &m.up,
        Direction::Down => &m.down,
    }
}

/// Whether rendering the steps needs the schema before them (anything but hand-written SQL).
fn needs_schema(steps: &[Step]) -> bool {
    steps.iter().any(|s| !matches!(s, Step::RawSql { .. } | Step::Irreversible { .. }))
}

fn render(m: &Migration, direction: Direction, dialect: Dialect, ctx: &Schema) -> Result<RenderedMigration, Error> {
    render_steps(steps(m, direction), dialect, ctx).map_err(|e| match e {
        RenderError::Irreversible { reason } => Error::Irreversible { name: m.name.clone(), reason },
        other => Error::Render { name: m.name.clone(), direction, dialect, reason: other.to_string() },
    })
}

/// The rendered statements for `wanted` (registry index and direction), in the same order. Fails on the first
/// migration that cannot be rendered, before anything runs.
pub(crate) fn plans(
    registry: &[Migration],
    wanted: &[(usize, Direction)],
    dialect: Dialect,
) -> Result<Vec<RenderedMigration>, Error> {
    // A Rust data step must have its function.
    for &(i, direction) in wanted {
        let m = &registry[i];
        for step in steps(m, direction) {
            if let Step::Data { name } = step
                && m.data_function(name).is_none()
            {
                return Err(Error::Render {
                    name: m.name.clone(),
                    direction,
                    dialect,
                    reason: format!(
                        "its data step `{name}` has no function; give it in the migration file with \
                         `.data_fn(\"{name}\", {name})`"
                    ),
                });
            }
        }
    }
    let mut out: Vec<Option<RenderedMigration>> = vec![None; wanted.len()];
    let empty = Schema::empty();
    let mut last_needing_schema = None;
    for (k, &(i, direction)) in wanted.iter().enumerate() {
        if needs_schema(steps(&registry[i], direction)) {
            last_needing_schema = last_needing_schema.max(Some(i));
        } else {
            out[k] = Some(render(&registry[i], direction, dialect, &empty)?);
        }
    }
    if let Some(last) = last_needing_schema {
        // The replay: `state` is the schema before migration `i`, or why it cannot be known.
        let mut state: Result<Schema, String> = Ok(Schema::empty());
        for (i, m) in registry.iter().enumerate().take(last + 1) {
            for direction in [Direction::Up, Direction::Down] {
                if direction == Direction::Down {
                    state = state.and_then(|s| {
                        apply_steps_with(&s, &m.up, ReplayOptions::DATABASE)
                            .map_err(|e| format!("replaying migration {}: {e}", m.name))
                    });
                }
                for k in 0..wanted.len() {
                    if wanted[k] != (i, direction) || out[k].is_some() {
                        continue;
                    }
                    let ctx = state.as_ref().map_err(|why| Error::Render {
                        name: m.name.clone(),
                        direction,
                        dialect,
                        reason: format!("the schema before it cannot be computed: {why}"),
                    })?;
                    out[k] = Some(render(m, direction, dialect, ctx)?);
                }
            }
        }
    }
    // Every entry is set: those that need no schema above, the others by the replay, which runs up to the last
    // of them in both directions.
    Ok(out.into_iter().flatten().collect())
}

/// The backfills of each of `wanted` (registry index and direction), in the same order: each backfill's SQL by step
/// index, written against the schema just before its step (`driftless_core::render::backfill`). A migration whose
/// schema cannot be computed gets none; [`plans`] refuses it first.
pub(crate) fn backfill_plans(
    registry: &[Migration],
    wanted: &[(usize, Direction)],
    dialect: Dialect,
) -> Result<Vec<Vec<(usize, BackfillSql)>>, Error> {
    let has = |i: usize, d: Direction| steps(&registry[i], d).iter().any(|s| matches!(s, Step::Backfill { .. }));
    let Some(last) = wanted.iter().filter(|&&(i, d)| has(i, d)).map(|&(i, _)| i).max() else {
        return Ok(vec![Vec::new(); wanted.len()]);
    };
    let before = schemas_along(&registry[..=last]);
    wanted
        .iter()
        .map(|&(i, direction)| {
            if !has(i, direction) {
                return Ok(Vec::new());
            }
            let schema = match direction {
                Direction::Up => &before[i],
                Direction::Down => &before[i + 1],
            };
            let Some(schema) = schema else { return Ok(Vec::new()) };
            backfills(steps(&registry[i], direction), dialect, schema).map_err(|e| Error::Render {
                name: registry[i].name.clone(),
                direction,
                dialect,
                reason: e.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftless_core::render::Statement;
    use driftless_core::schema::{Column, ColumnType, Table};
    use driftless_core::step::DialectSql;

    fn users() -> Table {
        let mut t = Table::new("users");
        t.columns.push(Column::new("id", ColumnType::BigInt));
        t
    }

    #[test]
    fn builder_steps_render_against_the_replayed_schema() {
        let email = Column { nullable: true, ..Column::new("email", ColumnType::Text) };
        let registry = vec![
            Migration::new("m1").up([Step::CreateTable { table: users() }]).down([Step::DropTable { table: users() }]),
            Migration::new("m2")
                .up([Step::AddColumn { table: "users".into(), column: email.clone() }])
                .down([Step::DropColumn { table: "users".into(), column: email }]),
        ];
        let wanted = [(1, Direction::Down), (0, Direction::Up), (1, Direction::Up)];
        let plans = plans(&registry, &wanted, Dialect::Postgres).unwrap();
        assert!(plans[0].statements[0].sql.contains("DROP COLUMN"), "{:?}", plans[0]);
        assert!(plans[1].statements[0].sql.starts_with("CREATE TABLE"), "{:?}", plans[1]);
        assert!(plans[2].statements[0].sql.contains("ADD COLUMN"), "{:?}", plans[2]);
    }

    #[test]
    fn raw_sql_needs_no_schema_and_irreversible_is_refused() {
        let raw =
            Step::RawSql { sql: DialectSql { default: Some("SELECT 1".into()), ..Default::default() }, effect: None };
        let registry = vec![
            Migration::new("m1").up([raw.clone()]).down([Step::Irreversible { reason: "the data is gone".into() }]),
        ];
        let p = plans(&registry, &[(0, Direction::Up)], Dialect::Sqlite).unwrap();
        assert_eq!(p[0].statements, vec![Statement { sql: "SELECT 1".into(), transactional: true, step: 0 }]);
        let err = plans(&registry, &[(0, Direction::Down)], Dialect::Sqlite).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot revert migration m1: the data is gone; restore from a backup, or write a new migration instead"
        );
    }
}
