//! Payout batches for one partner and currency, and payout runs over the whole tenant.
//!
//! Both go through one set-based path: a batch is a run of one pair. A run finds its payable
//! (partner, currency) pairs, then makes their payouts [`MAX_PAYOUTS_PER_TX`] per transaction
//! with a fixed number of statements each, however many partners and commissions it holds.

use std::collections::BTreeMap;

use serde::Serialize;
use time::OffsetDateTime;

use crate::audit::{AuditRecord, Snapshot};
use crate::error::{DomainError, StoreError, ValidationError};
use crate::partner::Partner;
use crate::payout::{MAX_REFERENCE_LEN, Payout, PayoutStatus};
use crate::port::PayoutClaim;
use crate::usecase::{Actor, Engine, required_text};
use crate::value::{Currency, Money, PartnerId, PayoutId, TenantId};

/// What to batch: a partner's approved, unclaimed events in a currency, dated in
/// `[period_start, period_end]` (inclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutRequest {
    /// The partner.
    pub partner_id: PartnerId,
    /// The currency.
    pub currency: Currency,
    /// Inclusive lower cut-off, if any.
    pub period_start: Option<OffsetDateTime>,
    /// Inclusive upper cut-off.
    pub period_end: OffsetDateTime,
    /// How the money will be sent.
    pub payment_method: String,
}

/// Why a batch was not made; nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PayoutRefusal {
    /// No approved, unclaimed event in range.
    NothingToPay,
    /// The events net to zero or less (clawbacks exceed commissions).
    NetNotPositive,
    /// The net is below the partner's minimum payout.
    BelowMinimum,
}

/// The outcome of one batch.
// Returned once per batch, never stored in bulk: boxing the payout would only change the API.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayoutBatchOutcome {
    /// A payout was made and its events claimed.
    Created(Payout),
    /// Nothing changed, and why.
    Refused {
        /// The partner.
        partner_id: PartnerId,
        /// The currency.
        currency: Currency,
        /// Why.
        reason: PayoutRefusal,
        /// The net of the events that would have been claimed.
        net: Money,
    },
}

/// The outcome of a payout run over a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PayoutRunReport {
    /// Payouts made.
    pub created: Vec<Payout>,
    /// Batches refused, with why.
    pub refused: Vec<PayoutBatchOutcome>,
}

/// Payouts made in one transaction at most (a run makes one per partner and currency, in
/// chunks of this many). Each holds its partner's row lock until commit and binds a few
/// parameters in each statement of the chunk: the bound keeps a chunk's lock time short
/// (ingestion and batches of those partners wait for the whole chunk) and every statement far
/// below the bind parameter limits (SQLite's 32,766), while a run of 1,000 partners still
/// commits only twice.
pub const MAX_PAYOUTS_PER_TX: usize = 500;

/// What every payout of one run or batch shares.
#[derive(Debug, Clone, Copy)]
struct Batch<'a> {
    period_start: Option<OffsetDateTime>,
    period_end: OffsetDateTime,
    payment_method: &'a str,
}

/// Checks a batch's period and payment method; answers the trimmed method.
fn checked(
    period_start: Option<OffsetDateTime>,
    period_end: OffsetDateTime,
    payment_method: &str,
) -> Result<String, DomainError> {
    if period_start.is_some_and(|s| s > period_end) {
        return Err(ValidationError::new("period_start", "must not be after period_end").into());
    }
    crate::value::check_instant("period_end", period_end)?;
    if let Some(start) = period_start {
        crate::value::check_instant("period_start", start)?;
    }
    Ok(required_text(
        "payment_method",
        payment_method,
        MAX_REFERENCE_LEN,
    )?)
}

/// Why a claim of `count` events netting `net` is not paid out to a partner whose minimum in
/// that currency is `minimum`, if it is not.
fn refusal(count: u64, net: Money, minimum: Money) -> Option<PayoutRefusal> {
    if count == 0 {
        Some(PayoutRefusal::NothingToPay)
    } else if !net.is_positive() {
        Some(PayoutRefusal::NetNotPositive)
    } else if net.amount() < minimum.amount() {
        Some(PayoutRefusal::BelowMinimum)
    } else {
        None
    }
}

impl Engine {
    /// Claims every approved, unclaimed event in range into a new payout, atomically. The net
    /// must be > 0 and ≥ the partner's minimum, else nothing changes and the answer says why.
    /// Concurrent batches never claim one event twice.
    pub async fn create_payout(
        &self,
        tenant: TenantId,
        actor: &Actor,
        req: PayoutRequest,
    ) -> Result<PayoutBatchOutcome, DomainError> {
        let method = checked(req.period_start, req.period_end, &req.payment_method)?;
        let batch = Batch {
            period_start: req.period_start,
            period_end: req.period_end,
            payment_method: &method,
        };
        self.make_payouts(tenant, actor, batch, &[(req.partner_id, req.currency)])
            .await?
            .pop()
            .ok_or_else(|| StoreError::Internal("a batch of one answered nothing".into()).into())
    }

    /// Makes a payout for every partner and currency with approved, unclaimed events dated in
    /// range, as [`Engine::create_payout`] would one by one, and reports refusals. The
    /// payouts are made [`MAX_PAYOUTS_PER_TX`] at a time, each chunk in one transaction of a
    /// fixed number of statements; a chunk that fails leaves the earlier ones made.
    pub async fn run_payouts(
        &self,
        tenant: TenantId,
        actor: &Actor,
        period_start: Option<OffsetDateTime>,
        period_end: OffsetDateTime,
        payment_method: &str,
    ) -> Result<PayoutRunReport, DomainError> {
        let method = checked(period_start, period_end, payment_method)?;
        let batch = Batch {
            period_start,
            period_end,
            payment_method: &method,
        };
        let targets = {
            let mut tx = self.ledger.begin().await?;
            tx.payable_partners(tenant, period_start, period_end)
                .await?
        };
        let mut report = PayoutRunReport::default();
        for chunk in targets.chunks(MAX_PAYOUTS_PER_TX) {
            for outcome in self.make_payouts(tenant, actor, batch, chunk).await? {
                match outcome {
                    PayoutBatchOutcome::Created(p) => report.created.push(p),
                    refused => report.refused.push(refused),
                }
            }
        }
        Ok(report)
    }

    /// One transaction: locks the partners (in id order), inserts a provisional payout per
    /// pair, claims their events in one statement, refuses what cannot be paid out, and
    /// writes the totals and audit entries of the rest. When every pair is refused, nothing
    /// is committed. Answers an outcome per pair, in order.
    async fn make_payouts(
        &self,
        tenant: TenantId,
        actor: &Actor,
        batch: Batch<'_>,
        pairs: &[(PartnerId, Currency)],
    ) -> Result<Vec<PayoutBatchOutcome>, DomainError> {
        debug_assert!(pairs.len() <= MAX_PAYOUTS_PER_TX, "a chunk too large");
        crate::usecase::retrying(|| async {
            let mut tx = self.ledger.begin().await?;
            let mut ids: Vec<PartnerId> = pairs.iter().map(|&(p, _)| p).collect();
            ids.sort_unstable();
            ids.dedup();
            let partners: BTreeMap<PartnerId, Partner> = tx
                .lock_partners(tenant, &ids)
                .await?
                .into_iter()
                .map(|p| (p.id, p))
                .collect();
            let now = self.clock.now();
            let mut payouts = Vec::with_capacity(pairs.len());
            let mut minimums = Vec::with_capacity(pairs.len());
            for &(partner_id, currency) in pairs {
                let partner = partners
                    .get(&partner_id)
                    .ok_or(DomainError::not_found("partner"))?;
                minimums.push(partner.minimum_payout(currency));
                payouts.push(Payout {
                    id: PayoutId::from_uuid(self.ids.new_id()),
                    tenant_id: tenant,
                    partner_id,
                    total: Money::zero(currency),
                    commission_count: 0,
                    status: PayoutStatus::Pending,
                    period_start: batch.period_start,
                    period_end: batch.period_end,
                    payment_method: batch.payment_method.to_owned(),
                    payment_reference: None,
                    failure_reason: None,
                    created_by: actor.subject().to_owned(),
                    created_at: now,
                    updated_at: now,
                    completed_at: None,
                });
            }
            tx.insert_payouts(&payouts).await?;
            let claims: Vec<PayoutClaim> = payouts
                .iter()
                .map(|p| PayoutClaim {
                    partner: p.partner_id,
                    currency: p.total.currency(),
                    payout: p.id,
                })
                .collect();
            let taken = tx
                .claim_events(tenant, batch.period_start, batch.period_end, &claims)
                .await?;
            if taken.len() != payouts.len() {
                return Err(StoreError::Internal(
                    "the claim answered another number of payouts".into(),
                )
                .into());
            }
            let mut outcomes = Vec::with_capacity(payouts.len());
            let (mut created, mut discarded) = (Vec::new(), Vec::new());
            for ((mut payout, claim), minimum) in payouts.into_iter().zip(taken).zip(minimums) {
                let currency = payout.total.currency();
                let net = Money::from_minor(claim.total_minor, currency)?;
                if let Some(reason) = refusal(claim.count, net, minimum) {
                    discarded.push(payout.id);
                    outcomes.push(PayoutBatchOutcome::Refused {
                        partner_id: payout.partner_id,
                        currency,
                        reason,
                        net,
                    });
                    continue;
                }
                payout.total = net;
                payout.commission_count = u32::try_from(claim.count).map_err(|_| {
                    DomainError::Conflict("too many commissions for one payout".into())
                })?;
                created.push(payout.clone());
                outcomes.push(PayoutBatchOutcome::Created(payout));
            }
            if created.is_empty() {
                // Dropping the transaction rolls the payouts and the claim back.
                drop(tx);
                return Ok(outcomes);
            }
            let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
            if !discarded.is_empty()
                && tx.discard_payouts(tenant, &discarded).await? != count(discarded.len())
            {
                return Err(DomainError::Conflict(
                    "a refused payout changed while it was being undone".into(),
                ));
            }
            if tx.set_payout_totals(tenant, &created).await? != count(created.len()) {
                return Err(DomainError::Conflict(
                    "the payout changed while it was being made".into(),
                ));
            }
            let records: Vec<AuditRecord> = created
                .iter()
                .map(|p| {
                    self.audit(
                        tenant,
                        actor,
                        "payout.create",
                        "payout",
                        p.id.to_string(),
                        None,
                        Some(Snapshot::Payout(Box::new(p.clone()))),
                    )
                })
                .collect();
            tx.insert_audits(&records).await?;
            tx.commit().await?;
            Ok(outcomes)
        })
        .await
    }
}
