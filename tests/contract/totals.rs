//! The per-partner daily totals kept by triggers: after every kind of ledger write they equal
//! the events, and metrics and series read from them equal a brute-force computation over the
//! raw rows, for periods aligned to midnight and not.

use std::collections::BTreeMap;

use revshare_domain::commission::EventStatus;
use revshare_domain::metrics::Granularity;
use revshare_domain::payout::Payout;
use revshare_domain::reconciliation::Breach;
use revshare_domain::usecase::{ManualAdjustment, PayoutBatchOutcome, PayoutMove, PayoutRequest};
use revshare_domain::value::{Currency, EventId, Money, PartnerId, Period, TenantId};
use revshare_tests::fixtures::*;
use revshare_tests::{TestContext, at, contract};
use sea_orm::ConnectionTrait;
use time::OffsetDateTime;
use uuid::Uuid;

const DAY: i64 = 86_400_000_000;

fn us(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000).expect("an instant in range")
}

/// One commission event as stored.
struct RawEvent {
    tenant: Uuid,
    partner: Uuid,
    status: String,
    currency: String,
    amount: i64,
    date: i64,
}

async fn raw_events(ctx: &TestContext) -> Vec<RawEvent> {
    ctx.rows(
        "SELECT tenant_id, partner_id, status, currency, amount_minor, event_date \
         FROM commission_events",
    )
    .await
    .into_iter()
    .map(|r| RawEvent {
        tenant: r.try_get_by_index(0).unwrap(),
        partner: r.try_get_by_index(1).unwrap(),
        status: r.try_get_by_index(2).unwrap(),
        currency: r.try_get_by_index(3).unwrap(),
        amount: r.try_get_by_index(4).unwrap(),
        date: r.try_get_by_index(5).unwrap(),
    })
    .collect()
}

type TotalsKey = (Uuid, Uuid, String, i64, String);

/// Every non-empty totals row, keyed like the table.
async fn raw_totals(ctx: &TestContext) -> BTreeMap<TotalsKey, (i64, i64)> {
    ctx.rows(
        "SELECT tenant_id, partner_id, status, day, currency, amount_minor, event_count \
         FROM partner_daily_totals",
    )
    .await
    .into_iter()
    .map(|r| {
        (
            (
                r.try_get_by_index(0).unwrap(),
                r.try_get_by_index(1).unwrap(),
                r.try_get_by_index(2).unwrap(),
                r.try_get_by_index(3).unwrap(),
                r.try_get_by_index(4).unwrap(),
            ),
            (
                r.try_get_by_index(5).unwrap(),
                r.try_get_by_index(6).unwrap(),
            ),
        )
    })
    // A key all of whose events moved to another status keeps a zero row.
    .filter(|(_, v)| *v != (0, 0))
    .collect()
}

/// The totals a brute-force pass over the events gives.
fn totals_of(events: &[RawEvent]) -> BTreeMap<TotalsKey, (i64, i64)> {
    let mut out: BTreeMap<TotalsKey, (i64, i64)> = BTreeMap::new();
    for e in events {
        let v = out
            .entry((
                e.tenant,
                e.partner,
                e.status.clone(),
                e.date / DAY,
                e.currency.clone(),
            ))
            .or_default();
        v.0 += e.amount;
        v.1 += 1;
    }
    out
}

/// One payout as stored.
struct RawPayout {
    partner: Uuid,
    status: String,
    currency: String,
    total: i64,
    completed_at: Option<i64>,
}

async fn raw_payouts(ctx: &TestContext) -> Vec<RawPayout> {
    ctx.rows("SELECT partner_id, status, currency, total_minor, completed_at FROM payouts")
        .await
        .into_iter()
        .map(|r| RawPayout {
            partner: r.try_get_by_index(0).unwrap(),
            status: r.try_get_by_index(1).unwrap(),
            currency: r.try_get_by_index(2).unwrap(),
            total: r.try_get_by_index(3).unwrap(),
            completed_at: r.try_get_by_index(4).unwrap(),
        })
        .collect()
}

/// Per currency: (commissions, count, payouts, pending, on hold), minor units.
type Figures = BTreeMap<String, (i64, u64, i64, i64, i64)>;

fn expected_metrics(
    events: &[RawEvent],
    payouts: &[RawPayout],
    tenant: TenantId,
    partner: PartnerId,
    (start, end): (i64, i64),
) -> Figures {
    let mut out = Figures::new();
    for e in events
        .iter()
        .filter(|e| e.tenant == tenant.uuid() && e.partner == partner.uuid())
    {
        let earned = e.status == "approved" || e.status == "paid";
        if earned && start <= e.date && e.date < end {
            let f = out.entry(e.currency.clone()).or_default();
            f.0 += e.amount;
            f.1 += 1;
        }
        if e.status == "approved" {
            out.entry(e.currency.clone()).or_default().3 += e.amount;
        }
        if e.status == "pending" {
            out.entry(e.currency.clone()).or_default().4 += e.amount;
        }
    }
    for p in payouts.iter().filter(|p| p.partner == partner.uuid()) {
        if p.status == "completed" && p.completed_at.is_some_and(|c| start <= c && c < end) {
            out.entry(p.currency.clone()).or_default().2 += p.total;
        }
    }
    out
}

/// Per (day, currency): (commissions, count, payouts), minor units.
type Series = BTreeMap<(i64, String), (i64, u64, i64)>;

fn expected_series(
    events: &[RawEvent],
    payouts: &[RawPayout],
    tenant: TenantId,
    partner: PartnerId,
    (start, end): (i64, i64),
) -> Series {
    let mut out = Series::new();
    for e in events.iter().filter(|e| {
        e.tenant == tenant.uuid()
            && e.partner == partner.uuid()
            && (e.status == "approved" || e.status == "paid")
            && start <= e.date
            && e.date < end
    }) {
        let v = out.entry((e.date / DAY, e.currency.clone())).or_default();
        v.0 += e.amount;
        v.1 += 1;
    }
    for p in payouts.iter().filter(|p| {
        p.partner == partner.uuid() && p.status == "completed" && p.completed_at.is_some()
    }) {
        let c = p.completed_at.unwrap_or_default();
        if start <= c && c < end {
            out.entry((c / DAY, p.currency.clone())).or_default().2 += p.total;
        }
    }
    out
}

/// Metrics and the daily series of every partner over `periods` equal the brute force.
async fn assert_reads_match(
    ctx: &TestContext,
    tenant: TenantId,
    partners: &[PartnerId],
    periods: &[(&str, &str)],
) {
    let events = raw_events(ctx).await;
    let payouts = raw_payouts(ctx).await;
    for &partner in partners {
        for (start, end) in periods {
            let period = Period::new(at(start), at(end)).unwrap();
            let bounds = (us(period.start), us(period.end));
            let m = ctx.engine.metrics(tenant, partner, period).await.unwrap();
            let got: Figures = m
                .currencies
                .iter()
                .map(|c| {
                    (
                        c.currency.code().to_owned(),
                        (
                            c.total_commissions.minor(),
                            c.total_commission_count,
                            c.total_payouts.minor(),
                            c.pending_amount.minor(),
                            c.on_hold_amount.minor(),
                        ),
                    )
                })
                .collect();
            assert_eq!(got.len(), m.currencies.len());
            assert_eq!(
                got,
                expected_metrics(&events, &payouts, tenant, partner, bounds),
                "metrics of {partner} over {start} .. {end}"
            );
            let series = ctx
                .engine
                .series(tenant, partner, period, Granularity::Day)
                .await
                .unwrap();
            let got: Series = series
                .iter()
                .map(|p| {
                    (
                        (us(p.bucket_start) / DAY, p.currency.code().to_owned()),
                        (p.commissions.minor(), p.commission_count, p.payouts.minor()),
                    )
                })
                .collect();
            assert_eq!(got.len(), series.len());
            assert_eq!(
                got,
                expected_series(&events, &payouts, tenant, partner, bounds),
                "daily series of {partner} over {start} .. {end}"
            );
        }
    }
}

async fn assert_totals_match(ctx: &TestContext) {
    let events = raw_events(ctx).await;
    assert_eq!(raw_totals(ctx).await, totals_of(&events));
    // The same per partner, currency and status, summed by each backend itself.
    let by_sql = |sql: &'static str| async move {
        ctx.rows(sql)
            .await
            .into_iter()
            .map(|r| {
                let partner: Uuid = r.try_get_by_index(0).unwrap();
                let currency: String = r.try_get_by_index(1).unwrap();
                let status: String = r.try_get_by_index(2).unwrap();
                let amount: i64 = r.try_get_by_index(3).unwrap();
                let count: i64 = r.try_get_by_index(4).unwrap();
                ((partner, currency, status), (amount, count))
            })
            .filter(|(_, v)| *v != (0, 0))
            .collect::<BTreeMap<_, _>>()
    };
    let raw = by_sql(
        "SELECT partner_id, currency, status, CAST(SUM(amount_minor) AS BIGINT), \
         CAST(COUNT(*) AS BIGINT) FROM commission_events GROUP BY partner_id, currency, status",
    )
    .await;
    let kept = by_sql(
        "SELECT partner_id, currency, status, CAST(SUM(amount_minor) AS BIGINT), \
         CAST(SUM(event_count) AS BIGINT) FROM partner_daily_totals \
         GROUP BY partner_id, currency, status",
    )
    .await;
    assert!(!raw.is_empty());
    assert_eq!(raw, kept);
}

fn created(o: PayoutBatchOutcome) -> Payout {
    match o {
        PayoutBatchOutcome::Created(p) => p,
        other => panic!("expected a payout, got {other:?}"),
    }
}

async fn payout(
    ctx: &TestContext,
    t: TenantId,
    partner: PartnerId,
    currency: Currency,
    end: &str,
) -> Payout {
    created(
        ctx.engine
            .create_payout(
                t,
                &operator(),
                PayoutRequest {
                    partner_id: partner,
                    currency,
                    period_start: None,
                    period_end: at(end),
                    payment_method: "bank_transfer".into(),
                },
            )
            .await
            .unwrap(),
    )
}

async fn move_payout(ctx: &TestContext, t: TenantId, p: &Payout, moves: Vec<PayoutMove>) {
    for mv in moves {
        ctx.engine
            .move_payout(t, &operator(), p.id, mv)
            .await
            .unwrap();
    }
}

fn complete() -> Vec<PayoutMove> {
    vec![
        PayoutMove::Ready,
        PayoutMove::Processing,
        PayoutMove::Complete {
            payment_reference: "BANK-1".into(),
        },
    ]
}

async fn pay_in(
    ctx: &TestContext,
    t: TenantId,
    id: &str,
    customer: &str,
    amount: Money,
    paid_at: &str,
) -> EventId {
    ctx.engine
        .record_payment(t, &billing(), payment(id, customer, amount, paid_at, &[]))
        .await
        .unwrap()
        .commission_id
        .expect("a commission")
}

async fn adjust(ctx: &TestContext, t: TenantId, partner: PartnerId, amount: Money) {
    ctx.engine
        .adjust(
            t,
            &operator(),
            ManualAdjustment {
                partner_id: partner,
                amount,
                note: "correction".into(),
            },
        )
        .await
        .unwrap();
}

const PERIODS: &[(&str, &str)] = &[
    // Aligned to midnight.
    ("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"),
    ("2026-02-01T00:00:00Z", "2026-03-05T00:00:00Z"),
    ("2026-03-04T00:00:00Z", "2026-03-05T00:00:00Z"),
    // Partial first and last days.
    ("2026-03-03T10:17:00Z", "2026-03-06T15:03:00Z"),
    ("2026-03-02T23:59:59.999999Z", "2026-03-10T00:00:00.000001Z"),
    ("2026-01-01T06:00:00Z", "2026-12-31T18:00:00Z"),
    // Aligned start, partial end; partial start, aligned end.
    ("2026-03-01T00:00:00Z", "2026-03-16T09:45:00Z"),
    ("2026-03-07T13:00:00Z", "2026-03-18T00:00:00Z"),
    // Inside one day, across one midnight, and empty.
    ("2026-03-04T08:00:00Z", "2026-03-04T20:30:00Z"),
    ("2026-03-04T20:00:00Z", "2026-03-05T04:00:00Z"),
    ("2026-03-04T00:00:00Z", "2026-03-04T00:00:00Z"),
];

contract!(
    daily_totals_follow_every_write_and_reads_equal_raw_events,
    |ctx| {
        let t = tenant();
        let p1 = ctx
            .active_partner(t, "P-1", Some(share("0.10")), 0)
            .await
            .id;
        let p2 = ctx
            .active_partner(t, "P-2", Some(share("0.20")), 7)
            .await
            .id;
        ctx.attribute(t, p1, "u", "2026-01-01T00:00:00Z", None)
            .await;
        ctx.attribute(t, p1, "e", "2026-01-01T00:00:00Z", None)
            .await;
        ctx.attribute(t, p2, "h", "2026-01-01T00:00:00Z", None)
            .await;
        // Another tenant on the same days: never in the first tenant's figures.
        let other = tenant();
        let q = ctx
            .active_partner(other, "Q-1", Some(share("0.50")), 0)
            .await
            .id;
        ctx.attribute(other, q, "x", "2026-01-01T00:00:00Z", None)
            .await;

        // Payments across days and hours, some on the very edges of a day.
        let mut p1_usd = Vec::new();
        for i in 0..24i64 {
            let when = at("2026-03-01T00:00:00Z") + time::Duration::minutes(i * 7 * 60 + 17 * i);
            let stamp = when
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap();
            let amount = usd(&format!("{}.{:02}", 100 + i * 13, i * 7 % 100));
            p1_usd.push(pay_in(ctx, t, &format!("u{i}"), "u", amount, &stamp).await);
            pay_in(ctx, other, &format!("x{i}"), "x", amount, &stamp).await;
        }
        for (i, when) in [
            "2026-03-03T23:59:59.999999Z",
            "2026-03-04T00:00:00Z",
            "2026-03-04T12:00:00Z",
            "2026-03-06T15:03:00Z",
            "2026-03-09T08:30:00Z",
        ]
        .iter()
        .enumerate()
        {
            pay_in(
                ctx,
                t,
                &format!("e{i}"),
                "e",
                money(&format!("{}.50", 80 + i), Currency::EUR),
                when,
            )
            .await;
        }
        // P-2 holds for 7 days: payments from the 9th are still held at the 15th, noon.
        let mut p2_events = Vec::new();
        for i in 0..12i64 {
            let when = at("2026-03-02T09:00:00Z") + time::Duration::hours(i * 26);
            let stamp = when
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap();
            p2_events.push(
                pay_in(
                    ctx,
                    t,
                    &format!("h{i}"),
                    "h",
                    usd(&format!("{}.00", 50 + i)),
                    &stamp,
                )
                .await,
            );
        }
        assert_totals_match(ctx).await;

        // Refunds before any payout: an approved and a held commission.
        ctx.refund(t, "r-u3", "u3", "40.00", "2026-03-07T13:00:00Z")
            .await;
        ctx.refund(t, "r-h10", "h10", "20.00", "2026-03-14T08:00:00Z")
            .await;
        // Manual adjustments, dated now.
        adjust(ctx, t, p1, usd("5.00")).await;
        ctx.clock.set(at("2026-03-15T23:10:00Z"));
        adjust(ctx, t, p1, usd("-2.50")).await;
        // Bulk approval of held ones; bulk rejection of approved and held ones (the held one's
        // open refund adjustment is rejected with it).
        ctx.engine
            .approve(t, &operator(), &[p2_events[9], p2_events[11]])
            .await
            .unwrap();
        ctx.engine
            .reject(
                t,
                &operator(),
                &[p1_usd[5], p1_usd[6], p2_events[10]],
                "duplicate invoice",
            )
            .await
            .unwrap();
        assert_totals_match(ctx).await;
        // The hold ends for some (paid up to the 9th, 20:00), not for the one paid on the 10th.
        ctx.clock.set(at("2026-03-16T20:00:00Z"));
        assert!(ctx.engine.approve_due_in(t).await.unwrap() > 0);
        assert_totals_match(ctx).await;

        // A claim moves no money between keys: the totals do not change.
        let before = raw_totals(ctx).await;
        let first = payout(ctx, t, p1, Currency::USD, "2026-03-06T00:00:00Z").await;
        assert!(first.commission_count > 0);
        assert_eq!(raw_totals(ctx).await, before);
        ctx.clock.set(at("2026-03-18T21:45:00Z"));
        move_payout(ctx, t, &first, complete()).await;
        // A cancelled and a failed payout release their events.
        let cancelled = payout(ctx, t, p1, Currency::USD, "2026-03-10T00:00:00Z").await;
        move_payout(
            ctx,
            t,
            &cancelled,
            vec![PayoutMove::Cancel {
                reason: "wrong account".into(),
            }],
        )
        .await;
        let failed = payout(ctx, t, p1, Currency::EUR, "2026-03-31T00:00:00Z").await;
        move_payout(
            ctx,
            t,
            &failed,
            vec![
                PayoutMove::Ready,
                PayoutMove::Processing,
                PayoutMove::Fail {
                    reason: "bank refused".into(),
                },
            ],
        )
        .await;
        assert_totals_match(ctx).await;
        // Refunds after the payout: clawbacks of paid commissions, and a refund of an unpaid one.
        ctx.clock.set(at("2026-03-19T00:00:00Z"));
        ctx.refund(t, "r-u0", "u0", "50.00", "2026-03-19T00:00:00Z")
            .await;
        ctx.refund(t, "r-u1", "u1", "111.07", "2026-03-19T07:30:00Z")
            .await;
        ctx.refund(t, "r-u20", "u20", "10.00", "2026-03-19T07:31:00Z")
            .await;
        // More payouts complete on other days, in both currencies and for both partners.
        ctx.clock.set(at("2026-03-20T00:00:00Z"));
        let second = payout(ctx, t, p1, Currency::EUR, "2026-03-31T00:00:00Z").await;
        move_payout(ctx, t, &second, complete()).await;
        ctx.clock.set(at("2026-03-21T23:59:59.999999Z"));
        let third = payout(ctx, t, p2, Currency::USD, "2026-03-12T00:00:00Z").await;
        move_payout(ctx, t, &third, complete()).await;
        let open = payout(ctx, t, p1, Currency::USD, "2026-03-20T00:00:00Z").await;
        move_payout(ctx, t, &open, vec![PayoutMove::Ready]).await;

        // Every status is represented.
        for s in EventStatus::ALL {
            let n = ctx
                .scalar(&format!(
                    "SELECT COUNT(*) FROM commission_events WHERE status = '{}'",
                    s.name()
                ))
                .await;
            assert!(n > 0, "no {s} event");
        }
        assert_totals_match(ctx).await;
        let report = ctx.engine.reconcile(None).await.unwrap();
        assert!(report.is_clean(), "{:?}", report.breaches);
        assert!(ctx.engine.reconcile(Some(t)).await.unwrap().is_clean());
        assert_reads_match(ctx, t, &[p1, p2], PERIODS).await;
        assert_reads_match(ctx, other, &[q], &PERIODS[..4]).await;
    }
);

contract!(reconciliation_reports_drifted_totals, |ctx| {
    let t = tenant();
    let p = ctx
        .active_partner(t, "P-1", Some(share("0.10")), 0)
        .await
        .id;
    ctx.attribute(t, p, "c", "2026-01-01T00:00:00Z", None).await;
    ctx.pay(t, "a", "c", usd("100.00"), "2026-03-01T10:00:00Z")
        .await;
    ctx.pay(t, "b", "c", usd("200.00"), "2026-03-02T10:00:00Z")
        .await;
    assert!(ctx.engine.reconcile(Some(t)).await.unwrap().is_clean());
    // Drift one day's total by a cent, as a bug or a hand edit would.
    ctx.db
        .execute_unprepared(&format!(
            "UPDATE partner_daily_totals SET amount_minor = amount_minor + 1 \
             WHERE status = 'approved' AND day = {}",
            us(at("2026-03-02T00:00:00Z")) / DAY
        ))
        .await
        .unwrap();
    let report = ctx.engine.reconcile(Some(t)).await.unwrap();
    assert_eq!(
        report.breaches,
        vec![Breach::TotalsDrift {
            partner_id: p,
            currency: Currency::USD,
            status: EventStatus::Approved,
            events_minor: 30_00,
            events_count: 2,
            totals_minor: 30_01,
            totals_count: 2,
        }]
    );
    // A lost row is a drift of amount and count.
    ctx.db
        .execute_unprepared("DELETE FROM partner_daily_totals")
        .await
        .unwrap();
    let report = ctx.engine.reconcile(None).await.unwrap();
    assert_eq!(
        report.breaches,
        vec![Breach::TotalsDrift {
            partner_id: p,
            currency: Currency::USD,
            status: EventStatus::Approved,
            events_minor: 30_00,
            events_count: 2,
            totals_minor: 0,
            totals_count: 0,
        }]
    );
});
