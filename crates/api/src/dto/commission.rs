//! A commission event as the API shows it.

use revshare_domain::commission::CommissionEvent;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::dto::{rfc3339, rfc3339_opt};

/// One line of a partner's ledger, with everything that explains its amount.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0196f5a0-1c2b-7d3e-8f40-5a6b7c8d9e0f", "partner_id": "0196f59f-0000-7000-8000-000000000001",
    "event_type": "invoice_payment", "status": "approved", "amount": "50.00", "currency": "USD",
    "event_date": "2026-03-01T10:00:00Z", "payment_id": "pay_123", "invoice_id": "inv_123",
    "invoice_number": "INV-2026-0042", "customer_id": "cust_9", "base_amount": "333.33", "rate": "0.15",
    "terms_source": "partner_default", "created_at": "2026-03-01T10:00:01Z"
}))]
pub struct CommissionDto {
    pub id: Uuid,
    pub partner_id: Uuid,
    /// `invoice_payment`, `refund_adjustment`, `clawback` or `manual_adjustment`.
    pub event_type: String,
    /// `pending`, `approved`, `paid` or `rejected`.
    pub status: String,
    /// Signed amount, with the currency's decimals.
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$")]
    pub amount: String,
    pub currency: String,
    #[schema(format = DateTime)]
    pub event_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// The amount the rate applied to.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$")]
    pub base_amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$")]
    pub fee: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<Uuid>,
    /// `custom_rate`, `rule`, `partner_default`, `manual` or `refund`.
    pub terms_source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_event_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub hold_until: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payout_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub approved_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub paid_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub rejected_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<&CommissionEvent> for CommissionDto {
    fn from(e: &CommissionEvent) -> Self {
        CommissionDto {
            id: e.id.uuid(),
            partner_id: e.partner_id.uuid(),
            event_type: e.event_type.name().to_owned(),
            status: e.status.name().to_owned(),
            amount: e.amount.to_plain_string(),
            currency: e.amount.currency().code().to_owned(),
            event_date: rfc3339(e.event_date),
            payment_id: e.payment_id.as_ref().map(ToString::to_string),
            refund_id: e.refund_id.as_ref().map(ToString::to_string),
            invoice_id: e.invoice_id.as_ref().map(ToString::to_string),
            invoice_number: e.invoice_number.clone(),
            customer_id: e.customer_id.as_ref().map(ToString::to_string),
            base_amount: e.base_amount.map(|m| m.to_plain_string()),
            rate: e.rate.map(|r| r.to_string()),
            fee: e.fee.map(|m| m.to_plain_string()),
            rule_id: e.rule_id.map(|r| r.uuid()),
            terms_source: e.terms_source.name().to_owned(),
            original_event_id: e.original_event_id.map(|x| x.uuid()),
            hold_until: rfc3339_opt(e.hold_until),
            payout_id: e.payout_id.map(|x| x.uuid()),
            approved_at: rfc3339_opt(e.approved_at),
            paid_at: rfc3339_opt(e.paid_at),
            rejected_at: rfc3339_opt(e.rejected_at),
            rejection_reason: e.rejection_reason.clone(),
            note: e.note.clone(),
            created_at: rfc3339(e.created_at),
        }
    }
}
