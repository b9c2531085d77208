//! # revshare-infra
//!
//! SeaORM implementations of the revshare domain's ports, on PostgreSQL (production) and
//! SQLite (the embedded default). Money is stored as `BIGINT` minor units, rates as `BIGINT`
//! millionths and instants as `BIGINT` microseconds, so both backends are exact.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use revshare_domain::Engine;
//! use revshare_domain::port::{SystemClock, UuidV7Source};
//! use revshare_infra::{DbConfig, SeaLedger, connect, migrate_up};
//!
//! let db = connect(&DbConfig::new("sqlite://data/revshare.db?mode=rwc")).await?;
//! migrate_up(&db).await?;
//! let engine = Engine::new(Arc::new(SeaLedger::new(db)), Arc::new(SystemClock), Arc::new(UuidV7Source));
//! # let _ = engine; Ok(()) }
//! ```

mod convert;
mod db;
mod directory;
pub mod entity;
mod error;
mod idempotency;
mod ledger;

pub use db::{
    DEFAULT_DATABASE_URL, DbConfig, backend_name, connect, migrate_down, migrate_fresh, migrate_up,
    migration_status,
};
pub use directory::SeaDirectory;
pub use idempotency::SeaIdempotencyStore;
pub use ledger::SeaLedger;
pub use sea_orm::DatabaseConnection;
