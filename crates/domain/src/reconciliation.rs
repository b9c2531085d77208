//! The conservation check of SPEC §2: every payout equals its events, no event is paid twice
//! or outside a completed payout, and paid events equal completed payouts per partner. It also
//! checks that the totals the store keeps — daily totals for metrics, monthly tier volumes and
//! cap usages for ingestion — still equal the events they summarise.

use serde::Serialize;
use time::OffsetDateTime;

use crate::commission::EventStatus;
use crate::payout::PayoutStatus;
use crate::value::{Currency, EventId, PartnerId, PayoutId, Period, RuleId, TenantId};

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

/// Per partner, currency and status: Σ and count of the events beside the same figures summed
/// from the daily totals the store keeps for metrics. Counts are signed: a drifted total can
/// go below zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotalsFacts {
    /// The partner.
    pub partner_id: PartnerId,
    /// The currency.
    pub currency: Currency,
    /// The event status.
    pub status: EventStatus,
    /// Σ amounts of the events, minor units.
    pub events_minor: i64,
    /// Number of events.
    pub events_count: i64,
    /// Σ amounts of the daily totals, minor units.
    pub totals_minor: i64,
    /// Σ counts of the daily totals.
    pub totals_count: i64,
}

/// Which monthly total a [`MonthTotalsFacts`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "of", rename_all = "snake_case")]
pub enum MonthTotal {
    /// Σ base amounts of a partner's `invoice_payment` events (the tier volume).
    TierVolume {
        /// The partner.
        partner_id: PartnerId,
    },
    /// Σ commissions of the `invoice_payment` events a rule produced (the cap usage).
    CapUsage {
        /// The rule.
        rule_id: RuleId,
    },
}

/// Per monthly total, currency and UTC month: the Σ over the events beside the total the store
/// keeps for ingestion's tiers and caps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthTotalsFacts {
    /// The total.
    pub total: MonthTotal,
    /// The currency.
    pub currency: Currency,
    /// The UTC calendar month.
    pub month: Period,
    /// Σ over the events, minor units.
    pub events_minor: i64,
    /// The kept total, minor units.
    pub kept_minor: i64,
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
    /// Every partner, currency and status with events or daily totals.
    pub totals: Vec<TotalsFacts>,
    /// Every monthly total with payment events or a kept total.
    pub month_totals: Vec<MonthTotalsFacts>,
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
    /// The daily totals (what metrics read) differ from the events they summarise.
    TotalsDrift {
        /// The partner.
        partner_id: PartnerId,
        /// The currency.
        currency: Currency,
        /// The event status.
        status: EventStatus,
        /// Σ events, minor units.
        events_minor: i64,
        /// Number of events.
        events_count: i64,
        /// Σ daily totals, minor units.
        totals_minor: i64,
        /// Σ daily total counts.
        totals_count: i64,
    },
    /// A monthly total (what tiers and caps read) differs from the events it summarises.
    MonthTotalsDrift {
        /// The total.
        total: MonthTotal,
        /// The currency.
        currency: Currency,
        /// The UTC calendar month.
        month: Period,
        /// Σ over the events, minor units.
        events_minor: i64,
        /// The kept total, minor units.
        kept_minor: i64,
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
        for t in &facts.totals {
            if t.events_minor != t.totals_minor || t.events_count != t.totals_count {
                breaches.push(Breach::TotalsDrift {
                    partner_id: t.partner_id,
                    currency: t.currency,
                    status: t.status,
                    events_minor: t.events_minor,
                    events_count: t.events_count,
                    totals_minor: t.totals_minor,
                    totals_count: t.totals_count,
                });
            }
        }
        for m in &facts.month_totals {
            if m.events_minor != m.kept_minor {
                breaches.push(Breach::MonthTotalsDrift {
                    total: m.total,
                    currency: m.currency,
                    month: m.month,
                    events_minor: m.events_minor,
                    kept_minor: m.kept_minor,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(status: EventStatus, events: (i64, i64), totals: (i64, i64)) -> TotalsFacts {
        TotalsFacts {
            partner_id: PartnerId::from_uuid(uuid::Uuid::from_u128(7)),
            currency: Currency::USD,
            status,
            events_minor: events.0,
            events_count: events.1,
            totals_minor: totals.0,
            totals_count: totals.1,
        }
    }

    fn judge(facts: ReconciliationFacts) -> ReconciliationReport {
        ReconciliationReport::from_facts(None, OffsetDateTime::UNIX_EPOCH, facts)
    }

    #[test]
    fn equal_totals_are_clean() {
        let mut f = ReconciliationFacts::default();
        f.totals
            .push(totals(EventStatus::Approved, (1_500, 3), (1_500, 3)));
        f.totals.push(totals(EventStatus::Paid, (0, 0), (0, 0)));
        assert!(judge(f).is_clean());
    }

    #[test]
    fn a_drift_in_amount_or_count_is_a_breach_with_both_figures() {
        let mut f = ReconciliationFacts::default();
        f.totals
            .push(totals(EventStatus::Approved, (1_500, 3), (1_501, 3)));
        f.totals
            .push(totals(EventStatus::Pending, (-200, 1), (-200, 2)));
        f.totals.push(totals(EventStatus::Paid, (0, 0), (0, -1)));
        f.totals.push(totals(EventStatus::Rejected, (9, 1), (9, 1)));
        let r = judge(f);
        assert_eq!(r.breaches.len(), 3);
        assert_eq!(
            r.breaches[0],
            Breach::TotalsDrift {
                partner_id: PartnerId::from_uuid(uuid::Uuid::from_u128(7)),
                currency: Currency::USD,
                status: EventStatus::Approved,
                events_minor: 1_500,
                events_count: 3,
                totals_minor: 1_501,
                totals_count: 3,
            }
        );
        assert!(matches!(
            r.breaches[1],
            Breach::TotalsDrift {
                status: EventStatus::Pending,
                events_count: 1,
                totals_count: 2,
                ..
            }
        ));
        assert!(matches!(
            r.breaches[2],
            Breach::TotalsDrift {
                status: EventStatus::Paid,
                totals_count: -1,
                ..
            }
        ));
        let json = serde_json::to_value(&r.breaches[0]).map(|v| v["kind"].clone());
        assert_eq!(json.ok(), Some(serde_json::json!("totals_drift")));
    }

    #[test]
    fn a_monthly_total_unlike_its_events_is_a_breach_naming_what_it_totals() {
        let march = Period::month_of(time::macros::datetime!(2026-03-10 00:00 UTC));
        let partner = MonthTotal::TierVolume {
            partner_id: PartnerId::from_uuid(uuid::Uuid::from_u128(7)),
        };
        let rule = MonthTotal::CapUsage {
            rule_id: RuleId::from_uuid(uuid::Uuid::from_u128(9)),
        };
        let facts = |total, events_minor, kept_minor| MonthTotalsFacts {
            total,
            currency: Currency::EUR,
            month: march,
            events_minor,
            kept_minor,
        };
        let mut f = ReconciliationFacts::default();
        f.month_totals.push(facts(partner, 10_000, 10_000));
        f.month_totals.push(facts(rule, 2_500, 0));
        f.month_totals.push(facts(partner, 0, 0));
        let r = judge(f);
        assert_eq!(
            r.breaches,
            vec![Breach::MonthTotalsDrift {
                total: rule,
                currency: Currency::EUR,
                month: march,
                events_minor: 2_500,
                kept_minor: 0,
            }]
        );
        let json = serde_json::to_value(&r.breaches[0]).unwrap_or_default();
        assert_eq!(json["kind"], "month_totals_drift");
        assert_eq!(json["total"]["of"], "cap_usage");
        assert_eq!(json["month"]["start"], "2026-03-01T00:00:00Z");
    }
}
