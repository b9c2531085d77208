//! The conservation check of SPEC §2: every payout equals its events, no event is paid twice
//! or outside a completed payout, and paid events equal completed payouts per partner.

use serde::Serialize;
use time::OffsetDateTime;

use crate::payout::PayoutStatus;
use crate::value::{Currency, EventId, PartnerId, PayoutId, TenantId};

/// A payout's stored figures beside the figures of the events that point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutFacts {
    /// The payout.
    pub payout_id: PayoutId,
    /// Its partner.
    pub partner_id: PartnerId,
    /// Its status.
    pub status: PayoutStatus,
    /// Its currency.
    pub currency: Currency,
    /// Stored total, minor units.
    pub total_minor: i64,
    /// Stored count.
    pub commission_count: u64,
    /// Σ amounts of the events claimed by it, minor units.
    pub events_minor: i64,
    /// Number of events claimed by it.
    pub events_count: u64,
    /// Number of those events that are `paid`.
    pub paid_events: u64,
}

/// Per partner and currency: Σ paid events beside Σ completed payouts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceFacts {
    /// The partner.
    pub partner_id: PartnerId,
    /// The currency.
    pub currency: Currency,
    /// Σ paid events, minor units.
    pub paid_events_minor: i64,
    /// Σ completed payouts, minor units.
    pub completed_payouts_minor: i64,
}

/// An event whose own row breaks an invariant, found by the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventAnomaly {
    /// The event.
    pub event_id: EventId,
    /// What is wrong.
    pub problem: String,
}

/// Everything the store reports for a reconciliation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconciliationFacts {
    /// Every payout.
    pub payouts: Vec<PayoutFacts>,
    /// Every partner and currency with paid events or completed payouts.
    pub balances: Vec<BalanceFacts>,
    /// Rows that break a per-event invariant.
    pub anomalies: Vec<EventAnomaly>,
    /// Number of events examined.
    pub events_checked: u64,
}

/// One broken invariant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Breach {
    /// A payout's total or count differs from its events.
    PayoutTotalMismatch {
        /// The payout.
        payout_id: PayoutId,
        /// Stored total, minor units.
        total_minor: i64,
        /// Σ events, minor units.
        events_minor: i64,
        /// Stored count.
        commission_count: u64,
        /// Events counted.
        events_count: u64,
    },
    /// A completed payout has events not paid, or another payout has paid events.
    PayoutStatusMismatch {
        /// The payout.
        payout_id: PayoutId,
        /// Its status.
        status: PayoutStatus,
        /// How many of its events are paid.
        paid_events: u64,
        /// How many events it has.
        events_count: u64,
    },
    /// Σ paid events ≠ Σ completed payouts.
    BalanceMismatch {
        /// The partner.
        partner_id: PartnerId,
        /// The currency.
        currency: Currency,
        /// Σ paid events, minor units.
        paid_events_minor: i64,
        /// Σ completed payouts, minor units.
        completed_payouts_minor: i64,
    },
    /// An event row breaks an invariant.
    Event(EventAnomaly),
}

/// The outcome of a reconciliation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReconciliationReport {
    /// The tenant checked, or `None` for every tenant.
    pub tenant_id: Option<TenantId>,
    /// When it ran.
    #[serde(with = "time::serde::rfc3339")]
    pub checked_at: OffsetDateTime,
    /// Payouts examined.
    pub payouts_checked: u64,
    /// Events examined.
    pub events_checked: u64,
    /// Every breach found; empty means the ledger is conserved.
    pub breaches: Vec<Breach>,
}

impl ReconciliationReport {
    /// Judges the facts.
    pub fn from_facts(
        tenant_id: Option<TenantId>,
        checked_at: OffsetDateTime,
        facts: ReconciliationFacts,
    ) -> Self {
        let mut breaches = Vec::new();
        for p in &facts.payouts {
            // Failed and cancelled payouts released their events; their totals are history.
            if p.status.is_unfinished() || p.status == PayoutStatus::Completed {
                if p.total_minor != p.events_minor || p.commission_count != p.events_count {
                    breaches.push(Breach::PayoutTotalMismatch {
                        payout_id: p.payout_id,
                        total_minor: p.total_minor,
                        events_minor: p.events_minor,
                        commission_count: p.commission_count,
                        events_count: p.events_count,
                    });
                }
            } else if p.events_count != 0 {
                breaches.push(Breach::PayoutTotalMismatch {
                    payout_id: p.payout_id,
                    total_minor: p.total_minor,
                    events_minor: p.events_minor,
                    commission_count: p.commission_count,
                    events_count: p.events_count,
                });
            }
            let paid_ok = if p.status == PayoutStatus::Completed {
                p.paid_events == p.events_count
            } else {
                p.paid_events == 0
            };
            if !paid_ok {
                breaches.push(Breach::PayoutStatusMismatch {
                    payout_id: p.payout_id,
                    status: p.status,
                    paid_events: p.paid_events,
                    events_count: p.events_count,
                });
            }
        }
        for b in &facts.balances {
            if b.paid_events_minor != b.completed_payouts_minor {
                breaches.push(Breach::BalanceMismatch {
                    partner_id: b.partner_id,
                    currency: b.currency,
                    paid_events_minor: b.paid_events_minor,
                    completed_payouts_minor: b.completed_payouts_minor,
                });
            }
        }
        breaches.extend(facts.anomalies.into_iter().map(Breach::Event));
        ReconciliationReport {
            tenant_id,
            checked_at,
            payouts_checked: facts.payouts.len() as u64,
            events_checked: facts.events_checked,
            breaches,
        }
    }

    /// True when no invariant is broken.
    pub fn is_clean(&self) -> bool {
        self.breaches.is_empty()
    }
}
