//! Moving a payout through its lifecycle; completion pays its events, failure and
//! cancellation release them.

use crate::audit::Snapshot;
use crate::error::DomainError;
use crate::payout::{MAX_REFERENCE_LEN, Payout, PayoutStatus};
use crate::state::StateMachine;
use crate::usecase::{Actor, Engine, required_text};
use crate::value::{PayoutId, TenantId};

/// A requested move of a payout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayoutMove {
    /// `pending → ready`.
    Ready,
    /// `ready → processing`.
    Processing,
    /// `processing → completed`; marks its events paid.
    Complete {
        /// The bank's reference; required.
        payment_reference: String,
    },
    /// `processing → failed`; releases its events.
    Fail {
        /// Why; required.
        reason: String,
    },
    /// `pending/ready → cancelled`; releases its events.
    Cancel {
        /// Why; required.
        reason: String,
    },
}

impl PayoutMove {
    /// The status this move leads to.
    pub fn target(&self) -> PayoutStatus {
        match self {
            PayoutMove::Ready => PayoutStatus::Ready,
            PayoutMove::Processing => PayoutStatus::Processing,
            PayoutMove::Complete { .. } => PayoutStatus::Completed,
            PayoutMove::Fail { .. } => PayoutStatus::Failed,
            PayoutMove::Cancel { .. } => PayoutStatus::Cancelled,
        }
    }
}

impl Engine {
    /// Moves a payout; refuses every move SPEC §1 does not list.
    pub async fn move_payout(
        &self,
        tenant: TenantId,
        actor: &Actor,
        id: PayoutId,
        mv: PayoutMove,
    ) -> Result<Payout, DomainError> {
        crate::usecase::retrying(|| async {
            let mut tx = self.ledger.begin().await?;
            let mut payout = tx
                .lock_payout(tenant, id)
                .await?
                .ok_or(DomainError::not_found("payout"))?;
            let before = Snapshot::Payout(Box::new(payout.clone()));
            let from = payout.status;
            payout.status = from.move_to(mv.target())?;
            let now = self.clock.now();
            payout.updated_at = now;
            match &mv {
                PayoutMove::Ready | PayoutMove::Processing => {}
                PayoutMove::Complete { payment_reference } => {
                    payout.payment_reference = Some(required_text(
                        "payment_reference",
                        payment_reference,
                        MAX_REFERENCE_LEN,
                    )?);
                    payout.completed_at = Some(now);
                }
                PayoutMove::Fail { reason } | PayoutMove::Cancel { reason } => {
                    payout.failure_reason = Some(required_text(
                        "reason",
                        reason,
                        crate::commission::MAX_TEXT_LEN,
                    )?);
                }
            }
            if !tx.update_payout(&payout, from).await? {
                return Err(DomainError::Conflict(
                    "the payout moved meanwhile; try again".into(),
                ));
            }
            let action = match &mv {
                PayoutMove::Ready => "payout.ready",
                PayoutMove::Processing => "payout.processing",
                PayoutMove::Complete { .. } => "payout.complete",
                PayoutMove::Fail { .. } => "payout.fail",
                PayoutMove::Cancel { .. } => "payout.cancel",
            };
            match mv {
                PayoutMove::Complete { .. } => {
                    let paid = tx.mark_events_paid(tenant, id, now).await?;
                    if paid != u64::from(payout.commission_count) {
                        return Err(DomainError::Conflict(format!(
                            "payout holds {paid} approved commissions, expected {}; nothing changed",
                            payout.commission_count
                        )));
                    }
                }
                PayoutMove::Fail { .. } | PayoutMove::Cancel { .. } => {
                    tx.release_events(tenant, id).await?;
                }
                PayoutMove::Ready | PayoutMove::Processing => {}
            }
            let after = Snapshot::Payout(Box::new(payout.clone()));
            let record = self.audit(
                tenant,
                actor,
                action,
                "payout",
                id.to_string(),
                Some(before),
                Some(after),
            );
            tx.insert_audit(&record).await?;
            tx.commit().await?;
            Ok(payout)
        })
        .await
    }
}
