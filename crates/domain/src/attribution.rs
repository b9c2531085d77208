//! Attribution of customers to partners, effective-dated.

use time::OffsetDateTime;

use crate::value::{CustomerId, PartnerAccountId, PartnerId, Rate, TenantId};

/// A customer attributed to a partner over `[start, end)`, with an optional custom rate.
/// At most one attribution of a customer is in force at any instant.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PartnerAccount {
    /// Identity.
    pub id: PartnerAccountId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The partner credited.
    pub partner_id: PartnerId,
    /// The billing system's customer.
    pub customer_id: CustomerId,
    /// First instant in force.
    #[serde(with = "time::serde::rfc3339")]
    pub start: OffsetDateTime,
    /// First instant no longer in force (`None`: open-ended).
    #[serde(with = "time::serde::rfc3339::option")]
    pub end: Option<OffsetDateTime>,
    /// Revenue-share rate that overrides every rule for this customer.
    pub custom_rate: Option<Rate>,
    /// Creation instant.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl PartnerAccount {
    /// True iff `start ≤ at < end`.
    pub fn in_force_at(&self, at: OffsetDateTime) -> bool {
        self.start <= at && self.end.is_none_or(|e| at < e)
    }

    /// True when the two half-open windows share an instant.
    pub fn overlaps(&self, start: OffsetDateTime, end: Option<OffsetDateTime>) -> bool {
        let self_ends_after_start = self.end.is_none_or(|e| start < e);
        let other_ends_after_self = end.is_none_or(|e| self.start < e);
        self_ends_after_start && other_ends_after_self
    }
}
