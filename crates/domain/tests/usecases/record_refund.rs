//! `Engine::record_refund` (SPEC §3 "Recording a refund", §3a "Refunds").

use revshare_domain::DomainError;
use revshare_domain::commission::{CommissionEvent, EventStatus, EventType};
use revshare_domain::ingestion::{
    IngestionResult, PaymentOutcome, PaymentRecord, Refund, RefundOutcome, RefundRecord,
};
use revshare_domain::port::{MockLedgerTx, RefundTotals};
use revshare_domain::terms::TermsSource;
use revshare_domain::value::{Currency, EventId, Money, PaymentId, RefundId};
use rust_decimal::Decimal;
use time::OffsetDateTime;
use time::macros::datetime;

use crate::common::*;

const REFUNDED_AT: OffsetDateTime = datetime!(2025-06-14 16:30 UTC);

/// `pay_1`: 300.00 USD, attributed, commission event `event_id(1)`.
fn paid_record() -> PaymentRecord {
    PaymentRecord {
        tenant_id: tenant(),
        payment: payment("pay_1", usd("300.00")),
        outcome: PaymentOutcome::Created,
        partner_id: Some(partner_id()),
        event_id: Some(event_id(1)),
        recorded_at: PAID_AT,
    }
}

/// The commission of `pay_1`: 10.00 USD.
fn commission(status: EventStatus) -> CommissionEvent {
    let mut e = event(1, status, usd("10.00"));
    e.base_amount = Some(usd("300.00"));
    e.rate = Some(rate("0.033333"));
    if status == EventStatus::Pending {
        e.hold_until = Some(datetime!(2025-06-24 09:00 UTC));
    }
    e
}

fn refund(id: &str, amount: &str) -> Refund {
    Refund {
        refund_id: RefundId::parse(id).unwrap(),
        payment_id: PaymentId::parse("pay_1").unwrap(),
        amount: amount.parse::<Decimal>().unwrap(),
        currency: None,
        refunded_at: REFUNDED_AT,
    }
}

/// What the store knows when a refund arrives.
struct World {
    payment: Option<PaymentRecord>,
    original: Option<CommissionEvent>,
    totals: RefundTotals,
}

impl World {
    fn new(original: Option<CommissionEvent>) -> Self {
        World {
            payment: Some(paid_record()),
            original,
            totals: RefundTotals::default(),
        }
    }
}

fn refund_tx(world: World, w: &Written) -> MockLedgerTx {
    let mut tx = MockLedgerTx::new();
    tx.expect_find_refund()
        .times(1)
        .withf(|t, _| *t == tenant())
        .returning(|_, _| Ok(None));
    let record = world.payment.clone();
    tx.expect_lock_payment()
        .times(1)
        .withf(|t, id| *t == tenant() && id.as_str() == "pay_1")
        .returning(move |_, _| Ok(record.clone()));
    // The partner is locked and the commission read only for an attributed payment.
    let attributed = usize::from(
        world
            .payment
            .as_ref()
            .is_some_and(|p| p.partner_id.is_some()),
    );
    tx.expect_lock_partner()
        .times(0..=attributed)
        .withf(|t, p| *t == tenant() && *p == partner_id())
        .returning(|_, _| Ok(Some(active_partner(None))));
    let original = world.original.clone();
    tx.expect_payment_event()
        .times(0..=attributed)
        .returning(move |_, _| Ok(original.clone()));
    let totals = world.totals;
    tx.expect_refund_totals()
        .times(0..=1)
        .returning(move |_, _| Ok(totals));
    w.on_insert_event(&mut tx, 1);
    let refunds = w.refunds.clone();
    tx.expect_insert_refund().times(0..=1).returning(move |r| {
        refunds.lock().unwrap().push(r.clone());
        Ok(())
    });
    w.on_events_by_ids(&mut tx, world.original.into_iter().collect());
    w.on_commit(&mut tx);
    tx
}

async fn record(world: World, r: Refund) -> (Result<IngestionResult, DomainError>, Written) {
    let w = Written::default();
    let tx = refund_tx(world, &w);
    let result = engine(vec![tx]).record_refund(tenant(), &actor(), r).await;
    (result, w)
}

/// Nothing was written and nothing committed: a refused refund is not remembered.
fn assert_refused_untouched(w: &Written) {
    assert!(w.events().is_empty());
    assert!(w.refunds().is_empty());
    assert!(!w.committed());
}

/// The one negative event written, after checking the answer and the record.
fn created_adjustment(result: &IngestionResult, w: &Written) -> CommissionEvent {
    assert_eq!(result.outcome, "created");
    assert!(!result.duplicate);
    let events = w.events();
    assert_eq!(events.len(), 1);
    let e = events[0].clone();
    assert_eq!(e.id, EventId::from_uuid(generated(0)));
    assert_eq!(result.commission_id, Some(e.id));
    assert_eq!(result.amount, Some(e.amount));
    let records = w.refunds();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].outcome, RefundOutcome::Created);
    assert_eq!(records[0].event_id, Some(e.id));
    assert!(w.committed());
    assert_eq!(e.original_event_id, Some(event_id(1)));
    assert_eq!(e.event_date, REFUNDED_AT);
    assert_eq!(e.terms_source, TermsSource::Refund);
    assert_eq!(e.partner_id, partner_id());
    assert_eq!(e.payment_id.as_ref().map(PaymentId::as_str), Some("pay_1"));
    e
}

#[tokio::test]
async fn refund_of_an_unknown_payment_is_not_found_and_not_remembered() {
    let mut world = World::new(None);
    world.payment = None;
    let (result, w) = record(world, refund("ref_1", "10.00")).await;
    assert!(
        matches!(result, Err(DomainError::NotFound { entity: "payment" })),
        "{result:?}"
    );
    assert_refused_untouched(&w);
}

#[tokio::test]
async fn refund_larger_than_the_payment_is_refused() {
    let (result, w) = record(
        World::new(Some(commission(EventStatus::Approved))),
        refund("ref_1", "300.01"),
    )
    .await;
    assert!(matches!(result, Err(DomainError::Validation(ref v)) if v.fields[0].field == "amount"));
    assert_refused_untouched(&w);

    // 200.00 already refunded: 100.01 is more than what is left (100.00).
    let mut world = World::new(Some(commission(EventStatus::Approved)));
    world.totals = RefundTotals {
        refunded_minor: 20_000,
        adjusted_minor: 666,
    };
    let (result, w) = record(world, refund("ref_3", "100.01")).await;
    assert!(
        matches!(result, Err(DomainError::Validation(_))),
        "{result:?}"
    );
    assert_refused_untouched(&w);
}

#[tokio::test]
async fn partial_refund_takes_the_pro_rata_share() {
    let (result, w) = record(
        World::new(Some(commission(EventStatus::Approved))),
        refund("ref_1", "100.00"),
    )
    .await;
    let result = result.unwrap();
    let e = created_adjustment(&result, &w);
    // 10.00 × 100.00 / 300.00 = 3.333… → 3.33, as a negative line.
    assert_eq!(e.amount, usd("-3.33"));
    assert_eq!(e.event_type, EventType::RefundAdjustment);
    assert_eq!(e.status, EventStatus::Approved);
    assert_eq!(e.approved_at, Some(NOW));
    assert_eq!(e.hold_until, None);
    assert_eq!(e.base_amount, Some(usd("100.00")));
    assert_eq!(e.refund_id.as_ref().map(RefundId::as_str), Some("ref_1"));
    let rec = &w.refunds()[0];
    assert_eq!(rec.amount, usd("100.00"));
    assert_eq!(rec.refunded_at, REFUNDED_AT);
}

#[tokio::test]
async fn refunds_summing_to_the_payment_net_exactly_to_zero() {
    // Three refunds of 100.00 against 300.00 / 10.00: 3.33, 3.33, then exactly what is left, 3.34.
    let mut refunded = 0i64;
    let mut adjusted = 0i64;
    let mut lines = Vec::new();
    for (n, expected) in [(1, "-3.33"), (2, "-3.33"), (3, "-3.34")] {
        let mut world = World::new(Some(commission(EventStatus::Approved)));
        world.totals = RefundTotals {
            refunded_minor: refunded,
            adjusted_minor: adjusted,
        };
        let (result, w) = record(world, refund(&format!("ref_{n}"), "100.00")).await;
        let e = created_adjustment(&result.unwrap(), &w);
        assert_eq!(e.amount, usd(expected), "refund {n}");
        refunded += w.refunds()[0].amount.minor();
        adjusted -= e.amount.minor();
        lines.push(e.amount);
    }
    let net = lines
        .iter()
        .fold(usd("10.00"), |acc, l| acc.checked_add(*l).unwrap());
    assert_eq!(net, Money::zero(Currency::USD));

    // One full refund takes the whole commission.
    let (result, w) = record(
        World::new(Some(commission(EventStatus::Approved))),
        refund("ref_9", "300.00"),
    )
    .await;
    assert_eq!(
        created_adjustment(&result.unwrap(), &w).amount,
        usd("-10.00")
    );
}

#[tokio::test]
async fn refund_of_a_paid_commission_is_a_clawback() {
    let (result, w) = record(
        World::new(Some(commission(EventStatus::Paid))),
        refund("ref_1", "150.00"),
    )
    .await;
    let result = result.unwrap();
    let e = created_adjustment(&result, &w);
    // 10.00 × 150 / 300 = 5.00.
    assert_eq!(e.amount, usd("-5.00"));
    assert_eq!(e.event_type, EventType::Clawback);
    assert_eq!(e.status, EventStatus::Approved);
    assert_eq!(result.event_type, Some(EventType::Clawback));
}

#[tokio::test]
async fn refund_of_a_pending_commission_is_pending_with_the_original_hold() {
    let (result, w) = record(
        World::new(Some(commission(EventStatus::Pending))),
        refund("ref_1", "30.00"),
    )
    .await;
    let result = result.unwrap();
    let e = created_adjustment(&result, &w);
    // 10.00 × 30 / 300 = 1.00.
    assert_eq!(e.amount, usd("-1.00"));
    assert_eq!(e.event_type, EventType::RefundAdjustment);
    assert_eq!(e.status, EventStatus::Pending);
    assert_eq!(e.hold_until, Some(datetime!(2025-06-24 09:00 UTC)));
    assert_eq!(e.approved_at, None);
    assert_eq!(result.status, Some(EventStatus::Pending));
}

#[tokio::test]
async fn refund_of_a_payment_without_event_is_remembered_as_no_commission() {
    // The payment was unattributed: no partner, no event; no partner is locked and no
    // commission read (the world's expectations allow those calls 0 times).
    let mut world = World::new(None);
    world.payment = Some(PaymentRecord {
        outcome: PaymentOutcome::Unattributed,
        partner_id: None,
        event_id: None,
        ..paid_record()
    });
    let (result, w) = record(world, refund("ref_1", "50.00")).await;
    let result = result.unwrap();
    assert_eq!(result.outcome, "no_commission");
    assert_eq!(result.commission_id, None);
    assert!(w.events().is_empty());
    let recs: Vec<RefundRecord> = w.refunds();
    assert_eq!(recs.len(), 1, "the refund is remembered");
    assert_eq!(recs[0].outcome, RefundOutcome::NoCommission);
    assert_eq!(recs[0].event_id, None);
    assert!(w.committed());
}

#[tokio::test]
async fn refund_beyond_what_is_left_is_refused_even_without_commission() {
    // 200.00 of the 300.00 already refunded; 150.00 more would exceed the payment.
    let mut world = World::new(None);
    world.payment = Some(PaymentRecord {
        outcome: PaymentOutcome::Unattributed,
        partner_id: None,
        event_id: None,
        ..paid_record()
    });
    world.totals = RefundTotals {
        refunded_minor: 20_000,
        adjusted_minor: 0,
    };
    let (result, w) = record(world, refund("ref_3", "150.00")).await;
    assert!(
        matches!(result, Err(DomainError::Validation(ref v)) if v.fields[0].field == "amount"),
        "{result:?}"
    );
    assert_refused_untouched(&w);
}

#[tokio::test]
async fn refund_of_a_rejected_commission_is_no_commission() {
    let (result, w) = record(
        World::new(Some(commission(EventStatus::Rejected))),
        refund("ref_1", "100.00"),
    )
    .await;
    assert_eq!(result.unwrap().outcome, "no_commission");
    assert!(w.events().is_empty());
    assert_eq!(w.refunds()[0].outcome, RefundOutcome::NoCommission);
}

#[tokio::test]
async fn refund_in_another_currency_is_refused() {
    let mut r = refund("ref_1", "100.00");
    r.currency = Some(Currency::EUR);
    let (result, w) = record(World::new(Some(commission(EventStatus::Approved))), r).await;
    assert!(
        matches!(result, Err(DomainError::Validation(ref v)) if v.fields[0].field == "currency"),
        "{result:?}"
    );
    assert_refused_untouched(&w);

    // The same currency, stated explicitly, is fine.
    let mut r = refund("ref_1", "100.00");
    r.currency = Some(Currency::USD);
    let (result, _) = record(World::new(Some(commission(EventStatus::Approved))), r).await;
    assert_eq!(result.unwrap().outcome, "created");
}

#[tokio::test]
async fn refund_not_exact_in_the_minor_unit_is_refused() {
    let (result, w) = record(
        World::new(Some(commission(EventStatus::Approved))),
        refund("ref_1", "10.005"),
    )
    .await;
    assert!(
        matches!(result, Err(DomainError::Validation(_))),
        "{result:?}"
    );
    assert_refused_untouched(&w);
}

#[tokio::test]
async fn replayed_refund_is_duplicate_and_writes_nothing() {
    let line = {
        let mut e = event(7, EventStatus::Approved, usd("-3.33"));
        e.event_type = EventType::RefundAdjustment;
        e
    };
    let record = RefundRecord {
        tenant_id: tenant(),
        refund_id: RefundId::parse("ref_1").unwrap(),
        payment_id: PaymentId::parse("pay_1").unwrap(),
        amount: usd("100.00"),
        refunded_at: REFUNDED_AT,
        outcome: RefundOutcome::Created,
        event_id: Some(line.id),
        recorded_at: NOW,
    };
    let w = Written::default();
    let mut tx = MockLedgerTx::new();
    tx.expect_find_refund()
        .times(1)
        .returning(move |_, _| Ok(Some(record.clone())));
    w.on_events_by_ids(&mut tx, vec![line.clone()]);
    tx.expect_lock_payment().never();
    tx.expect_insert_event().never();
    tx.expect_insert_refund().never();
    tx.expect_commit().never();
    // Another amount: the original answer stands.
    let result = engine(vec![tx])
        .record_refund(tenant(), &actor(), refund("ref_1", "250.00"))
        .await
        .unwrap();
    assert!(result.duplicate);
    assert_eq!(result.outcome, "created");
    assert_eq!(result.commission_id, Some(line.id));
    assert_eq!(result.amount, Some(usd("-3.33")));
}
