//! Payout totals: the reconciliation judge (SPEC §2 conservation) and the batch total.

use proptest::prelude::*;
use revshare_domain::payout::PayoutStatus;
use revshare_domain::port::{ClaimSummary, MockLedgerTx};
use revshare_domain::reconciliation::{
    BalanceFacts, Breach, PayoutFacts, ReconciliationFacts, ReconciliationReport,
};
use revshare_domain::usecase::{PayoutBatchOutcome, PayoutRefusal, PayoutRequest};
use revshare_domain::value::{Currency, Money, PayoutId};
use time::macros::datetime;
use uuid::Uuid;

use crate::common::*;

/// One generated payout: its status, the signed amounts of its events, and the error (if
/// any) in its stored total.
#[derive(Debug, Clone)]
struct GenPayout {
    status: PayoutStatus,
    amounts: Vec<i64>,
    total_error: i64,
}

fn gen_payout() -> impl Strategy<Value = GenPayout> {
    (
        prop::sample::select(PayoutStatus::ALL.to_vec()),
        prop::collection::vec(-1_000_000_000i64..=1_000_000_000, 0..20),
        prop_oneof![3 => Just(0i64), 1 => -1_000i64..=1_000],
    )
        .prop_map(|(status, amounts, total_error)| GenPayout {
            status,
            amounts,
            total_error,
        })
}

/// The facts a consistent store would report for these payouts, except that each stored total
/// is off by its `total_error`. Released (failed/cancelled) payouts hold no events.
fn facts(payouts: &[GenPayout]) -> ReconciliationFacts {
    let mut f = ReconciliationFacts::default();
    let (mut paid, mut completed) = (0i64, 0i64);
    for (i, g) in payouts.iter().enumerate() {
        let holds_events = g.status.is_unfinished() || g.status == PayoutStatus::Completed;
        let amounts: &[i64] = if holds_events { &g.amounts } else { &[] };
        let sum: i64 = amounts.iter().sum();
        let count = amounts.len() as u64;
        let paid_events = if g.status == PayoutStatus::Completed {
            count
        } else {
            0
        };
        let total = sum + g.total_error;
        if g.status == PayoutStatus::Completed {
            paid += sum;
            completed += total;
        }
        f.payouts.push(PayoutFacts {
            payout_id: PayoutId::from_uuid(Uuid::from_u128(i as u128 + 1)),
            partner_id: partner_id(),
            status: g.status,
            currency: Currency::USD,
            total_minor: total,
            commission_count: count,
            events_minor: sum,
            events_count: count,
            paid_events,
        });
        f.events_checked += count;
    }
    f.balances.push(BalanceFacts {
        partner_id: partner_id(),
        currency: Currency::USD,
        paid_events_minor: paid,
        completed_payouts_minor: completed,
    });
    f
}

/// A payout whose total is off is in breach only while it holds its events.
fn judged_wrong(g: &GenPayout) -> bool {
    g.total_error != 0 && (g.status.is_unfinished() || g.status == PayoutStatus::Completed)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    /// The reconciliation is clean iff every payout that holds events totals exactly their sum.
    #[test]
    fn reconciliation_is_clean_iff_payout_totals_match(
        payouts in prop::collection::vec(gen_payout(), 1..6)
    ) {
        let report = ReconciliationReport::from_facts(
            Some(tenant()),
            NOW,
            facts(&payouts),
        );
        let wrong: Vec<usize> = (0..payouts.len()).filter(|&i| judged_wrong(&payouts[i])).collect();
        prop_assert_eq!(report.is_clean(), wrong.is_empty(), "{:?}", report.breaches);
        prop_assert_eq!(report.payouts_checked, payouts.len() as u64);
        // Each wrong payout is named by a total mismatch, and no right one is.
        let named: Vec<PayoutId> = report
            .breaches
            .iter()
            .filter_map(|b| match b {
                Breach::PayoutTotalMismatch { payout_id, .. } => Some(*payout_id),
                _ => None,
            })
            .collect();
        let expected: Vec<PayoutId> = wrong
            .iter()
            .map(|&i| PayoutId::from_uuid(Uuid::from_u128(i as u128 + 1)))
            .collect();
        prop_assert_eq!(named, expected);
        // The balance breaks exactly when the completed payouts' errors do not cancel out.
        let completed_error: i64 = payouts
            .iter()
            .filter(|g| g.status == PayoutStatus::Completed)
            .map(|g| g.total_error)
            .sum();
        let balance_breach = report
            .breaches
            .iter()
            .any(|b| matches!(b, Breach::BalanceMismatch { .. }));
        prop_assert_eq!(balance_breach, completed_error != 0);
    }

    /// A paid event outside a completed payout, or an unpaid one inside, is a breach.
    #[test]
    fn paid_events_must_match_completed_payouts(
        g in gen_payout().prop_filter("holds events", |g| !g.amounts.is_empty()
            && (g.status.is_unfinished() || g.status == PayoutStatus::Completed)),
    ) {
        let mut f = facts(&[GenPayout { total_error: 0, ..g.clone() }]);
        // Flip one event's paid flag.
        let p = &mut f.payouts[0];
        p.paid_events = if p.status == PayoutStatus::Completed { p.events_count - 1 } else { 1 };
        let report = ReconciliationReport::from_facts(None, NOW, f);
        let status_breach = report
            .breaches
            .iter()
            .any(|b| matches!(b, Breach::PayoutStatusMismatch { .. }));
        prop_assert!(status_breach, "{:?}", report.breaches);
    }

    /// `create_payout` over any claim: a payout is made iff the net is positive and reaches
    /// the minimum, and its total is exactly the claimed net.
    #[test]
    fn created_payout_total_is_the_claimed_net(
        count in 0u64..=50,
        total_minor in -1_000_000i64..=1_000_000,
        minimum_minor in 0i64..=100_000,
    ) {
        // A claim of no events sums to zero.
        let total_minor = if count == 0 { 0 } else { total_minor };
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let w = Written::default();
        let mut tx = MockLedgerTx::new();
        tx.expect_lock_partners().returning(move |_, _| {
            let mut p = active_partner(None);
            p.minimum_payouts
                .insert(Currency::USD, Money::from_minor(minimum_minor, Currency::USD).unwrap());
            Ok(vec![p])
        });
        tx.expect_insert_payouts().returning(|_| Ok(()));
        tx.expect_claim_events()
            .returning(move |_, _, _, _| Ok(vec![ClaimSummary { count, total_minor }]));
        tx.expect_set_payout_totals().returning(|_, ps| Ok(ps.len() as u64));
        w.on_insert_audits(&mut tx);
        w.on_commit(&mut tx);
        let engine = engine(vec![tx]);
        let req = PayoutRequest {
            partner_id: partner_id(),
            currency: Currency::USD,
            period_start: None,
            period_end: datetime!(2025-05-31 23:59:59 UTC),
            payment_method: "bank_transfer".into(),
        };
        let outcome = runtime
            .block_on(engine.create_payout(tenant(), &actor(), req))
            .unwrap();
        let net = Money::from_minor(total_minor, Currency::USD).unwrap();
        match outcome {
            PayoutBatchOutcome::Created(p) => {
                prop_assert!(count > 0 && total_minor > 0 && total_minor >= minimum_minor);
                prop_assert_eq!(p.total, net);
                prop_assert_eq!(u64::from(p.commission_count), count);
                prop_assert!(w.committed());
            }
            PayoutBatchOutcome::Refused { reason, net: n, .. } => {
                prop_assert_eq!(n, net);
                let expected = if count == 0 {
                    PayoutRefusal::NothingToPay
                } else if total_minor <= 0 {
                    PayoutRefusal::NetNotPositive
                } else {
                    PayoutRefusal::BelowMinimum
                };
                prop_assert_eq!(reason, expected);
                prop_assert!(total_minor < minimum_minor || total_minor <= 0 || count == 0);
                prop_assert!(!w.committed());
            }
        }
    }
}
