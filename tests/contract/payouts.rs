use std::collections::BTreeMap;

use revshare_domain::DomainError;
use revshare_domain::commission::EventStatus;
use revshare_domain::payout::PayoutStatus;
use revshare_domain::query::{CommissionFilter, PageRequest};
use revshare_domain::usecase::{
    ManualAdjustment, PartnerUpdate, PayoutBatchOutcome, PayoutMove, PayoutRefusal, PayoutRequest,
};
use revshare_domain::value::{Currency, PartnerId};
use revshare_tests::contract;
use revshare_tests::fixtures::*;

fn req(partner: PartnerId, start: Option<&str>, end: &str) -> PayoutRequest {
    PayoutRequest {
        partner_id: partner,
        currency: Currency::USD,
        period_start: start.map(instant),
        period_end: instant(end),
        payment_method: "bank_transfer".into(),
    }
}

fn created(o: PayoutBatchOutcome) -> revshare_domain::payout::Payout {
    match o {
        PayoutBatchOutcome::Created(p) => p,
        other => panic!("expected a payout, got {other:?}"),
    }
}

fn refused(o: PayoutBatchOutcome) -> PayoutRefusal {
    match o {
        PayoutBatchOutcome::Refused { reason, .. } => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

contract!(batch_claims_inclusive_range_and_completion_pays, |ctx| {
    let t = tenant();
    let p = ctx.active_partner(t, "P-1", Some(share("0.10")), 0).await;
    ctx.attribute(t, p.id, "c", "2026-01-01T00:00:00Z", None)
        .await;
    ctx.pay(t, "a", "c", usd("100.00"), "2026-02-28T23:59:59Z")
        .await; // 10.00, before range
    ctx.pay(t, "b", "c", usd("200.00"), "2026-03-01T00:00:00Z")
        .await; // 20.00, at start
    ctx.pay(t, "c", "c", usd("300.00"), "2026-03-31T00:00:00Z")
        .await; // 30.00, at end
    ctx.pay(t, "d", "c", usd("400.00"), "2026-03-31T00:00:01Z")
        .await; // 40.00, after
    let payout = created(
        ctx.engine
            .create_payout(
                t,
                &operator(),
                req(p.id, Some("2026-03-01T00:00:00Z"), "2026-03-31T00:00:00Z"),
            )
            .await
            .unwrap(),
    );
    assert_eq!(payout.total, usd("50.00"));
    assert_eq!(payout.commission_count, 2);
    assert_eq!(payout.status, PayoutStatus::Pending);
    // Claimed events are not claimed again.
    let again = ctx
        .engine
        .create_payout(
            t,
            &operator(),
            req(p.id, Some("2026-03-01T00:00:00Z"), "2026-03-31T00:00:00Z"),
        )
        .await
        .unwrap();
    assert_eq!(refused(again), PayoutRefusal::NothingToPay);
    // Money in an unfinished payout still counts as pending (SPEC §3 metrics).
    let period = ctx
        .engine
        .metrics_period(None, Some(instant("2026-04-01T00:00:00Z")))
        .unwrap();
    let m = ctx.engine.metrics(t, p.id, period).await.unwrap();
    assert_eq!(m.currencies[0].pending_amount, usd("100.00"));
    // Completion needs a reference and pays the events.
    ctx.engine
        .move_payout(t, &operator(), payout.id, PayoutMove::Ready)
        .await
        .unwrap();
    ctx.engine
        .move_payout(t, &operator(), payout.id, PayoutMove::Processing)
        .await
        .unwrap();
    let no_ref = ctx
        .engine
        .move_payout(
            t,
            &operator(),
            payout.id,
            PayoutMove::Complete {
                payment_reference: " ".into(),
            },
        )
        .await;
    assert!(matches!(no_ref, Err(DomainError::Validation(_))));
    let done = ctx
        .engine
        .move_payout(
            t,
            &operator(),
            payout.id,
            PayoutMove::Complete {
                payment_reference: "BANK-42".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(done.status, PayoutStatus::Completed);
    let filter = CommissionFilter {
        payout_id: Some(payout.id),
        ..Default::default()
    };
    let lines = ctx
        .engine
        .list_commissions(t, &filter, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(lines.total, 2);
    assert!(
        lines
            .items
            .iter()
            .all(|e| e.status == EventStatus::Paid && e.paid_at.is_some())
    );
    let m = ctx.engine.metrics(t, p.id, period).await.unwrap();
    assert_eq!(m.currencies[0].total_payouts, usd("50.00"));
    assert_eq!(m.currencies[0].pending_amount, usd("50.00"));
    // Paid is final: no move leaves completed.
    for mv in [
        PayoutMove::Ready,
        PayoutMove::Cancel { reason: "x".into() },
        PayoutMove::Fail { reason: "x".into() },
    ] {
        assert!(matches!(
            ctx.engine.move_payout(t, &operator(), payout.id, mv).await,
            Err(DomainError::InvalidTransition { .. })
        ));
    }
    assert!(ctx.engine.reconcile(Some(t)).await.unwrap().is_clean());
});

contract!(failure_and_cancellation_release_events, |ctx| {
    let t = tenant();
    let p = ctx.active_partner(t, "P-1", Some(share("0.10")), 0).await;
    ctx.attribute(t, p.id, "c", "2026-01-01T00:00:00Z", None)
        .await;
    ctx.pay(t, "a", "c", usd("100.00"), "2026-03-01T00:00:00Z")
        .await;
    let first = created(
        ctx.engine
            .create_payout(t, &operator(), req(p.id, None, "2026-03-31T00:00:00Z"))
            .await
            .unwrap(),
    );
    // pending → completed skips steps: refused.
    let skip = ctx
        .engine
        .move_payout(
            t,
            &operator(),
            first.id,
            PayoutMove::Complete {
                payment_reference: "R".into(),
            },
        )
        .await;
    assert!(matches!(skip, Err(DomainError::InvalidTransition { .. })));
    let cancelled = ctx
        .engine
        .move_payout(
            t,
            &operator(),
            first.id,
            PayoutMove::Cancel {
                reason: "wrong bank details".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        cancelled.failure_reason.as_deref(),
        Some("wrong bank details")
    );
    let second = created(
        ctx.engine
            .create_payout(t, &operator(), req(p.id, None, "2026-03-31T00:00:00Z"))
            .await
            .unwrap(),
    );
    assert_eq!(second.total, usd("10.00"));
    ctx.engine
        .move_payout(t, &operator(), second.id, PayoutMove::Ready)
        .await
        .unwrap();
    ctx.engine
        .move_payout(t, &operator(), second.id, PayoutMove::Processing)
        .await
        .unwrap();
    ctx.engine
        .move_payout(
            t,
            &operator(),
            second.id,
            PayoutMove::Fail {
                reason: "bank rejected".into(),
            },
        )
        .await
        .unwrap();
    let third = created(
        ctx.engine
            .create_payout(t, &operator(), req(p.id, None, "2026-03-31T00:00:00Z"))
            .await
            .unwrap(),
    );
    assert_eq!(third.total, usd("10.00"));
    assert!(ctx.engine.reconcile(Some(t)).await.unwrap().is_clean());
});

contract!(refusals_change_nothing, |ctx| {
    let t = tenant();
    let p = ctx.active_partner(t, "P-1", Some(share("0.10")), 0).await;
    ctx.attribute(t, p.id, "c", "2026-01-01T00:00:00Z", None)
        .await;
    let period_end = "2026-12-31T00:00:00Z";
    assert_eq!(
        refused(
            ctx.engine
                .create_payout(t, &operator(), req(p.id, None, period_end))
                .await
                .unwrap()
        ),
        PayoutRefusal::NothingToPay
    );
    ctx.pay(t, "a", "c", usd("600.00"), "2026-03-01T00:00:00Z")
        .await; // 60.00
    let mut minimums = BTreeMap::new();
    minimums.insert(Currency::USD, usd("100.00"));
    ctx.engine
        .update_partner(
            t,
            &operator(),
            p.id,
            PartnerUpdate {
                minimum_payouts: Some(minimums),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        refused(
            ctx.engine
                .create_payout(t, &operator(), req(p.id, None, period_end))
                .await
                .unwrap()
        ),
        PayoutRefusal::BelowMinimum
    );
    ctx.engine
        .adjust(
            t,
            &operator(),
            ManualAdjustment {
                partner_id: p.id,
                amount: usd("-100.00"),
                note: "chargeback".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        refused(
            ctx.engine
                .create_payout(t, &operator(), req(p.id, None, period_end))
                .await
                .unwrap()
        ),
        PayoutRefusal::NetNotPositive
    );
    assert_eq!(ctx.scalar("SELECT COUNT(*) FROM payouts").await, 0);
    assert_eq!(
        ctx.scalar("SELECT COUNT(*) FROM commission_events WHERE payout_id IS NOT NULL")
            .await,
        0
    );
    let bad = ctx
        .engine
        .create_payout(
            t,
            &operator(),
            req(p.id, Some("2026-12-31T00:00:01Z"), period_end),
        )
        .await;
    assert!(matches!(bad, Err(DomainError::Validation(_))));
});

contract!(
    payout_run_covers_every_partner_and_reports_refusals,
    |ctx| {
        let t = tenant();
        let a = ctx.active_partner(t, "P-A", Some(share("0.10")), 0).await;
        let b = ctx.active_partner(t, "P-B", Some(share("0.10")), 0).await;
        let c = ctx.active_partner(t, "P-C", Some(share("0.10")), 30).await;
        ctx.attribute(t, a.id, "ca", "2026-01-01T00:00:00Z", None)
            .await;
        ctx.attribute(t, b.id, "cb", "2026-01-01T00:00:00Z", None)
            .await;
        ctx.attribute(t, c.id, "cc", "2026-01-01T00:00:00Z", None)
            .await;
        ctx.pay(t, "a1", "ca", usd("100.00"), "2026-03-01T00:00:00Z")
            .await;
        ctx.pay(
            t,
            "a2",
            "ca",
            money("100.00", Currency::EUR),
            "2026-03-01T00:00:00Z",
        )
        .await;
        ctx.pay(t, "b1", "cb", usd("50.00"), "2026-03-01T00:00:00Z")
            .await;
        ctx.pay(t, "c1", "cc", usd("100.00"), "2026-03-14T00:00:00Z")
            .await; // held: never claimed
        let mut minimums = BTreeMap::new();
        minimums.insert(Currency::USD, usd("20.00"));
        ctx.engine
            .update_partner(
                t,
                &operator(),
                b.id,
                PartnerUpdate {
                    minimum_payouts: Some(minimums),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        // A terminated partner is still paid what it earned.
        ctx.engine
            .move_partner(
                t,
                &operator(),
                a.id,
                revshare_domain::partner::PartnerStatus::Terminated,
            )
            .await
            .unwrap();
        let report = ctx
            .engine
            .run_payouts(
                t,
                &operator(),
                None,
                instant("2026-03-31T00:00:00Z"),
                "bank_transfer",
            )
            .await
            .unwrap();
        let mut totals: Vec<String> = report.created.iter().map(|p| p.total.to_string()).collect();
        totals.sort();
        assert_eq!(totals, vec!["10.00 EUR", "10.00 USD"]);
        assert_eq!(report.refused.len(), 1);
        assert!(matches!(
            report.refused[0],
            PayoutBatchOutcome::Refused {
                reason: PayoutRefusal::BelowMinimum,
                ..
            }
        ));
    }
);

/// Statements a payout run of `per_partner` approved commissions for each of 6 partners
/// sends, counted on an instrumented connection.
async fn statements_of_a_run(ctx: &revshare_tests::TestContext, per_partner: usize) -> u64 {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    let t = tenant();
    for n in 0..6 {
        let p = ctx
            .active_partner(t, &format!("P-{n}"), Some(share("0.10")), 0)
            .await;
        ctx.attribute(t, p.id, &format!("c-{n}"), "2026-01-01T00:00:00Z", None)
            .await;
        let payments = (0..per_partner)
            .map(|i| {
                payment(
                    &format!("pay-{n}-{i}"),
                    &format!("c-{n}"),
                    usd("100.00"),
                    "2026-03-01T00:00:00Z",
                    &[],
                )
            })
            .collect();
        ctx.engine
            .record_payments(t, &billing(), payments)
            .await
            .unwrap();
    }
    let mut db = revshare_infra::connect(&revshare_infra::DbConfig::new(ctx.url.clone()))
        .await
        .unwrap();
    let count = Arc::new(AtomicU64::new(0));
    let seen = count.clone();
    db.set_metric_callback(move |_| {
        seen.fetch_add(1, Ordering::SeqCst);
    });
    let engine = revshare_domain::Engine::new(
        Arc::new(revshare_infra::SeaLedger::new(db.clone())),
        Arc::new(ctx.clock.clone()),
        Arc::new(revshare_domain::port::UuidV7Source),
    );
    let report = engine
        .run_payouts(
            t,
            &operator(),
            None,
            instant("2026-03-31T00:00:00Z"),
            "bank_transfer",
        )
        .await
        .unwrap();
    assert_eq!(report.created.len(), 6);
    assert!(
        report
            .created
            .iter()
            .all(|p| p.commission_count as usize == per_partner)
    );
    db.close().await.ok();
    count.load(Ordering::SeqCst)
}

contract!(
    a_payout_run_sends_as_many_statements_for_many_commissions_as_for_few,
    |ctx| {
        let few = statements_of_a_run(ctx, 2).await;
        let many = statements_of_a_run(ctx, 200).await;
        assert!(few > 0, "the callback saw no statement");
        assert_eq!(
            few, many,
            "a run's statements must not grow with its commissions"
        );
    }
);
