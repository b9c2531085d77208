//! Payments and refunds as the billing system sends them, and the outcome per event.

use revshare_domain::ValidationError;
use revshare_domain::error::Validator;
use revshare_domain::ingestion::{
    IngestionResult, InvoicePayment, MAX_INVOICE_NUMBER_LEN, MAX_PRODUCTS_PER_PAYMENT, Refund,
};
use revshare_domain::value::{
    Currency, CustomerId, InvoiceId, Money, PaymentId, ProductId, RefundId,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::dto::{AmountText, InstantParam};

/// A paid invoice.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "payment_id": "pay_123", "invoice_id": "inv_123", "invoice_number": "INV-2026-0042",
    "customer_id": "cust_9", "amount": "333.33", "currency": "USD", "paid_at": "2026-03-01T10:00:00Z",
    "product_ids": ["plan_pro"]
}))]
pub struct PaymentIn {
    /// Idempotency key within the tenant.
    pub payment_id: String,
    pub invoice_id: String,
    pub invoice_number: Option<String>,
    pub customer_id: String,
    /// Decimal string, exact in the currency's minor unit, > 0.
    pub amount: AmountText,
    /// ISO 4217.
    pub currency: String,
    pub paid_at: InstantParam,
    #[serde(default)]
    pub product_ids: Vec<String>,
}

impl PaymentIn {
    /// The validated payment; every offending field is reported at once.
    pub fn to_domain(&self) -> Result<InvoicePayment, ValidationError> {
        let mut v = Validator::new();
        let payment_id = v.check(PaymentId::parse(&self.payment_id));
        let invoice_id = v.check(InvoiceId::parse(&self.invoice_id));
        let customer_id = v.check(CustomerId::parse(&self.customer_id));
        let currency = v.check(Currency::parse(&self.currency));
        let amount = currency.and_then(|c| v.check(Money::from_input(self.amount.0, c)));
        v.ensure(
            amount.is_none_or(|a| a.is_positive()),
            "amount",
            "must be greater than zero",
        );
        v.ensure(
            self.invoice_number.as_ref().is_none_or(|n| {
                n.chars().count() <= MAX_INVOICE_NUMBER_LEN && !n.chars().any(char::is_control)
            }),
            "invoice_number",
            "must be at most 64 characters without control characters",
        );
        v.ensure(
            self.product_ids.len() <= MAX_PRODUCTS_PER_PAYMENT,
            "product_ids",
            "at most 100 product ids",
        );
        let products: Vec<ProductId> = self
            .product_ids
            .iter()
            .filter_map(|p| v.check(ProductId::parse(p)))
            .collect();
        v.check(revshare_domain::value::check_instant(
            "paid_at",
            self.paid_at.0,
        ));
        v.finish()?;
        match (payment_id, invoice_id, customer_id, amount) {
            (Some(payment_id), Some(invoice_id), Some(customer_id), Some(amount)) => {
                Ok(InvoicePayment {
                    payment_id,
                    invoice_id,
                    invoice_number: self.invoice_number.clone().filter(|n| !n.is_empty()),
                    customer_id,
                    amount,
                    paid_at: self.paid_at.0,
                    product_ids: products,
                })
            }
            _ => Err(ValidationError::new("payment", "is invalid")),
        }
    }
}

/// A refund of a recorded payment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refund_id": "ref_1", "payment_id": "pay_123", "amount": "33.33", "currency": "USD", "refunded_at": "2026-03-05T00:00:00Z"}))]
pub struct RefundIn {
    /// Idempotency key within the tenant.
    pub refund_id: String,
    pub payment_id: String,
    /// Decimal string, exact in the payment's currency, > 0.
    pub amount: AmountText,
    /// Optional; must match the payment's.
    pub currency: Option<String>,
    pub refunded_at: InstantParam,
}

impl RefundIn {
    /// The validated refund (checked against its payment when recorded).
    pub fn to_domain(&self) -> Result<Refund, ValidationError> {
        let mut v = Validator::new();
        let refund_id = v.check(RefundId::parse(&self.refund_id));
        let payment_id = v.check(PaymentId::parse(&self.payment_id));
        let currency = self
            .currency
            .as_deref()
            .and_then(|c| v.check(Currency::parse(c)));
        v.ensure(
            self.amount.0 > rust_decimal::Decimal::ZERO,
            "amount",
            "must be greater than zero",
        );
        v.check(revshare_domain::value::check_instant(
            "refunded_at",
            self.refunded_at.0,
        ));
        v.finish()?;
        match (refund_id, payment_id) {
            (Some(refund_id), Some(payment_id)) => Ok(Refund {
                refund_id,
                payment_id,
                amount: self.amount.0,
                currency,
                refunded_at: self.refunded_at.0,
            }),
            _ => Err(ValidationError::new("refund", "is invalid")),
        }
    }
}

/// The outcome of one ingested event.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"id": "pay_123", "outcome": "created", "duplicate": false,
    "partner_id": "0196f59f-0000-7000-8000-000000000001", "commission_id": "0196f5a0-1c2b-7d3e-8f40-5a6b7c8d9e0f",
    "amount": "50.00", "currency": "USD", "event_type": "invoice_payment", "status": "approved"}))]
pub struct OutcomeDto {
    /// The payment or refund id as sent.
    pub id: String,
    /// `created`, `unattributed`, `partner_inactive`, `no_terms`, `currency_mismatch`,
    /// `duration_elapsed`, `capped`, `zero_commission`; for refunds `created`,
    /// `no_commission`, `zero_adjustment`; in batches also `invalid` and `refused`.
    pub outcome: String,
    /// True when this delivery was a replay and wrote nothing.
    pub duplicate: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commission_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$")]
    pub amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Why a batch item was refused (`invalid` or `refused`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub problem: Option<crate::problem::Problem>,
}

impl From<&IngestionResult> for OutcomeDto {
    fn from(r: &IngestionResult) -> Self {
        OutcomeDto {
            id: r.id.clone(),
            outcome: r.outcome.clone(),
            duplicate: r.duplicate,
            partner_id: r.partner_id.map(|p| p.uuid()),
            commission_id: r.commission_id.map(|c| c.uuid()),
            amount: r.amount.map(|a| a.to_plain_string()),
            currency: r.amount.map(|a| a.currency().code().to_owned()),
            event_type: r.event_type.map(|t| t.name().to_owned()),
            status: r.status.map(|s| s.name().to_owned()),
            problem: None,
        }
    }
}

impl OutcomeDto {
    /// A batch item that was not recorded, and why.
    pub fn refused(id: &str, outcome: &str, problem: crate::problem::Problem) -> Self {
        OutcomeDto {
            id: id.to_owned(),
            outcome: outcome.to_owned(),
            duplicate: false,
            partner_id: None,
            commission_id: None,
            amount: None,
            currency: None,
            event_type: None,
            status: None,
            problem: Some(problem),
        }
    }
}
