//! A payout as the API shows it.

use revshare_domain::payout::Payout;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::dto::{rfc3339, rfc3339_opt};

/// A batch of approved commissions for one partner and currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0196f5b0-0000-7000-8000-000000000009", "partner_id": "0196f59f-0000-7000-8000-000000000001",
    "total_amount": "10000.00", "currency": "USD", "commission_count": 40, "status": "completed",
    "period_end": "2026-03-31T23:59:59Z", "payment_method": "bank_transfer",
    "payment_reference": "PAY-2026-03-001", "created_at": "2026-04-01T09:00:00Z",
    "updated_at": "2026-04-02T10:15:00Z", "completed_at": "2026-04-02T10:15:00Z"
}))]
pub struct PayoutDto {
    pub id: Uuid,
    pub partner_id: Uuid,
    /// Exact sum of its commissions.
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$")]
    pub total_amount: String,
    pub currency: String,
    pub commission_count: u32,
    /// `pending`, `ready`, `processing`, `completed`, `failed` or `cancelled`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub period_start: Option<String>,
    #[schema(format = DateTime)]
    pub period_end: String,
    pub payment_method: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub completed_at: Option<String>,
}

impl From<&Payout> for PayoutDto {
    fn from(p: &Payout) -> Self {
        PayoutDto {
            id: p.id.uuid(),
            partner_id: p.partner_id.uuid(),
            total_amount: p.total.to_plain_string(),
            currency: p.total.currency().code().to_owned(),
            commission_count: p.commission_count,
            status: p.status.name().to_owned(),
            period_start: rfc3339_opt(p.period_start),
            period_end: rfc3339(p.period_end),
            payment_method: p.payment_method.clone(),
            payment_reference: p.payment_reference.clone(),
            failure_reason: p.failure_reason.clone(),
            created_at: rfc3339(p.created_at),
            updated_at: rfc3339(p.updated_at),
            completed_at: rfc3339_opt(p.completed_at),
        }
    }
}
