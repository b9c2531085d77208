//! Composes infra and the HTTP layer into a running server.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::{HttpServer, web};
use revshare_domain::Engine;
use revshare_domain::port::{SystemClock, UuidV7Source};
use revshare_infra::{DatabaseConnection, SeaDirectory, SeaIdempotencyStore, SeaLedger};

use crate::app::app;
use crate::auth::TokenKeys;
use crate::auth::throttle::LoginThrottle;
use crate::coalesce::RoundThread;
use crate::routes::portal;
use crate::state::AppState;

/// The shared state over a migrated database; fails only if the shared reads' thread cannot
/// be started.
pub fn state(db: DatabaseConnection, tokens: TokenKeys) -> std::io::Result<web::Data<AppState>> {
    let rounds = RoundThread::start()?;
    let engine = Engine::new(
        Arc::new(SeaLedger::new(db.clone())),
        Arc::new(SystemClock),
        Arc::new(UuidV7Source),
    );
    Ok(web::Data::new(AppState {
        engine,
        directory: Arc::new(SeaDirectory::new(db.clone())),
        idempotency: Arc::new(SeaIdempotencyStore::new(db)),
        tokens,
        throttle: LoginThrottle::default(),
        reads: Arc::new(portal::reads(rounds.handle())),
        rounds,
    }))
}

/// A server on a bound listener (port 0 in tests). It stops gracefully on SIGINT/SIGTERM,
/// finishing requests in flight for up to 30 seconds.
pub fn serve(
    state: web::Data<AppState>,
    listener: TcpListener,
    workers: usize,
) -> std::io::Result<actix_web::dev::Server> {
    let server = HttpServer::new(move || app(state.clone()))
        .workers(workers.max(1))
        .shutdown_timeout(30)
        .listen(listener)?
        .run();
    Ok(server)
}
