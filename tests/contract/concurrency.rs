use std::sync::Arc;

use revshare_domain::query::{CommissionFilter, PageRequest, PayoutFilter};
use revshare_domain::usecase::{PayoutBatchOutcome, PayoutRequest};
use revshare_domain::value::Currency;
use revshare_tests::contract;
use revshare_tests::fixtures::*;

contract!(
    eight_concurrent_batches_claim_every_commission_once,
    |ctx| {
        let t = tenant();
        let p = ctx.active_partner(t, "P-1", Some(share("0.10")), 0).await;
        ctx.attribute(t, p.id, "c", "2026-01-01T00:00:00Z", None)
            .await;
        for i in 0..60 {
            ctx.pay(
                t,
                &format!("p{i}"),
                "c",
                usd(&format!("{}.{:02}", 10 + i, i)),
                "2026-03-01T00:00:00Z",
            )
            .await;
        }
        let approved = ctx.scalar("SELECT CAST(SUM(amount_minor) AS BIGINT) FROM commission_events WHERE status = 'approved'").await;
        let engine = Arc::new(ctx.engine.clone());
        let mut tasks = Vec::new();
        for i in 0..8 {
            let engine = engine.clone();
            // Different cut-offs so batches overlap in part.
            let end = instant(&format!("2026-03-{:02}T00:00:00Z", 1 + i));
            tasks.push(tokio::spawn(async move {
                let req = PayoutRequest {
                    partner_id: p.id,
                    currency: Currency::USD,
                    period_start: None,
                    period_end: end,
                    payment_method: "bank".into(),
                };
                engine.create_payout(t, &operator(), req).await
            }));
        }
        let mut created = 0;
        for task in tasks {
            if let PayoutBatchOutcome::Created(_) = task.await.unwrap().unwrap() {
                created += 1;
            }
        }
        assert!(created >= 1);
        let payouts = ctx
            .engine
            .list_payouts(t, &PayoutFilter::default(), PageRequest::default())
            .await
            .unwrap();
        let total: i64 = payouts.items.iter().map(|p| p.total.minor()).sum();
        assert_eq!(total, approved, "Σ payouts = Σ approved");
        let claimed = ctx
            .scalar("SELECT COUNT(*) FROM commission_events WHERE payout_id IS NOT NULL")
            .await;
        assert_eq!(claimed, 60);
        let counted: u32 = payouts.items.iter().map(|p| p.commission_count).sum();
        assert_eq!(counted, 60);
        assert!(ctx.engine.reconcile(Some(t)).await.unwrap().is_clean());
    }
);

contract!(concurrent_replays_record_each_payment_once, |ctx| {
    let t = tenant();
    let p = ctx.active_partner(t, "P-1", Some(share("0.10")), 0).await;
    ctx.attribute(t, p.id, "c", "2026-01-01T00:00:00Z", None)
        .await;
    let engine = Arc::new(ctx.engine.clone());
    let mut tasks = Vec::new();
    for round in 0..3 {
        for i in 0..20 {
            let engine = engine.clone();
            let id = format!("pay-{}", (i * 7 + round * 3) % 20);
            tasks.push(tokio::spawn(async move {
                engine
                    .record_payment(
                        t,
                        &billing(),
                        payment(&id, "c", usd("100.00"), "2026-03-01T00:00:00Z", &[]),
                    )
                    .await
            }));
        }
    }
    let mut fresh = 0;
    for task in tasks {
        let r = task.await.unwrap().unwrap();
        assert_eq!(r.outcome, "created");
        if !r.duplicate {
            fresh += 1;
        }
    }
    assert_eq!(fresh, 20);
    assert_eq!(
        ctx.scalar("SELECT COUNT(*) FROM commission_events").await,
        20
    );
    let all = CommissionFilter {
        partner_id: Some(p.id),
        ..Default::default()
    };
    assert_eq!(
        ctx.engine
            .list_commissions(t, &all, PageRequest::default())
            .await
            .unwrap()
            .total,
        20
    );
});
