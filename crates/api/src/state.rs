//! What every handler shares.

use std::sync::Arc;

use revshare_domain::Engine;
use revshare_domain::port::{Directory, IdempotencyStore};

use crate::auth::TokenKeys;
use crate::auth::throttle::LoginThrottle;
use crate::coalesce::RoundThread;
use crate::routes::portal::PortalReads;

/// Shared state of the HTTP layer: the engine and the stores the API itself reads.
pub struct AppState {
    /// Every use case.
    pub engine: Engine,
    /// Tenants, people, the audit log.
    pub directory: Arc<dyn Directory>,
    /// Idempotency keys of money-moving requests.
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// Token keys.
    pub tokens: TokenKeys,
    /// Failed-login counters.
    pub throttle: LoginThrottle,
    /// The portal's reads in flight, shared by identical requests.
    pub reads: Arc<PortalReads>,
    /// The thread the shared reads run on; stops with the state.
    pub rounds: RoundThread,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("tokens", &self.tokens)
            .finish_non_exhaustive()
    }
}
