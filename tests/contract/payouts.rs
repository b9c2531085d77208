use std::collections::BTreeMap;

use revshare_domain::DomainError;
use revshare_domain::commission::EventStatus;
use revshare_domain::partner::PartnerTier;
use revshare_domain::payout::PayoutStatus;
use revshare_domain::query::{CommissionFilter, PageRequest};
use revshare_domain::usecase::{
    MAX_PAYOUTS_PER_TX, ManualAdjustment, NewPartner, PayoutBatchOutcome, PayoutMove,
    PayoutRefusal, PayoutRequest,
};
use revshare_domain::value::{Currency, PartnerId};
use revshare_tests::contract;
use revshare_tests::fixtures::*;

pub(crate) fn req(partner: PartnerId, start: Option<&str>, end: &str) -> PayoutRequest {
    PayoutRequest {
        partner_id: partner,
        currency: Currency::USD,
        period_start: start.map(instant),
        period_end: instant(end),
        payment_method: "bank_transfer".into(),
    }
}

pub(crate) fn created(o: PayoutBatchOutcome) -> revshare_domain::payout::Payout {
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
    ctx.set_minimum_payout(t, p.id, usd("100.00")).await;
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
        ctx.set_minimum_payout(t, b.id, usd("20.00")).await;
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

/// Statements a payout run of `per_partner` approved commissions for each of `partners`
/// partners sends, counted on an instrumented connection.
async fn statements_of_a_run(
    ctx: &revshare_tests::TestContext,
    partners: usize,
    per_partner: usize,
) -> u64 {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    let t = tenant();
    for n in 0..partners {
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
    assert_eq!(report.created.len(), partners);
    assert!(
        report
            .created
            .iter()
            .all(|p| p.commission_count as usize == per_partner)
    );
    db.close().await.ok();
    let n = count.load(Ordering::SeqCst);
    eprintln!(
        "{:?}: a run of {partners} partners × {per_partner} commissions sent {n} statements",
        ctx.backend
    );
    n
}

contract!(
    a_payout_run_sends_as_many_statements_for_many_commissions_as_for_few,
    |ctx| {
        let few = statements_of_a_run(ctx, 6, 2).await;
        let many = statements_of_a_run(ctx, 6, 200).await;
        assert!(few > 0, "the callback saw no statement");
        assert_eq!(
            few, many,
            "a run's statements must not grow with its commissions"
        );
    }
);

contract!(
    a_payout_run_sends_as_many_statements_for_many_partners_as_for_few,
    |ctx| {
        // Both runs fit in one chunk (`MAX_PAYOUTS_PER_TX`): one transaction each.
        let few = statements_of_a_run(ctx, 3, 2).await;
        let many = statements_of_a_run(ctx, 30, 2).await;
        assert!(few > 0, "the callback saw no statement");
        assert_eq!(
            few, many,
            "a run's statements must not grow with its partners within a chunk"
        );
        // The payable pairs, then one chunk: the partners locked (SQLite: the write lock
        // taken by an UPDATE, then the read), the payouts, the claim, its sums, the totals,
        // the audit entries.
        let lock = match ctx.backend {
            revshare_tests::Backend::Postgres => 1,
            revshare_tests::Backend::Sqlite => 2,
        };
        assert_eq!(few, 1 + lock + 5);
    }
);

/// What became of one (partner number, currency) pair, without the ids that differ between
/// tenants: made (total, count, status, method, period, creator) or refused (why, net).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fate {
    Made {
        total: String,
        count: u32,
        status: PayoutStatus,
        method: String,
        period: (Option<time::OffsetDateTime>, time::OffsetDateTime),
        by: String,
    },
    Refused {
        reason: PayoutRefusal,
        net: String,
    },
}

type Fates = BTreeMap<(String, Currency), Fate>;

fn made(p: &revshare_domain::payout::Payout) -> Fate {
    Fate::Made {
        total: p.total.to_string(),
        count: p.commission_count,
        status: p.status,
        method: p.payment_method.clone(),
        period: (p.period_start, p.period_end),
        by: p.created_by.clone(),
    }
}

/// Builds a tenant whose payout run up to [`MIXED_END`] meets every outcome; answers the
/// partner number of each partner.
async fn mixed_ledger(
    ctx: &revshare_tests::TestContext,
    t: revshare_domain::value::TenantId,
) -> BTreeMap<PartnerId, String> {
    let mut numbers = BTreeMap::new();
    let mut partner = async |number: &str, hold_days: u32, minimum_usd: Option<&str>| {
        let p = ctx
            .active_partner(t, number, Some(share("0.10")), hold_days)
            .await;
        ctx.attribute(
            t,
            p.id,
            &format!("c-{number}"),
            "2026-01-01T00:00:00Z",
            None,
        )
        .await;
        if let Some(m) = minimum_usd {
            ctx.set_minimum_payout(t, p.id, usd(m)).await;
        }
        numbers.insert(p.id, number.to_owned());
        p.id
    };
    let eur = |s: &str| money(s, Currency::EUR);
    // P-1: 10.00 USD and 20.00 EUR, both paid.
    partner("P-1", 0, None).await;
    ctx.pay(t, "1u", "c-P-1", usd("100.00"), "2026-03-01T00:00:00Z")
        .await;
    ctx.pay(t, "1e", "c-P-1", eur("200.00"), "2026-03-02T00:00:00Z")
        .await;
    // P-2: 5.00 USD, below its USD minimum of 20.00; 30.00 EUR paid (no minimum there).
    partner("P-2", 0, Some("20.00")).await;
    ctx.pay(t, "2u", "c-P-2", usd("50.00"), "2026-03-01T00:00:00Z")
        .await;
    ctx.pay(t, "2e", "c-P-2", eur("300.00"), "2026-03-03T00:00:00Z")
        .await;
    // P-3: 10.00 then a manual -15.00 (dated now, 2026-03-15): net -5.00.
    let p3 = partner("P-3", 0, None).await;
    ctx.pay(t, "3u", "c-P-3", usd("100.00"), "2026-03-01T00:00:00Z")
        .await;
    ctx.engine
        .adjust(
            t,
            &operator(),
            ManualAdjustment {
                partner_id: p3,
                amount: usd("-15.00"),
                note: "chargeback".into(),
            },
        )
        .await
        .unwrap();
    // P-4: 10.00 refunded in full before any payout: net exactly 0.00.
    partner("P-4", 0, None).await;
    ctx.pay(t, "4u", "c-P-4", usd("100.00"), "2026-03-01T00:00:00Z")
        .await;
    ctx.refund(t, "4r", "4u", "100.00", "2026-03-05T00:00:00Z")
        .await;
    // P-5: held for 30 days: nothing payable, not in the run.
    partner("P-5", 30, None).await;
    ctx.pay(t, "5u", "c-P-5", usd("100.00"), "2026-03-10T00:00:00Z")
        .await;
    // P-6: 10.00 in range, 40.00 after the period end: only the first is paid.
    partner("P-6", 0, None).await;
    ctx.pay(t, "6u", "c-P-6", usd("100.00"), "2026-03-31T00:00:00Z")
        .await;
    ctx.pay(t, "6l", "c-P-6", usd("400.00"), "2026-04-01T00:00:00Z")
        .await;
    // P-7: exactly its minimum of 10.00 USD: paid.
    partner("P-7", 0, Some("10.00")).await;
    ctx.pay(t, "7u", "c-P-7", usd("100.00"), "2026-03-01T00:00:00Z")
        .await;
    // P-8: 10.00 paid out and completed in February, then refunded in full (a clawback of
    // -10.00), then 5.00 earned: net -5.00.
    let p8 = partner("P-8", 0, None).await;
    ctx.pay(t, "8u", "c-P-8", usd("100.00"), "2026-02-01T00:00:00Z")
        .await;
    let february = created(
        ctx.engine
            .create_payout(t, &operator(), req(p8, None, "2026-02-28T00:00:00Z"))
            .await
            .unwrap(),
    );
    for mv in [
        PayoutMove::Ready,
        PayoutMove::Processing,
        PayoutMove::Complete {
            payment_reference: "FEB-8".into(),
        },
    ] {
        ctx.engine
            .move_payout(t, &operator(), february.id, mv)
            .await
            .unwrap();
    }
    ctx.refund(t, "8r", "8u", "100.00", "2026-03-02T00:00:00Z")
        .await;
    ctx.pay(t, "8v", "c-P-8", usd("50.00"), "2026-03-04T00:00:00Z")
        .await;
    numbers
}

const MIXED_END: &str = "2026-03-31T00:00:00Z";

/// The run's outcomes by partner number and currency.
fn fates_of_run(
    report: &revshare_domain::usecase::PayoutRunReport,
    numbers: &BTreeMap<PartnerId, String>,
) -> Fates {
    let mut fates = Fates::new();
    for p in &report.created {
        let key = (numbers[&p.partner_id].clone(), p.total.currency());
        assert!(
            fates.insert(key, made(p)).is_none(),
            "two payouts of a pair"
        );
    }
    for o in &report.refused {
        let PayoutBatchOutcome::Refused {
            partner_id,
            currency,
            reason,
            net,
        } = o
        else {
            panic!("a payout among the refusals: {o:?}");
        };
        let fate = Fate::Refused {
            reason: *reason,
            net: net.to_string(),
        };
        let key = (numbers[partner_id].clone(), *currency);
        assert!(fates.insert(key, fate).is_none(), "a pair refused twice");
    }
    fates
}

/// What is stored for a tenant after its payouts: the payouts made after `since` by pair,
/// Σ and count of the events they hold, and the `payout.create` audit entries (their payout
/// snapshots, as JSON, by payout id).
async fn stored(
    ctx: &revshare_tests::TestContext,
    t: revshare_domain::value::TenantId,
    numbers: &BTreeMap<PartnerId, String>,
    since: time::OffsetDateTime,
) -> (Fates, (i64, i64), BTreeMap<String, serde_json::Value>) {
    use revshare_domain::port::Directory;
    use revshare_domain::query::PayoutFilter;

    let page = PageRequest {
        limit: 500,
        offset: 0,
    };
    let payouts = ctx
        .engine
        .ledger()
        .list_payouts(t, &PayoutFilter::default(), page)
        .await
        .unwrap();
    let mut fates = Fates::new();
    for p in payouts.items.iter().filter(|p| p.created_at >= since) {
        fates.insert(
            (numbers[&p.partner_id].clone(), p.total.currency()),
            made(p),
        );
    }
    let tenant = ctx.uuid_literal(t.uuid());
    let held = (
        ctx.scalar(&format!(
            "SELECT CAST(COALESCE(SUM(e.amount_minor), 0) AS BIGINT) FROM commission_events e \
             JOIN payouts p ON p.id = e.payout_id \
             WHERE e.tenant_id = {tenant} AND p.status = 'pending'"
        ))
        .await,
        ctx.scalar(&format!(
            "SELECT COUNT(*) FROM commission_events e JOIN payouts p ON p.id = e.payout_id \
             WHERE e.tenant_id = {tenant} AND p.status = 'pending'"
        ))
        .await,
    );
    let audits = ctx.directory.audit_log(t, page).await.unwrap();
    let snapshots = audits
        .items
        .iter()
        .filter(|e| e.action == "payout.create" && e.at >= since)
        .map(|e| {
            assert_eq!(e.actor, operator().subject());
            assert_eq!(e.target_type, "payout");
            assert!(e.before.is_none());
            let after = serde_json::from_str(e.after.as_deref().expect("a snapshot")).unwrap();
            (e.target_id.clone(), after)
        })
        .collect();
    (fates, held, snapshots)
}

contract!(
    a_payout_run_decides_and_stores_exactly_what_batches_pair_by_pair_would,
    |ctx| {
        let (run_t, batch_t) = (tenant(), tenant());
        let run_numbers = mixed_ledger(ctx, run_t).await;
        let batch_numbers = mixed_ledger(ctx, batch_t).await;
        // Everything above happened at START; the payouts below a minute later.
        let since = revshare_tests::START + time::Duration::minutes(1);
        ctx.clock.set(since);
        let end = instant(MIXED_END);
        let report = ctx
            .engine
            .run_payouts(run_t, &operator(), None, end, "bank_transfer")
            .await
            .unwrap();
        let run = fates_of_run(&report, &run_numbers);
        // By hand (commissions are 10% of each payment).
        let usd_ = Currency::USD;
        let expected: Fates = [
            (("P-1", usd_), Some(("10.00 USD", 1)), None),
            (("P-1", Currency::EUR), Some(("20.00 EUR", 1)), None),
            (
                ("P-2", usd_),
                None,
                Some((PayoutRefusal::BelowMinimum, "5.00 USD")),
            ),
            (("P-2", Currency::EUR), Some(("30.00 EUR", 1)), None),
            (
                ("P-3", usd_),
                None,
                Some((PayoutRefusal::NetNotPositive, "-5.00 USD")),
            ),
            (
                ("P-4", usd_),
                None,
                Some((PayoutRefusal::NetNotPositive, "0.00 USD")),
            ),
            (("P-6", usd_), Some(("10.00 USD", 1)), None),
            (("P-7", usd_), Some(("10.00 USD", 1)), None),
            (
                ("P-8", usd_),
                None,
                Some((PayoutRefusal::NetNotPositive, "-5.00 USD")),
            ),
        ]
        .into_iter()
        .map(|((n, c), made, refused)| {
            let fate = match (made, refused) {
                (Some((total, count)), _) => Fate::Made {
                    total: total.to_owned(),
                    count,
                    status: PayoutStatus::Pending,
                    method: "bank_transfer".into(),
                    period: (None, end),
                    by: operator().subject().to_owned(),
                },
                (None, Some((reason, net))) => Fate::Refused {
                    reason,
                    net: net.to_owned(),
                },
                (None, None) => unreachable!(),
            };
            ((n.to_owned(), c), fate)
        })
        .collect();
        assert_eq!(run, expected);
        // The same pairs, batch by batch, in the run's order (partner id, then currency) on
        // the twin tenant.
        let by_number: BTreeMap<&String, PartnerId> =
            batch_numbers.iter().map(|(id, n)| (n, *id)).collect();
        let mut pairs: Vec<(PartnerId, Currency)> =
            run.keys().map(|(n, c)| (by_number[n], *c)).collect();
        pairs.sort();
        let mut batches = Fates::new();
        let mut batch_made = Vec::new();
        for (partner, currency) in pairs {
            let outcome = ctx
                .engine
                .create_payout(
                    batch_t,
                    &operator(),
                    PayoutRequest {
                        partner_id: partner,
                        currency,
                        period_start: None,
                        period_end: end,
                        payment_method: "bank_transfer".into(),
                    },
                )
                .await
                .unwrap();
            let fate = match &outcome {
                PayoutBatchOutcome::Created(p) => {
                    batch_made.push(p.clone());
                    made(p)
                }
                PayoutBatchOutcome::Refused { reason, net, .. } => Fate::Refused {
                    reason: *reason,
                    net: net.to_string(),
                },
            };
            batches.insert((batch_numbers[&partner].clone(), currency), fate);
        }
        assert_eq!(run, batches, "the run decided otherwise than the batches");
        // The stored ledgers: the same payouts, holding the same events, audited with the
        // snapshot of the payout reported.
        let made_only = |f: &Fates| -> Fates {
            f.iter()
                .filter(|(_, f)| matches!(f, Fate::Made { .. }))
                .map(|(k, f)| (k.clone(), f.clone()))
                .collect()
        };
        let (run_stored, run_held, run_audits) = stored(ctx, run_t, &run_numbers, since).await;
        let (batch_stored, batch_held, batch_audits) =
            stored(ctx, batch_t, &batch_numbers, since).await;
        assert_eq!(run_stored, made_only(&run));
        assert_eq!(batch_stored, run_stored);
        // 10 + 20 + 30 + 10 + 10 (mixed currencies, minor units), 5 events.
        assert_eq!(run_held, (8_000, 5));
        assert_eq!(batch_held, run_held);
        for (audits, payouts) in [(&run_audits, &report.created), (&batch_audits, &batch_made)] {
            let expected: BTreeMap<String, serde_json::Value> = payouts
                .iter()
                .map(|p| {
                    let snapshot = revshare_domain::audit::Snapshot::Payout(Box::new(p.clone()));
                    (p.id.to_string(), serde_json::to_value(snapshot).unwrap())
                })
                .collect();
            assert_eq!(audits, &expected);
        }
        assert!(ctx.engine.reconcile(Some(run_t)).await.unwrap().is_clean());
        assert!(
            ctx.engine
                .reconcile(Some(batch_t))
                .await
                .unwrap()
                .is_clean()
        );
        // The refused pairs kept their events: a second run refuses them again, alone.
        let again = ctx
            .engine
            .run_payouts(run_t, &operator(), None, end, "bank_transfer")
            .await
            .unwrap();
        let refused_only: Fates = run
            .into_iter()
            .filter(|(_, f)| matches!(f, Fate::Refused { .. }))
            .collect();
        assert_eq!(fates_of_run(&again, &run_numbers), refused_only);
    }
);

contract!(
    a_payout_run_larger_than_one_chunk_pays_every_partner_once_even_twice_at_once,
    |ctx| {
        let t = tenant();
        let partners = MAX_PAYOUTS_PER_TX + 1;
        // A partner (pending is enough) and one approved manual commission each: two
        // transactions per partner.
        for n in 0..partners {
            let p = ctx
                .engine
                .create_partner(
                    t,
                    &operator(),
                    NewPartner {
                        partner_number: format!("P-{n}"),
                        name: format!("Partner {n}"),
                        tier: PartnerTier::Gold,
                        default_terms: None,
                        hold_days: 0,
                        minimum_payouts: BTreeMap::new(),
                        contact_email: None,
                        tax_id: None,
                    },
                )
                .await
                .unwrap();
            ctx.engine
                .adjust(
                    t,
                    &operator(),
                    ManualAdjustment {
                        partner_id: p.id,
                        amount: usd("1.00"),
                        note: "bonus".into(),
                    },
                )
                .await
                .unwrap();
        }
        // Two runs at once: every partner is paid once, by one of them; the other finds its
        // events claimed (PostgreSQL: after waiting for the partners' row locks).
        let (end, op) = (instant(MIXED_END), operator());
        let run = || ctx.engine.run_payouts(t, &op, None, end, "bank_transfer");
        let (a, b) = tokio::join!(run(), run());
        let (a, b) = (a.unwrap(), b.unwrap());
        let mut paid: Vec<PartnerId> = a
            .created
            .iter()
            .chain(&b.created)
            .map(|p| {
                assert_eq!((p.total, p.commission_count), (usd("1.00"), 1));
                p.partner_id
            })
            .collect();
        paid.sort();
        paid.dedup();
        assert_eq!(paid.len(), partners, "a partner paid twice or not at all");
        assert_eq!(a.created.len() + b.created.len(), partners);
        assert!(
            a.refused.iter().chain(&b.refused).all(|o| matches!(
                o,
                PayoutBatchOutcome::Refused {
                    reason: PayoutRefusal::NothingToPay,
                    ..
                }
            )),
            "only claimed events are refused"
        );
        assert_eq!(
            ctx.scalar("SELECT COUNT(*) FROM payouts").await,
            partners as i64
        );
        assert_eq!(
            ctx.scalar("SELECT COUNT(*) FROM commission_events WHERE payout_id IS NULL")
                .await,
            0
        );
        assert!(ctx.engine.reconcile(Some(t)).await.unwrap().is_clean());
    }
);
