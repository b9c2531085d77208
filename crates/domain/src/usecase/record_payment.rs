//! Recording invoice payments (SPEC §3): idempotent, attributed, priced, held or approved.
//!
//! One payment or a batch of up to [`MAX_INGEST_BATCH`] go through the same path: one
//! transaction per batch, a fixed number of statements whatever the batch size (set-based
//! reads in [`facts`], multi-row writes), and payments computed in the order given, so a batch
//! answers exactly what the same payments recorded one by one would.

mod facts;

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use time::Duration;

use crate::commission::{CommissionEvent, EventStatus, EventType};
use crate::error::{DomainError, StoreError, ValidationError};
use crate::ingestion::{IngestionResult, InvoicePayment, PaymentOutcome, PaymentRecord};
use crate::partner::Partner;
use crate::terms::{Commission, NoCommission};
use crate::usecase::{Actor, Engine};
use crate::value::{EventId, PaymentId, TenantId};

use facts::BatchFacts;

/// Most payments one call records.
pub const MAX_INGEST_BATCH: usize = 1_000;

/// How often a batch is retried when a concurrent delivery of one of its payments wins: the
/// retry answers those as replays. More than a few rounds means something else is wrong.
const MAX_ATTEMPTS: usize = 3;

/// What a payment would earn and why: the outcome, the partner, and the commission if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    /// The outcome recording would have.
    pub outcome: PaymentOutcome,
    /// The attributed partner, if any.
    pub partner_id: Option<crate::value::PartnerId>,
    /// The commission and its explanation, when the outcome is `created`.
    #[serde(skip)]
    pub commission: Option<Commission>,
}

impl Evaluation {
    fn without(outcome: PaymentOutcome, partner_id: Option<crate::value::PartnerId>) -> Self {
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

/// Checks what can be checked without the ledger.
fn check(payment: &InvoicePayment) -> Result<(), ValidationError> {
    if !payment.amount.is_positive() {
        return Err(ValidationError::new("amount", "must be greater than zero"));
    }
    crate::value::check_instant("paid_at", payment.paid_at)?;
    Ok(())
}

/// The answer for a remembered payment and its event, `duplicate` set on replays.
fn answer(
    record: &PaymentRecord,
    event: Option<&CommissionEvent>,
    duplicate: bool,
) -> IngestionResult {
    IngestionResult {
        id: record.payment.payment_id.to_string(),
        outcome: record.outcome.name().to_owned(),
        duplicate,
        partner_id: record.partner_id,
        commission_id: record.event_id,
        amount: event.map(|e| e.amount),
        event_type: event.map(|e| e.event_type),
        status: event.map(|e| e.status),
    }
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
        self.record_payments(tenant, actor, vec![payment])
            .await?
            .pop()
            .ok_or_else(|| StoreError::Internal("a batch of one answered nothing".into()))?
    }

    /// Records up to [`MAX_INGEST_BATCH`] paid invoices atomically, in order, and answers each:
    /// an invalid payment gets its own validation error and is not remembered; a payment seen
    /// before (or earlier in the same batch) answers `duplicate`. A store failure fails the
    /// whole batch and writes nothing, so the caller retries it; replays are safe.
    pub async fn record_payments(
        &self,
        tenant: TenantId,
        actor: &Actor,
        payments: Vec<InvoicePayment>,
    ) -> Result<Vec<Result<IngestionResult, DomainError>>, DomainError> {
        if payments.is_empty() || payments.len() > MAX_INGEST_BATCH {
            return Err(ValidationError::new(
                "payments",
                format!("must hold 1 to {MAX_INGEST_BATCH} payments"),
            )
            .into());
        }
        let checked: Vec<Result<InvoicePayment, ValidationError>> = payments
            .into_iter()
            .map(|p| check(&p).map(|()| p))
            .collect();
        let mut attempt = 1;
        loop {
            match self.try_record(tenant, actor, &checked).await {
                Ok(answers) => {
                    return Ok(checked
                        .iter()
                        .zip(answers)
                        .map(|(c, a)| match c {
                            Ok(_) => a.ok_or_else(|| {
                                StoreError::Internal("a payment got no answer".into()).into()
                            }),
                            Err(e) => Err(e.clone().into()),
                        })
                        .collect());
                }
                // A concurrent delivery of one of the payments won, or the database broke a
                // deadlock by aborting this attempt; the retry sees the winner's writes.
                Err(StoreError::Conflict(_) | StoreError::Contention(_))
                    if attempt < MAX_ATTEMPTS =>
                {
                    attempt += 1;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// One attempt in one transaction: an answer per valid payment (`None` for invalid ones).
    async fn try_record(
        &self,
        tenant: TenantId,
        actor: &Actor,
        checked: &[Result<InvoicePayment, ValidationError>],
    ) -> Result<Vec<Option<IngestionResult>>, StoreError> {
        let valid: Vec<&InvoicePayment> = checked.iter().filter_map(|c| c.as_ref().ok()).collect();
        if valid.is_empty() {
            return Ok(vec![None; checked.len()]);
        }
        let mut tx = self.ledger.begin().await?;
        let ids: Vec<PaymentId> = valid
            .iter()
            .map(|p| p.payment_id.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut records: HashMap<PaymentId, (PaymentRecord, bool)> = tx
            .find_payments(tenant, &ids)
            .await?
            .into_iter()
            .map(|r| (r.payment.payment_id.clone(), (r, true)))
            .collect();

        // First deliveries, first occurrence in the batch only.
        let mut seen = HashSet::new();
        let mut fresh: Vec<&InvoicePayment> = valid
            .iter()
            .copied()
            .filter(|p| !records.contains_key(&p.payment_id) && seen.insert(&p.payment_id))
            .collect();
        let mut events: HashMap<EventId, CommissionEvent> = HashMap::new();
        if !fresh.is_empty() {
            let mut facts = BatchFacts::load(tx.as_mut(), tenant, &fresh).await?;
            // Look again now that the partners are locked: a concurrent batch holding a copy of
            // one of these payments may have committed while this one waited for the locks.
            // Without this second look the insert below fails on the copy, the whole batch is
            // retried, and under a steady stream of overlapping batches it can lose every
            // attempt (seen in the bench: 100 batches, 2 in flight, 1 % redeliveries).
            let fresh_ids: Vec<PaymentId> = fresh.iter().map(|p| p.payment_id.clone()).collect();
            for r in tx.find_payments(tenant, &fresh_ids).await? {
                records.insert(r.payment.payment_id.clone(), (r, true));
            }
            fresh.retain(|p| !records.contains_key(&p.payment_id));
            let now = self.clock.now();
            let mut new_records = Vec::with_capacity(fresh.len());
            for p in &fresh {
                let (evaluation, partner) = facts.evaluate(p);
                let mut event_id = None;
                if let (Some(c), Some(partner)) = (&evaluation.commission, partner) {
                    let event = self.commission_event(tenant, actor, partner, p, c);
                    let partner_id = partner.id;
                    event_id = Some(event.id);
                    facts.record(partner_id, p, c);
                    events.insert(event.id, event);
                }
                new_records.push(PaymentRecord {
                    tenant_id: tenant,
                    payment: (*p).clone(),
                    outcome: evaluation.outcome,
                    partner_id: evaluation.partner_id,
                    event_id,
                    recorded_at: now,
                });
            }
            let mut written: Vec<CommissionEvent> = events.values().cloned().collect();
            written.sort_by_key(|e| e.id);
            if !written.is_empty() {
                tx.insert_events(&written).await?;
            }
            if !new_records.is_empty() {
                tx.insert_payments(&new_records).await?;
            }
            for r in new_records {
                records.insert(r.payment.payment_id.clone(), (r, false));
            }
        }

        // Replays show where their event stands now.
        let replayed: Vec<EventId> = records
            .values()
            .filter(|(_, replay)| *replay)
            .filter_map(|(r, _)| r.event_id)
            .collect();
        if !replayed.is_empty() {
            for e in tx.events_by_ids(tenant, &replayed).await? {
                events.insert(e.id, e);
            }
        }
        if fresh.is_empty() {
            // Nothing was written: end the read-only transaction without a commit.
            drop(tx);
        } else {
            tx.commit().await?;
        }

        let mut answered = HashSet::new();
        Ok(checked
            .iter()
            .map(|c| {
                let p = c.as_ref().ok()?;
                let (record, replay) = records.get(&p.payment_id)?;
                let event = record.event_id.and_then(|id| events.get(&id));
                // Later copies of a payment in the same batch are replays of the first.
                let duplicate = *replay || !answered.insert(&p.payment_id);
                Some(answer(record, event, duplicate))
            })
            .collect())
    }

    /// The commission event of a payment: held until the partner's hold ends, else approved.
    fn commission_event(
        &self,
        tenant: TenantId,
        actor: &Actor,
        partner: &Partner,
        payment: &InvoicePayment,
        c: &Commission,
    ) -> CommissionEvent {
        let now = self.clock.now();
        let hold_until = (partner.hold_days > 0)
            .then(|| payment.paid_at + Duration::days(i64::from(partner.hold_days)));
        let held = hold_until.is_some_and(|h| h > now);
        CommissionEvent {
            id: EventId::from_uuid(self.ids.new_id()),
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
        }
    }

    /// What a payment would earn and why, writing nothing (the transaction is rolled back).
    pub async fn simulate_payment(
        &self,
        tenant: TenantId,
        payment: &InvoicePayment,
    ) -> Result<Evaluation, DomainError> {
        let mut tx = self.ledger.begin().await?;
        let facts = BatchFacts::load(tx.as_mut(), tenant, &[payment]).await?;
        let (evaluation, _) = facts.evaluate(payment);
        drop(tx);
        Ok(evaluation)
    }
}
