//! `Engine::record_payment` (SPEC §3 "Recording an invoice payment", §3a).

use std::collections::BTreeSet;

use revshare_domain::DomainError;
use revshare_domain::StoreError;
use revshare_domain::attribution::PartnerAccount;
use revshare_domain::commission::{CommissionEvent, EventStatus, EventType};
use revshare_domain::ingestion::{IngestionResult, PaymentOutcome, PaymentRecord};
use revshare_domain::partner::{Partner, PartnerStatus};
use revshare_domain::port::{MockLedgerTx, UsageKey, VolumeKey};
use revshare_domain::terms::{CommissionModel, CommissionRule, TermsSource, TierRate};
use revshare_domain::value::{Currency, EventId, Period, ProductId};
use rust_decimal_macros::dec;
use time::macros::datetime;

use crate::common::*;

/// What the store knows when a payment arrives.
struct World {
    account: Option<PartnerAccount>,
    partner: Option<Partner>,
    rules: Vec<CommissionRule>,
    /// `payment_volume` answer in minor units; `None`: it must not be asked.
    volume_minor: Option<i64>,
    /// `rule_usage` answer in minor units; `None`: it must not be asked.
    usage_minor: Option<i64>,
}

impl World {
    fn new(partner: Partner) -> Self {
        World {
            account: Some(account(None)),
            partner: Some(partner),
            rules: Vec::new(),
            volume_minor: None,
            usage_minor: None,
        }
    }
}

/// A transaction for a first delivery: not remembered yet, every read answered from `world`,
/// every write recorded in `w`.
fn first_delivery_tx(world: World, w: &Written) -> MockLedgerTx {
    let mut tx = MockLedgerTx::new();
    // Once before the partner locks, once after them.
    tx.expect_find_payments()
        .times(2)
        .withf(|t, ids| *t == tenant() && ids.len() == 1 && ids[0].as_str() == "pay_1")
        .returning(|_, _| Ok(Vec::new()));
    // Every attribution of the customer; the one in force is chosen by the engine.
    let accounts: Vec<PartnerAccount> = world.account.clone().into_iter().collect();
    tx.expect_accounts_of_customers()
        .times(1)
        .withf(|t, cs| *t == tenant() && cs == [customer()])
        .returning(move |_, _| Ok(accounts.clone()));
    let partner: Vec<Partner> = world.partner.clone().into_iter().collect();
    // An unattributed payment locks no partner.
    tx.expect_lock_partners()
        .times(usize::from(world.account.is_some()))
        .withf(|t, ids| *t == tenant() && ids == [partner_id()])
        .returning(move |_, _| Ok(partner.clone()));
    let rules = world.rules.clone();
    tx.expect_active_rules_of_partners()
        .times(0..=1)
        .withf(|t, ids| *t == tenant() && ids == [partner_id()])
        .returning(move |_, _| Ok(rules.clone()));
    let june = Period::month_of(PAID_AT);
    assert_eq!(june.start, datetime!(2025-06-01 00:00 UTC));
    assert_eq!(june.end, datetime!(2025-07-01 00:00 UTC));
    match world.volume_minor {
        Some(v) => {
            tx.expect_payment_volumes()
                .times(1)
                .withf(move |t, keys| {
                    *t == tenant()
                        && keys
                            == [VolumeKey {
                                partner: partner_id(),
                                currency: Currency::USD,
                                month: june,
                            }]
                })
                .returning(move |_, _| Ok(vec![v]));
        }
        None => {
            tx.expect_payment_volumes().never();
        }
    }
    match world.usage_minor {
        Some(u) => {
            tx.expect_rule_usages()
                .times(1)
                .withf(move |t, keys| {
                    *t == tenant()
                        && keys
                            == [UsageKey {
                                rule: rule_id(1),
                                currency: Currency::USD,
                                month: june,
                            }]
                })
                .returning(move |_, _| Ok(vec![u]));
        }
        None => {
            tx.expect_rule_usages().never();
        }
    }
    w.on_insert_events(&mut tx);
    let payments = w.payments.clone();
    tx.expect_insert_payments().times(1).returning(move |rs| {
        payments.lock().unwrap().extend(rs.iter().cloned());
        Ok(())
    });
    w.on_events_by_ids(&mut tx, Vec::new());
    w.on_commit(&mut tx);
    tx
}

/// Records `amount` USD (`pay_1`, paid at `PAID_AT`) in `world`.
async fn record(world: World, amount: &str) -> (IngestionResult, Written) {
    record_with_products(world, amount, Vec::new()).await
}

async fn record_with_products(
    world: World,
    amount: &str,
    products: Vec<ProductId>,
) -> (IngestionResult, Written) {
    let w = Written::default();
    let tx = first_delivery_tx(world, &w);
    let mut p = payment("pay_1", usd(amount));
    p.product_ids = products;
    let result = engine(vec![tx])
        .record_payment(tenant(), &actor(), p)
        .await
        .expect("recording a valid payment succeeds");
    (result, w)
}

/// The outcome wrote no event, and the payment is remembered with that outcome.
fn assert_remembered_without_event(result: &IngestionResult, w: &Written, outcome: PaymentOutcome) {
    assert_eq!(result.outcome, outcome.name());
    assert!(!result.duplicate);
    assert_eq!(result.commission_id, None);
    assert_eq!(result.amount, None);
    assert!(w.events().is_empty(), "no event may be written");
    let records = w.payments();
    assert_eq!(records.len(), 1, "the payment is remembered");
    assert_eq!(records[0].outcome, outcome);
    assert_eq!(records[0].event_id, None);
    assert!(w.committed(), "the remembered outcome is committed");
}

/// The one event written, after checking the answer and the record point at it.
fn created_event(result: &IngestionResult, w: &Written) -> CommissionEvent {
    assert_eq!(result.outcome, "created");
    assert!(!result.duplicate);
    let events = w.events();
    assert_eq!(events.len(), 1, "exactly one event is written");
    let e = events[0].clone();
    // The first id handed out by the id source names the event.
    assert_eq!(e.id, EventId::from_uuid(generated(0)));
    assert_eq!(result.commission_id, Some(e.id));
    assert_eq!(result.amount, Some(e.amount));
    assert_eq!(result.partner_id, Some(partner_id()));
    let records = w.payments();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].outcome, PaymentOutcome::Created);
    assert_eq!(records[0].event_id, Some(e.id));
    assert_eq!(records[0].recorded_at, NOW);
    assert!(w.committed());
    assert_eq!(e.event_type, EventType::InvoicePayment);
    assert_eq!(e.tenant_id, tenant());
    assert_eq!(e.event_date, PAID_AT);
    assert_eq!(e.created_at, NOW);
    assert_eq!(e.created_by, actor().subject());
    e
}

#[tokio::test]
async fn unattributed_payment_is_remembered_without_event() {
    let mut world = World::new(active_partner(Some(revenue_share("0.1"))));
    world.account = None;
    let (result, w) = record(world, "100.00").await;
    assert_remembered_without_event(&result, &w, PaymentOutcome::Unattributed);
    assert_eq!(result.partner_id, None);
    assert_eq!(w.payments()[0].partner_id, None);
}

#[tokio::test]
async fn partner_not_active_is_partner_inactive() {
    for status in [
        PartnerStatus::Pending,
        PartnerStatus::Suspended,
        PartnerStatus::Terminated,
        PartnerStatus::Archived,
    ] {
        let world = World::new(partner(status, Some(revenue_share("0.1")), 0));
        let (result, w) = record(world, "100.00").await;
        assert_remembered_without_event(&result, &w, PaymentOutcome::PartnerInactive);
        assert_eq!(result.partner_id, Some(partner_id()), "{status}");
    }
}

#[tokio::test]
async fn nothing_applies_is_no_terms() {
    // No custom rate, no rule, no default model.
    let world = World::new(active_partner(None));
    let (result, w) = record(world, "100.00").await;
    assert_remembered_without_event(&result, &w, PaymentOutcome::NoTerms);
    assert_eq!(result.partner_id, Some(partner_id()));
}

#[tokio::test]
async fn custom_rate_beats_rules_and_default() {
    let mut world = World::new(active_partner(Some(revenue_share("0.05"))));
    world.account = Some(account(Some(rate("0.10"))));
    world.rules = vec![rule(
        1,
        100,
        revenue_share("0.20"),
        datetime!(2025-01-01 00:00 UTC),
    )];
    let (result, w) = record(world, "333.33").await;
    let e = created_event(&result, &w);
    // 333.33 × 0.10 = 33.333 → 33.33 (custom rate; neither the rule's 0.20 nor the default's 0.05).
    assert_eq!(e.amount, usd("33.33"));
    assert_eq!(e.terms_source, TermsSource::CustomRate);
    assert_eq!(e.rate, Some(rate("0.1")));
    assert_eq!(e.rule_id, None);
    assert_eq!(e.base_amount, Some(usd("333.33")));
    assert_eq!(e.fee, None);
}

#[tokio::test]
async fn a_rule_beats_the_partner_default() {
    let mut world = World::new(active_partner(Some(revenue_share("0.05"))));
    world.rules = vec![rule(
        1,
        0,
        revenue_share("0.20"),
        datetime!(2025-01-01 00:00 UTC),
    )];
    let (result, w) = record(world, "333.33").await;
    let e = created_event(&result, &w);
    // 333.33 × 0.20 = 66.666 → 66.67 (half away from zero), not 333.33 × 0.05 = 16.67.
    assert_eq!(e.amount, usd("66.67"));
    assert_eq!(e.terms_source, TermsSource::Rule);
    assert_eq!(e.rule_id, Some(rule_id(1)));
    assert_eq!(e.rate, Some(rate("0.2")));
}

#[tokio::test]
async fn higher_priority_rule_wins() {
    let mut world = World::new(active_partner(None));
    world.rules = vec![
        rule(1, 1, revenue_share("0.10"), datetime!(2025-01-01 00:00 UTC)),
        rule(2, 5, revenue_share("0.25"), datetime!(2025-03-01 00:00 UTC)),
        rule(
            3,
            -2,
            revenue_share("0.50"),
            datetime!(2024-01-01 00:00 UTC),
        ),
    ];
    let (result, w) = record(world, "200.00").await;
    let e = created_event(&result, &w);
    // Priority 5 → 200.00 × 0.25 = 50.00.
    assert_eq!(e.amount, usd("50.00"));
    assert_eq!(e.rule_id, Some(rule_id(2)));
}

#[tokio::test]
async fn priority_ties_go_to_the_older_rule() {
    let mut world = World::new(active_partner(None));
    // The newer rule is listed first and has the smaller id: only its age may decide.
    world.rules = vec![
        rule(1, 3, revenue_share("0.30"), datetime!(2025-03-01 00:00 UTC)),
        rule(2, 3, revenue_share("0.07"), datetime!(2025-02-01 00:00 UTC)),
    ];
    let (result, w) = record(world, "200.00").await;
    let e = created_event(&result, &w);
    // Older rule → 200.00 × 0.07 = 14.00 (the newer one would give 60.00).
    assert_eq!(e.amount, usd("14.00"));
    assert_eq!(e.rule_id, Some(rule_id(2)));
}

#[tokio::test]
async fn product_scoped_rule_never_matches_a_payment_without_products() {
    let scoped = || {
        let mut r = rule(
            1,
            10,
            revenue_share("0.50"),
            datetime!(2025-01-01 00:00 UTC),
        );
        r.product_ids = BTreeSet::from([ProductId::parse("prod_a").unwrap()]);
        r
    };
    let cases = [
        // (products on the payment, expected amount, expected source)
        // No products → default 200.00 × 0.05 = 10.00.
        (vec![], "10.00", TermsSource::PartnerDefault),
        // Another product → default again.
        (vec!["prod_b"], "10.00", TermsSource::PartnerDefault),
        // The scoped product → rule 200.00 × 0.50 = 100.00.
        (vec!["prod_b", "prod_a"], "100.00", TermsSource::Rule),
    ];
    for (products, expected, source) in cases {
        let mut world = World::new(active_partner(Some(revenue_share("0.05"))));
        world.rules = vec![scoped()];
        let products = products
            .into_iter()
            .map(|p| ProductId::parse(p).unwrap())
            .collect();
        let (result, w) = record_with_products(world, "200.00", products).await;
        let e = created_event(&result, &w);
        assert_eq!(e.amount, usd(expected));
        assert_eq!(e.terms_source, source);
    }
}

#[tokio::test]
async fn elapsed_duration_does_not_fall_through_to_the_default() {
    // Attribution from 2025-01-31; 4 months → until 2025-05-31 00:00; paid 2025-06-10 → elapsed.
    let mut world = World::new(active_partner(Some(revenue_share("0.05"))));
    let mut acc = account(None);
    acc.start = datetime!(2025-01-31 00:00 UTC);
    world.account = Some(acc.clone());
    let mut r = rule(1, 0, revenue_share("0.20"), datetime!(2025-01-01 00:00 UTC));
    r.max_duration_months = Some(4);
    world.rules = vec![r.clone()];
    let (result, w) = record(world, "200.00").await;
    // The default (200.00 × 0.05 = 10.00) must not be used.
    assert_remembered_without_event(&result, &w, PaymentOutcome::DurationElapsed);
    assert_eq!(result.partner_id, Some(partner_id()));

    // 5 months → until 2025-06-30 00:00 > paid_at: 200.00 × 0.20 = 40.00.
    let mut world = World::new(active_partner(Some(revenue_share("0.05"))));
    world.account = Some(acc);
    r.max_duration_months = Some(5);
    world.rules = vec![r];
    let (result, w) = record(world, "200.00").await;
    assert_eq!(created_event(&result, &w).amount, usd("40.00"));
}

#[tokio::test]
async fn flat_fee_in_another_currency_is_currency_mismatch() {
    let mut world = World::new(active_partner(Some(revenue_share("0.05"))));
    world.rules = vec![rule(
        1,
        0,
        CommissionModel::FlatFee { fee: eur("25.00") },
        datetime!(2025-01-01 00:00 UTC),
    )];
    let (result, w) = record(world, "200.00").await;
    // No FX and no fall-through to the default's 10.00.
    assert_remembered_without_event(&result, &w, PaymentOutcome::CurrencyMismatch);
}

#[tokio::test]
async fn flat_fee_in_the_payment_currency_is_the_fee() {
    let mut world = World::new(active_partner(None));
    world.rules = vec![rule(
        1,
        0,
        CommissionModel::FlatFee { fee: usd("25.00") },
        datetime!(2025-01-01 00:00 UTC),
    )];
    let (result, w) = record(world, "1.00").await;
    let e = created_event(&result, &w);
    // The fee, whatever the payment amount.
    assert_eq!(e.amount, usd("25.00"));
    assert_eq!(e.fee, Some(usd("25.00")));
    assert_eq!(e.rate, None);
}

#[tokio::test]
async fn tiered_rate_comes_from_the_month_volume_with_inclusive_boundaries() {
    let tiers = CommissionModel::tiered(vec![
        TierRate {
            min_volume: dec!(0),
            rate: rate("0.10"),
        },
        TierRate {
            min_volume: dec!(1000),
            rate: rate("0.15"),
        },
        TierRate {
            min_volume: dec!(5000),
            rate: rate("0.20"),
        },
    ])
    .unwrap();
    let cases = [
        // (volume before this payment in cents, rate, 400.00 × rate)
        (0, "0.1", "40.00"),
        (99_999, "0.1", "40.00"),    // 999.99 < 1000
        (100_000, "0.15", "60.00"),  // 1000.00: min_volume is inclusive
        (499_999, "0.15", "60.00"),  // 4999.99
        (500_000, "0.2", "80.00"),   // 5000.00
        (9_000_000, "0.2", "80.00"), // far above the top tier
    ];
    for (volume, r, expected) in cases {
        let mut world = World::new(active_partner(Some(tiers.clone())));
        world.volume_minor = Some(volume);
        let (result, w) = record(world, "400.00").await;
        let e = created_event(&result, &w);
        assert_eq!(e.amount, usd(expected), "volume {volume}");
        assert_eq!(e.rate, Some(rate(r)), "volume {volume}");
        assert_eq!(e.base_amount, Some(usd("400.00")));
    }
}

#[tokio::test]
async fn hybrid_is_fee_plus_share_rounded_once() {
    let model = CommissionModel::Hybrid {
        fee: usd("2.50"),
        rate: rate("0.03"),
    };
    let world = World::new(active_partner(Some(model)));
    let (result, w) = record(world, "123.50").await;
    let e = created_event(&result, &w);
    // 2.50 + 123.50 × 0.03 = 2.50 + 3.705 = 6.205 → 6.21 (half away from zero, once).
    assert_eq!(e.amount, usd("6.21"));
    assert_eq!(e.fee, Some(usd("2.50")));
    assert_eq!(e.rate, Some(rate("0.03")));
    assert_eq!(e.terms_source, TermsSource::PartnerDefault);
}

fn capped_rule() -> CommissionRule {
    let mut r = rule(1, 0, revenue_share("0.10"), datetime!(2025-01-01 00:00 UTC));
    r.monthly_cap = Some(usd("100.00"));
    r
}

#[tokio::test]
async fn monthly_cap_limits_then_caps() {
    // Nothing used: 200.00 × 0.10 = 20.00, under the 100.00 cap.
    let mut world = World::new(active_partner(None));
    world.rules = vec![capped_rule()];
    world.usage_minor = Some(0);
    let (result, w) = record(world, "200.00").await;
    assert_eq!(created_event(&result, &w).amount, usd("20.00"));

    // 95.00 used: 5.00 left, so 20.00 is limited to 5.00.
    let mut world = World::new(active_partner(None));
    world.rules = vec![capped_rule()];
    world.usage_minor = Some(9_500);
    let (result, w) = record(world, "200.00").await;
    let e = created_event(&result, &w);
    assert_eq!(e.amount, usd("5.00"));
    assert_eq!(e.base_amount, Some(usd("200.00")));

    // 100.00 used (and more than that): nothing left → capped, no event.
    for used in [10_000, 10_001] {
        let mut world = World::new(active_partner(None));
        world.rules = vec![capped_rule()];
        world.usage_minor = Some(used);
        let (result, w) = record(world, "200.00").await;
        assert_remembered_without_event(&result, &w, PaymentOutcome::Capped);
    }
}

#[tokio::test]
async fn hold_period_makes_the_event_pending_until_paid_at_plus_hold() {
    let world = World::new(partner(
        PartnerStatus::Active,
        Some(revenue_share("0.10")),
        14,
    ));
    let (result, w) = record(world, "200.00").await;
    let e = created_event(&result, &w);
    // 2025-06-10 09:00 + 14 days = 2025-06-24 09:00, after NOW (2025-06-15 12:00).
    assert_eq!(e.status, EventStatus::Pending);
    assert_eq!(e.hold_until, Some(datetime!(2025-06-24 09:00 UTC)));
    assert_eq!(e.approved_at, None);
    assert_eq!(result.status, Some(EventStatus::Pending));
    assert_eq!(e.amount, usd("20.00"));
}

#[tokio::test]
async fn no_hold_period_approves_at_once() {
    let world = World::new(active_partner(Some(revenue_share("0.10"))));
    let (result, w) = record(world, "200.00").await;
    let e = created_event(&result, &w);
    assert_eq!(e.status, EventStatus::Approved);
    assert_eq!(e.hold_until, None);
    assert_eq!(e.approved_at, Some(NOW));
    assert_eq!(result.status, Some(EventStatus::Approved));
}

fn remembered(outcome: PaymentOutcome, event: Option<EventId>) -> PaymentRecord {
    PaymentRecord {
        tenant_id: tenant(),
        payment: payment("pay_1", usd("200.00")),
        outcome,
        partner_id: Some(partner_id()),
        event_id: event,
        recorded_at: datetime!(2025-06-10 09:00:01 UTC),
    }
}

/// A transaction in which the payment is already remembered: only reads are allowed.
fn replay_tx(record: PaymentRecord, known: Vec<CommissionEvent>, w: &Written) -> MockLedgerTx {
    let mut tx = MockLedgerTx::new();
    tx.expect_find_payments()
        .times(1)
        .withf(|t, ids| *t == tenant() && ids.len() == 1 && ids[0].as_str() == "pay_1")
        .returning(move |_, _| Ok(vec![record.clone()]));
    w.on_events_by_ids(&mut tx, known);
    tx.expect_accounts_of_customers().never();
    tx.expect_lock_partners().never();
    tx.expect_insert_events().never();
    tx.expect_insert_payments().never();
    tx.expect_commit().never();
    tx
}

#[tokio::test]
async fn replay_answers_duplicate_with_the_original_outcome_and_writes_nothing() {
    let original = event(1, EventStatus::Approved, usd("20.00"));
    let w = Written::default();
    let tx = replay_tx(
        remembered(PaymentOutcome::Created, Some(original.id)),
        vec![original.clone()],
        &w,
    );
    // The replay's body differs (another amount): the original outcome is still the answer.
    let result = engine(vec![tx])
        .record_payment(tenant(), &actor(), payment("pay_1", usd("999.00")))
        .await
        .unwrap();
    assert!(result.duplicate);
    assert_eq!(result.outcome, "created");
    assert_eq!(result.id, "pay_1");
    assert_eq!(result.commission_id, Some(original.id));
    assert_eq!(result.amount, Some(usd("20.00")));
    assert_eq!(result.partner_id, Some(partner_id()));
    assert!(w.events().is_empty() && w.payments().is_empty());
}

#[tokio::test]
async fn replay_of_an_outcome_without_event_is_duplicate_too() {
    let w = Written::default();
    let tx = replay_tx(remembered(PaymentOutcome::Capped, None), Vec::new(), &w);
    let result = engine(vec![tx])
        .record_payment(tenant(), &actor(), payment("pay_1", usd("200.00")))
        .await
        .unwrap();
    assert!(result.duplicate);
    assert_eq!(result.outcome, "capped");
    assert_eq!(result.commission_id, None);
    assert_eq!(result.amount, None);
}

#[tokio::test]
async fn concurrent_replay_answers_duplicate_of_the_winner() {
    // First transaction: evaluates and writes, then loses the race on the payment's key.
    let w = Written::default();
    let mut lost = MockLedgerTx::new();
    lost.expect_find_payments()
        .times(2)
        .returning(|_, _| Ok(Vec::new()));
    lost.expect_accounts_of_customers()
        .times(1)
        .returning(|_, _| Ok(vec![account(None)]));
    lost.expect_lock_partners()
        .times(1)
        .returning(|_, _| Ok(vec![active_partner(Some(revenue_share("0.10")))]));
    lost.expect_active_rules_of_partners()
        .times(1)
        .returning(|_, _| Ok(Vec::new()));
    w.on_insert_events(&mut lost);
    lost.expect_insert_payments()
        .times(1)
        .returning(|_| Err(StoreError::Conflict("payment pay_1 exists".into())));
    lost.expect_commit().never();

    // Second transaction: reads the winner's record and event.
    let winner = event(99, EventStatus::Approved, usd("20.00"));
    let replay = replay_tx(
        remembered(PaymentOutcome::Created, Some(winner.id)),
        vec![winner.clone()],
        &Written::default(),
    );

    let result = engine(vec![lost, replay])
        .record_payment(tenant(), &actor(), payment("pay_1", usd("200.00")))
        .await
        .unwrap();
    assert!(result.duplicate);
    assert_eq!(result.outcome, "created");
    // The winner's event, not the one this delivery tried to write (rolled back).
    assert_eq!(result.commission_id, Some(winner.id));
    assert_ne!(result.commission_id, Some(EventId::from_uuid(generated(0))));
    assert!(!w.committed());
}

#[tokio::test]
async fn a_copy_committed_while_waiting_for_the_locks_is_a_replay_not_a_retry() {
    // A concurrent batch holding the same payment commits between the first look and the
    // partner locks: the second look, under the locks, finds it, so nothing is written and the
    // batch is not retried.
    let winner = event(42, EventStatus::Approved, usd("20.00"));
    let record = remembered(PaymentOutcome::Created, Some(winner.id));
    let looks = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tx = MockLedgerTx::new();
    tx.expect_find_payments().times(2).returning(move |_, _| {
        let look = looks.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(if look == 0 {
            Vec::new()
        } else {
            vec![record.clone()]
        })
    });
    tx.expect_accounts_of_customers()
        .times(1)
        .returning(|_, _| Ok(vec![account(None)]));
    tx.expect_lock_partners()
        .times(1)
        .returning(|_, _| Ok(vec![active_partner(Some(revenue_share("0.10")))]));
    tx.expect_active_rules_of_partners()
        .returning(|_, _| Ok(Vec::new()));
    tx.expect_insert_events().never();
    tx.expect_insert_payments().never();
    let known = winner.clone();
    tx.expect_events_by_ids()
        .times(1)
        .returning(move |_, _| Ok(vec![known.clone()]));
    tx.expect_commit().never();
    let result = engine(vec![tx])
        .record_payment(tenant(), &actor(), payment("pay_1", usd("200.00")))
        .await
        .unwrap();
    assert!(result.duplicate);
    assert_eq!(result.commission_id, Some(winner.id));
}

#[tokio::test]
async fn other_store_errors_are_not_taken_for_replays() {
    let mut tx = MockLedgerTx::new();
    tx.expect_find_payments().returning(|_, _| Ok(Vec::new()));
    tx.expect_accounts_of_customers()
        .returning(|_, _| Ok(Vec::new()));
    tx.expect_insert_events().returning(|_| Ok(()));
    tx.expect_insert_payments()
        .returning(|_| Err(StoreError::Unavailable("timeout".into())));
    tx.expect_commit().never();
    let err = engine(vec![tx])
        .record_payment(tenant(), &actor(), payment("pay_1", usd("200.00")))
        .await
        .unwrap_err();
    assert!(
        matches!(err, DomainError::Store(StoreError::Unavailable(_))),
        "{err:?}"
    );
}

#[tokio::test]
async fn non_positive_amount_is_refused_before_any_read() {
    for amount in ["0.00", "-1.00"] {
        let err = engine_without_tx()
            .record_payment(tenant(), &actor(), payment("pay_1", usd(amount)))
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::Validation(ref v) if v.fields[0].field == "amount"));
    }
}

#[tokio::test]
async fn a_deadlock_victim_is_retried_and_answers_as_the_retry_sees_it() {
    let mut victim = MockLedgerTx::new();
    victim
        .expect_find_payments()
        .times(1)
        .returning(|_, _| Err(StoreError::Contention("deadlock detected".into())));
    victim.expect_commit().never();
    let winner = event(7, EventStatus::Approved, usd("20.00"));
    let retry = replay_tx(
        remembered(PaymentOutcome::Created, Some(winner.id)),
        vec![winner.clone()],
        &Written::default(),
    );
    let result = engine(vec![victim, retry])
        .record_payment(tenant(), &actor(), payment("pay_1", usd("200.00")))
        .await
        .unwrap();
    assert!(result.duplicate);
    assert_eq!(result.commission_id, Some(winner.id));
}

#[tokio::test]
async fn contention_that_persists_fails_after_a_bounded_number_of_attempts() {
    let txs = (0..3)
        .map(|_| {
            let mut tx = MockLedgerTx::new();
            tx.expect_find_payments()
                .times(1)
                .returning(|_, _| Err(StoreError::Contention("deadlock detected".into())));
            tx
        })
        .collect();
    let err = engine(txs)
        .record_payment(tenant(), &actor(), payment("pay_1", usd("200.00")))
        .await
        .unwrap_err();
    assert!(
        matches!(err, DomainError::Store(StoreError::Contention(_))),
        "{err:?}"
    );
}
