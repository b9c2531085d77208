//! Ports: what the domain needs from the outside world, as traits.

mod clock;
mod directory;
mod idempotency;
mod store;

pub use clock::{Clock, IdSource, SystemClock, UuidV7Source};
pub use directory::Directory;
pub use idempotency::{IdempotencyStore, Reservation};
pub use store::{
    ClaimSummary, Ledger, LedgerTx, PayoutClaim, RefundTotals, StatusChange, UsageKey, VolumeKey,
};

#[cfg(any(test, feature = "mocks"))]
pub use clock::{MockClock, MockIdSource};
#[cfg(any(test, feature = "mocks"))]
pub use directory::MockDirectory;
#[cfg(any(test, feature = "mocks"))]
pub use idempotency::MockIdempotencyStore;
#[cfg(any(test, feature = "mocks"))]
pub use store::{MockLedger, MockLedgerTx};
