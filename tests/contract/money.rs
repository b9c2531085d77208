use revshare_domain::value::{Currency, Money};
use revshare_tests::fixtures::*;
use revshare_tests::{contract, dec};

contract!(the_largest_amount_is_exact, |ctx| {
    let t = tenant();
    let p = ctx.active_partner(t, "P-1", None, 0).await;
    ctx.attribute(t, p.id, "cust-1", "2026-01-01T00:00:00Z", Some("1"))
        .await;
    let r = ctx
        .pay(
            t,
            "pay-max",
            "cust-1",
            usd("9999999999999.99"),
            "2026-03-01T00:00:00Z",
        )
        .await;
    assert_eq!(r.outcome, "created");
    let ev = ctx
        .engine
        .commission(t, None, r.commission_id.unwrap())
        .await
        .unwrap();
    assert_eq!(ev.amount.to_plain_string(), "9999999999999.99");
    assert_eq!(ev.base_amount.unwrap().minor(), 999_999_999_999_999);
    // KWD has three decimals; JPY none.
    let k = ctx
        .pay(
            t,
            "pay-kwd",
            "cust-1",
            money("999999999999.999", Currency::KWD),
            "2026-03-01T00:00:00Z",
        )
        .await;
    let kev = ctx
        .engine
        .commission(t, None, k.commission_id.unwrap())
        .await
        .unwrap();
    assert_eq!(kev.amount.to_plain_string(), "999999999999.999");
    let j = ctx
        .pay(
            t,
            "pay-jpy",
            "cust-1",
            money("123456789", Currency::JPY),
            "2026-03-01T00:00:00Z",
        )
        .await;
    assert_eq!(
        ctx.engine
            .commission(t, None, j.commission_id.unwrap())
            .await
            .unwrap()
            .amount
            .to_plain_string(),
        "123456789"
    );
});

contract!(sums_of_many_mixed_amounts_are_exact, |ctx| {
    let t = tenant();
    let p = ctx.active_partner(t, "P-1", None, 0).await;
    ctx.attribute(t, p.id, "cust-1", "2026-01-01T00:00:00Z", Some("1"))
        .await;
    // 1,000 × 1,234,567,890,123.45 plus 0.01 loses the 0.01 through f64 (SPEC §2); mixed with
    // small amounts, every cent must survive storage and SUM on both backends.
    let amounts = [
        "1234567890123.45",
        "0.01",
        "7.77",
        "9999999999999.99",
        "0.99",
    ];
    let mut expected = rust_decimal::Decimal::ZERO;
    for i in 0..1_000 {
        let a = amounts[i % amounts.len()];
        expected += dec(a);
        ctx.pay(
            t,
            &format!("pay-{i}"),
            "cust-1",
            usd(a),
            "2026-03-02T10:00:00Z",
        )
        .await;
    }
    let period = ctx
        .engine
        .metrics_period(
            Some(instant("2026-03-01T00:00:00Z")),
            Some(instant("2026-04-01T00:00:00Z")),
        )
        .unwrap();
    let m = ctx.engine.metrics(t, p.id, period).await.unwrap();
    assert_eq!(m.currencies.len(), 1);
    assert_eq!(
        m.currencies[0].total_commissions,
        Money::from_decimal(expected, Currency::USD).unwrap()
    );
    assert_eq!(m.currencies[0].total_commission_count, 1_000);
    assert_eq!(m.currencies[0].pending_amount.amount(), expected);
    let raw = ctx
        .scalar("SELECT CAST(SUM(amount_minor) AS BIGINT) FROM commission_events")
        .await;
    assert_eq!(
        raw,
        Money::from_decimal(expected, Currency::USD)
            .unwrap()
            .minor()
    );
});
