//! Replays and races: deliveries of the same payments and refunds, in shuffled order, while
//! payout runs, approvals and payout completions run against them. After every round the
//! ledger must be conserved. On SQLite the single connection serialises everything, so the
//! same test checks the orderings it produces.

use std::sync::Arc;

use revshare_domain::DomainError;
use revshare_domain::Engine;
use revshare_domain::commission::EventStatus;
use revshare_domain::ingestion::Refund;
use revshare_domain::partner::PartnerStatus;
use revshare_domain::payout::PayoutStatus;
use revshare_domain::query::{CommissionFilter, PageRequest, PayoutFilter};
use revshare_domain::usecase::{PayoutBatchOutcome, PayoutMove};
use revshare_domain::value::{PaymentId, RefundId, TenantId};
use revshare_tests::fixtures::*;
use revshare_tests::{contract, dec};

const ROUNDS: usize = 4;
const PAYMENTS_PER_ROUND: usize = 24;

/// A deterministic shuffle (xorshift), so a failing order can be replayed.
fn shuffled<T: Clone>(items: &[T], seed: u64) -> Vec<T> {
    let mut v = items.to_vec();
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for i in (1..v.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let j = usize::try_from(x % (i as u64 + 1)).unwrap_or(0);
        v.swap(i, j);
    }
    v
}

async fn complete_open_payouts(engine: &Engine, t: TenantId) {
    let open = engine
        .list_payouts(
            t,
            &PayoutFilter {
                status: Some(PayoutStatus::Pending),
                ..Default::default()
            },
            PageRequest::default(),
        )
        .await
        .unwrap();
    for p in open.items {
        for mv in [
            PayoutMove::Ready,
            PayoutMove::Processing,
            PayoutMove::Complete {
                payment_reference: format!("REF-{}", p.id),
            },
        ] {
            match engine.move_payout(t, &operator(), p.id, mv).await {
                Ok(_) | Err(DomainError::Conflict(_) | DomainError::InvalidTransition { .. }) => {}
                Err(e) => panic!("payout move failed: {e}"),
            }
        }
    }
}

contract!(replays_and_races_keep_the_ledger_conserved, |ctx| {
    let t = tenant();
    let a = ctx.active_partner(t, "P-A", Some(share("0.10")), 0).await;
    let b = ctx.active_partner(t, "P-B", Some(share("0.07")), 20).await;
    ctx.attribute(t, a.id, "ca", "2026-01-01T00:00:00Z", None)
        .await;
    ctx.attribute(t, b.id, "cb", "2026-01-01T00:00:00Z", None)
        .await;
    let engine = Arc::new(ctx.engine.clone());
    for round in 0..ROUNDS {
        let ids: Vec<String> = (0..PAYMENTS_PER_ROUND)
            .map(|i| format!("r{round}-p{i}"))
            .collect();
        let mut tasks = Vec::new();
        // Three deliverers, each sending every payment twice in its own order.
        for d in 0..3u64 {
            let engine = engine.clone();
            let order = shuffled(&ids, (round as u64) * 31 + d);
            tasks.push(tokio::spawn(async move {
                for (k, id) in order.iter().chain(order.iter()).enumerate() {
                    let customer = if k % 3 == 0 { "cb" } else { "ca" };
                    let day = 1 + (id.len() % 20);
                    let amount = usd(&format!("{}.{:02}", 100 + id.len() * 7, id.len() % 100));
                    // A replay with another customer or amount still answers the first outcome.
                    let p = payment(
                        id,
                        customer,
                        amount,
                        &format!("2026-03-{day:02}T10:00:00Z"),
                        &[],
                    );
                    engine.record_payment(t, &billing(), p).await.unwrap();
                }
            }));
        }
        // Refunds of a third of the payments, some before their payment arrives.
        {
            let engine = engine.clone();
            let refunds: Vec<String> = ids.iter().step_by(3).cloned().collect();
            tasks.push(tokio::spawn(async move {
                for id in shuffled(&refunds, round as u64 + 7)
                    .iter()
                    .chain(refunds.iter())
                {
                    let r = Refund {
                        refund_id: RefundId::parse(&format!("ref-{id}")).unwrap(),
                        payment_id: PaymentId::parse(id).unwrap(),
                        amount: dec("10.00"),
                        currency: None,
                        refunded_at: instant("2026-03-25T00:00:00Z"),
                    };
                    match engine.record_refund(t, &billing(), r).await {
                        Ok(_) | Err(DomainError::NotFound { entity: "payment" }) => {}
                        Err(e) => panic!("refund failed: {e}"),
                    }
                }
            }));
        }
        // Payout runs, approvals of held commissions, and completions racing the deliveries.
        for k in 0..2 {
            let engine = engine.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..3 {
                    engine
                        .run_payouts(
                            t,
                            &operator(),
                            None,
                            instant("2026-03-31T23:59:59Z"),
                            "bank",
                        )
                        .await
                        .unwrap();
                    let held = CommissionFilter {
                        status: Some(EventStatus::Pending),
                        ..Default::default()
                    };
                    let pending = engine
                        .list_commissions(
                            t,
                            &held,
                            PageRequest {
                                limit: 20,
                                offset: 0,
                            },
                        )
                        .await
                        .unwrap();
                    let ids: Vec<_> = pending.items.iter().map(|e| e.id).collect();
                    if !ids.is_empty() && k == 0 {
                        match engine.approve(t, &operator(), &ids).await {
                            Ok(_)
                            | Err(
                                DomainError::Conflict(_) | DomainError::InvalidTransition { .. },
                            ) => {}
                            Err(e) => panic!("approval failed: {e}"),
                        }
                    }
                    complete_open_payouts(&engine, t).await;
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        // Exactly one commission per payment.
        let dupes = ctx
            .scalar("SELECT COUNT(*) FROM (SELECT payment_id FROM commission_events WHERE event_type = 'invoice_payment' GROUP BY tenant_id, payment_id HAVING COUNT(*) > 1) d")
            .await;
        assert_eq!(dupes, 0, "round {round}: a payment earned twice");
        let remembered = ctx.scalar("SELECT COUNT(*) FROM payments").await;
        assert_eq!(
            remembered,
            i64::try_from((round + 1) * PAYMENTS_PER_ROUND).unwrap()
        );
        // Refunds never take more than their commission, and the books balance.
        let report = ctx.engine.reconcile(Some(t)).await.unwrap();
        assert!(report.is_clean(), "round {round}: {:?}", report.breaches);
    }
    // Pay out what is left, then Σ paid = Σ completed payouts and nothing approved is unpaid.
    let _ = ctx.engine.approve_due().await.unwrap();
    let held = CommissionFilter {
        status: Some(EventStatus::Pending),
        ..Default::default()
    };
    let pending = ctx
        .engine
        .list_commissions(
            t,
            &held,
            PageRequest {
                limit: 500,
                offset: 0,
            },
        )
        .await
        .unwrap();
    let ids: Vec<_> = pending.items.iter().map(|e| e.id).collect();
    if !ids.is_empty() {
        ctx.engine.approve(t, &operator(), &ids).await.unwrap();
    }
    ctx.engine
        .run_payouts(
            t,
            &operator(),
            None,
            instant("2026-03-31T23:59:59Z"),
            "bank",
        )
        .await
        .unwrap();
    complete_open_payouts(&ctx.engine, t).await;
    let report = ctx.engine.reconcile(Some(t)).await.unwrap();
    assert!(report.is_clean(), "{:?}", report.breaches);
    let unpaid = ctx.scalar("SELECT COUNT(*) FROM commission_events WHERE status = 'approved' AND payout_id IS NULL AND amount_minor > 0").await;
    let paid = ctx.scalar("SELECT COALESCE(CAST(SUM(amount_minor) AS BIGINT), 0) FROM commission_events WHERE status = 'paid'").await;
    let completed = ctx.scalar("SELECT COALESCE(CAST(SUM(total_minor) AS BIGINT), 0) FROM payouts WHERE status = 'completed'").await;
    assert_eq!(paid, completed);
    assert!(unpaid == 0 || paid > 0);
});

contract!(
    attribution_boundaries_are_half_open_on_the_day_they_change,
    |ctx| {
        let t = tenant();
        let a = ctx.active_partner(t, "P-A", Some(share("0.10")), 0).await;
        let b = ctx.active_partner(t, "P-B", Some(share("0.20")), 0).await;
        let old = ctx
            .engine
            .attribute_customer(
                t,
                &operator(),
                revshare_domain::usecase::NewAccount {
                    partner_id: a.id,
                    customer_id: revshare_domain::value::CustomerId::parse("c").unwrap(),
                    start: instant("2026-01-01T00:00:00Z"),
                    end: None,
                    custom_rate: None,
                },
            )
            .await
            .unwrap();
        // The customer moves to B on 2026-03-10: A's attribution ends the instant B's starts.
        ctx.engine
            .end_attribution(t, &operator(), old.id, instant("2026-03-10T00:00:00Z"))
            .await
            .unwrap();
        ctx.attribute(t, b.id, "c", "2026-03-10T00:00:00Z", None)
            .await;
        let before = ctx
            .pay(t, "before", "c", usd("100.00"), "2026-03-09T23:59:59Z")
            .await;
        let at = ctx
            .pay(t, "at", "c", usd("100.00"), "2026-03-10T00:00:00Z")
            .await;
        assert_eq!(before.partner_id, Some(a.id));
        assert_eq!(before.amount.unwrap().to_plain_string(), "10.00");
        assert_eq!(at.partner_id, Some(b.id));
        assert_eq!(at.amount.unwrap().to_plain_string(), "20.00");
        // Extending A again over B's window is refused.
        let overlap = ctx
            .engine
            .attribute_customer(
                t,
                &operator(),
                revshare_domain::usecase::NewAccount {
                    partner_id: a.id,
                    customer_id: revshare_domain::value::CustomerId::parse("c").unwrap(),
                    start: instant("2026-03-09T00:00:00Z"),
                    end: Some(instant("2026-03-11T00:00:00Z")),
                    custom_rate: None,
                },
            )
            .await;
        assert!(
            matches!(overlap, Err(DomainError::Conflict(_))),
            "{overlap:?}"
        );
    }
);

contract!(
    a_partner_suspended_mid_run_is_still_paid_what_it_earned,
    |ctx| {
        let t = tenant();
        let a = ctx.active_partner(t, "P-A", Some(share("0.10")), 0).await;
        ctx.attribute(t, a.id, "c", "2026-01-01T00:00:00Z", None)
            .await;
        ctx.pay(t, "p1", "c", usd("500.00"), "2026-03-01T00:00:00Z")
            .await; // 50.00
        ctx.engine
            .move_partner(t, &operator(), a.id, PartnerStatus::Suspended)
            .await
            .unwrap();
        // While suspended it earns nothing new…
        assert_eq!(
            ctx.pay(t, "p2", "c", usd("500.00"), "2026-03-02T00:00:00Z")
                .await
                .outcome,
            "partner_inactive"
        );
        // …but what it earned is paid.
        let report = ctx
            .engine
            .run_payouts(
                t,
                &operator(),
                None,
                instant("2026-03-31T00:00:00Z"),
                "bank",
            )
            .await
            .unwrap();
        assert_eq!(report.created.len(), 1);
        assert_eq!(report.created[0].total, usd("50.00"));
        assert!(
            report
                .refused
                .iter()
                .all(|r| !matches!(r, PayoutBatchOutcome::Created(_)))
        );
    }
);
