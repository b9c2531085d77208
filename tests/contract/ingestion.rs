use revshare_domain::commission::{EventStatus, EventType};
use revshare_domain::partner::PartnerStatus;
use revshare_domain::terms::{CommissionModel, TierRate};
use revshare_domain::value::Currency;
use revshare_tests::fixtures::*;
use revshare_tests::{contract, dec};

async fn commission(
    ctx: &revshare_tests::TestContext,
    t: revshare_domain::value::TenantId,
    r: &revshare_domain::ingestion::IngestionResult,
) -> String {
    let id = r
        .commission_id
        .unwrap_or_else(|| panic!("no commission: {r:?}"));
    ctx.engine
        .commission(t, None, id)
        .await
        .unwrap()
        .amount
        .to_plain_string()
}

contract!(outcomes_that_write_nothing_are_named, |ctx| {
    let t = tenant();
    let p = ctx.active_partner(t, "P-1", None, 0).await;
    // Nobody attributed this customer.
    assert_eq!(
        ctx.pay(
            t,
            "pay-1",
            "stranger",
            usd("100.00"),
            "2026-03-01T00:00:00Z"
        )
        .await
        .outcome,
        "unattributed"
    );
    // Attributed, but the partner has no terms.
    ctx.attribute(t, p.id, "cust-1", "2026-01-01T00:00:00Z", None)
        .await;
    assert_eq!(
        ctx.pay(t, "pay-2", "cust-1", usd("100.00"), "2026-03-01T00:00:00Z")
            .await
            .outcome,
        "no_terms"
    );
    // Before the attribution starts.
    assert_eq!(
        ctx.pay(t, "pay-3", "cust-1", usd("100.00"), "2025-12-31T23:59:59Z")
            .await
            .outcome,
        "unattributed"
    );
    // A suspended partner earns nothing.
    ctx.engine
        .move_partner(t, &operator(), p.id, PartnerStatus::Suspended)
        .await
        .unwrap();
    assert_eq!(
        ctx.pay(t, "pay-4", "cust-1", usd("100.00"), "2026-03-01T00:00:00Z")
            .await
            .outcome,
        "partner_inactive"
    );
    assert_eq!(
        ctx.scalar("SELECT COUNT(*) FROM commission_events").await,
        0
    );
    assert_eq!(ctx.scalar("SELECT COUNT(*) FROM payments").await, 4);
});

contract!(replays_write_once_and_answer_the_original_outcome, |ctx| {
    let t = tenant();
    let p = ctx.active_partner(t, "P-1", Some(share("0.15")), 0).await;
    ctx.attribute(t, p.id, "cust-1", "2026-01-01T00:00:00Z", None)
        .await;
    for round in 0..3 {
        let a = ctx
            .pay(t, "pay-1", "cust-1", usd("333.33"), "2026-03-01T00:00:00Z")
            .await;
        let b = ctx
            .pay(t, "pay-2", "nobody", usd("10.00"), "2026-03-01T00:00:00Z")
            .await;
        let r = ctx
            .refund(t, "ref-1", "pay-1", "33.33", "2026-03-05T00:00:00Z")
            .await;
        assert_eq!(a.outcome, "created");
        assert_eq!(b.outcome, "unattributed");
        assert_eq!(r.outcome, "created");
        assert_eq!(a.duplicate, round > 0);
        assert_eq!(b.duplicate, round > 0);
        assert_eq!(r.duplicate, round > 0);
        // 333.33 × 15% = 49.9995 → 50.00; refund 33.33/333.33 of 50.00 = 4.9995 → 5.00.
        assert_eq!(a.amount.unwrap().to_plain_string(), "50.00");
        assert_eq!(r.amount.unwrap().to_plain_string(), "-5.00");
    }
    // A replay with another body still answers the original.
    let again = ctx
        .pay(t, "pay-1", "cust-1", usd("999.00"), "2026-03-09T00:00:00Z")
        .await;
    assert!(again.duplicate);
    assert_eq!(again.amount.unwrap().to_plain_string(), "50.00");
    assert_eq!(
        ctx.scalar("SELECT COUNT(*) FROM commission_events").await,
        2
    );
    assert_eq!(ctx.scalar("SELECT COUNT(*) FROM payments").await, 2);
    assert_eq!(ctx.scalar("SELECT COUNT(*) FROM refunds").await, 1);
});

contract!(terms_precedence_custom_rate_rule_default, |ctx| {
    let t = tenant();
    let p = ctx.active_partner(t, "P-1", Some(share("0.15")), 0).await;
    ctx.attribute(t, p.id, "custom", "2026-01-01T00:00:00Z", Some("0.2"))
        .await;
    ctx.attribute(t, p.id, "plain", "2026-01-01T00:00:00Z", None)
        .await;
    // Priority 5 beats priority 1; of two priority-3 rules the older wins.
    let mut low = rule(p.id, "low", share("0.10"));
    low.priority = 1;
    ctx.rule(t, low).await;
    let mut high = rule(p.id, "high", share("0.30"));
    high.priority = 5;
    high.effective_to = Some(instant("2026-03-01T00:00:00Z"));
    ctx.rule(t, high).await;
    let mut older = rule(p.id, "older", share("0.11"));
    older.priority = 3;
    ctx.rule(t, older).await;
    ctx.clock
        .set(revshare_tests::START + time::Duration::seconds(1));
    let mut newer = rule(p.id, "newer", share("0.12"));
    newer.priority = 3;
    ctx.rule(t, newer).await;
    // A product-scoped rule at the top never matches a payment without products.
    let mut scoped = rule(p.id, "scoped", share("0.40"));
    scoped.priority = 100;
    scoped
        .product_ids
        .insert(revshare_domain::value::ProductId::parse("prod-1").unwrap());
    ctx.rule(t, scoped).await;

    // Custom rate beats every rule: 100 × 20% = 20.00.
    let r = ctx
        .pay(t, "p1", "custom", usd("100.00"), "2026-02-01T00:00:00Z")
        .await;
    assert_eq!(commission(ctx, t, &r).await, "20.00");
    // In the high rule's window: 30.00.
    let r = ctx
        .pay(t, "p2", "plain", usd("100.00"), "2026-02-28T23:59:59Z")
        .await;
    assert_eq!(commission(ctx, t, &r).await, "30.00");
    // The window is half-open: at its end the older priority-3 rule wins: 11.00.
    let r = ctx
        .pay(t, "p3", "plain", usd("100.00"), "2026-03-01T00:00:00Z")
        .await;
    assert_eq!(commission(ctx, t, &r).await, "11.00");
    // With the product, the scoped rule applies: 40.00.
    let r = ctx
        .engine
        .record_payment(
            t,
            &billing(),
            payment(
                "p4",
                "plain",
                usd("100.00"),
                "2026-03-02T00:00:00Z",
                &["prod-1"],
            ),
        )
        .await
        .unwrap();
    assert_eq!(commission(ctx, t, &r).await, "40.00");
    let ev = ctx
        .engine
        .commission(t, None, r.commission_id.unwrap())
        .await
        .unwrap();
    assert_eq!(ev.rate.unwrap().to_string(), "0.4");
    assert!(ev.rule_id.is_some());
});

contract!(flat_fee_hybrid_and_currency_mismatch, |ctx| {
    let t = tenant();
    let flat = ctx
        .active_partner(
            t,
            "P-FLAT",
            Some(CommissionModel::FlatFee { fee: usd("25.00") }),
            0,
        )
        .await;
    let hybrid = ctx
        .active_partner(
            t,
            "P-HYB",
            Some(CommissionModel::Hybrid {
                fee: usd("5.00"),
                rate: rate("0.10"),
            }),
            0,
        )
        .await;
    ctx.attribute(t, flat.id, "c-flat", "2026-01-01T00:00:00Z", None)
        .await;
    ctx.attribute(t, hybrid.id, "c-hyb", "2026-01-01T00:00:00Z", None)
        .await;
    let r = ctx
        .pay(t, "f1", "c-flat", usd("1000.00"), "2026-03-01T00:00:00Z")
        .await;
    assert_eq!(commission(ctx, t, &r).await, "25.00");
    let r = ctx
        .pay(
            t,
            "f2",
            "c-flat",
            money("1000.00", Currency::EUR),
            "2026-03-01T00:00:00Z",
        )
        .await;
    assert_eq!(r.outcome, "currency_mismatch");
    // 5.00 + 200.00 × 10% = 25.00; 5.00 + 0.05 × 10% = 5.005 → 5.01 (half away from zero).
    let r = ctx
        .pay(t, "h1", "c-hyb", usd("200.00"), "2026-03-01T00:00:00Z")
        .await;
    assert_eq!(commission(ctx, t, &r).await, "25.00");
    let r = ctx
        .pay(t, "h2", "c-hyb", usd("0.05"), "2026-03-01T00:00:00Z")
        .await;
    assert_eq!(commission(ctx, t, &r).await, "5.01");
});

contract!(tiered_uses_the_month_volume_before_the_payment, |ctx| {
    let t = tenant();
    let tiers = vec![
        TierRate {
            min_volume: dec("0"),
            rate: rate("0.05"),
        },
        TierRate {
            min_volume: dec("1000"),
            rate: rate("0.10"),
        },
        TierRate {
            min_volume: dec("5000"),
            rate: rate("0.15"),
        },
    ];
    let p = ctx
        .active_partner(t, "P-1", Some(CommissionModel::tiered(tiers).unwrap()), 0)
        .await;
    ctx.attribute(t, p.id, "c", "2026-01-01T00:00:00Z", None)
        .await;
    // Volume 0 → 5%: 600 → 30.00.
    let r = ctx
        .pay(t, "t1", "c", usd("600.00"), "2026-03-01T00:00:00Z")
        .await;
    assert_eq!(commission(ctx, t, &r).await, "30.00");
    // Volume 600 → 5%: 400 → 20.00.
    let r = ctx
        .pay(t, "t2", "c", usd("400.00"), "2026-03-10T00:00:00Z")
        .await;
    assert_eq!(commission(ctx, t, &r).await, "20.00");
    // Volume 1000 (inclusive) → 10%: 300 → 30.00.
    let r = ctx
        .pay(t, "t3", "c", usd("300.00"), "2026-03-31T23:59:59Z")
        .await;
    assert_eq!(commission(ctx, t, &r).await, "30.00");
    // April starts from zero again → 5%: 300 → 15.00.
    let r = ctx
        .pay(t, "t4", "c", usd("300.00"), "2026-04-01T00:00:00Z")
        .await;
    assert_eq!(commission(ctx, t, &r).await, "15.00");
    // EUR volume is separate → 5%.
    let r = ctx
        .pay(
            t,
            "t5",
            "c",
            money("100.00", Currency::EUR),
            "2026-03-31T00:00:00Z",
        )
        .await;
    assert_eq!(commission(ctx, t, &r).await, "5.00");
});

contract!(duration_limit_and_monthly_cap, |ctx| {
    let t = tenant();
    let p = ctx.active_partner(t, "P-1", Some(share("0.50")), 0).await;
    ctx.attribute(t, p.id, "dur", "2026-01-31T00:00:00Z", None)
        .await;
    ctx.attribute(t, p.id, "cap", "2026-01-01T00:00:00Z", None)
        .await;
    let mut limited = rule(p.id, "two months", share("0.10"));
    limited.max_duration_months = Some(2);
    limited
        .customer_ids
        .insert(revshare_domain::value::CustomerId::parse("dur").unwrap());
    ctx.rule(t, limited).await;
    let mut capped = rule(p.id, "capped", share("0.10"));
    capped.monthly_cap = Some(usd("25.00"));
    capped
        .customer_ids
        .insert(revshare_domain::value::CustomerId::parse("cap").unwrap());
    ctx.rule(t, capped).await;
    // Jan 31 + 2 months = Mar 31 (clamped): Mar 30 earns 10%, Mar 31 is elapsed and does not
    // fall through to the 50% default.
    let r = ctx
        .pay(t, "d1", "dur", usd("100.00"), "2026-03-30T23:59:59Z")
        .await;
    assert_eq!(commission(ctx, t, &r).await, "10.00");
    assert_eq!(
        ctx.pay(t, "d2", "dur", usd("100.00"), "2026-03-31T00:00:00Z")
            .await
            .outcome,
        "duration_elapsed"
    );
    // Cap 25.00 a month: 20.00, then 10.00 cut to 5.00, then nothing left.
    let r = ctx
        .pay(t, "c1", "cap", usd("200.00"), "2026-03-01T00:00:00Z")
        .await;
    assert_eq!(commission(ctx, t, &r).await, "20.00");
    let r = ctx
        .pay(t, "c2", "cap", usd("100.00"), "2026-03-02T00:00:00Z")
        .await;
    assert_eq!(commission(ctx, t, &r).await, "5.00");
    assert_eq!(
        ctx.pay(t, "c3", "cap", usd("100.00"), "2026-03-03T00:00:00Z")
            .await
            .outcome,
        "capped"
    );
    // A new month has a new cap.
    let r = ctx
        .pay(t, "c4", "cap", usd("100.00"), "2026-04-01T00:00:00Z")
        .await;
    assert_eq!(commission(ctx, t, &r).await, "10.00");
});

contract!(hold_period_then_automatic_approval, |ctx| {
    let t = tenant();
    let p = ctx.active_partner(t, "P-1", Some(share("0.10")), 30).await;
    ctx.attribute(t, p.id, "c", "2026-01-01T00:00:00Z", None)
        .await;
    // Paid Mar 10 with 30 days of hold: pending until Apr 9 (clock: Mar 15).
    let r = ctx
        .pay(t, "h1", "c", usd("100.00"), "2026-03-10T00:00:00Z")
        .await;
    assert_eq!(r.status, Some(EventStatus::Pending));
    let ev = ctx
        .engine
        .commission(t, None, r.commission_id.unwrap())
        .await
        .unwrap();
    assert_eq!(ev.hold_until, Some(instant("2026-04-09T00:00:00Z")));
    // A payment whose hold already ended is approved at once.
    let old = ctx
        .pay(t, "h0", "c", usd("100.00"), "2026-01-10T00:00:00Z")
        .await;
    assert_eq!(old.status, Some(EventStatus::Approved));
    assert_eq!(ctx.engine.approve_due().await.unwrap(), 0);
    ctx.clock.set(instant("2026-04-09T00:00:00Z"));
    assert_eq!(ctx.engine.approve_due().await.unwrap(), 1);
    let ev = ctx
        .engine
        .commission(t, None, r.commission_id.unwrap())
        .await
        .unwrap();
    assert_eq!(ev.status, EventStatus::Approved);
    assert_eq!(ev.event_type, EventType::InvoicePayment);
});

contract!(simulation_writes_nothing, |ctx| {
    let t = tenant();
    let p = ctx.active_partner(t, "P-1", Some(share("0.15")), 0).await;
    ctx.attribute(t, p.id, "c", "2026-01-01T00:00:00Z", None)
        .await;
    let e = ctx
        .engine
        .simulate_payment(
            t,
            &payment("s1", "c", usd("333.33"), "2026-03-01T00:00:00Z", &[]),
        )
        .await
        .unwrap();
    assert_eq!(e.outcome.name(), "created");
    assert_eq!(e.commission.unwrap().amount.to_plain_string(), "50.00");
    assert_eq!(ctx.scalar("SELECT COUNT(*) FROM payments").await, 0);
    assert_eq!(
        ctx.scalar("SELECT COUNT(*) FROM commission_events").await,
        0
    );
});
