//! `RefundState::adjustment_for` (SPEC §3 "Recording a refund", §3a "Refunds").

use proptest::prelude::*;
use revshare_domain::refund::RefundState;
use revshare_domain::value::{Currency, Money};

/// Bound on payment and commission amounts in minor units (10 billion USD).
const BOUND: i64 = 1_000_000_000_000;

/// round(n / d), half away from zero, for n ≥ 0 and d > 0.
fn round_div(n: i128, d: i128) -> i128 {
    (2 * n + d) / (2 * d)
}

/// A payment, its commission, and refunds that never exceed the payment: cut points in
/// `(0, payment)`; the last piece (completing the payment) is included when `complete`.
fn scenario() -> impl Strategy<Value = (Currency, i64, i64, Vec<i64>, bool)> {
    (
        prop::sample::select(vec![Currency::USD, Currency::JPY, Currency::KWD]),
        prop_oneof![1i64..=1_000, 1i64..=BOUND],
        prop_oneof![1i64..=100, 1i64..=BOUND],
        any::<bool>(),
    )
        .prop_flat_map(|(currency, payment, commission, complete)| {
            (
                Just(currency),
                Just(payment),
                Just(commission),
                prop::collection::vec(1i64..=payment, 0..8),
                Just(complete),
            )
        })
        .prop_map(|(currency, payment, commission, cuts, complete)| {
            let mut cuts: Vec<i64> = cuts.into_iter().filter(|c| *c < payment).collect();
            cuts.sort_unstable();
            cuts.dedup();
            let mut refunds = Vec::new();
            let mut last = 0;
            for c in cuts {
                refunds.push(c - last);
                last = c;
            }
            if complete {
                refunds.push(payment - last);
            }
            (currency, payment, commission, refunds, complete)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn refunds_never_net_more_than_the_commission_and_a_full_refund_nets_to_zero(
        (currency, payment, commission, refunds, complete) in scenario()
    ) {
        let money = |minor: i64| Money::from_minor(minor, currency).unwrap();
        let mut state = RefundState {
            payment: money(payment),
            commission: money(commission),
            refunded: money(0),
            adjusted: money(0),
        };
        let (mut refunded, mut adjusted) = (0i64, 0i64);
        for (i, &r) in refunds.iter().enumerate() {
            let a = state.adjustment_for(money(r)).unwrap().minor();
            let left_of_commission = commission - adjusted;
            prop_assert!(a >= 0, "negative adjustment {}", a);
            prop_assert!(a <= left_of_commission, "adjustment {} exceeds what is left {}", a, left_of_commission);
            let completes = refunded + r == payment;
            let expected = if completes {
                i128::from(left_of_commission)
            } else {
                round_div(i128::from(commission) * i128::from(r), i128::from(payment))
                    .min(i128::from(left_of_commission))
            };
            prop_assert_eq!(i128::from(a), expected, "refund #{} of {}", i, r);
            refunded += r;
            adjusted += a;
            prop_assert!(adjusted <= commission);
            state.refunded = money(refunded);
            state.adjusted = money(adjusted);
        }
        if complete {
            prop_assert_eq!(refunded, payment);
            prop_assert_eq!(adjusted, commission, "a full refund nets exactly to zero");
        } else {
            prop_assert!(refunded < payment);
            // A refund beyond what is left of the payment is refused.
            prop_assert!(state.adjustment_for(money(payment - refunded + 1)).is_err());
        }
    }

    /// Whatever was taken earlier (even more than the pro-rata share), the completing refund
    /// takes exactly the rest, and never a negative amount.
    #[test]
    fn completing_refund_takes_exactly_the_rest(
        payment in 2i64..=BOUND,
        commission in 1i64..=BOUND,
        refunded_share in 1u32..=99,
        adjusted_share in 0u32..=100,
    ) {
        let usd = |minor: i64| Money::from_minor(minor, Currency::USD).unwrap();
        let refunded = (payment * i64::from(refunded_share) / 100).clamp(1, payment - 1);
        let adjusted = commission * i64::from(adjusted_share) / 100;
        let state = RefundState {
            payment: usd(payment),
            commission: usd(commission),
            refunded: usd(refunded),
            adjusted: usd(adjusted),
        };
        let a = state.adjustment_for(usd(payment - refunded)).unwrap();
        prop_assert_eq!(a.minor(), commission - adjusted);
    }
}

#[test]
fn round_div_matches_hand_computed_values() {
    // 10.00 × 100.00 / 300.00 = 3.333… → 3.33; 0.05 × 1 / 2 = 0.025 → 0.03.
    assert_eq!(round_div(1_000 * 10_000, 30_000), 333);
    assert_eq!(round_div(5, 2), 3);
    assert_eq!(round_div(4, 3), 1);
}
