//! Idempotency keys of requests that move money: the same key and body answer the same
//! response without a second effect.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::value::TenantId;

/// Where a key stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// The key is new and now reserved for this request.
    Reserved,
    /// A request with this key is still running.
    InProgress {
        /// Fingerprint of that request.
        request_hash: String,
    },
    /// A request with this key finished; here is its answer.
    Completed {
        /// Fingerprint of that request.
        request_hash: String,
        /// Its HTTP status.
        status: u16,
        /// Its body.
        body: String,
    },
}

/// The store of idempotency keys, scoped to a tenant and principal.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Reserves `key` for a request, or reports what it already holds.
    async fn reserve(
        &self,
        tenant: TenantId,
        principal: &str,
        key: &str,
        request_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Reservation, StoreError>;
    /// Stores the answer of the request that reserved `key`.
    async fn complete(
        &self,
        tenant: TenantId,
        principal: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError>;
    /// Frees a reservation whose request failed before changing anything, so a retry runs.
    async fn release(&self, tenant: TenantId, principal: &str, key: &str)
    -> Result<(), StoreError>;
}
