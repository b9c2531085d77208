//! Connecting to PostgreSQL (production) or SQLite (the embedded default), and migrating.

use std::path::Path;
use std::time::Duration;

use revshare_migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr};

/// The embedded default: a SQLite file in `./data`, created on first use.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/revshare.db?mode=rwc";

/// Connection pool settings.
#[derive(Debug, Clone)]
pub struct DbConfig {
    /// `postgres://…` or `sqlite://…`.
    pub url: String,
    /// Pool size for PostgreSQL. SQLite always uses one connection: it has a single writer,
    /// and one connection makes every transaction serial instead of failing with "busy".
    pub max_connections: u32,
    /// How long to wait for a pooled connection before answering "unavailable".
    pub acquire_timeout: Duration,
}

impl DbConfig {
    /// Defaults for a URL: 16 PostgreSQL connections, 5 s acquire timeout.
    pub fn new(url: impl Into<String>) -> Self {
        DbConfig {
            url: url.into(),
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// Opens a pool. For SQLite: WAL journal, `synchronous = FULL` (an acknowledged event survives
/// a power cut), foreign keys on, a 5 s busy timeout, and the file's folder created if missing.
pub async fn connect(config: &DbConfig) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(config.url.clone());
    opts.sqlx_logging(false)
        .acquire_timeout(config.acquire_timeout)
        .connect_timeout(config.acquire_timeout);
    if config.url.starts_with("sqlite:") {
        if let Some(dir) = sqlite_dir(&config.url) {
            std::fs::create_dir_all(dir)
                .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
        }
        opts.max_connections(1)
            .min_connections(1)
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5))
            });
    } else {
        opts.max_connections(config.max_connections)
            .min_connections(1);
    }
    let db = Database::connect(opts).await?;
    Ok(db)
}

fn sqlite_dir(url: &str) -> Option<&Path> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next()?;
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
}

/// Applies every pending migration.
pub async fn migrate_up(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Rolls back every migration.
pub async fn migrate_down(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::down(db, None).await
}

/// Drops everything and migrates from scratch.
pub async fn migrate_fresh(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::fresh(db).await
}

/// Names of applied and pending migrations.
pub async fn migration_status(
    db: &DatabaseConnection,
) -> Result<(Vec<String>, Vec<String>), DbErr> {
    let applied = Migrator::get_applied_migrations(db)
        .await?
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let pending = Migrator::get_pending_migrations(db)
        .await?
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    Ok((applied, pending))
}

/// The backend a connection talks to, for logs and reports.
pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Postgres => "postgres",
        DbBackend::Sqlite => "sqlite",
        _ => "other",
    }
}
