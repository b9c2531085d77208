use revshare_domain::commission::EventStatus;
use revshare_domain::metrics::Granularity;
use revshare_domain::query::{CommissionFilter, PageRequest, PayoutFilter};
use revshare_tests::contract;
use revshare_tests::fixtures::*;

contract!(lists_filter_page_and_count, |ctx| {
    let t = tenant();
    let p = ctx.active_partner(t, "P-1", Some(share("0.10")), 0).await;
    let q = ctx.active_partner(t, "P-2", Some(share("0.10")), 0).await;
    ctx.attribute(t, p.id, "c", "2026-01-01T00:00:00Z", None)
        .await;
    ctx.attribute(t, q.id, "d", "2026-01-01T00:00:00Z", None)
        .await;
    for i in 0..25 {
        ctx.pay(
            t,
            &format!("p{i}"),
            "c",
            usd("10.00"),
            &format!("2026-03-{:02}T00:00:00Z", i + 1),
        )
        .await;
    }
    ctx.pay(t, "q1", "d", usd("10.00"), "2026-03-01T00:00:00Z")
        .await;
    let mine = CommissionFilter {
        partner_id: Some(p.id),
        ..Default::default()
    };
    let page = ctx
        .engine
        .list_commissions(t, &mine, PageRequest::new(Some(10), Some(20)).unwrap())
        .await
        .unwrap();
    assert_eq!(page.total, 25);
    assert_eq!(page.items.len(), 5);
    // Newest first: the 21st newest is March 5th.
    assert_eq!(page.items[0].event_date, instant("2026-03-05T00:00:00Z"));
    let approved = CommissionFilter {
        partner_id: Some(p.id),
        status: Some(EventStatus::Paid),
        ..Default::default()
    };
    assert_eq!(
        ctx.engine
            .list_commissions(t, &approved, PageRequest::default())
            .await
            .unwrap()
            .total,
        0
    );
    let search = CommissionFilter {
        search: Some("INV-p7".into()),
        ..Default::default()
    };
    let found = ctx
        .engine
        .list_commissions(t, &search, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(found.total, 1);
    // Another tenant sees nothing.
    assert_eq!(
        ctx.engine
            .list_commissions(tenant(), &mine, PageRequest::default())
            .await
            .unwrap()
            .total,
        0
    );
    assert!(
        ctx.engine
            .commission(t, Some(q.id), page.items[0].id)
            .await
            .is_err()
    );
    assert_eq!(
        ctx.engine
            .list_payouts(t, &PayoutFilter::default(), PageRequest::default())
            .await
            .unwrap()
            .total,
        0
    );
});

contract!(metrics_balances_and_series, |ctx| {
    let t = tenant();
    let p = ctx.active_partner(t, "P-1", Some(share("0.10")), 30).await;
    ctx.attribute(t, p.id, "c", "2026-01-01T00:00:00Z", None)
        .await;
    ctx.pay(t, "jan", "c", usd("100.00"), "2026-01-20T00:00:00Z")
        .await; // 10.00 approved (hold over)
    ctx.pay(t, "feb", "c", usd("200.00"), "2026-02-05T00:00:00Z")
        .await; // 20.00 approved
    ctx.pay(t, "mar", "c", usd("300.00"), "2026-03-10T00:00:00Z")
        .await; // 30.00 on hold
    ctx.pay(t, "rej", "c", usd("400.00"), "2026-03-11T00:00:00Z")
        .await; // 40.00 rejected below
    let rej = ctx
        .engine
        .list_commissions(
            t,
            &CommissionFilter {
                search: Some("INV-rej".into()),
                ..Default::default()
            },
            PageRequest::default(),
        )
        .await
        .unwrap();
    ctx.engine
        .reject(t, &operator(), &[rej.items[0].id], "test")
        .await
        .unwrap();
    let period = ctx
        .engine
        .metrics_period(
            Some(instant("2026-01-01T00:00:00Z")),
            Some(instant("2026-04-01T00:00:00Z")),
        )
        .unwrap();
    let m = ctx.engine.metrics(t, p.id, period).await.unwrap();
    let usd_m = &m.currencies[0];
    assert_eq!(usd_m.total_commissions, usd("30.00"));
    assert_eq!(usd_m.total_commission_count, 2);
    assert_eq!(usd_m.pending_amount, usd("30.00"));
    assert_eq!(usd_m.on_hold_amount, usd("30.00"));
    // The default period starts at midnight on the 1st of the current month (clock: Mar 15).
    let d = ctx.engine.metrics_period(None, None).unwrap();
    assert_eq!(d.start, instant("2026-03-01T00:00:00Z"));
    assert!(
        ctx.engine
            .metrics_period(
                Some(instant("2026-03-02T00:00:00Z")),
                Some(instant("2026-03-01T00:00:00Z"))
            )
            .is_err()
    );
    let series = ctx
        .engine
        .series(t, p.id, period, Granularity::Month)
        .await
        .unwrap();
    let months: Vec<(String, String)> = series
        .iter()
        .map(|s| {
            (
                s.bucket_start.date().to_string(),
                s.commissions.to_plain_string(),
            )
        })
        .collect();
    assert_eq!(
        months,
        vec![
            ("2026-01-01".into(), "10.00".into()),
            ("2026-02-01".into(), "20.00".into())
        ]
    );
    let days = ctx
        .engine
        .series(t, p.id, period, Granularity::Day)
        .await
        .unwrap();
    assert_eq!(days.len(), 2);
    assert_eq!(days[1].bucket_start, instant("2026-02-05T00:00:00Z"));
});
