//! Time and identity sources, injected so every use case is deterministic under test.

use time::OffsetDateTime;
use uuid::Uuid;

/// The current instant.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> OffsetDateTime;
}

/// The system clock, truncated to microseconds (the storage precision).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
            .unwrap_or(now)
    }
}

/// New identifiers.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait IdSource: Send + Sync {
    /// A fresh, unique id.
    fn new_id(&self) -> Uuid;
}

/// Time-ordered UUIDv7 ids: new rows land at the end of indexes.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidV7Source;

impl IdSource for UuidV7Source {
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}
