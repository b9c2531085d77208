//! Approving and rejecting commissions, one by one or in bulk (all or nothing), and the
//! automatic approval of held commissions whose hold has ended.

use std::collections::BTreeSet;

use crate::audit::Snapshot;
use crate::commission::{CommissionEvent, EventStatus};
use crate::error::{DomainError, ValidationError};
use crate::port::StatusChange;
use crate::state::StateMachine;
use crate::usecase::{Actor, Engine, required_text};
use crate::value::{EventId, TenantId};

/// Most ids one bulk approval or rejection may carry.
pub const MAX_BULK_IDS: usize = 500;

fn distinct(ids: &[EventId]) -> Result<Vec<EventId>, ValidationError> {
    if ids.is_empty() || ids.len() > MAX_BULK_IDS {
        return Err(ValidationError::new(
            "ids",
            format!("must hold 1 to {MAX_BULK_IDS} ids"),
        ));
    }
    Ok(ids
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect())
}

/// The audit target of a bulk action: the id itself, or how many.
fn target(ids: &[EventId]) -> String {
    match ids {
        [one] => one.to_string(),
        many => format!("{} commissions", many.len()),
    }
}

impl Engine {
    /// Approves pending commissions (even before their hold ends). All or nothing.
    pub async fn approve(
        &self,
        tenant: TenantId,
        actor: &Actor,
        ids: &[EventId],
    ) -> Result<Vec<CommissionEvent>, DomainError> {
        let ids = distinct(ids)?;
        crate::usecase::retrying(|| async {
            let mut tx = self.ledger.begin().await?;
            let events = tx.events_by_ids(tenant, &ids).await?;
            if events.len() != ids.len() {
                return Err(DomainError::not_found("commission"));
            }
            for e in &events {
                e.status.move_to(EventStatus::Approved)?;
            }
            let change = StatusChange {
                to: EventStatus::Approved,
                at: self.clock.now(),
                reason: None,
            };
            let changed = tx
                .change_event_status(tenant, &ids, &[EventStatus::Pending], &change)
                .await?;
            if changed != ids.len() as u64 {
                return Err(DomainError::Conflict(
                    "some commissions changed meanwhile; nothing was approved".into(),
                ));
            }
            let updated = tx.events_by_ids(tenant, &ids).await?;
            let record = self.audit(
                tenant,
                actor,
                "commission.approve",
                "commission",
                target(&ids),
                Some(Snapshot::Commissions(events)),
                Some(Snapshot::Commissions(updated.clone())),
            );
            tx.insert_audit(&record).await?;
            tx.commit().await?;
            Ok(updated)
        })
        .await
    }

    /// Rejects pending or approved commissions that no unfinished payout holds, with a reason.
    /// Their refund adjustments that are still open are rejected with them. All or nothing.
    pub async fn reject(
        &self,
        tenant: TenantId,
        actor: &Actor,
        ids: &[EventId],
        reason: &str,
    ) -> Result<Vec<CommissionEvent>, DomainError> {
        let ids = distinct(ids)?;
        let reason = required_text("reason", reason, crate::commission::MAX_TEXT_LEN)?;
        crate::usecase::retrying(|| async {
            let mut tx = self.ledger.begin().await?;
            let events = tx.events_by_ids(tenant, &ids).await?;
            if events.len() != ids.len() {
                return Err(DomainError::not_found("commission"));
            }
            for e in &events {
                e.status.move_to(EventStatus::Rejected)?;
                if let Some(p) = e.payout_id {
                    return Err(DomainError::Conflict(format!(
                        "commission {} is held by payout {p}",
                        e.id
                    )));
                }
            }
            // A refund adjustment without its commission would debit the partner for nothing.
            let adjustments: Vec<CommissionEvent> = tx
                .adjustments_of(tenant, &ids)
                .await?
                .into_iter()
                .filter(|a| a.status != EventStatus::Rejected && !ids.contains(&a.id))
                .collect();
            if let Some(a) = adjustments
                .iter()
                .find(|a| a.status == EventStatus::Paid || a.payout_id.is_some())
            {
                return Err(DomainError::Conflict(format!(
                    "refund adjustment {} is already paid or held by a payout",
                    a.id
                )));
            }
            let mut all = ids.clone();
            all.extend(adjustments.iter().map(|a| a.id));
            let change = StatusChange {
                to: EventStatus::Rejected,
                at: self.clock.now(),
                reason: Some(reason.clone()),
            };
            let changed = tx
                .change_event_status(
                    tenant,
                    &all,
                    &[EventStatus::Pending, EventStatus::Approved],
                    &change,
                )
                .await?;
            if changed != all.len() as u64 {
                return Err(DomainError::Conflict(
                    "some commissions changed meanwhile; nothing was rejected".into(),
                ));
            }
            let updated = tx.events_by_ids(tenant, &ids).await?;
            let mut before = events;
            before.extend(adjustments);
            let after = tx.events_by_ids(tenant, &all).await?;
            let record = self.audit(
                tenant,
                actor,
                "commission.reject",
                "commission",
                target(&ids),
                Some(Snapshot::Commissions(before)),
                Some(Snapshot::Commissions(after)),
            );
            tx.insert_audit(&record).await?;
            tx.commit().await?;
            Ok(updated)
        })
        .await
    }

    /// Approves every held commission whose hold has ended, in every tenant.
    pub async fn approve_due(&self) -> Result<u64, DomainError> {
        crate::usecase::retrying(|| async {
            Ok(self.ledger.approve_due(None, self.clock.now()).await?)
        })
        .await
    }

    /// Approves the held commissions of one tenant whose hold has ended (an operator's trigger).
    pub async fn approve_due_in(&self, tenant: TenantId) -> Result<u64, DomainError> {
        crate::usecase::retrying(|| async {
            Ok(self
                .ledger
                .approve_due(Some(tenant), self.clock.now())
                .await?)
        })
        .await
    }
}
