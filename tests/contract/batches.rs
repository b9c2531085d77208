//! Batch ingestion: one transaction and a fixed number of statements per batch, yet exactly
//! the answers and the ledger the same payments recorded one by one give.

use std::collections::BTreeMap;
use std::sync::Arc;

use revshare_domain::commission::EventStatus;
use revshare_domain::ingestion::{IngestionResult, InvoicePayment};
use revshare_domain::partner::PartnerStatus;
use revshare_domain::query::{CommissionFilter, PageRequest};
use revshare_domain::terms::{CommissionModel, TierRate};
use revshare_domain::value::{Currency, PartnerId, TenantId};
use revshare_tests::fixtures::*;
use revshare_tests::{TestContext, contract, dec};

/// The same program in any tenant: tiered, capped, duration-limited, held, custom-rate and
/// suspended partners, and an attribution that starts in the middle of the payments.
async fn program(ctx: &TestContext, t: TenantId) -> BTreeMap<PartnerId, String> {
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
            min_volume: dec("3000"),
            rate: rate("0.15"),
        },
    ];
    let tiered = ctx
        .active_partner(t, "TIER", Some(CommissionModel::tiered(tiers).unwrap()), 0)
        .await;
    let capped = ctx.active_partner(t, "CAP", Some(share("0.50")), 0).await;
    let held = ctx
        .active_partner(t, "HOLD", Some(share("0.20")), 365)
        .await;
    let custom = ctx
        .active_partner(t, "CUSTOM", Some(share("0.30")), 0)
        .await;
    let gone = ctx.active_partner(t, "GONE", Some(share("0.30")), 0).await;
    for (partner, customers) in [
        (tiered.id, ["t-1", "t-2"]),
        (capped.id, ["c-1", "c-2"]),
        (held.id, ["h-1", "h-2"]),
        (gone.id, ["g-1", "g-2"]),
    ] {
        for c in customers {
            ctx.attribute(t, partner, c, "2026-01-01T00:00:00Z", None)
                .await;
        }
    }
    ctx.attribute(t, custom.id, "x-1", "2026-01-01T00:00:00Z", Some("0.07"))
        .await;
    // Payments before 2026-02-15 by this customer are nobody's.
    ctx.attribute(t, custom.id, "late", "2026-02-15T00:00:00Z", None)
        .await;
    let mut cap = rule(capped.id, "capped", share("0.10"));
    cap.monthly_cap = Some(usd("40.00"));
    ctx.rule(t, cap).await;
    let mut short = rule(held.id, "one month", share("0.25"));
    short.max_duration_months = Some(1);
    short.priority = 5;
    ctx.rule(t, short).await;
    ctx.engine
        .move_partner(t, &operator(), gone.id, PartnerStatus::Suspended)
        .await
        .unwrap();
    [tiered, capped, held, custom, gone]
        .into_iter()
        .map(|p| (p.id, p.partner_number))
        .collect()
}

const CUSTOMERS: [&str; 12] = [
    "t-1", "t-2", "c-1", "c-2", "h-1", "h-2", "g-1", "x-1", "late", "nobody", "t-1", "c-1",
];

/// 240 payments over January to March in USD and EUR, with repeats of earlier payment ids.
fn payments() -> Vec<InvoicePayment> {
    (0..240u32)
        .map(|i| {
            // Every 17th payment repeats the id of the one 5 before it (a redelivery).
            let id = if i % 17 == 16 { i - 5 } else { i };
            let customer = CUSTOMERS[(i as usize * 7) % CUSTOMERS.len()];
            let month = 1 + (i % 3);
            let day = 1 + (i * 11) % 28;
            let cents = 1_000 + (i * 7_919) % 90_000;
            let amount = if i % 5 == 0 {
                money(
                    &format!("{}.{:02}", cents / 100, cents % 100),
                    Currency::EUR,
                )
            } else {
                usd(&format!("{}.{:02}", cents / 100, cents % 100))
            };
            payment(
                &format!("pay-{id}"),
                customer,
                amount,
                &format!("2026-{month:02}-{day:02}T{:02}:00:00Z", i % 24),
                &[],
            )
        })
        .collect()
}

/// What an answer says, with the partner named by number (ids differ between tenants).
fn seen(r: &IngestionResult, numbers: &BTreeMap<PartnerId, String>) -> String {
    format!(
        "{} {} dup={} partner={:?} amount={:?} status={:?} commission={}",
        r.id,
        r.outcome,
        r.duplicate,
        r.partner_id.and_then(|p| numbers.get(&p)),
        r.amount.map(|a| a.to_plain_string()),
        r.status,
        r.commission_id.is_some()
    )
}

contract!(a_batch_answers_what_recording_one_by_one_answers, |ctx| {
    let (one, many) = (tenant(), tenant());
    let numbers_one = program(ctx, one).await;
    let numbers_many = program(ctx, many).await;
    let all = payments();
    // Both tenants already know the first ten payments: the batches replay them.
    for p in &all[..10] {
        ctx.engine
            .record_payment(one, &billing(), p.clone())
            .await
            .unwrap();
        ctx.engine
            .record_payment(many, &billing(), p.clone())
            .await
            .unwrap();
    }

    let mut singly = Vec::new();
    for p in &all {
        let r = ctx
            .engine
            .record_payment(one, &billing(), p.clone())
            .await
            .unwrap();
        singly.push(seen(&r, &numbers_one));
    }
    let mut batched = Vec::new();
    for chunk in all.chunks(100) {
        for r in ctx
            .engine
            .record_payments(many, &billing(), chunk.to_vec())
            .await
            .unwrap()
        {
            batched.push(seen(&r.unwrap(), &numbers_many));
        }
    }
    assert_eq!(singly.len(), batched.len());
    for (s, b) in singly.iter().zip(&batched) {
        assert_eq!(s, b);
    }
    // Every outcome occurs, so the comparison covered them all.
    for outcome in [
        "created",
        "unattributed",
        "partner_inactive",
        "capped",
        "duration_elapsed",
    ] {
        assert!(
            singly.iter().any(|s| s.contains(&format!(" {outcome} "))),
            "no {outcome} in {singly:#?}"
        );
    }
    assert!(batched.iter().any(|s| s.contains("dup=true")));

    // The stored ledgers agree too, per partner, status and currency.
    let ledger = |t: TenantId| {
        format!(
            "SELECT p.partner_number || ' ' || e.status || ' ' || e.currency || ' ' || \
             CAST(SUM(e.amount_minor) AS BIGINT) || ' ' || CAST(SUM(e.base_minor) AS BIGINT) \
             || ' ' || COUNT(*) FROM commission_events e JOIN partners p ON p.id = e.partner_id \
             WHERE e.tenant_id = {} GROUP BY p.partner_number, e.status, e.currency \
             ORDER BY 1",
            ctx.uuid_literal(t.uuid())
        )
    };
    let a = ctx.strings(&ledger(one)).await;
    let b = ctx.strings(&ledger(many)).await;
    assert!(!a.is_empty());
    assert_eq!(a, b);
    let count = |t: TenantId| {
        format!(
            "SELECT COUNT(*) FROM payments WHERE tenant_id = {}",
            ctx.uuid_literal(t.uuid())
        )
    };
    assert_eq!(
        ctx.scalar(&count(one)).await,
        ctx.scalar(&count(many)).await
    );

    // A partner's list total (read from the daily totals) equals counting its events.
    for partner in numbers_many.keys() {
        for status in [
            None,
            Some(EventStatus::Pending),
            Some(EventStatus::Approved),
            Some(EventStatus::Rejected),
        ] {
            let filter = CommissionFilter {
                partner_id: Some(*partner),
                status,
                ..CommissionFilter::default()
            };
            let page = ctx
                .engine
                .list_commissions(many, &filter, PageRequest::default())
                .await
                .unwrap();
            let sql = format!(
                "SELECT COUNT(*) FROM commission_events WHERE partner_id = {}{}",
                ctx.uuid_literal(partner.uuid()),
                status.map_or(String::new(), |s| format!(" AND status = '{}'", s.name()))
            );
            assert_eq!(page.total as i64, ctx.scalar(&sql).await, "{filter:?}");
        }
    }
});

contract!(a_batch_with_an_invalid_payment_records_the_others, |ctx| {
    let t = tenant();
    let p = ctx.active_partner(t, "P-1", Some(share("0.10")), 0).await;
    ctx.attribute(t, p.id, "c", "2026-01-01T00:00:00Z", None)
        .await;
    let good = payment("good", "c", usd("100.00"), "2026-03-01T00:00:00Z", &[]);
    let zero = payment("zero", "c", usd("0.00"), "2026-03-01T00:00:00Z", &[]);
    let answers = ctx
        .engine
        .record_payments(t, &billing(), vec![zero, good.clone(), good])
        .await
        .unwrap();
    assert!(answers[0].is_err(), "{:?}", answers[0]);
    let first = answers[1].as_ref().unwrap();
    assert_eq!(
        (first.outcome.as_str(), first.duplicate),
        ("created", false)
    );
    // The same payment twice in one batch: the second is a replay of the first.
    let second = answers[2].as_ref().unwrap();
    assert_eq!(
        (second.outcome.as_str(), second.duplicate),
        ("created", true)
    );
    assert_eq!(second.commission_id, first.commission_id);
    assert_eq!(ctx.scalar("SELECT COUNT(*) FROM payments").await, 1);
    assert_eq!(
        ctx.scalar("SELECT COUNT(*) FROM commission_events").await,
        1
    );
});

contract!(
    overlapping_batches_in_parallel_record_each_payment_once,
    |ctx| {
        let t = tenant();
        let mut partners = Vec::new();
        for n in 0..20 {
            let p = ctx
                .active_partner(t, &format!("P-{n}"), Some(share("0.10")), 0)
                .await;
            ctx.attribute(t, p.id, &format!("c-{n}"), "2026-01-01T00:00:00Z", None)
                .await;
            partners.push(p);
        }
        let all: Vec<InvoicePayment> = (0..600)
            .map(|i| {
                payment(
                    &format!("pay-{i}"),
                    &format!("c-{}", (i * 7) % 20),
                    usd("10.00"),
                    "2026-03-01T00:00:00Z",
                    &[],
                )
            })
            .collect();
        // Four deliverers send overlapping windows of the same payments, in different orders, so
        // their batches lock the same partners and insert the same payment ids concurrently.
        let all = Arc::new(all);
        let mut lanes = Vec::new();
        for lane in 0..4usize {
            let engine = ctx.engine.clone();
            let all = all.clone();
            lanes.push(tokio::spawn(async move {
                let mut mine: Vec<InvoicePayment> = all[lane * 100..lane * 100 + 300].to_vec();
                if lane % 2 == 1 {
                    mine.reverse();
                }
                let mut created = 0;
                for chunk in mine.chunks(75) {
                    for r in engine
                        .record_payments(t, &billing(), chunk.to_vec())
                        .await
                        .expect("a batch never fails on a concurrent delivery")
                    {
                        let r = r.unwrap();
                        assert_eq!(r.outcome, "created");
                        created += usize::from(!r.duplicate);
                    }
                }
                created
            }));
        }
        let mut created = 0;
        for lane in lanes {
            created += lane.await.unwrap();
        }
        // Payments 0..600 are each in at least one window: each written exactly once.
        assert_eq!(created, 600);
        assert_eq!(ctx.scalar("SELECT COUNT(*) FROM payments").await, 600);
        assert_eq!(
            ctx.scalar("SELECT COUNT(*) FROM commission_events").await,
            600
        );
        assert_eq!(
            ctx.scalar("SELECT COUNT(DISTINCT payment_id) FROM commission_events")
                .await,
            600
        );
    }
);

contract!(
    a_stream_of_batches_redelivering_the_batch_before_never_fails,
    |ctx| {
        use futures_util::{StreamExt, TryStreamExt, stream};
        let t = tenant();
        for n in 0..5 {
            let p = ctx
                .active_partner(t, &format!("P-{n}"), Some(share("0.10")), 0)
                .await;
            ctx.attribute(t, p.id, &format!("c-{n}"), "2026-01-01T00:00:00Z", None)
                .await;
        }
        // Batch k holds 40 new payments and copies of 5 of batch k-1's and 5 of batch k-2's, as
        // a billing system resending what it is unsure of; two batches in flight, in order.
        // Every batch locks the same partners, so each waits for the other and must then see
        // the payments committed meanwhile as recorded. Looking only before the locks, a batch
        // failed on them and retried, and could lose its three attempts to the batches after
        // it (the bench failed so).
        let batches: Vec<Vec<InvoicePayment>> = (0..30usize)
            .map(|k| {
                let new = (0..40).map(move |i| k * 40 + i);
                let copies = (1..=2usize)
                    .filter(move |back| k >= *back)
                    .flat_map(move |back| (0..5).map(move |i| (k - back) * 40 + i * 8 + back));
                new.chain(copies)
                    .map(|n| {
                        payment(
                            &format!("pay-{n}"),
                            &format!("c-{}", n % 5),
                            usd("10.00"),
                            "2026-03-01T00:00:00Z",
                            &[],
                        )
                    })
                    .collect()
            })
            .collect();
        let engine = ctx.engine.clone();
        let answers: Vec<_> = stream::iter(batches)
            .map(|b| {
                let engine = engine.clone();
                async move { engine.record_payments(t, &billing(), b).await }
            })
            .buffered(2)
            .try_collect()
            .await
            .expect("a batch never fails on a redelivery");
        // Whichever of two batches in flight locked first delivered their shared payments
        // first: each payment is answered as new exactly once, and as a replay otherwise.
        let mut first_deliveries: BTreeMap<String, usize> = BTreeMap::new();
        for r in answers.iter().flatten() {
            let r = r.as_ref().unwrap();
            assert_eq!(r.outcome, "created");
            *first_deliveries.entry(r.id.clone()).or_default() += usize::from(!r.duplicate);
        }
        assert_eq!(first_deliveries.len(), 30 * 40);
        assert!(first_deliveries.values().all(|&n| n == 1));
        assert_eq!(ctx.scalar("SELECT COUNT(*) FROM payments").await, 1_200);
        assert_eq!(
            ctx.scalar("SELECT COUNT(*) FROM commission_events").await,
            1_200
        );
    }
);
