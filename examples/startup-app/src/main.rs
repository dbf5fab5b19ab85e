//! The example application's start-up: apply pending migrations, then use the database.
use std::process::ExitCode;

use driftless::sqlx::{self, sqlite::SqlitePool};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://startup-app.db?mode=rwc".to_owned());
    let pool = SqlitePool::connect(&url).await.map_err(|e| format!("cannot open {url}: {e}"))?;

    // Every pending migration as one batch; safe from every replica at once (the others wait, then find none).
    let report = driftless::migrate_on_startup(pool.clone(), example_app::migrations::migrations()).await?;
    println!("{} migration(s) applied at start-up", report.applied().len());

    // The application's own work, on the same pool.
    sqlx::query("INSERT INTO roles (name) VALUES ('admin') ON CONFLICT (name) DO NOTHING").execute(&pool).await?;
    let roles: Vec<String> = sqlx::query_scalar("SELECT name FROM roles ORDER BY name").fetch_all(&pool).await?;
    println!("roles: {}", roles.join(", "));
    pool.close().await;
    Ok(())
}
