//! Recording an invoice payment (SPEC §3): idempotent, attributed, priced, held or approved.

use serde::Serialize;
use time::Duration;

use crate::commission::{CommissionEvent, EventStatus, EventType};
use crate::error::{DomainError, StoreError};
use crate::ingestion::{IngestionResult, InvoicePayment, PaymentOutcome, PaymentRecord};
use crate::partner::{Partner, PartnerStatus};
use crate::port::LedgerTx;
use crate::terms::{Commission, LedgerFacts, NoCommission, PaymentFacts, choose_terms};
use crate::usecase::{Actor, Engine};
use crate::value::{EventId, Money, PartnerId, Period, TenantId};

/// What a payment would earn and why: the outcome, the partner, and the commission if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    /// The outcome recording would have.
    pub outcome: PaymentOutcome,
    /// The attributed partner, if any.
    pub partner_id: Option<PartnerId>,
    /// The commission and its explanation, when the outcome is `created`.
    #[serde(skip)]
    pub commission: Option<Commission>,
}

impl Evaluation {
    fn without(outcome: PaymentOutcome, partner_id: Option<PartnerId>) -> Self {
        Evaluation {
            outcome,
            partner_id,
            commission: None,
        }
    }
}

impl From<NoCommission> for PaymentOutcome {
    fn from(n: NoCommission) -> Self {
        match n {
            NoCommission::CurrencyMismatch => PaymentOutcome::CurrencyMismatch,
            NoCommission::DurationElapsed => PaymentOutcome::DurationElapsed,
            NoCommission::Capped => PaymentOutcome::Capped,
            NoCommission::ZeroCommission => PaymentOutcome::ZeroCommission,
        }
    }
}

/// Attribution, partner status, terms and amount of a payment, read inside `tx` (which holds
/// the partner's lock afterwards, so caps and tier volumes cannot race).
async fn evaluate(
    tx: &mut dyn LedgerTx,
    tenant: TenantId,
    p: &InvoicePayment,
) -> Result<(Evaluation, Option<Partner>), StoreError> {
    let Some(account) = tx
        .account_in_force(tenant, &p.customer_id, p.paid_at)
        .await?
    else {
        return Ok((
            Evaluation::without(PaymentOutcome::Unattributed, None),
            None,
        ));
    };
    let partner_id = Some(account.partner_id);
    let Some(partner) = tx.lock_partner(tenant, account.partner_id).await? else {
        return Ok((
            Evaluation::without(PaymentOutcome::Unattributed, None),
            None,
        ));
    };
    if partner.status != PartnerStatus::Active {
        return Ok((
            Evaluation::without(PaymentOutcome::PartnerInactive, partner_id),
            None,
        ));
    }
    let rules = if account.custom_rate.is_some() {
        Vec::new()
    } else {
        tx.rules_of_partner(tenant, partner.id).await?
    };
    let facts = PaymentFacts {
        amount: p.amount,
        paid_at: p.paid_at,
        product_ids: &p.product_ids,
        customer_id: &p.customer_id,
    };
    let Some(terms) = choose_terms(&account, &partner, &rules, &facts) else {
        return Ok((
            Evaluation::without(PaymentOutcome::NoTerms, partner_id),
            None,
        ));
    };
    let currency = p.amount.currency();
    let month = Period::month_of(p.paid_at);
    let mut ledger = LedgerFacts::default();
    if terms.model.needs_volume() {
        let minor = tx
            .payment_volume(tenant, partner.id, currency, month)
            .await?;
        ledger.month_volume = Money::from_minor(minor, currency).ok();
    }
    if let (Some(rule), Some(cap)) = (terms.rule, terms.monthly_cap())
        && cap.currency() == currency
    {
        let minor = tx.rule_usage(tenant, rule.id, currency, month).await?;
        ledger.cap_used = Money::from_minor(minor, currency).ok();
    }
    let evaluation = match terms.calculate(&facts, account.start, ledger) {
        Ok(c) => Evaluation {
            outcome: PaymentOutcome::Created,
            partner_id,
            commission: Some(c),
        },
        Err(no) => Evaluation::without(no.into(), partner_id),
    };
    Ok((evaluation, Some(partner)))
}

/// The answer for a remembered payment, `duplicate` set on replays.
async fn answer(
    tx: &mut dyn LedgerTx,
    record: &PaymentRecord,
    duplicate: bool,
) -> Result<IngestionResult, StoreError> {
    let event = match record.event_id {
        Some(id) => tx.events_by_ids(record.tenant_id, &[id]).await?.pop(),
        None => None,
    };
    Ok(IngestionResult {
        id: record.payment.payment_id.to_string(),
        outcome: record.outcome.name().to_owned(),
        duplicate,
        partner_id: record.partner_id,
        commission_id: record.event_id,
        amount: event.as_ref().map(|e| e.amount),
        event_type: event.as_ref().map(|e| e.event_type),
        status: event.as_ref().map(|e| e.status),
    })
}

impl Engine {
    /// Records a paid invoice. A replay of the same `payment_id` answers `duplicate` with the
    /// original outcome and writes nothing, even if its body differs.
    pub async fn record_payment(
        &self,
        tenant: TenantId,
        actor: &Actor,
        payment: InvoicePayment,
    ) -> Result<IngestionResult, DomainError> {
        if !payment.amount.is_positive() {
            return Err(
                crate::error::ValidationError::new("amount", "must be greater than zero").into(),
            );
        }
        crate::value::check_instant("paid_at", payment.paid_at)?;
        let mut tx = self.ledger.begin().await?;
        if let Some(existing) = tx.find_payment(tenant, &payment.payment_id).await? {
            return Ok(answer(tx.as_mut(), &existing, true).await?);
        }
        let (evaluation, partner) = evaluate(tx.as_mut(), tenant, &payment).await?;
        let now = self.clock.now();
        let mut event_id = None;
        if let (Some(c), Some(partner)) = (&evaluation.commission, &partner) {
            let hold_until = (partner.hold_days > 0)
                .then(|| payment.paid_at + Duration::days(i64::from(partner.hold_days)));
            let held = hold_until.is_some_and(|h| h > now);
            let id = EventId::from_uuid(self.ids.new_id());
            let event = CommissionEvent {
                id,
                tenant_id: tenant,
                partner_id: partner.id,
                event_type: EventType::InvoicePayment,
                status: if held {
                    EventStatus::Pending
                } else {
                    EventStatus::Approved
                },
                amount: c.amount,
                event_date: payment.paid_at,
                payment_id: Some(payment.payment_id.clone()),
                refund_id: None,
                invoice_id: Some(payment.invoice_id.clone()),
                invoice_number: payment.invoice_number.clone(),
                customer_id: Some(payment.customer_id.clone()),
                base_amount: Some(c.base),
                rate: c.rate,
                fee: c.fee,
                rule_id: c.rule_id,
                terms_source: c.source,
                original_event_id: None,
                hold_until: if held { hold_until } else { None },
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
            event_id = Some(id);
        }
        let record = PaymentRecord {
            tenant_id: tenant,
            payment,
            outcome: evaluation.outcome,
            partner_id: evaluation.partner_id,
            event_id,
            recorded_at: now,
        };
        match tx.insert_payment(&record).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => {
                // A concurrent delivery of the same payment won; answer as its replay.
                drop(tx);
                return self.replayed_payment(tenant, &record).await;
            }
            Err(e) => return Err(e.into()),
        }
        let result = answer(tx.as_mut(), &record, false).await?;
        tx.commit().await?;
        Ok(result)
    }

    async fn replayed_payment(
        &self,
        tenant: TenantId,
        record: &PaymentRecord,
    ) -> Result<IngestionResult, DomainError> {
        let mut tx = self.ledger.begin().await?;
        let existing = tx
            .find_payment(tenant, &record.payment.payment_id)
            .await?
            .ok_or_else(|| StoreError::Internal("payment conflicted but is not stored".into()))?;
        Ok(answer(tx.as_mut(), &existing, true).await?)
    }

    /// What a payment would earn and why, writing nothing (the transaction is rolled back).
    pub async fn simulate_payment(
        &self,
        tenant: TenantId,
        payment: &InvoicePayment,
    ) -> Result<Evaluation, DomainError> {
        let mut tx = self.ledger.begin().await?;
        let (evaluation, _) = evaluate(tx.as_mut(), tenant, payment).await?;
        drop(tx);
        Ok(evaluation)
    }
}
