//! Pure terms choice and commission calculation (`revshare_domain::terms`), SPEC §3 steps 3–4
//! and §3a, at their boundaries.

#[path = "common/mod.rs"]
mod common;

use std::collections::BTreeSet;

use common::*;
use revshare_domain::terms::{
    ChosenTerms, CommissionModel, LedgerFacts, NoCommission, PaymentFacts, TermsSource,
    choose_terms,
};
use revshare_domain::value::{CustomerId, Money, ProductId};
use time::OffsetDateTime;
use time::macros::datetime;

fn facts<'a>(
    amount: Money,
    paid_at: OffsetDateTime,
    products: &'a [ProductId],
    customer: &'a CustomerId,
) -> PaymentFacts<'a> {
    PaymentFacts {
        amount,
        paid_at,
        product_ids: products,
        customer_id: customer,
    }
}

#[test]
fn the_seed_example_rounds_once_to_fifty() {
    // 333.33 × 15 % = 49.9995 → 50.00 (the seed stored 49.9995).
    let terms = ChosenTerms {
        source: TermsSource::PartnerDefault,
        model: revenue_share("0.15"),
        rule: None,
    };
    let c = customer();
    let commission = terms
        .calculate(
            &facts(usd("333.33"), PAID_AT, &[], &c),
            ACCOUNT_START,
            LedgerFacts::default(),
        )
        .unwrap();
    assert_eq!(commission.amount, usd("50.00"));
    assert_eq!(commission.base, usd("333.33"));
    assert!(!commission.capped);
}

#[test]
fn a_commission_that_rounds_to_zero_is_zero_commission() {
    // 0.04 × 0.10 = 0.004 → 0.00.
    let terms = ChosenTerms {
        source: TermsSource::PartnerDefault,
        model: revenue_share("0.10"),
        rule: None,
    };
    let c = customer();
    let r = terms.calculate(
        &facts(usd("0.04"), PAID_AT, &[], &c),
        ACCOUNT_START,
        LedgerFacts::default(),
    );
    assert_eq!(r, Err(NoCommission::ZeroCommission));
    // 0.05 × 0.10 = 0.005 → 0.01 (half away from zero).
    let r = terms.calculate(
        &facts(usd("0.05"), PAID_AT, &[], &c),
        ACCOUNT_START,
        LedgerFacts::default(),
    );
    assert_eq!(r.unwrap().amount, usd("0.01"));
}

#[test]
fn duration_counts_calendar_months_with_the_day_clamped() {
    // Attribution from 2025-01-31 10:00; one month → 2025-02-28 10:00 (clamped), exclusive.
    let mut r = rule(1, 0, revenue_share("0.10"), ACCOUNT_START);
    r.max_duration_months = Some(1);
    let terms = ChosenTerms {
        source: TermsSource::Rule,
        model: r.model.clone(),
        rule: Some(&r),
    };
    let start = datetime!(2025-01-31 10:00 UTC);
    let c = customer();
    let calc = |at| {
        terms.calculate(
            &facts(usd("100.00"), at, &[], &c),
            start,
            LedgerFacts::default(),
        )
    };
    assert_eq!(
        calc(datetime!(2025-02-28 09:59:59 UTC)).unwrap().amount,
        usd("10.00")
    );
    assert_eq!(
        calc(datetime!(2025-02-28 10:00 UTC)),
        Err(NoCommission::DurationElapsed)
    );
    assert_eq!(
        calc(datetime!(2025-03-31 10:00 UTC)),
        Err(NoCommission::DurationElapsed)
    );
}

#[test]
fn cap_in_another_currency_is_currency_mismatch() {
    let mut r = rule(1, 0, revenue_share("0.10"), ACCOUNT_START);
    r.monthly_cap = Some(eur("100.00"));
    let terms = ChosenTerms {
        source: TermsSource::Rule,
        model: r.model.clone(),
        rule: Some(&r),
    };
    let c = customer();
    let res = terms.calculate(
        &facts(usd("100.00"), PAID_AT, &[], &c),
        ACCOUNT_START,
        LedgerFacts::default(),
    );
    assert_eq!(res, Err(NoCommission::CurrencyMismatch));
}

#[test]
fn cap_exactly_reached_is_not_marked_capped() {
    // 90.00 used of 100.00; 100.00 × 0.10 = 10.00 fits exactly.
    let mut r = rule(1, 0, revenue_share("0.10"), ACCOUNT_START);
    r.monthly_cap = Some(usd("100.00"));
    let terms = ChosenTerms {
        source: TermsSource::Rule,
        model: r.model.clone(),
        rule: Some(&r),
    };
    let c = customer();
    let ledger = |used: &str| LedgerFacts {
        month_volume: None,
        cap_used: Some(usd(used)),
    };
    let p = facts(usd("100.00"), PAID_AT, &[], &c);
    let fits = terms.calculate(&p, ACCOUNT_START, ledger("90.00")).unwrap();
    assert_eq!((fits.amount, fits.capped), (usd("10.00"), false));
    // 90.01 used: 9.99 left.
    let limited = terms.calculate(&p, ACCOUNT_START, ledger("90.01")).unwrap();
    assert_eq!((limited.amount, limited.capped), (usd("9.99"), true));
    assert_eq!(
        terms.calculate(&p, ACCOUNT_START, ledger("100.00")),
        Err(NoCommission::Capped)
    );
}

#[test]
fn rules_outside_their_window_scope_or_partner_are_not_chosen() {
    let partner = active_partner(Some(revenue_share("0.05")));
    let acc = account(None);
    let c = customer();
    let none: [ProductId; 0] = [];
    let p = facts(usd("100.00"), PAID_AT, &none, &c);
    let chosen = |rules: &[revshare_domain::terms::CommissionRule]| {
        choose_terms(&acc, &partner, rules, &p).map(|t| (t.source, t.rule.map(|r| r.id)))
    };

    // The window is half-open: a rule ending at paid_at is over, one starting at it applies.
    let mut ended = rule(1, 9, revenue_share("0.50"), ACCOUNT_START);
    ended.effective_to = Some(PAID_AT);
    assert_eq!(
        chosen(&[ended.clone()]),
        Some((TermsSource::PartnerDefault, None))
    );
    let mut starting = rule(2, 0, revenue_share("0.50"), ACCOUNT_START);
    starting.effective_from = PAID_AT;
    assert_eq!(
        chosen(&[ended, starting]),
        Some((TermsSource::Rule, Some(rule_id(2))))
    );

    // Inactive rules and other partners' rules are never chosen.
    let mut inactive = rule(3, 9, revenue_share("0.50"), ACCOUNT_START);
    inactive.active = false;
    let mut foreign = rule(4, 9, revenue_share("0.50"), ACCOUNT_START);
    foreign.partner_id = revshare_domain::value::PartnerId::from_uuid(uuid::Uuid::from_u128(0x99));
    assert_eq!(
        chosen(&[inactive, foreign]),
        Some((TermsSource::PartnerDefault, None))
    );

    // Customer scope: another customer's rule does not match; ours does.
    let mut theirs = rule(5, 9, revenue_share("0.50"), ACCOUNT_START);
    theirs.customer_ids = BTreeSet::from([CustomerId::parse("cust_2").unwrap()]);
    assert_eq!(
        chosen(&[theirs.clone()]),
        Some((TermsSource::PartnerDefault, None))
    );
    theirs.customer_ids.insert(customer());
    assert_eq!(
        chosen(&[theirs]),
        Some((TermsSource::Rule, Some(rule_id(5))))
    );

    // No rule and no default: no terms.
    let bare = active_partner(None);
    assert_eq!(choose_terms(&acc, &bare, &[], &p), None);
}

#[test]
fn tiered_rate_applies_to_the_whole_payment() {
    use revshare_domain::terms::TierRate;
    use rust_decimal_macros::dec;
    let model = CommissionModel::tiered(vec![
        TierRate {
            min_volume: dec!(0),
            rate: rate("0.10"),
        },
        TierRate {
            min_volume: dec!(1000),
            rate: rate("0.20"),
        },
    ])
    .unwrap();
    let terms = ChosenTerms {
        source: TermsSource::PartnerDefault,
        model,
        rule: None,
    };
    let c = customer();
    // Volume 900 before a 500 payment: the payment crosses 1000 but the tier is chosen by the
    // volume before it, and applies to all of it: 500 × 0.10 = 50.00.
    let ledger = LedgerFacts {
        month_volume: Some(usd("900.00")),
        cap_used: None,
    };
    let r = terms
        .calculate(
            &facts(usd("500.00"), PAID_AT, &[], &c),
            ACCOUNT_START,
            ledger,
        )
        .unwrap();
    assert_eq!(r.amount, usd("50.00"));
    assert_eq!(r.rate, Some(rate("0.1")));
}
