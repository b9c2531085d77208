//! Filters and pagination of the ledger's lists.

use serde::Serialize;
use time::OffsetDateTime;

use crate::commission::{EventStatus, EventType};
use crate::error::ValidationError;
use crate::payout::PayoutStatus;
use crate::value::{Currency, PartnerId, PayoutId};

/// Most rows one page may hold.
pub const MAX_PAGE_LIMIT: u32 = 500;
/// Rows per page when the caller does not say.
pub const DEFAULT_PAGE_LIMIT: u32 = 100;
/// Deepest offset accepted; deeper reads should use a narrower filter.
pub const MAX_OFFSET: u64 = 10_000_000;
/// Longest search text.
pub const MAX_SEARCH_LEN: usize = 128;

/// A page of a list: `limit` 1–500, `offset` ≥ 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PageRequest {
    /// Rows wanted.
    pub limit: u32,
    /// Rows skipped.
    pub offset: u64,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            limit: DEFAULT_PAGE_LIMIT,
            offset: 0,
        }
    }
}

impl PageRequest {
    /// Validates a page request.
    pub fn new(limit: Option<i64>, offset: Option<i64>) -> Result<Self, ValidationError> {
        let limit = limit.unwrap_or(i64::from(DEFAULT_PAGE_LIMIT));
        if !(1..=i64::from(MAX_PAGE_LIMIT)).contains(&limit) {
            return Err(ValidationError::new(
                "limit",
                format!("must be between 1 and {MAX_PAGE_LIMIT}"),
            ));
        }
        let offset = offset.unwrap_or(0);
        if offset < 0 || offset.unsigned_abs() > MAX_OFFSET {
            return Err(ValidationError::new(
                "offset",
                format!("must be between 0 and {MAX_OFFSET}"),
            ));
        }
        Ok(PageRequest {
            limit: u32::try_from(limit).unwrap_or(DEFAULT_PAGE_LIMIT),
            offset: offset.unsigned_abs(),
        })
    }
}

/// A page of rows and the total count of the filtered list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Rows matching the filter, all pages together.
    pub total: u64,
    /// The request that produced this page.
    pub page: PageRequest,
}

/// Which commission events a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommissionFilter {
    /// Only this partner.
    pub partner_id: Option<PartnerId>,
    /// Only this status.
    pub status: Option<EventStatus>,
    /// Only this type.
    pub event_type: Option<EventType>,
    /// Only this currency.
    pub currency: Option<Currency>,
    /// Only events dated at or after.
    pub from: Option<OffsetDateTime>,
    /// Only events dated before.
    pub to: Option<OffsetDateTime>,
    /// Only events of this payout.
    pub payout_id: Option<PayoutId>,
    /// Invoice id, invoice number or customer id equal to this text.
    pub search: Option<String>,
}

/// Which payouts a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PayoutFilter {
    /// Only this partner.
    pub partner_id: Option<PartnerId>,
    /// Only this status.
    pub status: Option<PayoutStatus>,
    /// Only this currency.
    pub currency: Option<Currency>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_bounded() {
        assert_eq!(
            PageRequest::new(None, None).unwrap(),
            PageRequest {
                limit: 100,
                offset: 0
            }
        );
        assert!(PageRequest::new(Some(0), None).is_err());
        assert!(PageRequest::new(Some(501), None).is_err());
        assert!(PageRequest::new(Some(500), Some(-1)).is_err());
        assert!(PageRequest::new(Some(1), Some(i64::MAX)).is_err());
    }
}
