use revshare_domain::DomainError;
use revshare_domain::commission::{EventStatus, EventType};
use revshare_domain::ingestion::Refund;
use revshare_domain::terms::CommissionModel;
use revshare_domain::usecase::{PayoutBatchOutcome, PayoutMove, PayoutRequest};
use revshare_domain::value::{Currency, PaymentId, RefundId};
use revshare_tests::fixtures::*;
use revshare_tests::{contract, dec};

fn refund_cmd(id: &str, payment: &str, amount: &str) -> Refund {
    Refund {
        refund_id: RefundId::parse(id).unwrap(),
        payment_id: PaymentId::parse(payment).unwrap(),
        amount: dec(amount),
        currency: None,
        refunded_at: instant("2026-03-12T00:00:00Z"),
    }
}

contract!(partial_refunds_net_to_exactly_zero, |ctx| {
    let t = tenant();
    let p = ctx
        .active_partner(
            t,
            "P-1",
            Some(CommissionModel::FlatFee { fee: usd("10.00") }),
            0,
        )
        .await;
    ctx.attribute(t, p.id, "c", "2026-01-01T00:00:00Z", None)
        .await;
    ctx.pay(t, "pay-1", "c", usd("300.00"), "2026-03-01T00:00:00Z")
        .await;
    // 10.00 × 100/300 = 3.333 → 3.33, twice; the completing refund takes what is left: 3.34.
    let a = ctx
        .refund(t, "r1", "pay-1", "100.00", "2026-03-02T00:00:00Z")
        .await;
    let b = ctx
        .refund(t, "r2", "pay-1", "100.00", "2026-03-03T00:00:00Z")
        .await;
    let c = ctx
        .refund(t, "r3", "pay-1", "100.00", "2026-03-04T00:00:00Z")
        .await;
    assert_eq!(a.amount.unwrap().to_plain_string(), "-3.33");
    assert_eq!(b.amount.unwrap().to_plain_string(), "-3.33");
    assert_eq!(c.amount.unwrap().to_plain_string(), "-3.34");
    assert_eq!(a.event_type, Some(EventType::RefundAdjustment));
    assert_eq!(
        ctx.scalar("SELECT CAST(SUM(amount_minor) AS BIGINT) FROM commission_events")
            .await,
        0
    );
    // Nothing is left to refund.
    let over = ctx
        .engine
        .record_refund(t, &billing(), refund_cmd("r4", "pay-1", "0.01"))
        .await;
    assert!(matches!(over, Err(DomainError::Validation(_))), "{over:?}");
});

contract!(
    refunds_larger_than_the_payment_or_of_unknown_payments_are_refused_and_forgotten,
    |ctx| {
        let t = tenant();
        let p = ctx.active_partner(t, "P-1", Some(share("0.10")), 0).await;
        ctx.attribute(t, p.id, "c", "2026-01-01T00:00:00Z", None)
            .await;
        // The refund arrives before its payment: refused, not remembered.
        let early = ctx
            .engine
            .record_refund(t, &billing(), refund_cmd("r1", "pay-1", "50.00"))
            .await;
        assert!(
            matches!(early, Err(DomainError::NotFound { entity: "payment" })),
            "{early:?}"
        );
        ctx.pay(t, "pay-1", "c", usd("100.00"), "2026-03-01T00:00:00Z")
            .await;
        let too_big = ctx
            .engine
            .record_refund(t, &billing(), refund_cmd("r1", "pay-1", "100.01"))
            .await;
        assert!(
            matches!(too_big, Err(DomainError::Validation(_))),
            "{too_big:?}"
        );
        let too_precise = ctx
            .engine
            .record_refund(t, &billing(), refund_cmd("r1", "pay-1", "1.001"))
            .await;
        assert!(
            matches!(too_precise, Err(DomainError::Validation(_))),
            "{too_precise:?}"
        );
        let mut wrong_currency = refund_cmd("r1", "pay-1", "1.00");
        wrong_currency.currency = Some(Currency::EUR);
        assert!(
            ctx.engine
                .record_refund(t, &billing(), wrong_currency)
                .await
                .is_err()
        );
        assert_eq!(ctx.scalar("SELECT COUNT(*) FROM refunds").await, 0);
        // The corrected retry is evaluated afresh: 10.00 × 50/100 = 5.00.
        let ok = ctx
            .refund(t, "r1", "pay-1", "50.00", "2026-03-02T00:00:00Z")
            .await;
        assert_eq!(ok.amount.unwrap().to_plain_string(), "-5.00");
        assert!(!ok.duplicate);
    }
);

contract!(
    refund_of_a_payment_without_commission_is_remembered,
    |ctx| {
        let t = tenant();
        assert_eq!(
            ctx.pay(t, "pay-1", "nobody", usd("100.00"), "2026-03-01T00:00:00Z")
                .await
                .outcome,
            "unattributed"
        );
        let r = ctx
            .refund(t, "r1", "pay-1", "100.00", "2026-03-02T00:00:00Z")
            .await;
        assert_eq!(r.outcome, "no_commission");
        assert!(
            ctx.refund(t, "r1", "pay-1", "100.00", "2026-03-02T00:00:00Z")
                .await
                .duplicate
        );
        assert_eq!(
            ctx.scalar("SELECT COUNT(*) FROM commission_events").await,
            0
        );
    }
);

contract!(
    refund_after_payout_is_a_clawback_netted_in_the_next_payout,
    |ctx| {
        let t = tenant();
        let p = ctx.active_partner(t, "P-1", Some(share("0.10")), 0).await;
        ctx.attribute(t, p.id, "c", "2026-01-01T00:00:00Z", None)
            .await;
        ctx.pay(t, "pay-1", "c", usd("1000.00"), "2026-03-01T00:00:00Z")
            .await; // 100.00
        let req = |end: &str| PayoutRequest {
            partner_id: p.id,
            currency: Currency::USD,
            period_start: None,
            period_end: instant(end),
            payment_method: "bank_transfer".into(),
        };
        let PayoutBatchOutcome::Created(first) = ctx
            .engine
            .create_payout(t, &operator(), req("2026-03-31T23:59:59Z"))
            .await
            .unwrap()
        else {
            panic!("first payout refused")
        };
        assert_eq!(first.total, usd("100.00"));
        for mv in [
            PayoutMove::Ready,
            PayoutMove::Processing,
            PayoutMove::Complete {
                payment_reference: "BANK-1".into(),
            },
        ] {
            ctx.engine
                .move_payout(t, &operator(), first.id, mv)
                .await
                .unwrap();
        }
        // Refund 25% after payment: a clawback of 25.00.
        let r = ctx
            .refund(t, "r1", "pay-1", "250.00", "2026-04-02T00:00:00Z")
            .await;
        assert_eq!(r.event_type, Some(EventType::Clawback));
        assert_eq!(r.amount.unwrap().to_plain_string(), "-25.00");
        assert_eq!(r.status, Some(EventStatus::Approved));
        // Next payout: 60.00 earned in April minus the 25.00 clawback = 35.00.
        ctx.pay(t, "pay-2", "c", usd("600.00"), "2026-04-03T00:00:00Z")
            .await;
        let PayoutBatchOutcome::Created(second) = ctx
            .engine
            .create_payout(t, &operator(), req("2026-04-30T23:59:59Z"))
            .await
            .unwrap()
        else {
            panic!("second payout refused")
        };
        assert_eq!(second.total, usd("35.00"));
        assert_eq!(second.commission_count, 2);
        assert!(ctx.engine.reconcile(Some(t)).await.unwrap().is_clean());
    }
);

contract!(refund_of_a_held_commission_is_held_too, |ctx| {
    let t = tenant();
    let p = ctx.active_partner(t, "P-1", Some(share("0.10")), 30).await;
    ctx.attribute(t, p.id, "c", "2026-01-01T00:00:00Z", None)
        .await;
    let pay = ctx
        .pay(t, "pay-1", "c", usd("100.00"), "2026-03-10T00:00:00Z")
        .await;
    let r = ctx
        .refund(t, "r1", "pay-1", "100.00", "2026-03-11T00:00:00Z")
        .await;
    assert_eq!(r.status, Some(EventStatus::Pending));
    let orig = ctx
        .engine
        .commission(t, None, pay.commission_id.unwrap())
        .await
        .unwrap();
    let adj = ctx
        .engine
        .commission(t, None, r.commission_id.unwrap())
        .await
        .unwrap();
    assert_eq!(adj.hold_until, orig.hold_until);
    assert_eq!(adj.original_event_id, Some(orig.id));
    assert_eq!(adj.amount, usd("-10.00"));
});
