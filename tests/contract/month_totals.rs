//! The monthly totals kept by triggers — a partner's tier volume and a rule's cap usage per
//! currency and UTC month — after every kind of ledger write equal a brute-force pass over the
//! raw events, with months cut at the UTC month edge to the microsecond; raw inserts, updates
//! and deletes that bypass revshare move them too; and tiers and caps read from them decide
//! across month edges as the SPEC says.

use std::collections::BTreeMap;

use revshare_domain::terms::{CommissionModel, TierRate};
use revshare_domain::usecase::{ManualAdjustment, PayoutBatchOutcome, PayoutMove, PayoutRequest};
use revshare_domain::value::{Currency, EventId, Money, TenantId};
use revshare_infra::entity::commission_event as ev;
use revshare_tests::fixtures::*;
use revshare_tests::{TestContext, at, contract, dec};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

const DAY: i64 = 86_400_000_000;

/// `(tenant, partner or rule, currency, year × 12 + month − 1)`.
type Key = (Uuid, Uuid, String, i64);

/// The UTC month of `micros`, computed here independently of the triggers' SQL.
fn month_of(micros: i64) -> i64 {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
        .expect("an instant");
    i64::from(t.year()) * 12 + i64::from(u8::from(t.month())) - 1
}

/// Both kept tables, zero rows left out (a key whose events all left it keeps a 0).
async fn kept(ctx: &TestContext) -> [BTreeMap<Key, i64>; 2] {
    let read = |sql: &'static str| async move {
        ctx.rows(sql)
            .await
            .into_iter()
            .map(|r| {
                (
                    (
                        r.try_get_by_index(0).unwrap(),
                        r.try_get_by_index(1).unwrap(),
                        r.try_get_by_index(2).unwrap(),
                        r.try_get_by_index(3).unwrap(),
                    ),
                    r.try_get_by_index::<i64>(4).unwrap(),
                )
            })
            .filter(|(_, v)| *v != 0)
            .collect()
    };
    [
        read(
            "SELECT tenant_id, partner_id, currency, month, base_minor FROM partner_month_volumes",
        )
        .await,
        read("SELECT tenant_id, rule_id, currency, month, amount_minor FROM rule_month_usages")
            .await,
    ]
}

/// What the SPEC's definitions give over the raw events: Σ base of every `invoice_payment`
/// event per partner, Σ amount of those a rule produced per rule; any status.
async fn brute_force(ctx: &TestContext) -> [BTreeMap<Key, i64>; 2] {
    let mut volumes: BTreeMap<Key, i64> = BTreeMap::new();
    let mut usages: BTreeMap<Key, i64> = BTreeMap::new();
    for r in ctx.rows("SELECT tenant_id, partner_id, rule_id, currency, event_date, base_minor, amount_minor, \
         event_type FROM commission_events",
    )
    .await
    {
        let event_type: String = r.try_get_by_index(7).unwrap();
        if event_type != "invoice_payment" {
            continue;
        }
        let tenant: Uuid = r.try_get_by_index(0).unwrap();
        let partner: Uuid = r.try_get_by_index(1).unwrap();
        let rule: Option<Uuid> = r.try_get_by_index(2).unwrap();
        let currency: String = r.try_get_by_index(3).unwrap();
        let month = month_of(r.try_get_by_index(4).unwrap());
        let base: Option<i64> = r.try_get_by_index(5).unwrap();
        let amount: i64 = r.try_get_by_index(6).unwrap();
        *volumes
            .entry((tenant, partner, currency.clone(), month))
            .or_default() += base.unwrap_or(0);
        if let Some(rule) = rule {
            *usages.entry((tenant, rule, currency, month)).or_default() += amount;
        }
    }
    for m in [&mut volumes, &mut usages] {
        m.retain(|_, v| *v != 0);
    }
    [volumes, usages]
}

async fn assert_match(ctx: &TestContext, when: &str) {
    let [volumes, usages] = brute_force(ctx).await;
    let [kept_volumes, kept_usages] = kept(ctx).await;
    assert_eq!(kept_volumes, volumes, "tier volumes {when}");
    assert_eq!(kept_usages, usages, "cap usages {when}");
}

/// Records a payment; its commission as a plain decimal, or `None` when capped.
async fn commission_of(
    ctx: &TestContext,
    t: TenantId,
    id: &str,
    customer: &str,
    amount: Money,
    paid_at: &str,
) -> Option<String> {
    let r = ctx.pay(t, id, customer, amount, paid_at).await;
    match r.commission_id {
        Some(e) => Some(
            ctx.engine
                .commission(t, None, e)
                .await
                .unwrap()
                .amount
                .to_plain_string(),
        ),
        None => {
            assert_eq!(r.outcome, "capped", "{id}");
            None
        }
    }
}

contract!(
    month_totals_follow_every_write_and_decide_tiers_and_caps_by_utc_month,
    |ctx| {
        // P-2 holds for 7 days: its payments of the last week are still pending.
        ctx.clock.set(at("2026-03-02T13:00:00Z"));
        let t = tenant();
        let p1 = ctx
            .active_partner(t, "P-1", Some(share("0.01")), 0)
            .await
            .id;
        let p2 = ctx
            .active_partner(t, "P-2", Some(share("0.20")), 7)
            .await
            .id;
        let other = tenant();
        let q = ctx.active_partner(other, "Q-1", None, 0).await.id;
        for (tenant, partner, customer) in [
            (t, p1, "tiered"),
            (t, p1, "capped"),
            (t, p2, "plain"),
            (other, q, "theirs"),
        ] {
            ctx.attribute(tenant, partner, customer, "2025-01-01T00:00:00Z", None)
                .await;
        }
        // Tiers on the month's earlier volume: 5 % under 1,000.00, 10 % from 1,000.00 (inclusive).
        let mut tiered = rule(
            p1,
            "tiered",
            CommissionModel::Tiered {
                tiers: vec![
                    TierRate {
                        min_volume: dec("0"),
                        rate: rate("0.05"),
                    },
                    TierRate {
                        min_volume: dec("1000.00"),
                        rate: rate("0.10"),
                    },
                ],
            },
        );
        tiered
            .customer_ids
            .insert(revshare_domain::value::CustomerId::parse("tiered").unwrap());
        ctx.rule(t, tiered).await;
        let mut capped = rule(p1, "capped", share("0.10"));
        capped.monthly_cap = Some(usd("25.00"));
        capped
            .customer_ids
            .insert(revshare_domain::value::CustomerId::parse("capped").unwrap());
        ctx.rule(t, capped).await;
        ctx.rule(other, rule(q, "theirs", share("0.10"))).await;

        // December's volume reaches 1,000.00 on its last microsecond; January starts from zero.
        let dec_ = |s: &str| Some(s.to_owned());
        assert_eq!(
            commission_of(
                ctx,
                t,
                "t1",
                "tiered",
                usd("999.99"),
                "2025-12-01T00:00:00Z"
            )
            .await,
            dec_("50.00")
        );
        assert_eq!(
            commission_of(
                ctx,
                t,
                "t2",
                "tiered",
                usd("100.00"),
                "2025-12-31T23:59:59.999999Z"
            )
            .await,
            dec_("5.00")
        );
        assert_eq!(
            commission_of(
                ctx,
                t,
                "t3",
                "tiered",
                usd("100.00"),
                "2026-01-01T00:00:00Z"
            )
            .await,
            dec_("5.00")
        );
        assert_eq!(
            commission_of(
                ctx,
                t,
                "t4",
                "tiered",
                usd("100.00"),
                "2025-12-15T00:00:00Z"
            )
            .await,
            dec_("10.00")
        );
        // A tier volume is per currency: euros start from zero.
        assert_eq!(
            commission_of(
                ctx,
                t,
                "t5",
                "tiered",
                money("2000.00", Currency::EUR),
                "2025-12-20T00:00:00Z"
            )
            .await,
            dec_("100.00")
        );
        // The cap: 25.00 a month, in February and again from March 1st, 00:00 UTC.
        assert_eq!(
            commission_of(
                ctx,
                t,
                "c1",
                "capped",
                usd("200.00"),
                "2026-02-01T00:00:00Z"
            )
            .await,
            dec_("20.00")
        );
        assert_eq!(
            commission_of(
                ctx,
                t,
                "c2",
                "capped",
                usd("200.00"),
                "2026-02-28T23:59:59.999999Z"
            )
            .await,
            dec_("5.00")
        );
        assert_eq!(
            commission_of(
                ctx,
                t,
                "c3",
                "capped",
                usd("200.00"),
                "2026-02-10T00:00:00Z"
            )
            .await,
            None
        );
        assert_eq!(
            commission_of(
                ctx,
                t,
                "c4",
                "capped",
                usd("200.00"),
                "2026-03-01T00:00:00Z"
            )
            .await,
            dec_("20.00")
        );
        // No rule: volume only.
        for (i, day) in ["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]
            .iter()
            .enumerate()
        {
            ctx.pay(
                t,
                &format!("p{i}"),
                "plain",
                usd(&format!("{}.25", 40 + i)),
                &format!("{day}T12:00:00Z"),
            )
            .await;
        }
        ctx.pay(
            other,
            "x1",
            "theirs",
            usd("300.00"),
            "2026-02-28T23:59:59.999999Z",
        )
        .await;
        assert_match(ctx, "after payments").await;

        // Refunds and adjustments are not payments: nothing moves.
        let before = kept(ctx).await;
        ctx.refund(t, "r-t1", "t1", "500.00", "2026-01-05T00:00:00Z")
            .await;
        ctx.refund(t, "r-c1", "c1", "200.00", "2026-03-05T00:00:00Z")
            .await;
        ctx.engine
            .adjust(
                t,
                &operator(),
                ManualAdjustment {
                    partner_id: p1,
                    amount: usd("7.00"),
                    note: "bonus".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(kept(ctx).await, before, "refunds and adjustments");
        // Neither do status moves and payout claims: "any status".
        let events: Vec<EventId> = ctx
            .rows("SELECT id FROM commission_events WHERE status = 'pending'")
            .await
            .iter()
            .map(|r| EventId::from_uuid(r.try_get_by_index(0).unwrap()))
            .collect();
        ctx.engine
            .approve(t, &operator(), &events[..1])
            .await
            .unwrap();
        ctx.engine
            .reject(t, &operator(), &events[1..2], "duplicate")
            .await
            .unwrap();
        ctx.clock.set(at("2026-04-01T00:00:00Z"));
        ctx.engine.approve_due_in(t).await.unwrap();
        let payout = match ctx
            .engine
            .create_payout(
                t,
                &operator(),
                PayoutRequest {
                    partner_id: p1,
                    currency: Currency::USD,
                    period_start: None,
                    period_end: at("2026-03-31T00:00:00Z"),
                    payment_method: "bank_transfer".into(),
                },
            )
            .await
            .unwrap()
        {
            PayoutBatchOutcome::Created(p) => p,
            other => panic!("expected a payout, got {other:?}"),
        };
        for m in [
            PayoutMove::Ready,
            PayoutMove::Processing,
            PayoutMove::Complete {
                payment_reference: "BANK-1".into(),
            },
        ] {
            ctx.engine
                .move_payout(t, &operator(), payout.id, m)
                .await
                .unwrap();
        }
        assert_eq!(kept(ctx).await, before, "status moves and payouts");
        assert_match(ctx, "after refunds, adjustments, approvals, payouts").await;

        // Writes that bypass revshare: copies of every payment event inserted in one statement,
        // some moved to another month, currency, base, rule and partner, then deleted.
        let before = kept(ctx).await;
        let copies: Vec<ev::ActiveModel> = ev::Entity::find()
            .filter(ev::Column::EventType.eq("invoice_payment"))
            .all(&ctx.db)
            .await
            .unwrap()
            .into_iter()
            .map(|e| {
                let mut c: ev::ActiveModel = ev::Model {
                    id: Uuid::now_v7(),
                    payout_id: None,
                    status: "pending".into(),
                    paid_at: None,
                    ..e
                }
                .into();
                c.id = Set(Uuid::now_v7());
                c
            })
            .collect();
        let ids: Vec<Uuid> = copies.iter().map(|c| *c.id.as_ref()).collect();
        assert!(ids.len() > 10);
        ev::Entity::insert_many(copies)
            .exec_without_returning(&ctx.db)
            .await
            .unwrap();
        assert_match(ctx, "after a raw multi-row insert").await;
        ev::Entity::update_many()
            .col_expr(
                ev::Column::EventDate,
                Expr::col(ev::Column::EventDate).add(40 * DAY),
            )
            .col_expr(
                ev::Column::BaseMinor,
                Expr::col(ev::Column::BaseMinor).add(1),
            )
            .col_expr(ev::Column::Currency, Expr::val("EUR"))
            .filter(ev::Column::Id.is_in(ids[..5].to_vec()))
            .exec(&ctx.db)
            .await
            .unwrap();
        ev::Entity::update_many()
            .col_expr(ev::Column::RuleId, Expr::val(Option::<Uuid>::None))
            .col_expr(ev::Column::PartnerId, Expr::val(p2.uuid()))
            .col_expr(
                ev::Column::AmountMinor,
                Expr::col(ev::Column::AmountMinor).add(3),
            )
            .filter(ev::Column::Id.is_in(ids[3..9].to_vec()))
            .exec(&ctx.db)
            .await
            .unwrap();
        assert_match(ctx, "after raw updates").await;
        // An update setting the columns to what they were changes nothing.
        ev::Entity::update_many()
            .col_expr(ev::Column::EventDate, Expr::col(ev::Column::EventDate))
            .filter(ev::Column::Id.is_in(ids.clone()))
            .exec(&ctx.db)
            .await
            .unwrap();
        assert_match(ctx, "after a no-op update").await;
        ev::Entity::delete_many()
            .filter(ev::Column::Id.is_in(ids))
            .exec(&ctx.db)
            .await
            .unwrap();
        assert_eq!(kept(ctx).await, before, "after the copies are deleted");
        assert_match(ctx, "at the end").await;
    }
);

contract!(reconciliation_reports_drifted_month_totals, |ctx| {
    use revshare_domain::reconciliation::{Breach, MonthTotal};
    let t = tenant();
    let p = ctx.active_partner(t, "P-1", None, 0).await.id;
    let r = ctx.rule(t, rule(p, "ten percent", share("0.10"))).await;
    ctx.attribute(t, p, "c", "2026-01-01T00:00:00Z", None).await;
    ctx.pay(t, "a", "c", usd("100.00"), "2026-03-01T10:00:00Z")
        .await;
    ctx.pay(t, "b", "c", usd("200.00"), "2026-03-31T23:59:59.999999Z")
        .await;
    assert!(ctx.engine.reconcile(Some(t)).await.unwrap().is_clean());
    let march = revshare_domain::value::Period::month_of(at("2026-03-15T00:00:00Z"));
    // A cent more volume, as a bug or a hand edit would leave it; a lost usage row.
    ctx.db
        .execute_unprepared("UPDATE partner_month_volumes SET base_minor = base_minor + 1")
        .await
        .unwrap();
    ctx.db
        .execute_unprepared("DELETE FROM rule_month_usages")
        .await
        .unwrap();
    let report = ctx.engine.reconcile(Some(t)).await.unwrap();
    assert_eq!(
        report.breaches,
        vec![
            Breach::MonthTotalsDrift {
                total: MonthTotal::TierVolume { partner_id: p },
                currency: Currency::USD,
                month: march,
                events_minor: 30_000,
                kept_minor: 30_001,
            },
            Breach::MonthTotalsDrift {
                total: MonthTotal::CapUsage { rule_id: r.id },
                currency: Currency::USD,
                month: march,
                events_minor: 3_000,
                kept_minor: 0,
            },
        ]
    );
    // Every tenant: the same two.
    assert_eq!(ctx.engine.reconcile(None).await.unwrap().breaches.len(), 2);
});
