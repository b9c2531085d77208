//! Payout batches for one partner and currency, and payout runs over the whole tenant.

use serde::Serialize;
use time::OffsetDateTime;

use crate::audit::Snapshot;
use crate::error::{DomainError, ValidationError};
use crate::payout::{MAX_REFERENCE_LEN, Payout, PayoutStatus};
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
        if req.period_start.is_some_and(|s| s > req.period_end) {
            return Err(
                ValidationError::new("period_start", "must not be after period_end").into(),
            );
        }
        crate::value::check_instant("period_end", req.period_end)?;
        if let Some(start) = req.period_start {
            crate::value::check_instant("period_start", start)?;
        }
        let method = required_text("payment_method", &req.payment_method, MAX_REFERENCE_LEN)?;
        crate::usecase::retrying(|| async {
            let mut tx = self.ledger.begin().await?;
            let partner = tx
                .lock_partner(tenant, req.partner_id)
                .await?
                .ok_or(DomainError::not_found("partner"))?;
            let now = self.clock.now();
            let mut payout = Payout {
                id: PayoutId::from_uuid(self.ids.new_id()),
                tenant_id: tenant,
                partner_id: partner.id,
                total: Money::zero(req.currency),
                commission_count: 0,
                status: PayoutStatus::Pending,
                period_start: req.period_start,
                period_end: req.period_end,
                payment_method: method.clone(),
                payment_reference: None,
                failure_reason: None,
                created_by: actor.subject().to_owned(),
                created_at: now,
                updated_at: now,
                completed_at: None,
            };
            tx.insert_payout(&payout).await?;
            let claim = tx
                .claim_events(
                    tenant,
                    partner.id,
                    req.currency,
                    req.period_start,
                    req.period_end,
                    payout.id,
                )
                .await?;
            let net = Money::from_minor(claim.total_minor, req.currency)?;
            let refusal = if claim.count == 0 {
                Some(PayoutRefusal::NothingToPay)
            } else if !net.is_positive() {
                Some(PayoutRefusal::NetNotPositive)
            } else if net.amount() < partner.minimum_payout(req.currency).amount() {
                Some(PayoutRefusal::BelowMinimum)
            } else {
                None
            };
            if let Some(reason) = refusal {
                // Dropping the transaction rolls the payout and the claim back.
                drop(tx);
                return Ok(PayoutBatchOutcome::Refused {
                    partner_id: partner.id,
                    currency: req.currency,
                    reason,
                    net,
                });
            }
            payout.total = net;
            payout.commission_count = u32::try_from(claim.count)
                .map_err(|_| DomainError::Conflict("too many commissions for one payout".into()))?;
            if !tx.update_payout(&payout, PayoutStatus::Pending).await? {
                return Err(DomainError::Conflict(
                    "the payout changed while it was being made".into(),
                ));
            }
            let record = self.audit(
                tenant,
                actor,
                "payout.create",
                "payout",
                payout.id.to_string(),
                None,
                Some(Snapshot::Payout(Box::new(payout.clone()))),
            );
            tx.insert_audit(&record).await?;
            tx.commit().await?;
            Ok(PayoutBatchOutcome::Created(payout))
        })
        .await
    }

    /// Runs [`Engine::create_payout`] for every partner and currency with approved, unclaimed
    /// events dated up to `period_end`, each in its own transaction, and reports refusals.
    pub async fn run_payouts(
        &self,
        tenant: TenantId,
        actor: &Actor,
        period_start: Option<OffsetDateTime>,
        period_end: OffsetDateTime,
        payment_method: &str,
    ) -> Result<PayoutRunReport, DomainError> {
        if let Some(start) = period_start {
            crate::value::check_instant("period_start", start)?;
        }
        crate::value::check_instant("period_end", period_end)?;
        let targets = {
            let mut tx = self.ledger.begin().await?;
            tx.payable_partners(tenant, period_start, period_end)
                .await?
        };
        let mut report = PayoutRunReport::default();
        for (partner_id, currency) in targets {
            let req = PayoutRequest {
                partner_id,
                currency,
                period_start,
                period_end,
                payment_method: payment_method.to_owned(),
            };
            match self.create_payout(tenant, actor, req).await? {
                PayoutBatchOutcome::Created(p) => report.created.push(p),
                refused => report.refused.push(refused),
            }
        }
        Ok(report)
    }
}
