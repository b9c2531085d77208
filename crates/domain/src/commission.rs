//! Commission events: the lines of a partner's ledger, and their status machine.

use time::OffsetDateTime;

use crate::state::{StateMachine, status_enum};
use crate::terms::TermsSource;
use crate::value::{
    CustomerId, EventId, InvoiceId, Money, PartnerId, PaymentId, PayoutId, Rate, RefundId, RuleId,
    TenantId,
};

status_enum!(
    /// Lifecycle of an event: `pending → approved → paid`, or `pending/approved → rejected`.
    /// `paid` and `rejected` are final.
    EventStatus, "status" {
        /// On hold until `hold_until`, or awaiting an operator.
        Pending => "pending",
        /// Earned; waits for a payout.
        Approved => "approved",
        /// Included in a completed payout.
        Paid => "paid",
        /// Will never be paid.
        Rejected => "rejected",
    }
);

impl StateMachine for EventStatus {
    const ENTITY: &'static str = "commission";
    const MOVES: &'static [(Self, Self)] = &[
        (EventStatus::Pending, EventStatus::Approved),
        (EventStatus::Approved, EventStatus::Paid),
        (EventStatus::Pending, EventStatus::Rejected),
        (EventStatus::Approved, EventStatus::Rejected),
    ];

    fn as_str(&self) -> &'static str {
        self.name()
    }
}

status_enum!(
    /// What produced a ledger line.
    EventType, "event_type" {
        /// A commission on a paid invoice (positive).
        InvoicePayment => "invoice_payment",
        /// A refund of a payment whose commission was not yet paid (negative).
        RefundAdjustment => "refund_adjustment",
        /// A refund of a payment whose commission was already paid (negative), netted against
        /// the next payout.
        Clawback => "clawback",
        /// An operator's correction (either sign).
        ManualAdjustment => "manual_adjustment",
    }
);

/// Longest free text (reasons, notes, references) kept on a ledger row.
pub const MAX_TEXT_LEN: usize = 1_000;

/// One line of a partner's ledger. Amounts are never edited: corrections are new events.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CommissionEvent {
    /// Identity.
    pub id: EventId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The partner credited or debited.
    pub partner_id: PartnerId,
    /// What produced the line.
    pub event_type: EventType,
    /// Lifecycle status.
    pub status: EventStatus,
    /// Signed amount.
    pub amount: Money,
    /// Payment → `paid_at`; refund → `refunded_at`; manual → when made.
    #[serde(with = "time::serde::rfc3339")]
    pub event_date: OffsetDateTime,
    /// The payment that earned (or was refunded).
    pub payment_id: Option<PaymentId>,
    /// The refund, for refund lines.
    pub refund_id: Option<RefundId>,
    /// The invoice.
    pub invoice_id: Option<InvoiceId>,
    /// The invoice number as printed.
    pub invoice_number: Option<String>,
    /// The paying customer.
    pub customer_id: Option<CustomerId>,
    /// The amount the rate applied to (payment amount; refund amount for refund lines).
    pub base_amount: Option<Money>,
    /// The rate used.
    pub rate: Option<Rate>,
    /// The fee used.
    pub fee: Option<Money>,
    /// The rule that produced the amount.
    pub rule_id: Option<RuleId>,
    /// Precedence level of the terms.
    pub terms_source: TermsSource,
    /// For refund lines: the commission they reduce.
    pub original_event_id: Option<EventId>,
    /// When a pending event becomes due for automatic approval.
    #[serde(with = "time::serde::rfc3339::option")]
    pub hold_until: Option<OffsetDateTime>,
    /// The payout that claimed the event, if any.
    pub payout_id: Option<PayoutId>,
    /// When it was approved.
    #[serde(with = "time::serde::rfc3339::option")]
    pub approved_at: Option<OffsetDateTime>,
    /// When its payout completed.
    #[serde(with = "time::serde::rfc3339::option")]
    pub paid_at: Option<OffsetDateTime>,
    /// When it was rejected.
    #[serde(with = "time::serde::rfc3339::option")]
    pub rejected_at: Option<OffsetDateTime>,
    /// Why it was rejected.
    pub rejection_reason: Option<String>,
    /// Operator note (manual adjustments).
    pub note: Option<String>,
    /// Who created it (an operator subject, or `billing`).
    pub created_by: String,
    /// Creation instant.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_moves_are_allowed() {
        use EventStatus::*;
        let allowed = [
            (Pending, Approved),
            (Approved, Paid),
            (Pending, Rejected),
            (Approved, Rejected),
        ];
        for &from in EventStatus::ALL {
            for &to in EventStatus::ALL {
                assert_eq!(
                    from.move_to(to).is_ok(),
                    allowed.contains(&(from, to)),
                    "{from} → {to}"
                );
            }
        }
    }
}
