//! A fixture for driftless-migrate's concurrency test (not a tool): migrates the database at the URL given as the
//! first argument with a fixed history, as many copies of it do at once, and exits non-zero with the error's
//! message on stderr when the migrator refuses or fails.
//!
//! `--edited` changes an applied migration first (to see a refusal's exit code); `--down` reverts the last batch
//! (to see the production guard, with `DRIFTLESS_ENV=production`). Like the CLI, it installs plain progress lines on
//! stderr and reads `DRIFTLESS_ENV`/`APP_ENV`; `--embedded` does neither, as an application that embeds the
//! migrator with its defaults, which must then print nothing.

use std::process::ExitCode;

use driftless_core::migration::{Class, Migration};
use driftless_core::step::{DialectSql, Step};
use std::time::Duration;

use driftless_migrate::outcome::Step as Done;
use driftless_migrate::{Direction, Migrator, Progress};

fn sql(sqlite: &str, postgres: &str, mysql: &str) -> Step {
    Step::RawSql {
        sql: DialectSql {
            default: None,
            sqlite: Some(sqlite.to_owned()),
            postgres: Some(postgres.to_owned()),
            mysql: Some(mysql.to_owned()),
        },
        effect: None,
    }
}

fn same(text: &str) -> Step {
    sql(text, text, text)
}

/// Six migrations; each after the first logs its own name in `race_log`, which has no unique key, so a migration
/// applied twice shows up as two rows. The sleeps widen the window in which a second migrator could interfere.
fn history(edited: bool) -> Vec<Migration> {
    let mut out = vec![
        Migration::new("m20260101T000000_race_log")
            .class(Class::ReviewRequired)
            .up([same("CREATE TABLE race_log (migration VARCHAR(100) NOT NULL)")])
            .down([same("DROP TABLE race_log")]),
    ];
    for i in 2..=6 {
        let name = format!("m2026010{i}T000000_step_{i}");
        let log = format!("INSERT INTO race_log (migration) VALUES ('{name}')");
        let table = if edited && i == 3 { format!("race_t{i}_edited") } else { format!("race_t{i}") };
        out.push(
            Migration::new(name.clone())
                .class(Class::ReviewRequired)
                .up([
                    same(&format!("CREATE TABLE {table} (id INTEGER)")),
                    sql(&log, &format!("{log}; SELECT pg_sleep(0.02)"), &format!("{log}; DO SLEEP(0.02)")),
                ])
                .down([
                    same(&format!("DELETE FROM race_log WHERE migration = '{name}'")),
                    same(&format!("DROP TABLE {table}")),
                ]),
        );
    }
    out
}

/// Plain lines on stderr, the way the CLI shows a run when stderr is not a terminal.
struct Lines;

impl Progress for Lines {
    fn waiting_for_lock(&self, lock: &str, timeout: Duration) {
        eprintln!(
            "waiting up to {} s for the migration lock ({lock}): another migrator is running against this database",
            timeout.as_secs_f64()
        );
    }

    fn warning(&self, message: &str) {
        eprintln!("warning: {message}");
    }

    fn migration_finished(&self, step: &Done) {
        let verb = if step.direction == Direction::Up { "applied" } else { "reverted" };
        eprintln!("{verb} {} ({}) in {} ms", step.name, step.class.as_str(), step.duration.as_millis());
    }

    fn finished(&self, summary: &str) {
        eprintln!("{summary}");
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(url) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: driftless-migrate-race DATABASE_URL [--edited] [--down] [--embedded]");
        return ExitCode::from(2);
    };
    let edited = args.iter().any(|a| a == "--edited");
    let down = args.iter().any(|a| a == "--down");
    let embedded = args.iter().any(|a| a == "--embedded");
    let run = async {
        let mut migrator = Migrator::connect(url, history(edited)).await?;
        if !embedded {
            migrator = migrator.progress(Lines);
            if let Some((var, value)) = driftless_migrate::environment_from(|var| std::env::var(var).ok()) {
                migrator = migrator.environment_from_variable(var, value);
            }
        }
        let report = if down { migrator.down().await? } else { migrator.migrate().await? };
        migrator.database().close().await;
        Ok::<_, driftless_migrate::Error>(report)
    };
    match run.await {
        Ok(report) => {
            println!("{}", report.applied().len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
