//! Test support: a fresh database per test on SQLite (always) and PostgreSQL (when
//! `TEST_DATABASE_URL` is set), an engine over it with a clock the test controls, and
//! builders for the usual fixtures.
//!
//! `REVSHARE_REQUIRE_POSTGRES=1` turns a missing PostgreSQL into a failure instead of a skip;
//! CI sets it, so the PostgreSQL suite can never be skipped silently there.

use std::str::FromStr;
use std::sync::{Arc, Mutex};

use revshare_domain::Engine;
use revshare_domain::port::{Clock, UuidV7Source};
use revshare_infra::{
    DatabaseConnection, DbConfig, SeaDirectory, SeaIdempotencyStore, SeaLedger, connect, migrate_up,
};
use sea_orm::{ConnectionTrait, Statement};
use time::OffsetDateTime;

pub mod fixtures;
pub mod http;
pub mod plans;

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server from `TEST_DATABASE_URL`.
    Postgres,
}

/// A clock the test moves by hand.
#[derive(Debug, Clone)]
pub struct TestClock(Arc<Mutex<OffsetDateTime>>);

impl TestClock {
    /// A clock stopped at `at`.
    pub fn new(at: OffsetDateTime) -> Self {
        TestClock(Arc::new(Mutex::new(at)))
    }

    /// Moves the clock.
    pub fn set(&self, at: OffsetDateTime) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }
}

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One test's world: its own database, an engine over it, and the clock.
pub struct TestContext {
    /// The backend.
    pub backend: Backend,
    /// The engine under test.
    pub engine: Engine,
    /// The clock the engine reads.
    pub clock: TestClock,
    /// The raw pool, for assertions that look under the engine.
    pub db: DatabaseConnection,
    /// The database's URL, for tests that open their own (e.g. instrumented) connection.
    pub url: String,
    /// Tenants, people and the audit log.
    pub directory: SeaDirectory,
    /// Idempotency keys.
    pub idempotency: SeaIdempotencyStore,
    cleanup: Option<(String, String)>,
}

impl std::fmt::Debug for TestContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestContext")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

/// The instant every test starts at.
pub const START: OffsetDateTime = time::macros::datetime!(2026-03-15 12:00 UTC);

impl TestContext {
    /// A fresh, migrated database on `backend`; `None` when PostgreSQL is not configured
    /// (and not required), after saying so loudly.
    pub async fn new(backend: Backend, test: &str) -> Option<TestContext> {
        let (url, cleanup) = match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!(
                    "revshare-test-{}.db",
                    uuid::Uuid::now_v7().simple()
                ));
                (format!("sqlite://{}?mode=rwc", path.display()), None)
            }
            Backend::Postgres => {
                let admin = match std::env::var("TEST_DATABASE_URL") {
                    Ok(u) if !u.is_empty() => u,
                    _ => {
                        if std::env::var("REVSHARE_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                            panic!("REVSHARE_REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set");
                        }
                        eprintln!(
                            "!!! SKIPPED {test} on PostgreSQL: TEST_DATABASE_URL is not set !!!"
                        );
                        return None;
                    }
                };
                let name = format!("revshare_test_{}", uuid::Uuid::now_v7().simple());
                let admin_db = connect(&DbConfig::new(admin.clone()))
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                admin_db
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create the test database");
                admin_db.close().await.ok();
                let base = admin
                    .rsplit_once('/')
                    .map_or(admin.as_str(), |(b, _)| b)
                    .to_owned();
                (format!("{base}/{name}"), Some((admin, name)))
            }
        };
        let db = connect(&DbConfig::new(url.clone()))
            .await
            .expect("connect to the test database");
        migrate_up(&db).await.expect("migrate the test database");
        let clock = TestClock::new(START);
        let engine = Engine::new(
            Arc::new(SeaLedger::new(db.clone())),
            Arc::new(clock.clone()),
            Arc::new(UuidV7Source),
        );
        Some(TestContext {
            backend,
            engine,
            clock,
            directory: SeaDirectory::new(db.clone()),
            idempotency: SeaIdempotencyStore::new(db.clone()),
            db,
            url,
            cleanup,
        })
    }

    /// Drops the PostgreSQL database (SQLite files live in the temp folder).
    pub async fn finish(self) {
        self.db.close().await.ok();
        if let Some((admin, name)) = self.cleanup
            && let Ok(admin_db) = connect(&DbConfig::new(admin)).await
        {
            admin_db
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await
                .ok();
            admin_db.close().await.ok();
        }
    }

    /// Runs a scalar SQL query returning one `i64`, for looking under the engine.
    pub async fn scalar(&self, sql: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                self.db.get_database_backend(),
                sql.to_owned(),
            ))
            .await
            .expect("query")
            .expect("one row");
        row.try_get_by_index::<i64>(0).expect("an i64")
    }

    /// Runs a SQL query, for looking under the engine.
    pub async fn rows(&self, sql: &str) -> Vec<sea_orm::QueryResult> {
        self.db
            .query_all_raw(Statement::from_string(
                self.db.get_database_backend(),
                sql.to_owned(),
            ))
            .await
            .expect("query")
    }

    /// Runs a SQL query returning one text column, for comparing ledgers row by row.
    pub async fn strings(&self, sql: &str) -> Vec<String> {
        self.rows(sql)
            .await
            .iter()
            .map(|row| row.try_get_by_index::<String>(0).expect("a string"))
            .collect()
    }

    /// A uuid as a SQL literal of this backend (SQLite stores uuids as 16-byte blobs).
    pub fn uuid_literal(&self, id: uuid::Uuid) -> String {
        match self.db.get_database_backend() {
            sea_orm::DbBackend::Postgres => format!("'{id}'::uuid"),
            _ => format!("X'{}'", id.simple()),
        }
    }
}

/// Parses an RFC 3339 instant, for readable tests.
pub fn at(text: &str) -> OffsetDateTime {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .expect("an RFC 3339 instant")
}

/// Parses a decimal, for readable tests.
pub fn dec(text: &str) -> rust_decimal::Decimal {
    rust_decimal::Decimal::from_str(text).expect("a decimal")
}

/// Declares a contract test that runs on SQLite and on PostgreSQL, each on a fresh database.
#[macro_export]
macro_rules! contract {
    ($name:ident, |$ctx:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($ctx: &$crate::TestContext) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let ctx = $crate::TestContext::new($crate::Backend::Sqlite, stringify!($name)).await.expect("sqlite");
                body(&ctx).await;
                ctx.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(ctx) = $crate::TestContext::new($crate::Backend::Postgres, stringify!($name)).await {
                    body(&ctx).await;
                    ctx.finish().await;
                }
            }
        }
    };
}
