//! What the billing system sends (payments, refunds), what revshare remembers of each, and
//! the named outcomes of recording them.

use serde::Serialize;
use time::OffsetDateTime;

use crate::commission::{EventStatus, EventType};
use crate::state::status_enum;
use crate::value::{
    CustomerId, EventId, InvoiceId, Money, PartnerId, PaymentId, ProductId, RefundId, TenantId,
};

/// Most product ids one payment may carry.
pub const MAX_PRODUCTS_PER_PAYMENT: usize = 100;
/// Longest invoice number.
pub const MAX_INVOICE_NUMBER_LEN: usize = 64;

/// A paid invoice, as reported by the billing system, already validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoicePayment {
    /// Idempotency key within the tenant.
    pub payment_id: PaymentId,
    /// The invoice paid.
    pub invoice_id: InvoiceId,
    /// The invoice number as printed.
    pub invoice_number: Option<String>,
    /// The paying customer.
    pub customer_id: CustomerId,
    /// Amount paid (> 0).
    pub amount: Money,
    /// When it was paid.
    pub paid_at: OffsetDateTime,
    /// Products on the invoice.
    pub product_ids: Vec<ProductId>,
}

/// A refund of a recorded payment, already validated except against the payment itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    /// Idempotency key within the tenant.
    pub refund_id: RefundId,
    /// The refunded payment.
    pub payment_id: PaymentId,
    /// Amount refunded (> 0), exact; checked against the payment's currency when recorded.
    pub amount: rust_decimal::Decimal,
    /// The currency, if the caller sent one; must match the payment's.
    pub currency: Option<crate::value::Currency>,
    /// When it was refunded.
    pub refunded_at: OffsetDateTime,
}

status_enum!(
    /// What recording a payment did. Every outcome but `created` wrote no event.
    PaymentOutcome, "outcome" {
        /// A commission event was written.
        Created => "created",
        /// No partner account of the customer was in force at `paid_at`.
        Unattributed => "unattributed",
        /// The attributed partner is not active.
        PartnerInactive => "partner_inactive",
        /// Neither a custom rate, nor a rule, nor a default applies.
        NoTerms => "no_terms",
        /// The chosen terms' fee or cap is in another currency.
        CurrencyMismatch => "currency_mismatch",
        /// The chosen rule's duration since attribution has elapsed.
        DurationElapsed => "duration_elapsed",
        /// The chosen rule's monthly cap is used up.
        Capped => "capped",
        /// The terms yield zero.
        ZeroCommission => "zero_commission",
    }
);

status_enum!(
    /// What recording a refund did.
    RefundOutcome, "outcome" {
        /// A negative event (refund adjustment or clawback) was written.
        Created => "created",
        /// The payment earned no commission (or it was rejected): nothing to take back.
        NoCommission => "no_commission",
        /// The pro-rata share rounds to zero, or the commission is already fully taken back.
        ZeroAdjustment => "zero_adjustment",
    }
);

/// What revshare remembers of every accepted payment, whatever its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The payment as received.
    pub payment: InvoicePayment,
    /// What recording it did.
    pub outcome: PaymentOutcome,
    /// The partner it was attributed to, if any.
    pub partner_id: Option<PartnerId>,
    /// The event written, if any.
    pub event_id: Option<EventId>,
    /// When it was recorded.
    pub recorded_at: OffsetDateTime,
}

/// What revshare remembers of every accepted refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRecord {
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// Idempotency key.
    pub refund_id: RefundId,
    /// The refunded payment.
    pub payment_id: PaymentId,
    /// Amount refunded, in the payment's currency.
    pub amount: Money,
    /// When it was refunded.
    pub refunded_at: OffsetDateTime,
    /// What recording it did.
    pub outcome: RefundOutcome,
    /// The event written, if any.
    pub event_id: Option<EventId>,
    /// When it was recorded.
    pub recorded_at: OffsetDateTime,
}

/// The answer to one ingested event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IngestionResult {
    /// The payment or refund id as sent.
    pub id: String,
    /// The outcome of the first delivery.
    pub outcome: String,
    /// True when this delivery was a replay and wrote nothing.
    pub duplicate: bool,
    /// The partner credited, if any.
    pub partner_id: Option<PartnerId>,
    /// The event written by the first delivery, if any.
    pub commission_id: Option<EventId>,
    /// Its amount.
    pub amount: Option<Money>,
    /// Its type.
    pub event_type: Option<EventType>,
    /// Its current status (a replay shows where the event stands now).
    pub status: Option<EventStatus>,
}
