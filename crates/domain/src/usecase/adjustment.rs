//! Manual adjustments: an operator's signed correction, dated when it is made.

use crate::audit::Snapshot;
use crate::commission::{CommissionEvent, EventStatus, EventType, MAX_TEXT_LEN};
use crate::error::{DomainError, ValidationError};
use crate::partner::PartnerStatus;
use crate::terms::TermsSource;
use crate::usecase::{Actor, Engine, required_text};
use crate::value::{EventId, Money, PartnerId, TenantId};

/// An operator's correction of a partner's ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualAdjustment {
    /// The partner credited (positive) or debited (negative).
    pub partner_id: PartnerId,
    /// Signed, non-zero amount.
    pub amount: Money,
    /// Why; required.
    pub note: String,
}

impl Engine {
    /// Adds an approved manual adjustment to a partner's ledger.
    pub async fn adjust(
        &self,
        tenant: TenantId,
        actor: &Actor,
        input: ManualAdjustment,
    ) -> Result<CommissionEvent, DomainError> {
        if input.amount.is_zero() {
            return Err(ValidationError::new("amount", "must not be zero").into());
        }
        let note = required_text("note", &input.note, MAX_TEXT_LEN)?;
        crate::usecase::retrying(|| async {
            let mut tx = self.ledger.begin().await?;
            let partner = tx
                .lock_partner(tenant, input.partner_id)
                .await?
                .ok_or(DomainError::not_found("partner"))?;
            if partner.status == PartnerStatus::Archived {
                return Err(DomainError::Conflict(
                    "an archived partner's ledger is closed".into(),
                ));
            }
            let now = self.clock.now();
            let event = CommissionEvent {
                id: EventId::from_uuid(self.ids.new_id()),
                tenant_id: tenant,
                partner_id: partner.id,
                event_type: EventType::ManualAdjustment,
                status: EventStatus::Approved,
                amount: input.amount,
                event_date: now,
                payment_id: None,
                refund_id: None,
                invoice_id: None,
                invoice_number: None,
                customer_id: None,
                base_amount: None,
                rate: None,
                fee: None,
                rule_id: None,
                terms_source: TermsSource::Manual,
                original_event_id: None,
                hold_until: None,
                payout_id: None,
                approved_at: Some(now),
                paid_at: None,
                rejected_at: None,
                rejection_reason: None,
                note: Some(note.clone()),
                created_by: actor.subject().to_owned(),
                created_at: now,
            };
            tx.insert_event(&event).await?;
            let record = self.audit(
                tenant,
                actor,
                "commission.adjust",
                "commission",
                event.id.to_string(),
                None,
                Some(Snapshot::Commissions(vec![event.clone()])),
            );
            tx.insert_audit(&record).await?;
            tx.commit().await?;
            Ok(event)
        })
        .await
    }
}
