//! Payouts: batches of approved events for one partner and currency, and their status machine.

use time::OffsetDateTime;

use crate::state::{StateMachine, status_enum};
use crate::value::{Money, PartnerId, PayoutId, TenantId};

status_enum!(
    /// Lifecycle of a payout: `pending → ready → processing → completed`;
    /// `processing → failed`; `pending/ready → cancelled`.
    PayoutStatus, "status" {
        /// Created; events claimed.
        Pending => "pending",
        /// Checked and ready to send.
        Ready => "ready",
        /// Sent to the bank.
        Processing => "processing",
        /// Money arrived; its events are paid.
        Completed => "completed",
        /// The transfer failed; its events are released.
        Failed => "failed",
        /// Withdrawn before sending; its events are released.
        Cancelled => "cancelled",
    }
);

impl StateMachine for PayoutStatus {
    const ENTITY: &'static str = "payout";
    const MOVES: &'static [(Self, Self)] = &[
        (PayoutStatus::Pending, PayoutStatus::Ready),
        (PayoutStatus::Ready, PayoutStatus::Processing),
        (PayoutStatus::Processing, PayoutStatus::Completed),
        (PayoutStatus::Processing, PayoutStatus::Failed),
        (PayoutStatus::Pending, PayoutStatus::Cancelled),
        (PayoutStatus::Ready, PayoutStatus::Cancelled),
    ];

    fn as_str(&self) -> &'static str {
        self.name()
    }
}

impl PayoutStatus {
    /// True while the payout holds its events (they may not be claimed or rejected elsewhere).
    pub fn is_unfinished(&self) -> bool {
        matches!(
            self,
            PayoutStatus::Pending | PayoutStatus::Ready | PayoutStatus::Processing
        )
    }
}

/// Longest payment reference or method name.
pub const MAX_REFERENCE_LEN: usize = 255;

/// A batch of approved events for one partner and one currency.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Payout {
    /// Identity.
    pub id: PayoutId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The partner paid.
    pub partner_id: PartnerId,
    /// Exact sum of its events.
    pub total: Money,
    /// Number of its events.
    pub commission_count: u32,
    /// Lifecycle status.
    pub status: PayoutStatus,
    /// Inclusive lower cut-off on event dates, if any.
    #[serde(with = "time::serde::rfc3339::option")]
    pub period_start: Option<OffsetDateTime>,
    /// Inclusive upper cut-off on event dates.
    #[serde(with = "time::serde::rfc3339")]
    pub period_end: OffsetDateTime,
    /// How the money is sent (`bank_transfer`, `manual`, …).
    pub payment_method: String,
    /// The bank's reference, required to complete.
    pub payment_reference: Option<String>,
    /// Why it failed or was cancelled.
    pub failure_reason: Option<String>,
    /// Who created it.
    pub created_by: String,
    /// Creation instant.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last change.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// When it completed.
    #[serde(with = "time::serde::rfc3339::option")]
    pub completed_at: Option<OffsetDateTime>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_moves_are_allowed() {
        use PayoutStatus::*;
        let allowed = [
            (Pending, Ready),
            (Ready, Processing),
            (Processing, Completed),
            (Processing, Failed),
            (Pending, Cancelled),
            (Ready, Cancelled),
        ];
        for &from in PayoutStatus::ALL {
            for &to in PayoutStatus::ALL {
                assert_eq!(
                    from.move_to(to).is_ok(),
                    allowed.contains(&(from, to)),
                    "{from} → {to}"
                );
            }
        }
    }
}
