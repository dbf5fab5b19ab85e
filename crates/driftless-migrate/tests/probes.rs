//! Data probes: before a step that would fail on the rows already in a table, the migrator refuses the migration
//! with the count and up to five example keys, and nothing of it runs. Each case then fixes the data and shows that
//! the same migration applies, so the refusal came from the probe and the schema was left as it was.

mod common;

use common::Target;
use driftless_core::define::*;
use driftless_core::migration::{Class, Migration};
use driftless_core::schema::{Column, ColumnType};
use driftless_core::step::Step;

const BASE: &str = "m20260101T000000_base";
const RISKY: &str = "m20260102T000000_risky";

fn email() -> Column {
    column("email", ColumnType::Varchar(100)).nullable()
}

fn base() -> Migration {
    let teams = table("teams").with_column(column("id", ColumnType::BigInt)).primary_key("teams_pkey", &["id"]);
    let users = table("users")
        .with_column(column("id", ColumnType::BigInt))
        .with_column(email())
        .with_column(column("team_id", ColumnType::BigInt).nullable())
        .with_column(column("code", ColumnType::Text).nullable())
        .with_column(column("n", ColumnType::BigInt).nullable())
        .primary_key("users_pkey", &["id"]);
    Migration::new(BASE)
        .up([create_table(teams.clone()), create_table(users.clone())])
        .down([drop_table(users), drop_table(teams)])
}

fn risky(up: Step) -> Vec<Migration> {
    let down = up.inverse();
    vec![
        base(),
        Migration::new(RISKY)
            .class(Class::Dangerous)
            .acknowledged("test", "the probe test")
            .up([add_column("teams", column("note", ColumnType::Text).nullable()), up])
            .down([down, drop_column("teams", column("note", ColumnType::Text).nullable())]),
    ]
}

/// Applies the base, seeds `rows`, runs the risky migration and returns its refusal, after checking that nothing
/// of it ran: no tracking row, no new column from its first step, the same rows.
async fn refused(t: &Target, registry: &[Migration], rows: &[&str]) -> String {
    t.migrator([base()]).migrate().await.unwrap();
    t.exec("INSERT INTO teams (id) VALUES (1)").await;
    for row in rows {
        t.exec(&format!("INSERT INTO users (id, email, team_id, code, n) VALUES {row}")).await;
    }
    let fingerprint = "SELECT COUNT(*) FROM users";
    let before = t.count(fingerprint).await;
    let err = t.migrator(registry.to_vec()).migrate().await.unwrap_err();
    let names: Vec<String> = t.migrator([base()]).history().await.unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(names, [BASE], "no row, dirty or not, for the refused migration");
    assert_eq!(t.count(fingerprint).await, before);
    let note = match t.dialect {
        driftless_core::Dialect::Sqlite => "SELECT COUNT(*) FROM pragma_table_info('teams') WHERE name = 'note'",
        driftless_core::Dialect::Postgres => {
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'teams' AND column_name = 'note'"
        }
        _ => {
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = \
             'teams' AND column_name = 'note'"
        }
    };
    assert_eq!(t.count(note).await, 0, "the migration's first step did not run");
    err.to_string()
}

async fn applies_after(t: &Target, registry: &[Migration], fix: &str) {
    t.exec(fix).await;
    let report = t.migrator(registry.to_vec()).migrate().await.unwrap();
    assert_eq!(report.steps.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), [RISKY]);
}

async fn nulls_refuse_set_not_null(t: Target) {
    let registry = risky(alter_column("users", email(), Column { nullable: false, ..email() }));
    let rows = ["(1, NULL, 1, NULL, NULL)", "(2, 'a', 1, NULL, NULL)", "(3, NULL, NULL, NULL, NULL)"];
    assert_eq!(
        refused(&t, &registry, &rows).await,
        "refusing to apply migration m20260102T000000_risky: step 2 (alter_column on users) would fail on existing \
         data: 2 rows where email is NULL (examples, id: 1; 3); SET NOT NULL would fail on them; fill them first, or \
         give the step a backfill value (`alter_column_with_backfill(\"users\", ..., \"<sql value>\")`). Nothing of \
         m20260102T000000_risky has run"
    );
    // The control: without the probe, the database itself refuses, in its own words and with no example (plain SQL:
    // online, PostgreSQL would stop at the validation and keep the run to resume).
    let err = t.migrator(registry.clone()).skip_data_probes(true).online(false).migrate().await.unwrap_err();
    assert!(matches!(err, driftless_migrate::Error::Statement { .. }), "{err}");
    let names: Vec<String> = t.migrator([base()]).history().await.unwrap().into_iter().map(|r| r.name).collect();
    if t.dialect == driftless_core::Dialect::Mysql {
        // MariaDB commits DDL as it goes: the failed migration is recorded dirty.
        assert_eq!(names, [BASE, RISKY]);
        return;
    }
    assert_eq!(names, [BASE]);
    applies_after(&t, &registry, "UPDATE users SET email = 'x' WHERE email IS NULL").await;
}
on_every_backend!(nulls_refuse_set_not_null);

async fn duplicates_refuse_a_unique_constraint(t: Target) {
    let registry = risky(add_unique("users", unique("users_email_key", &["email"])));
    let rows = [
        "(1, 'b', NULL, NULL, NULL)",
        "(2, 'a', NULL, NULL, NULL)",
        "(3, 'b', NULL, NULL, NULL)",
        "(4, 'a', NULL, NULL, NULL)",
        "(5, 'b', NULL, NULL, NULL)",
        "(6, 'c', NULL, NULL, NULL)",
        "(7, NULL, NULL, NULL, NULL)",
        "(8, NULL, NULL, NULL, NULL)",
    ];
    assert_eq!(
        refused(&t, &registry, &rows).await,
        "refusing to apply migration m20260102T000000_risky: step 2 (add_unique on users) would fail on existing \
         data: 2 values of (email) that occur more than once (examples, email, rows: a, 2; b, 3); the unique \
         constraint users_email_key would fail on them; remove or change the duplicate rows first, or make the \
         constraint cover more columns. Nothing of m20260102T000000_risky has run"
    );
    applies_after(&t, &registry, "UPDATE users SET email = CONCAT(email, id) WHERE email IN ('a', 'b')").await;
}
on_every_backend!(duplicates_refuse_a_unique_constraint);

async fn orphans_refuse_a_foreign_key(t: Target) {
    let registry = risky(add_foreign_key("users", foreign_key("users_team_id_fkey", &["team_id"], "teams", &["id"])));
    let rows = [
        "(1, NULL, 1, NULL, NULL)",
        "(2, NULL, 7, NULL, NULL)",
        "(3, NULL, NULL, NULL, NULL)",
        "(4, NULL, 9, NULL, NULL)",
    ];
    assert_eq!(
        refused(&t, &registry, &rows).await,
        "refusing to apply migration m20260102T000000_risky: step 2 (add_foreign_key on users) would fail on \
         existing data: 2 rows whose (team_id) has no row in teams (examples, id: 2; 4); the foreign key \
         users_team_id_fkey would fail on them; delete those rows, set the column to NULL, or add the missing teams \
         rows first. Nothing of m20260102T000000_risky has run"
    );
    applies_after(&t, &registry, "INSERT INTO teams (id) VALUES (7), (9)").await;
}
on_every_backend!(orphans_refuse_a_foreign_key);

async fn values_that_do_not_fit_refuse_narrowing_and_casts(t: Target) {
    let rows =
        ["(1, 'abcd', NULL, '12', 3000000000)", "(2, 'abc', NULL, 'x1', 5)", "(3, 'a', NULL, ' -4 ', -3000000000)"];
    let narrow = risky(alter_column("users", email(), column("email", ColumnType::Varchar(3)).nullable()));
    assert_eq!(
        refused(&t, &narrow, &rows).await,
        "refusing to apply migration m20260102T000000_risky: step 2 (alter_column on users) would fail on existing \
         data: 1 rows where email does not fit varchar(3) (examples, id: 1); changing the type from varchar(100) to \
         varchar(3) would fail on them or change them; fix those rows first, or keep the wider type. Nothing of \
         m20260102T000000_risky has run"
    );
    let n = column("n", ColumnType::BigInt).nullable();
    let int = risky(alter_column("users", n, column("n", ColumnType::Integer).nullable()));
    let err = t.migrator(int).migrate().await.unwrap_err().to_string();
    assert!(
        err.contains("data: 2 rows where n does not fit i32 (examples, id: 1; 3); changing the type from i64 to i32"),
        "{err}"
    );
    let code = column("code", ColumnType::Text).nullable();
    let cast = risky(alter_column("users", code, column("code", ColumnType::Integer).nullable()));
    let err = t.migrator(cast).migrate().await.unwrap_err().to_string();
    assert!(
        err.contains("data: 1 rows where code does not fit i32 (examples, id: 2); changing the type from text to i32"),
        "{err}"
    );
    applies_after(&t, &narrow, "UPDATE users SET email = 'ab' WHERE id = 1").await;
}
on_every_backend!(values_that_do_not_fit_refuse_narrowing_and_casts);

/// `dry_run` lists the statements with their locks and row counts and runs the probes, and changes nothing: no
/// tracking table on a fresh database, no row and no schema change on one with history.
async fn a_dry_run_shows_statements_locks_rows_and_probes_and_changes_nothing(t: Target) {
    let registry = risky(alter_column("users", email(), Column { nullable: false, ..email() }));
    let fresh = t.migrator(registry.clone()).dry_run().await.unwrap();
    assert_eq!(fresh.migrations.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), [BASE, RISKY]);
    assert!(!t.has_table("driftless_migrations").await, "a dry run creates no tracking table");
    assert_eq!(fresh.migrations[0].statements[0].rows, Some(("teams".to_owned(), None)));

    t.migrator([base()]).migrate().await.unwrap();
    t.exec("INSERT INTO teams (id) VALUES (1), (2)").await;
    t.exec("INSERT INTO users (id, email) VALUES (1, NULL), (2, 'a'), (3, NULL)").await;
    let plan = t.migrator(registry.clone()).dry_run().await.unwrap();
    assert_eq!(plan.migrations.len(), 1);
    let m = &plan.migrations[0];
    assert_eq!((m.name.as_str(), m.class), (RISKY, Class::Dangerous));
    let first = &m.statements[0];
    assert_eq!((first.step, first.step_kind, first.rows.clone()), (0, "add_column", Some(("teams".into(), Some(2)))));
    let last = m.statements.last().unwrap();
    assert_eq!((last.step, last.rows.clone()), (1, Some(("users".into(), Some(3)))));
    assert_eq!(m.probes.len(), 1);
    assert_eq!(m.probes[0].result, Ok((2, vec!["1".to_owned(), "3".to_owned()])));
    let text = plan.to_string();
    assert!(
        text.contains("\n  probe step 2: 2 rows where email is NULL (examples: 1; 3): would be refused\n"),
        "{text}"
    );
    assert!(text.ends_with(" 1 pending migration(s); nothing has changed\n"), "{text}");
    assert!(text.starts_with(&format!("{RISKY} (dangerous, ")), "{text}");
    let names: Vec<String> = t.migrator([base()]).history().await.unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(names, [BASE]);
    // The schema is as it was: the risky migration still applies once the data is fixed.
    applies_after(&t, &registry, "UPDATE users SET email = 'x' WHERE email IS NULL").await;
    let done = t.migrator(registry).dry_run().await.unwrap();
    assert!(done.migrations.is_empty());
    assert_eq!(done.to_string(), format!("dry run on {}: nothing to apply; nothing has changed\n", t.dialect));
}
on_every_backend!(a_dry_run_shows_statements_locks_rows_and_probes_and_changes_nothing);

async fn rows_holding_a_removed_enum_value_refuse_its_removal(t: Target) {
    let status = |values: &[&str]| enum_type("ticket_status", values);
    let tickets = table("tickets")
        .with_column(column("id", ColumnType::BigInt))
        .with_column(column("status", ColumnType::Enum("ticket_status".into())))
        .primary_key("tickets_pkey", &["id"]);
    let create = Migration::new(BASE)
        .up([create_enum(status(&["open", "closed", "archived"])), create_table(tickets.clone())])
        .down([drop_table(tickets), drop_enum(status(&["open", "closed", "archived"]))]);
    let remove = Migration::new(RISKY)
        .class(Class::Dangerous)
        .acknowledged("test", "the probe test")
        .up([alter_enum(status(&["open", "closed", "archived"]), status(&["open", "closed"]), &[])])
        .down([alter_enum(status(&["open", "closed"]), status(&["open", "closed", "archived"]), &[])]);
    t.migrator([create.clone()]).migrate().await.unwrap();
    t.exec("INSERT INTO tickets (id, status) VALUES (1, 'open'), (2, 'archived'), (3, 'closed'), (4, 'archived')")
        .await;
    let err = t.migrator([create.clone(), remove.clone()]).migrate().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "refusing to apply migration m20260102T000000_risky: step 1 (alter_enum on tickets) would fail on existing \
         data: 2 rows where status holds a removed value of enum ticket_status ('archived') (examples, id: 2; 4); \
         removing the value would fail on them; change those rows first (a data migration), or keep the value. \
         Nothing of m20260102T000000_risky has run"
    );
    let names: Vec<String> =
        t.migrator([create.clone()]).history().await.unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(names, [BASE]);
    t.exec("UPDATE tickets SET status = 'closed' WHERE status = 'archived'").await;
    t.migrator([create, remove]).migrate().await.unwrap();
}
on_every_backend!(rows_holding_a_removed_enum_value_refuse_its_removal);

/// Reverting probes too: the `down` of making a column nullable sets NOT NULL again, and NULLs written since refuse
/// it; the migration stays applied.
async fn nulls_refuse_a_revert_that_sets_not_null(t: Target) {
    let body = column("body", ColumnType::Text);
    let notes = table("notes")
        .with_column(column("id", ColumnType::BigInt))
        .with_column(body.clone())
        .primary_key("notes_pkey", &["id"]);
    let create = Migration::new(BASE).up([create_table(notes.clone())]).down([drop_table(notes)]);
    let relax = alter_column("notes", body.clone(), Column { nullable: true, ..body });
    let relax = Migration::new(RISKY)
        .class(Class::Dangerous)
        .acknowledged("test", "the probe test")
        .up([relax.clone()])
        .down([relax.inverse()]);
    let registry = [create, relax];
    t.migrator(registry.clone()).migrate().await.unwrap();
    t.exec("INSERT INTO notes (id, body) VALUES (1, 'a'), (2, NULL)").await;
    let err = t.migrator(registry.clone()).down().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "refusing to revert migration m20260102T000000_risky: step 1 (alter_column on notes) would fail on existing \
         data: 1 rows where body is NULL (examples, id: 2); SET NOT NULL would fail on them; fill them first, or \
         give the step a backfill value (`alter_column_with_backfill(\"notes\", ..., \"<sql value>\")`). Nothing of \
         m20260102T000000_risky has run"
    );
    let names: Vec<String> =
        t.migrator(registry.clone()).history().await.unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(names, [BASE, RISKY]);
    t.exec("UPDATE notes SET body = '' WHERE body IS NULL").await;
    t.migrator(registry).down().await.unwrap();
}
on_every_backend!(nulls_refuse_a_revert_that_sets_not_null);

async fn rows_refuse_a_not_null_column_without_a_default(t: Target) {
    let registry = risky(add_column("users", column("lang", ColumnType::Text)));
    let rows = ["(1, NULL, NULL, NULL, NULL)", "(2, NULL, NULL, NULL, NULL)"];
    assert_eq!(
        refused(&t, &registry, &rows).await,
        "refusing to apply migration m20260102T000000_risky: step 2 (add_column on users) would fail on existing \
         data: 2 rows, which would have no value for the new NOT NULL column lang (examples, id: 1; 2); adding the \
         column would fail on them (or, on MySQL, fill them with an implicit default); give the column a default, or \
         add it nullable, fill it, then set NOT NULL (`alter_column_with_backfill(\"users\", ..., \"<sql value>\")`). \
         Nothing of m20260102T000000_risky has run"
    );
    applies_after(&t, &registry, "DELETE FROM users").await;
}
on_every_backend!(rows_refuse_a_not_null_column_without_a_default);
