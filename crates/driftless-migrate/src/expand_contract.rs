//! Online PostgreSQL expand/contract for a type change that rewrites the table (`integer` → `bigint` on a primary
//! key that other tables reference, and on their foreign-key columns; `integer` → `numeric`, `text` → `uuid`, ...):
//! the plan the migrator runs instead of `ALTER COLUMN … TYPE … USING`, in two phases separated by a contract
//! marker. The decision is `driftless_core::classify::expand_contract_eligible`, shared with the classifier (code
//! `expand_contract_type`). The shadow column's value is the plain ALTER's `USING` expression, from the renderer
//! (`driftless_core::render::expand_sql`); the contract gives the swapped column its default and comment.
//!
//! A migration whose `up` holds only eligible widenings, on tables that existed before this run, gets:
//!
//! 1. **expand**, per table: `ADD COLUMN <c>__driftless_new <type>` (nullable, catalog only) with a `BEFORE INSERT
//!    OR UPDATE` trigger that sets it from the old column (one transaction); a batched backfill `SET shadow = c
//!    WHERE shadow IS NULL` (`backfill.rs`: keyset batches, each committed, resumable); for a NOT NULL column
//!    `CHECK (shadow IS NOT NULL) NOT VALID` then `VALIDATE`; every primary key, unique constraint and index on the
//!    column built again on the shadow column `CONCURRENTLY` as `<name>__driftless_new`.
//! 2. the **contract marker** (a comment statement): a run that applied the expand stops here, leaving the row
//!    dirty at the marker; the next `migrate` resumes at it (`Migrator::contract_now(true)`, `migrate --contract`,
//!    runs straight through).
//! 3. **contract**, one transaction under `lock_timeout`: drop the foreign keys on or to the swapped columns; per
//!    column `SET NOT NULL` (no scan: the check is validated), the identity added to the shadow column and its
//!    sequence set to where the old one stopped, the trigger and function dropped, the old column dropped (its
//!    indexes and keys go with it), the shadow renamed, the check dropped; the primary key and unique constraints
//!    taken over `USING INDEX`, the copied indexes renamed; the foreign keys added back `NOT VALID`. Then each
//!    foreign key validated in its own unit.

use std::collections::BTreeSet;

use driftless_core::Dialect;
use driftless_core::classify::{SHADOW_SUFFIX, expand_contract_eligible, is_integer_widening};
use driftless_core::migration::{Migration, schemas_along};
use driftless_core::render::backfill::{BackfillSql, backfill_sql};
use driftless_core::render::expand_sql::{postgres_cast, postgres_default, postgres_string, postgres_type};
use driftless_core::render::{RenderedMigration, Statement};
use driftless_core::schema::{Check, Column, ColumnType, ForeignKey, Index, ReferentialAction, Schema};
use driftless_core::step::{BackfillInverse, DEFAULT_BATCH_SIZE, Step};

use crate::outcome::Direction;

/// The statement between the two phases: a comment the migrator runs as nothing.
pub const CONTRACT_MARKER: &str = "-- driftless: the contract phase starts here";

/// Whether `sql` is the contract marker.
pub fn is_contract_marker(sql: &str) -> bool {
    sql.starts_with(CONTRACT_MARKER)
}

/// Whether a tracking row is an expand/contract migration stopped before its contract.
pub fn is_contract_pending(row: &crate::outcome::AppliedMigration) -> bool {
    row.dirty == Some(Direction::Up) && row.failed_statement.as_deref().is_some_and(is_contract_marker)
}

pub(crate) fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn idents(names: &[String]) -> String {
    names.iter().map(|n| ident(n)).collect::<Vec<_>>().join(", ")
}

pub(crate) fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

pub(crate) fn shadow(name: &str) -> String {
    format!("{name}{SHADOW_SUFFIX}")
}

/// The sync function of a widened column, and its trigger (same name).
fn sync_name(table: &str, column: &str) -> String {
    shadow(&format!("{table}_{column}"))
}

/// The `IS NOT NULL` check on a NOT NULL column's shadow column.
fn check_name(table: &str, column: &str) -> String {
    format!("{table}_{}_not_null", shadow(column))
}

/// The shadow column's type: the widening's as it always was, otherwise the renderer's spelling.
pub(crate) fn pg_type(w: &Widening<'_>, before: &Schema) -> Option<String> {
    if !is_integer_widening(&w.from.ty, &w.to.ty) {
        return postgres_type(&w.to.ty, before, w.table).ok();
    }
    Some(
        match w.to.ty {
            ColumnType::SmallInt => "smallint",
            ColumnType::Integer => "integer",
            _ => "bigint",
        }
        .to_owned(),
    )
}

/// The shadow column's value from `old` (the old column as an SQL expression: `"c"`, or `NEW."c"` in the trigger):
/// the old value for a widening (PostgreSQL's assignment cast), otherwise the plain `ALTER … TYPE`'s `USING`
/// expression, from the renderer.
fn converted(w: &Widening<'_>, old: &str, before: &Schema) -> String {
    if is_integer_widening(&w.from.ty, &w.to.ty) {
        old.to_owned()
    } else {
        postgres_cast(old, &w.from.ty, &w.to.ty, before)
    }
}

/// The trigger function's settings: a conversion that reads or writes a date, a time or a number as text depends
/// on them, so the function converts in the settings of the migrator's session, as the backfill and the plain
/// `ALTER … TYPE` do, not in each writer's.
fn pinned_settings(w: &Widening<'_>) -> &'static str {
    if is_integer_widening(&w.from.ty, &w.to.ty) {
        ""
    } else {
        " SET timezone FROM CURRENT SET datestyle FROM CURRENT SET intervalstyle FROM CURRENT SET extra_float_digits \
         FROM CURRENT"
    }
}

/// One eligible widening: the step's index, its table and the column before and after.
pub(crate) struct Widening<'a> {
    pub step: usize,
    pub table: &'a str,
    pub from: &'a Column,
    pub to: &'a Column,
}

/// The widenings of `steps`, when every step is one that PostgreSQL can run as expand/contract against `before`.
pub(crate) fn widenings<'a>(steps: &'a [Step], before: &Schema) -> Option<Vec<Widening<'a>>> {
    let mut out: Vec<Widening<'a>> = Vec::new();
    for (step, s) in steps.iter().enumerate() {
        let Step::AlterColumn { table, from, to, backfill: None } = s else { return None };
        expand_contract_eligible(table, from, to, before).ok()?;
        if out.iter().any(|w| w.table == table && w.from.name == from.name) {
            return None;
        }
        out.push(Widening { step, table, from, to });
    }
    (!out.is_empty()).then_some(out)
}

/// The shadow column the expand adds for `w`: the new type, nullable, no identity yet.
fn shadow_column(w: &Widening<'_>) -> Column {
    Column {
        name: shadow(&w.from.name),
        nullable: true,
        auto_increment: false,
        default: None,
        comment: None,
        ..(*w.to).clone()
    }
}

/// The columns of a copied index: each swapped column by its shadow.
fn on_shadow(widenings: &[Widening<'_>], table: &str, columns: &[String]) -> Vec<String> {
    let swapped = |c: &String| widenings.iter().any(|w| w.table == table && w.from.name == *c);
    columns.iter().map(|c| if swapped(c) { shadow(c) } else { c.clone() }).collect()
}

/// The indexes the expand copies on `t` (its primary key, unique constraints and indexes that cover a swapped
/// column), as they exist once built: `<name>__driftless_new` on the shadow columns.
fn copied_indexes(widenings: &[Widening<'_>], t: &driftless_core::schema::Table) -> Vec<Index> {
    let touches =
        |columns: &[String]| columns.iter().any(|c| widenings.iter().any(|w| w.table == t.name && w.from.name == *c));
    let copy = |name: &str, unique: bool, columns: &[String], predicate: Option<&String>| Index {
        name: shadow(name),
        columns: on_shadow(widenings, &t.name, columns),
        unique,
        predicate: predicate.cloned(),
        ..Default::default()
    };
    let mut out = Vec::new();
    if let Some(pk) = t.primary_key.as_ref().filter(|pk| touches(&pk.columns)) {
        out.push(copy(&pk.name, true, &pk.columns, None));
    }
    for u in t.uniques.iter().filter(|u| touches(&u.columns)) {
        out.push(copy(&u.name, true, &u.columns, None));
    }
    for i in t.indexes.iter().filter(|i| touches(&i.columns)) {
        out.push(copy(&i.name, i.unique, &i.columns, i.predicate.as_ref()));
    }
    out
}

fn on_action(what: &str, a: ReferentialAction) -> String {
    if a == ReferentialAction::NoAction { String::new() } else { format!(" ON {what} {}", a.sql()) }
}

/// The expand/contract plan of `steps` against `before` (the schema before them), with its backfills by step
/// index; `None` when the steps are not all eligible widenings.
pub fn plan(steps: &[Step], before: &Schema) -> Option<(RenderedMigration, Vec<(usize, BackfillSql)>)> {
    let widenings = widenings(steps, before)?;
    let mut tables: Vec<&str> = Vec::new();
    for w in &widenings {
        if !tables.contains(&w.table) {
            tables.push(w.table);
        }
    }
    let swapped = |table: &str, column: &str| widenings.iter().any(|w| w.table == table && w.from.name == column);
    let mut out: Vec<Statement> = Vec::new();
    let mut push = |sql: String, transactional: bool, step: usize| out.push(Statement { sql, transactional, step });
    let mut backfills = Vec::new();
    let mut shadowed = before.clone();

    // Expand.
    for &table in &tables {
        let t = before.table(table)?;
        let alter = format!("ALTER TABLE {}", ident(table));
        let mine: Vec<&Widening<'_>> = widenings.iter().filter(|w| w.table == table).collect();
        for w in &mine {
            let (c, s) = (ident(&w.from.name), ident(&shadow(&w.from.name)));
            let sync = ident(&sync_name(table, &w.from.name));
            push(format!("{alter} ADD COLUMN {s} {}", pg_type(w, before)?), true, w.step);
            let value = converted(w, &format!("NEW.{c}"), before);
            let settings = pinned_settings(w);
            push(
                format!(
                    "CREATE OR REPLACE FUNCTION {sync}() RETURNS trigger LANGUAGE plpgsql{settings} AS $$ BEGIN \
                     NEW.{s} := {value}; RETURN NEW; END $$"
                ),
                true,
                w.step,
            );
            push(
                format!(
                    "CREATE TRIGGER {sync} BEFORE INSERT OR UPDATE ON {} FOR EACH ROW EXECUTE FUNCTION {sync}()",
                    ident(table)
                ),
                true,
                w.step,
            );
            let st = shadowed.tables.iter_mut().find(|x| x.name == table)?;
            st.columns.push(shadow_column(w));
        }
        for w in &mine {
            let s = shadow(&w.from.name);
            let step = Step::Backfill {
                table: table.to_owned(),
                set: vec![(s.clone(), converted(w, &ident(&w.from.name), before))],
                predicate: Some(format!("{} IS NULL", ident(&s))),
                batch_size: DEFAULT_BATCH_SIZE,
                throttle_ms: 0,
                inverse: BackfillInverse::Nothing,
            };
            let sql = backfill_sql(&step, Dialect::Postgres, &shadowed).ok()??;
            push(sql.readable(), false, w.step);
            backfills.push((w.step, sql));
        }
        for w in mine.iter().filter(|w| !w.to.nullable) {
            let check = ident(&check_name(table, &w.from.name));
            let s = ident(&shadow(&w.from.name));
            push(format!("{alter} ADD CONSTRAINT {check} CHECK ({s} IS NOT NULL) NOT VALID"), true, w.step);
            push(format!("{alter} VALIDATE CONSTRAINT {check}"), false, w.step);
        }
        for i in copied_indexes(&widenings, t) {
            push(
                format!(
                    "CREATE {}INDEX CONCURRENTLY IF NOT EXISTS {} ON {} ({}){}",
                    if i.unique { "UNIQUE " } else { "" },
                    ident(&i.name),
                    ident(table),
                    idents(&i.columns),
                    i.predicate.map(|p| format!(" WHERE {p}")).unwrap_or_default()
                ),
                false,
                mine[0].step,
            );
        }
    }
    let last = widenings.last()?.step;
    push(CONTRACT_MARKER.to_owned(), false, last);

    // Contract: the foreign keys on or to a swapped column, dropped first and added back last.
    let mut fks: Vec<(&str, &ForeignKey)> = Vec::new();
    for t in &before.tables {
        for fk in &t.foreign_keys {
            let on_child = fk.columns.iter().any(|c| swapped(&t.name, c));
            let to_parent = fk.ref_columns.iter().any(|c| swapped(&fk.ref_table, c));
            if on_child || to_parent {
                fks.push((&t.name, fk));
            }
        }
    }
    for (table, fk) in &fks {
        push(format!("ALTER TABLE {} DROP CONSTRAINT {}", ident(table), ident(&fk.name)), true, last);
    }
    for &table in &tables {
        let t = before.table(table)?;
        let alter = format!("ALTER TABLE {}", ident(table));
        for w in widenings.iter().filter(|w| w.table == table) {
            let (c, s) = (ident(&w.from.name), ident(&shadow(&w.from.name)));
            let sync = ident(&sync_name(table, &w.from.name));
            if !w.to.nullable {
                push(format!("{alter} ALTER COLUMN {s} SET NOT NULL"), true, w.step);
            }
            // The default and the comment, on the shadow column before it takes the name (the plain ALTER sets the
            // same default, spelled for the new type).
            if let Some(default) = w.to.default.as_ref().filter(|_| !w.to.auto_increment) {
                push(
                    format!("{alter} ALTER COLUMN {s} SET DEFAULT {}", postgres_default(&w.to.ty, default)),
                    true,
                    w.step,
                );
            }
            if let Some(comment) = &w.to.comment {
                push(format!("COMMENT ON COLUMN {}.{s} IS {}", ident(table), postgres_string(comment)), true, w.step);
            }
            if w.to.auto_increment {
                push(format!("{alter} ALTER COLUMN {s} ADD GENERATED BY DEFAULT AS IDENTITY"), true, w.step);
                let seq =
                    |column: &str| format!("pg_get_serial_sequence({}, {})", literal(&ident(table)), literal(column));
                let old = format!("pg_sequence_last_value({}::regclass)", seq(&w.from.name));
                push(
                    format!("SELECT setval({}, COALESCE({old}, 1), {old} IS NOT NULL)", seq(&shadow(&w.from.name))),
                    true,
                    w.step,
                );
            }
            push(format!("DROP TRIGGER {sync} ON {}", ident(table)), true, w.step);
            push(format!("DROP FUNCTION {sync}()"), true, w.step);
            push(format!("{alter} DROP COLUMN {c}"), true, w.step);
            push(format!("{alter} RENAME COLUMN {s} TO {c}"), true, w.step);
            if w.to.auto_increment {
                // PostgreSQL named the identity's sequence after the shadow column: give it the old one's name, now free.
                let (from, to) =
                    (format!("{table}_{}_seq", shadow(&w.from.name)), format!("{table}_{}_seq", w.from.name));
                push(
                    format!(
                        "DO $$ BEGIN IF to_regclass({}) IS NULL THEN ALTER SEQUENCE IF EXISTS {} RENAME TO {}; END IF; \
                         END $$",
                        literal(&ident(&to)),
                        ident(&from),
                        ident(&to)
                    ),
                    true,
                    w.step,
                );
            }
            if !w.to.nullable {
                let check = ident(&check_name(table, &w.from.name));
                push(format!("{alter} DROP CONSTRAINT {check}"), true, w.step);
            }
        }
        let touches = |columns: &[String]| columns.iter().any(|c| swapped(table, c));
        let step = widenings.iter().find(|w| w.table == table)?.step;
        // An index keeps the names its columns had when it was built: rename them after the table's.
        let index_columns = |index: &str, columns: &[String]| -> Vec<String> {
            let renamed = columns.iter().filter(|c| swapped(table, c));
            renamed
                .map(|c| format!("ALTER TABLE {} RENAME COLUMN {} TO {}", ident(index), ident(&shadow(c)), ident(c)))
                .collect()
        };
        if let Some(pk) = t.primary_key.as_ref().filter(|pk| touches(&pk.columns)) {
            let (name, index) = (ident(&pk.name), ident(&shadow(&pk.name)));
            push(format!("{alter} ADD CONSTRAINT {name} PRIMARY KEY USING INDEX {index}"), true, step);
            index_columns(&pk.name, &pk.columns).into_iter().for_each(|sql| push(sql, true, step));
        }
        for u in t.uniques.iter().filter(|u| touches(&u.columns)) {
            let (name, index) = (ident(&u.name), ident(&shadow(&u.name)));
            push(format!("{alter} ADD CONSTRAINT {name} UNIQUE USING INDEX {index}"), true, step);
            index_columns(&u.name, &u.columns).into_iter().for_each(|sql| push(sql, true, step));
        }
        for i in t.indexes.iter().filter(|i| touches(&i.columns)) {
            push(format!("ALTER INDEX {} RENAME TO {}", ident(&shadow(&i.name)), ident(&i.name)), true, step);
            index_columns(&i.name, &i.columns).into_iter().for_each(|sql| push(sql, true, step));
        }
    }
    for (table, fk) in &fks {
        push(
            format!(
                "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}){}{} NOT VALID",
                ident(table),
                ident(&fk.name),
                idents(&fk.columns),
                ident(&fk.ref_table),
                idents(&fk.ref_columns),
                on_action("DELETE", fk.on_delete),
                on_action("UPDATE", fk.on_update),
            ),
            true,
            last,
        );
    }
    for (table, fk) in &fks {
        push(format!("ALTER TABLE {} VALIDATE CONSTRAINT {}", ident(table), ident(&fk.name)), false, last);
    }
    let plan = RenderedMigration {
        dialect: Dialect::Postgres,
        statements: out,
        sqlite_foreign_keys_off: false,
        sqlite_rebuilt_tables: Vec::new(),
    };
    Some((plan, backfills))
}

/// What the expand of an expand/contract migration leaves in the database while its contract waits: the objects
/// [`plan`]'s expand creates, named by the same code. `migrate-status` shows them as the expand in progress
/// instead of as drift (`driftless_introspect::drift`).
#[derive(Debug, Clone, PartialEq)]
pub struct Expanded {
    /// `before` with the expand's shadow columns, `IS NOT NULL` checks and copied indexes added: the schema the
    /// database holds between the expand and the contract (the sync triggers and functions are outside the
    /// schema model).
    pub schema: Schema,
    /// Each object the expand created, in plan order, for messages (`column orders.id__driftless_new`, ...).
    pub objects: Vec<String>,
}

/// The objects the expand of `steps` creates against `before` (the schema before them); `None` when [`plan`] does
/// not apply.
pub fn expanded(steps: &[Step], before: &Schema) -> Option<Expanded> {
    let widenings = widenings(steps, before)?;
    let mut schema = before.clone();
    let mut objects = Vec::new();
    let mut tables: Vec<&str> = Vec::new();
    for w in &widenings {
        if !tables.contains(&w.table) {
            tables.push(w.table);
        }
    }
    for &table in &tables {
        let copies = copied_indexes(&widenings, before.table(table)?);
        let t = schema.table_mut(table)?;
        for w in widenings.iter().filter(|w| w.table == table) {
            t.columns.push(shadow_column(w));
            objects.push(format!("column {table}.{}", shadow(&w.from.name)));
            let sync = sync_name(table, &w.from.name);
            objects.push(format!("trigger {sync} on {table} and its function {sync}()"));
        }
        for w in widenings.iter().filter(|w| w.table == table && !w.to.nullable) {
            let name = check_name(table, &w.from.name);
            t.checks.push(Check { name: name.clone(), expr: format!("{} IS NOT NULL", ident(&shadow(&w.from.name))) });
            objects.push(format!("check {name} on {table}"));
        }
        for i in copies {
            objects.push(format!("index {} on {table}", i.name));
            t.indexes.push(i);
        }
    }
    Some(Expanded { schema, objects })
}

/// The online PostgreSQL plan of `steps` for the review, the header and the dry run: the expand/contract plan
/// when it applies against `before`, otherwise the online recipes of `online::online_postgres`.
pub fn online_postgres_with(steps: &[Step], plain: &RenderedMigration, before: Option<&Schema>) -> RenderedMigration {
    if plain.dialect == Dialect::Postgres
        && let Some((plan, _)) = before.and_then(|b| plan(steps, b))
    {
        return plan;
    }
    crate::online::online_postgres(steps, plain)
}

/// The plan the migrator runs for migration `i` of `registry` in `direction` (one of `wanted`, the run's
/// migrations), with the backfills it adds: online MySQL clauses, the online PostgreSQL recipes, or the
/// expand/contract plan when it applies. It does not apply to a table created by an earlier migration of the same
/// run (empty, nobody reads it yet): the plain rewrite is instant there.
pub(crate) fn online_plan(
    registry: &[Migration],
    wanted: &[(usize, Direction)],
    i: usize,
    plan: RenderedMigration,
    online: bool,
    shadow: bool,
) -> (RenderedMigration, Vec<(usize, BackfillSql)>) {
    let up = &registry[i].up;
    match plan.dialect {
        _ if !online => (plan, Vec::new()),
        Dialect::Mysql => {
            // The schema before it, only when a step may take the shadow-table recipe (which it rules out for some
            // tables).
            // The shadow-table recipe only when the migrator turned it on (`Migrator::mysql_shadow_table`).
            let shadow = shadow && up.iter().any(driftless_core::render::mysql_shadow::shadow_candidate);
            let before = shadow.then(|| schemas_along(&registry[..i]).pop().flatten()).flatten();
            let online = if shadow {
                driftless_core::render::mysql_online::online_mysql_with(up, &plan, before.as_ref())
            } else {
                driftless_core::render::mysql_online::online_mysql_in_place(up, &plan)
            };
            (online, Vec::new())
        }
        Dialect::Postgres => {
            let candidate = up.iter().all(|s| matches!(s, Step::AlterColumn { .. }));
            let fresh: BTreeSet<&str> = wanted
                .iter()
                .filter(|&&(j, d)| j < i && d == Direction::Up)
                .flat_map(|&(j, _)| registry[j].up.iter())
                .filter_map(|s| match s {
                    Step::CreateTable { table } => Some(table.name.as_str()),
                    _ => None,
                })
                .collect();
            let before = candidate.then(|| schemas_along(&registry[..i]).pop().flatten()).flatten();
            match before.as_ref().and_then(|b| plan_unless_fresh(up, b, &fresh)) {
                Some(expanded) => expanded,
                None => (crate::online::online_postgres(up, &plan), Vec::new()),
            }
        }
        _ => (plan, Vec::new()),
    }
}

fn plan_unless_fresh(
    up: &[Step],
    before: &Schema,
    fresh: &BTreeSet<&str>,
) -> Option<(RenderedMigration, Vec<(usize, BackfillSql)>)> {
    let involved = up.iter().filter_map(Step::table).any(|t| fresh.contains(t));
    if involved { None } else { plan(up, before) }
}

impl crate::Migrator {
    /// Whether an online PostgreSQL expand/contract migration runs its contract in the same run as its expand
    /// (default `false`: the run stops after the expand and says so in [`crate::Report::contract_pending`]; the
    /// next run does the contract). A run that resumes at the contract always does it.
    pub fn contract_now(mut self, now: bool) -> crate::Migrator {
        self.contract_now = now;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftless_core::define::*;
    use driftless_core::replay::apply_steps;
    use driftless_core::testing::orders_items::{items, orders, widen_up as widen};

    fn before() -> Schema {
        let steps = [create_table(orders(ColumnType::Integer)), create_table(items(ColumnType::Integer))];
        apply_steps(&Schema::empty(), &steps).unwrap()
    }

    #[test]
    fn a_referenced_key_and_its_referencing_column_expand_then_contract() {
        let (plan, backfills) = plan(&widen(), &before()).expect("eligible");
        let sql: Vec<String> = plan
            .statements
            .iter()
            .map(|s| format!("{} {}{}", s.step, if s.transactional { "" } else { "[alone] " }, s.sql))
            .collect();
        let expected = [
            r#"0 ALTER TABLE "orders" ADD COLUMN "id__driftless_new" bigint"#,
            r#"0 CREATE OR REPLACE FUNCTION "orders_id__driftless_new"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW."id__driftless_new" := NEW."id"; RETURN NEW; END $$"#,
            r#"0 CREATE TRIGGER "orders_id__driftless_new" BEFORE INSERT OR UPDATE ON "orders" FOR EACH ROW EXECUTE FUNCTION "orders_id__driftless_new"()"#,
        ];
        assert_eq!(&sql[..3], &expected[..], "{sql:#?}");
        assert_eq!(backfills.len(), 2);
        let marker = sql.iter().position(|s| s.ends_with(&format!("[alone] {CONTRACT_MARKER}"))).expect("the marker");
        // The contract: the foreign key dropped first and added back last, then validated on its own.
        assert_eq!(sql[marker + 1], r#"1 ALTER TABLE "items" DROP CONSTRAINT "items_order_id_fkey""#);
        assert_eq!(
            sql[sql.len() - 2],
            r#"1 ALTER TABLE "items" ADD CONSTRAINT "items_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders" ("id") ON DELETE CASCADE NOT VALID"#
        );
        assert_eq!(sql[sql.len() - 1], r#"1 [alone] ALTER TABLE "items" VALIDATE CONSTRAINT "items_order_id_fkey""#);
        let pk = r#"0 ALTER TABLE "orders" ADD CONSTRAINT "orders_pkey" PRIMARY KEY USING INDEX "orders_pkey__driftless_new""#;
        assert!(sql.iter().any(|s| s == pk), "{sql:#?}");
        // Everything between the marker and the validation is one transaction.
        assert!(plan.statements[marker + 1..plan.statements.len() - 1].iter().all(|s| s.transactional));
    }

    #[test]
    fn the_expanded_objects_are_the_ones_the_expand_creates() {
        let (plan, _) = plan(&widen(), &before()).expect("eligible");
        let marker = plan.statements.iter().position(|s| is_contract_marker(&s.sql)).expect("the marker");
        let expand: Vec<&str> = plan.statements[..marker].iter().map(|s| s.sql.as_str()).collect();
        let e = expanded(&widen(), &before()).expect("eligible");
        assert_eq!(
            e.objects,
            [
                "column orders.id__driftless_new",
                "trigger orders_id__driftless_new on orders and its function orders_id__driftless_new()",
                "check orders_id__driftless_new_not_null on orders",
                "index orders_pkey__driftless_new on orders",
                "column items.order_id__driftless_new",
                "trigger items_order_id__driftless_new on items and its function items_order_id__driftless_new()",
                "check items_order_id__driftless_new_not_null on items",
                "index items_order_id_idx__driftless_new on items",
            ]
        );
        // Every created object is named in the expand as the plan writes it, and every one the expand creates is
        // listed.
        for t in &e.schema.tables {
            for name in t.columns.iter().map(|c| &c.name).chain(t.indexes.iter().map(|i| &i.name)) {
                let created = expand.iter().any(|sql| {
                    sql.contains(&format!("ADD COLUMN {}", ident(name)))
                        || sql.contains(&format!("EXISTS {} ON", ident(name)))
                });
                assert_eq!(created, name.ends_with(SHADOW_SUFFIX), "{name}: {expand:#?}");
            }
            for c in &t.checks {
                assert!(expand.iter().any(|sql| sql.contains(&format!(
                    "ADD CONSTRAINT {} CHECK ({})",
                    ident(&c.name),
                    c.expr
                ))));
            }
        }
        let creates = |sql: &&&str| sql.contains(" ADD ") || sql.starts_with("CREATE");
        // Per table: the column, the function, the trigger (one object), the check and the index.
        assert_eq!(expand.iter().filter(creates).count(), 2 * 5, "{expand:#?}");
        for sync in ["orders_id__driftless_new", "items_order_id__driftless_new"] {
            assert!(expand.iter().any(|sql| sql.starts_with(&format!("CREATE TRIGGER {}", ident(sync)))));
            assert!(expand.iter().any(|sql| sql.starts_with(&format!("CREATE OR REPLACE FUNCTION {}()", ident(sync)))));
        }
    }

    #[test]
    fn anything_else_stays_with_the_online_recipes() {
        let before = before();
        // Mixed with another change.
        let mut mixed = widen();
        mixed.push(add_column("orders", column("note", ColumnType::Text).nullable()));
        assert!(plan(&mixed, &before).is_none());
        // Not a widening.
        let int = column("order_id", ColumnType::Integer);
        let narrow = vec![alter_column("items", int.clone(), column("order_id", ColumnType::SmallInt))];
        assert!(plan(&narrow, &before).is_none());
        // A check that names the column.
        let checked =
            apply_steps(&before, &[add_check("items", check("items_order_id_check", "order_id > 0"))]).unwrap();
        assert!(plan(&widen(), &checked).is_none());
        // Another change with the type.
        let also_nullable = vec![alter_column("items", int, column("order_id", ColumnType::BigInt).nullable())];
        assert!(plan(&also_nullable, &before).is_none());
        // The referencing column alone is fine.
        assert!(plan(&widen()[1..], &before).is_some());
        // A type change that is not a widening, on a column a foreign key uses: its two sides would not match.
        let to_text =
            vec![alter_column("items", column("order_id", ColumnType::Integer), column("order_id", ColumnType::Text))];
        assert!(plan(&to_text, &before).is_none());
    }

    #[test]
    fn a_cast_default_and_comment_are_the_plain_alters() {
        let token = |ty| column("token", ty).default_sql("gen_random_uuid()").comment("the id");
        let t = table("accounts")
            .with_column(column("id", ColumnType::BigInt).auto_increment())
            .with_column(token(ColumnType::Text))
            .primary_key("accounts_pkey", &["id"]);
        let before = apply_steps(&Schema::empty(), &[create_table(t)]).unwrap();
        let steps = vec![alter_column("accounts", token(ColumnType::Text), token(ColumnType::Uuid))];
        let (plan, backfills) = plan(&steps, &before).expect("eligible");
        let sql: Vec<&str> = plan.statements.iter().map(|s| s.sql.as_str()).collect();
        assert_eq!(sql[0], r#"ALTER TABLE "accounts" ADD COLUMN "token__driftless_new" UUID"#);
        assert_eq!(
            sql[1],
            r#"CREATE OR REPLACE FUNCTION "accounts_token__driftless_new"() RETURNS trigger LANGUAGE plpgsql SET timezone FROM CURRENT SET datestyle FROM CURRENT SET intervalstyle FROM CURRENT SET extra_float_digits FROM CURRENT AS $$ BEGIN NEW."token__driftless_new" := NEW."token"::UUID; RETURN NEW; END $$"#
        );
        assert!(backfills[0].1.readable().contains(r#""token__driftless_new" = "token"::UUID"#), "{sql:#?}");
        let set_default =
            r#"ALTER TABLE "accounts" ALTER COLUMN "token__driftless_new" SET DEFAULT (gen_random_uuid())"#;
        let comment = r#"COMMENT ON COLUMN "accounts"."token__driftless_new" IS 'the id'"#;
        let rename = r#"ALTER TABLE "accounts" RENAME COLUMN "token__driftless_new" TO "token""#;
        let at = |x: &str| sql.iter().position(|s| *s == x).unwrap_or_else(|| panic!("{x} in {sql:#?}"));
        assert!(at(set_default) < at(rename) && at(comment) < at(rename));
        // The expanded schema has neither: the expand does not set them.
        let e = expanded(&steps, &before).expect("eligible");
        let shadow = e.schema.table("accounts").unwrap().columns.iter().find(|c| c.name == "token__driftless_new");
        assert_eq!(shadow.map(|c| (c.default.is_none(), c.comment.is_none())), Some((true, true)));
    }
}
