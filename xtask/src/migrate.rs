//! `cargo xtask migrate up|down|status|fresh`.

use clap::Subcommand;
use revshare_infra::{
    DatabaseConnection, migrate_down, migrate_fresh, migrate_up, migration_status,
};

/// What to do with the schema.
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum Action {
    /// Apply every pending migration.
    Up,
    /// Roll back every applied migration (drops the revshare tables and their data).
    Down,
    /// List applied and pending migrations.
    Status,
    /// Drop every table and migrate from scratch (destroys all data).
    Fresh,
}

/// Runs one migration action, then prints the resulting status.
pub async fn run(db: &DatabaseConnection, action: Action) -> anyhow::Result<()> {
    match action {
        Action::Up => {
            migrate_up(db).await?;
            println!("migrated up");
        }
        Action::Down => {
            migrate_down(db).await?;
            println!("rolled back every migration");
        }
        Action::Fresh => {
            migrate_fresh(db).await?;
            println!("dropped everything and migrated from scratch");
        }
        Action::Status => {}
    }
    print_status(db).await
}

async fn print_status(db: &DatabaseConnection) -> anyhow::Result<()> {
    let (applied, pending) = migration_status(db).await?;
    println!("applied ({}):", applied.len());
    for m in &applied {
        println!("  {m}");
    }
    if applied.is_empty() {
        println!("  none");
    }
    println!("pending ({}):", pending.len());
    for m in &pending {
        println!("  {m}");
    }
    if pending.is_empty() {
        println!("  none");
    }
    Ok(())
}
