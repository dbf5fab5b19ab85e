//! Online PostgreSQL: the recipes that keep writers running while a migration changes a populated table, and the
//! settings that bound how long a lock-taking statement may wait.
//!
//! [`online_postgres`] rewrites the plain statements the renderer gives for a migration's `up` steps:
//!
//! | step | plain (what drizzle-kit, Prisma, Alembic run) | online |
//! |---|---|---|
//! | create index | `CREATE INDEX` (SHARE: blocks writes for the build) | `CREATE INDEX CONCURRENTLY IF NOT EXISTS`, outside a transaction (SHARE UPDATE EXCLUSIVE) |
//! | drop index | `DROP INDEX` (ACCESS EXCLUSIVE) | `DROP INDEX CONCURRENTLY IF EXISTS`, outside a transaction |
//! | add unique | `ADD CONSTRAINT … UNIQUE` (builds the index under SHARE… ACCESS EXCLUSIVE) | a unique index built concurrently, then `ADD CONSTRAINT … UNIQUE USING INDEX` (brief ACCESS EXCLUSIVE) |
//! | add foreign key | validating scan under SHARE ROW EXCLUSIVE on both tables | `ADD … NOT VALID` (brief), then `VALIDATE CONSTRAINT` in its own transaction (SHARE UPDATE EXCLUSIVE) |
//! | add check | validating scan under ACCESS EXCLUSIVE | `ADD … NOT VALID` (brief), then `VALIDATE CONSTRAINT` in its own transaction |
//! | set NOT NULL | scan under ACCESS EXCLUSIVE | `CHECK (col IS NOT NULL) NOT VALID` → `VALIDATE` → `SET NOT NULL` (no scan, PostgreSQL 12+) → drop the check |
//!
//! A step on a table created earlier in the same migration stays plain: the table has no rows and no readers yet.
//! Every other step is kept as rendered. A statement marked non-transactional runs on its own (its own implicit
//! transaction); consecutive transactional statements run together in one transaction; `apply.rs` records the
//! progress of each of these units in the tracking table, inside the unit's own transaction when it has one.

use std::collections::BTreeSet;
use std::time::Duration;

use driftless_core::Dialect;
use driftless_core::render::{RenderedMigration, Statement};
use driftless_core::schema::Column;
use driftless_core::step::Step;

/// The default `lock_timeout` of every statement of an online migration.
pub const DEFAULT_STATEMENT_LOCK_TIMEOUT: Duration = Duration::from_secs(2);
/// The default number of attempts of a unit that fails on its `lock_timeout`.
pub const DEFAULT_LOCK_ATTEMPTS: u32 = 5;

/// How an online migration runs: the `lock_timeout` of its statements, and how often a unit that gave up waiting
/// for its lock is tried again (with a doubling pause between attempts, from 100 ms, at most 5 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OnlineSettings {
    pub lock_timeout: Duration,
    pub attempts: u32,
    /// Run an expand/contract migration's contract in the same run as its expand (`expand_contract.rs`).
    pub contract_now: bool,
}

/// The pause before attempt `attempt + 1` of a statement that met a lock timeout: `first`, doubling with each
/// attempt, at most 5 s.
pub(crate) fn lock_pause(first: Duration, attempt: u32) -> Duration {
    (first * (1u32 << (attempt.max(1) - 1).min(6))).min(Duration::from_secs(5))
}

fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn idents(names: &[String]) -> String {
    names.iter().map(|n| ident(n)).collect::<Vec<_>>().join(", ")
}

/// The name of the index that `sql` builds concurrently, when it is one of the online recipe's builds: before each
/// attempt the migrator drops an INVALID index of that name (left by an interrupted build) and builds it again.
pub(crate) fn concurrent_index_build(sql: &str) -> Option<String> {
    let rest = sql
        .strip_prefix("CREATE INDEX CONCURRENTLY IF NOT EXISTS ")
        .or_else(|| sql.strip_prefix("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "))?;
    let rest = rest.strip_prefix('"')?;
    let mut name = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if chars.peek() == Some(&'"') {
                chars.next();
                name.push('"');
            } else {
                return Some(name);
            }
        } else {
            name.push(c);
        }
    }
    None
}

/// The check constraint the NOT NULL recipe adds and drops again: `<table>_<column>_not_null`, cut to PostgreSQL's
/// 63 bytes.
fn not_null_check_name(table: &str, column: &str) -> String {
    let mut name = format!("{table}_{column}_not_null");
    if name.len() > 63 {
        let mut cut = 63 - "_not_null".len();
        let base = format!("{table}_{column}");
        while !base.is_char_boundary(cut) {
            cut -= 1;
        }
        name = format!("{}_not_null", &base[..cut]);
    }
    name
}

/// Whether `to` is `from` made NOT NULL and nothing else.
fn only_sets_not_null(from: &Column, to: &Column) -> bool {
    from.nullable && !to.nullable && Column { nullable: true, ..to.clone() } == *from
}

/// The online statements for one step, or `None` to keep the rendered ones.
fn recipe(step: &Step) -> Option<Vec<(String, bool)>> {
    let alter = |table: &str| format!("ALTER TABLE {}", ident(table));
    Some(match step {
        Step::CreateIndex { table, index } => {
            let unique = if index.unique { "UNIQUE " } else { "" };
            let predicate = index.predicate.as_ref().map(|p| format!(" WHERE {p}")).unwrap_or_default();
            vec![(
                format!(
                    "CREATE {unique}INDEX CONCURRENTLY IF NOT EXISTS {} ON {} ({}){predicate}",
                    ident(&index.name),
                    ident(table),
                    idents(&index.columns)
                ),
                false,
            )]
        }
        Step::DropIndex { index, .. } => {
            vec![(format!("DROP INDEX CONCURRENTLY IF EXISTS {}", ident(&index.name)), false)]
        }
        Step::AddUnique { table, unique } => vec![
            (
                format!(
                    "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {} ON {} ({})",
                    ident(&unique.name),
                    ident(table),
                    idents(&unique.columns)
                ),
                false,
            ),
            (
                format!(
                    "{} ADD CONSTRAINT {} UNIQUE USING INDEX {}",
                    alter(table),
                    ident(&unique.name),
                    ident(&unique.name)
                ),
                true,
            ),
        ],
        Step::AddForeignKey { table, foreign_key: fk } => {
            let actions = |what: &str, a: driftless_core::schema::ReferentialAction| {
                if a == driftless_core::schema::ReferentialAction::NoAction {
                    String::new()
                } else {
                    format!(" ON {what} {}", a.sql())
                }
            };
            vec![
                (
                    format!(
                        "{} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}){}{} NOT VALID",
                        alter(table),
                        ident(&fk.name),
                        idents(&fk.columns),
                        ident(&fk.ref_table),
                        idents(&fk.ref_columns),
                        actions("DELETE", fk.on_delete),
                        actions("UPDATE", fk.on_update),
                    ),
                    true,
                ),
                (format!("{} VALIDATE CONSTRAINT {}", alter(table), ident(&fk.name)), false),
            ]
        }
        Step::AddCheck { table, check } => vec![
            (format!("{} ADD CONSTRAINT {} CHECK ({}) NOT VALID", alter(table), ident(&check.name), check.expr), true),
            (format!("{} VALIDATE CONSTRAINT {}", alter(table), ident(&check.name)), false),
        ],
        Step::AlterColumn { table, from, to, backfill: None } if only_sets_not_null(from, to) => {
            let check = ident(&not_null_check_name(table, &to.name));
            let column = ident(&to.name);
            vec![
                (format!("{} ADD CONSTRAINT {check} CHECK ({column} IS NOT NULL) NOT VALID", alter(table)), true),
                (format!("{} VALIDATE CONSTRAINT {check}", alter(table)), false),
                (format!("{} ALTER COLUMN {column} SET NOT NULL", alter(table)), true),
                (format!("{} DROP CONSTRAINT {check}", alter(table)), true),
            ]
        }
        _ => return None,
    })
}

/// The table a step changes in place, for the steps that have an online recipe.
fn table_of(step: &Step) -> Option<&str> {
    match step {
        Step::CreateIndex { table, .. }
        | Step::DropIndex { table, .. }
        | Step::AddUnique { table, .. }
        | Step::AddForeignKey { table, .. }
        | Step::AddCheck { table, .. }
        | Step::AlterColumn { table, .. } => Some(table),
        _ => None,
    }
}

/// `plan` (the plain PostgreSQL rendering of `steps`) with every step that has an online recipe replaced by it,
/// except on tables created earlier in the same steps. Returns the plan unchanged for other dialects.
pub fn online_postgres(steps: &[Step], plan: &RenderedMigration) -> RenderedMigration {
    if plan.dialect != Dialect::Postgres {
        return plan.clone();
    }
    let mut created: BTreeSet<&str> = BTreeSet::new();
    let mut statements = Vec::with_capacity(plan.statements.len());
    for (index, step) in steps.iter().enumerate() {
        let online = match table_of(step) {
            Some(table) if !created.contains(table) => recipe(step),
            _ => None,
        };
        match online {
            Some(sqls) => statements.extend(sqls.into_iter().map(|(sql, transactional)| Statement {
                sql,
                transactional,
                step: index,
            })),
            None => statements.extend(plan.statements.iter().filter(|s| s.step == index).cloned()),
        }
        match step {
            Step::CreateTable { table } => {
                created.insert(&table.name);
            }
            Step::RenameTable { from, to } if created.contains(from.as_str()) => {
                created.insert(to);
            }
            _ => {}
        }
    }
    RenderedMigration {
        dialect: plan.dialect,
        statements,
        sqlite_foreign_keys_off: plan.sqlite_foreign_keys_off,
        sqlite_rebuilt_tables: plan.sqlite_rebuilt_tables.clone(),
    }
}

/// The statements of `plan` grouped into units, as `(first, end)` ranges: each non-transactional statement alone,
/// consecutive transactional ones together.
pub(crate) fn units(plan: &RenderedMigration) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (i, s) in plan.statements.iter().enumerate() {
        match out.last_mut() {
            Some((_, end)) if s.transactional && plan.statements[i - 1].transactional => *end = i + 1,
            _ => out.push((i, i + 1)),
        }
    }
    out
}

impl crate::Migrator {
    /// Whether migration `m` runs online on `dialect`: on PostgreSQL (not for a migration marked non-transactional:
    /// it runs statement by statement as written) and on MySQL/MariaDB (see `online_mysql.rs`), its own setting
    /// first, then the project's.
    pub(crate) fn online_for(
        &self,
        m: &driftless_core::migration::Migration,
        dialect: Dialect,
    ) -> Option<OnlineSettings> {
        crate::script::runs_online(m, dialect, self.online).then_some(OnlineSettings {
            lock_timeout: self.statement_lock_timeout,
            attempts: self.lock_attempts,
            contract_now: self.contract_now,
        })
    }
}

/// Whether a database error is PostgreSQL's `lock_not_available` (a `lock_timeout` expired) or `deadlock_detected`
/// (the unit lost a deadlock, for example the contract of an expand/contract, which locks a child table and then its
/// parent, against a writer's transaction that holds them in the other order): the unit rolled back and is tried
/// again.
pub(crate) fn is_lock_timeout(e: &sqlx::Error) -> bool {
    e.as_database_error().and_then(|d| d.code()).is_some_and(|c| c == "55P03" || c == "40P01")
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftless_core::render::render_steps;
    use driftless_core::schema::{Check, ColumnType, ForeignKey, Index, Schema, Table, UniqueConstraint};

    fn users() -> Table {
        let mut t = Table::new("users");
        t.columns.push(Column::new("id", ColumnType::BigInt));
        t.columns.push(Column { nullable: true, ..Column::new("email", ColumnType::Text) });
        t.columns.push(Column { nullable: true, ..Column::new("team_id", ColumnType::BigInt) });
        t
    }

    fn online_sql(before: &Schema, steps: &[Step]) -> Vec<(String, bool)> {
        let plan = render_steps(steps, Dialect::Postgres, before).unwrap();
        online_postgres(steps, &plan).statements.into_iter().map(|s| (s.sql, s.transactional)).collect()
    }

    fn schema() -> Schema {
        let mut teams = Table::new("teams");
        teams.columns.push(Column::new("id", ColumnType::BigInt));
        let steps = [Step::CreateTable { table: users() }, Step::CreateTable { table: teams }];
        driftless_core::replay::apply_steps(&Schema::empty(), &steps).unwrap()
    }

    #[test]
    fn each_recipe_names_its_statements_in_order() {
        let email = Column { nullable: true, ..Column::new("email", ColumnType::Text) };
        let steps = [
            Step::CreateIndex {
                table: "users".into(),
                index: Index {
                    name: "users_email_idx".into(),
                    columns: vec!["email".into()],
                    unique: false,
                    predicate: None,
                    ..Default::default()
                },
            },
            Step::AddUnique {
                table: "users".into(),
                unique: UniqueConstraint { name: "users_email_key".into(), columns: vec!["email".into()] },
            },
            Step::AddForeignKey {
                table: "users".into(),
                foreign_key: ForeignKey {
                    name: "users_team_id_fkey".into(),
                    columns: vec!["team_id".into()],
                    ref_table: "teams".into(),
                    ref_columns: vec!["id".into()],
                    on_delete: driftless_core::schema::ReferentialAction::Cascade,
                    on_update: Default::default(),
                },
            },
            Step::AddCheck {
                table: "users".into(),
                check: Check { name: "users_email_check".into(), expr: "email <> ''".into() },
            },
            Step::AlterColumn {
                table: "users".into(),
                from: email.clone(),
                to: Column { nullable: false, ..email },
                backfill: None,
            },
        ];
        let s = |sql: &str, t: bool| (sql.to_owned(), t);
        assert_eq!(
            online_sql(&schema(), &steps),
            vec![
                s(r#"CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_email_idx" ON "users" ("email")"#, false),
                s(r#"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "users_email_key" ON "users" ("email")"#, false),
                s(r#"ALTER TABLE "users" ADD CONSTRAINT "users_email_key" UNIQUE USING INDEX "users_email_key""#, true),
                s(
                    r#"ALTER TABLE "users" ADD CONSTRAINT "users_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "teams" ("id") ON DELETE CASCADE NOT VALID"#,
                    true
                ),
                s(r#"ALTER TABLE "users" VALIDATE CONSTRAINT "users_team_id_fkey""#, false),
                s(r#"ALTER TABLE "users" ADD CONSTRAINT "users_email_check" CHECK (email <> '') NOT VALID"#, true),
                s(r#"ALTER TABLE "users" VALIDATE CONSTRAINT "users_email_check""#, false),
                s(
                    r#"ALTER TABLE "users" ADD CONSTRAINT "users_email_not_null" CHECK ("email" IS NOT NULL) NOT VALID"#,
                    true
                ),
                s(r#"ALTER TABLE "users" VALIDATE CONSTRAINT "users_email_not_null""#, false),
                s(r#"ALTER TABLE "users" ALTER COLUMN "email" SET NOT NULL"#, true),
                s(r#"ALTER TABLE "users" DROP CONSTRAINT "users_email_not_null""#, true),
            ]
        );
        let plan = online_postgres(&steps, &render_steps(&steps, Dialect::Postgres, &schema()).unwrap());
        assert_eq!(units(&plan), vec![(0, 1), (1, 2), (2, 4), (4, 5), (5, 6), (6, 7), (7, 8), (8, 9), (9, 11)]);
        // The review's script of the online plan names each statement's lock (`render::locks`, one describer for
        // the review, the dry run, `migrate-sql` and the file headers): SET NOT NULL after its validated check scans
        // nothing.
        let script = driftless_core::render::locks::annotated_script(Dialect::Postgres, &steps, &plan);
        assert!(
            script.ends_with(
                "-- lock: SHARE UPDATE EXCLUSIVE: reads and writes continue during the scan (online)\n-- run outside \
                 a transaction:\nALTER TABLE \"users\" VALIDATE CONSTRAINT \"users_email_not_null\";\n-- lock: ACCESS \
                 EXCLUSIVE, brief (no scan: the check is validated) (online)\nALTER TABLE \"users\" ALTER COLUMN \
                 \"email\" SET NOT NULL;\n-- lock: ACCESS EXCLUSIVE, brief (catalog only, no scan or rewrite) \
                 (online)\nALTER TABLE \"users\" DROP CONSTRAINT \"users_email_not_null\";\n"
            ),
            "{script}"
        );
        assert!(
            script.starts_with(
                "-- lock: SHARE UPDATE EXCLUSIVE: reads and writes continue (online)\n-- run outside a \
                 transaction:\nCREATE INDEX CONCURRENTLY"
            ),
            "{script}"
        );
        assert_eq!(concurrent_index_build(&plan.statements[0].sql).as_deref(), Some("users_email_idx"));
        assert_eq!(concurrent_index_build(&plan.statements[2].sql), None);
    }

    #[test]
    fn steps_on_a_table_created_in_the_same_migration_stay_plain() {
        let steps = [
            Step::CreateTable { table: users() },
            Step::CreateIndex {
                table: "users".into(),
                index: Index {
                    name: "users_email_idx".into(),
                    columns: vec!["email".into()],
                    unique: false,
                    predicate: None,
                    ..Default::default()
                },
            },
        ];
        let sql = online_sql(&Schema::empty(), &steps);
        assert_eq!(sql.len(), 2, "{sql:?}");
        assert!(sql.iter().all(|(s, t)| *t && !s.contains("CONCURRENTLY")), "{sql:?}");
    }

    #[test]
    fn drop_index_runs_concurrently_and_long_names_are_cut() {
        let index = Index {
            name: "users_email_idx".into(),
            columns: vec!["email".into()],
            unique: false,
            predicate: None,
            ..Default::default()
        };
        let steps = [Step::DropIndex { table: "users".into(), index }];
        let mut before = schema();
        before = driftless_core::replay::apply_steps(
            &before,
            &[Step::CreateIndex {
                table: "users".into(),
                index: Index {
                    name: "users_email_idx".into(),
                    columns: vec!["email".into()],
                    unique: false,
                    predicate: None,
                    ..Default::default()
                },
            }],
        )
        .unwrap();
        assert_eq!(
            online_sql(&before, &steps),
            vec![(r#"DROP INDEX CONCURRENTLY IF EXISTS "users_email_idx""#.to_owned(), false)]
        );
        assert_eq!(
            concurrent_index_build(r#"CREATE INDEX CONCURRENTLY IF NOT EXISTS "a""b" ON "t" ("c")"#).as_deref(),
            Some("a\"b")
        );
        let long = not_null_check_name(&"t".repeat(40), &"c".repeat(40));
        assert_eq!(long.len(), 63);
        assert!(long.ends_with("_not_null"));
    }
}
