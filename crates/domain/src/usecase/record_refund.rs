//! Recording a refund (SPEC §3, §3a): a pro-rata negative event, a clawback once paid.

use crate::commission::{CommissionEvent, EventStatus, EventType};
use crate::error::{DomainError, StoreError, ValidationError};
use crate::ingestion::{IngestionResult, Refund, RefundOutcome, RefundRecord};
use crate::port::LedgerTx;
use crate::refund::RefundState;
use crate::terms::TermsSource;
use crate::usecase::{Actor, Engine};
use crate::value::{EventId, Money, TenantId};

async fn answer(
    tx: &mut dyn LedgerTx,
    record: &RefundRecord,
    duplicate: bool,
) -> Result<IngestionResult, StoreError> {
    let event = match record.event_id {
        Some(id) => tx.events_by_ids(record.tenant_id, &[id]).await?.pop(),
        None => None,
    };
    Ok(IngestionResult {
        id: record.refund_id.to_string(),
        outcome: record.outcome.name().to_owned(),
        duplicate,
        partner_id: event.as_ref().map(|e| e.partner_id),
        commission_id: record.event_id,
        amount: event.as_ref().map(|e| e.amount),
        event_type: event.as_ref().map(|e| e.event_type),
        status: event.as_ref().map(|e| e.status),
    })
}

impl Engine {
    /// Records a refund of a recorded payment. A refund of an unknown payment, or one beyond
    /// what is left of the payment, is refused and not remembered.
    pub async fn record_refund(
        &self,
        tenant: TenantId,
        actor: &Actor,
        refund: Refund,
    ) -> Result<IngestionResult, DomainError> {
        if refund.amount <= rust_decimal::Decimal::ZERO {
            return Err(ValidationError::new("amount", "must be greater than zero").into());
        }
        crate::value::check_instant("refunded_at", refund.refunded_at)?;
        crate::usecase::retrying(|| async {
            let refund = refund.clone();
            let mut tx = self.ledger.begin().await?;
            if let Some(existing) = tx.find_refund(tenant, &refund.refund_id).await? {
                return Ok(answer(tx.as_mut(), &existing, true).await?);
            }
            let payment = tx
                .lock_payment(tenant, &refund.payment_id)
                .await?
                .ok_or(DomainError::not_found("payment"))?;
            let currency = payment.payment.amount.currency();
            if refund.currency.is_some_and(|c| c != currency) {
                return Err(ValidationError::new(
                    "currency",
                    format!("the payment is in {currency}"),
                )
                .into());
            }
            let amount = Money::from_input(refund.amount, currency)?;
            // The partner lock orders this refund with payouts and other refunds of the partner.
            let original = match payment.partner_id {
                Some(pid) => {
                    tx.lock_partner(tenant, pid).await?;
                    tx.payment_event(tenant, &refund.payment_id).await?
                }
                None => None,
            };
            let totals = tx.refund_totals(tenant, &refund.payment_id).await?;
            let refunded = Money::from_minor(totals.refunded_minor, currency)?;
            let left = payment
                .payment
                .amount
                .checked_sub(refunded)
                .unwrap_or_else(|| Money::zero(currency));
            if amount.amount() > left.amount() {
                return Err(ValidationError::new(
                    "amount",
                    format!("refund {amount} exceeds what is left of the payment ({left})"),
                )
                .into());
            }
            let now = self.clock.now();
            let mut outcome = RefundOutcome::NoCommission;
            let mut event_id = None;
            if let Some(orig) = original.filter(|e| e.status != EventStatus::Rejected) {
                let state = RefundState {
                    payment: payment.payment.amount,
                    commission: orig.amount,
                    refunded,
                    adjusted: Money::from_minor(totals.adjusted_minor, currency)?,
                };
                let adjustment = state.adjustment_for(amount)?;
                if adjustment.is_zero() {
                    outcome = RefundOutcome::ZeroAdjustment;
                } else {
                    let id = EventId::from_uuid(self.ids.new_id());
                    let held = orig.status == EventStatus::Pending;
                    let event = CommissionEvent {
                        id,
                        tenant_id: tenant,
                        partner_id: orig.partner_id,
                        event_type: if orig.status == EventStatus::Paid {
                            EventType::Clawback
                        } else {
                            EventType::RefundAdjustment
                        },
                        status: if held {
                            EventStatus::Pending
                        } else {
                            EventStatus::Approved
                        },
                        amount: adjustment.negate(),
                        event_date: refund.refunded_at,
                        payment_id: Some(refund.payment_id.clone()),
                        refund_id: Some(refund.refund_id.clone()),
                        invoice_id: orig.invoice_id.clone(),
                        invoice_number: orig.invoice_number.clone(),
                        customer_id: orig.customer_id.clone(),
                        base_amount: Some(amount),
                        rate: orig.rate,
                        fee: None,
                        rule_id: orig.rule_id,
                        terms_source: TermsSource::Refund,
                        original_event_id: Some(orig.id),
                        hold_until: if held { orig.hold_until } else { None },
                        payout_id: None,
                        approved_at: if held { None } else { Some(now) },
                        paid_at: None,
                        rejected_at: None,
                        rejection_reason: None,
                        note: None,
                        created_by: actor.subject().to_owned(),
                        created_at: now,
                    };
                    tx.insert_event(&event).await?;
                    outcome = RefundOutcome::Created;
                    event_id = Some(id);
                }
            }
            let record = RefundRecord {
                tenant_id: tenant,
                refund_id: refund.refund_id,
                payment_id: refund.payment_id,
                amount,
                refunded_at: refund.refunded_at,
                outcome,
                event_id,
                recorded_at: now,
            };
            match tx.insert_refund(&record).await {
                Ok(()) => {}
                Err(StoreError::Conflict(_)) => {
                    drop(tx);
                    let mut tx = self.ledger.begin().await?;
                    let existing = tx
                        .find_refund(tenant, &record.refund_id)
                        .await?
                        .ok_or_else(|| {
                            StoreError::Internal("refund conflicted but is not stored".into())
                        })?;
                    return Ok(answer(tx.as_mut(), &existing, true).await?);
                }
                Err(e) => return Err(e.into()),
            }
            let result = answer(tx.as_mut(), &record, false).await?;
            tx.commit().await?;
            Ok(result)
        })
        .await
    }
}
