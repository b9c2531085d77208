//! Aggregates: revenue metrics, daily series, automatic approval and reconciliation facts.
//! Every sum is cast to BIGINT so both backends return an exact `i64`.

use std::collections::BTreeMap;

use revshare_domain::StoreError;
use revshare_domain::commission::{EventStatus, EventType};
use revshare_domain::metrics::{CurrencyMetrics, SeriesPoint};
use revshare_domain::payout::PayoutStatus;
use revshare_domain::reconciliation::{
    BalanceFacts, EventAnomaly, MonthTotal as Of, MonthTotalsFacts, PayoutFacts,
    ReconciliationFacts, TotalsFacts,
};
use revshare_domain::value::{EventId, PartnerId, PayoutId, Period, RuleId, TenantId};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SelectStatement, UnionType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use time::OffsetDateTime;

use crate::convert::{currency, instant, micros, money};
use crate::entity::{commission_event as ev, partner_daily_total as totals, payout};
use crate::error::OrStore;
use crate::ledger::month_totals::{MonthTotal, month_period};

pub(super) const MICROS_PER_DAY: i64 = 86_400_000_000;

/// `CAST(SUM(col) AS BIGINT)`: PostgreSQL sums `BIGINT` to `NUMERIC`, SQLite to `INTEGER`.
pub(super) fn sum_bigint(col: impl sea_orm::sea_query::IntoColumnRef) -> sea_orm::sea_query::Expr {
    Expr::col(col).sum().cast_as("BIGINT")
}

/// `SELECT part, currency, Σ, count` of a partner's events, by status, dated in `[from, to)`,
/// per currency.
fn event_sums(
    part: &str,
    tenant: TenantId,
    partner: PartnerId,
    statuses: &[EventStatus],
    (from, to): (i64, i64),
) -> SelectStatement {
    Query::select()
        .expr_as(Expr::val(part), "part")
        .column(ev::Column::Currency)
        .expr_as(sum_bigint(ev::Column::AmountMinor), "total")
        .expr_as(Expr::col(ev::Column::Id).count().cast_as("BIGINT"), "n")
        .from(ev::Entity)
        .and_where(ev::Column::TenantId.eq(tenant.uuid()))
        .and_where(ev::Column::PartnerId.eq(partner.uuid()))
        .and_where(ev::Column::Status.is_in(statuses.iter().map(|s| s.name())))
        .and_where(ev::Column::EventDate.gte(from))
        .and_where(ev::Column::EventDate.lt(to))
        .group_by_col(ev::Column::Currency)
        .to_owned()
}

/// `SELECT part, currency, Σ, count` of a partner's daily totals, by status, optionally for
/// the days `[first, last)`, per currency. Rows whose events all moved away (count 0) are
/// not figures.
fn total_sums(
    part: &str,
    tenant: TenantId,
    partner: PartnerId,
    statuses: &[EventStatus],
    days: Option<(i64, i64)>,
) -> SelectStatement {
    let mut q = Query::select()
        .expr_as(Expr::val(part), "part")
        .column(totals::Column::Currency)
        .expr_as(sum_bigint(totals::Column::AmountMinor), "total")
        .expr_as(sum_bigint(totals::Column::EventCount), "n")
        .from(totals::Entity)
        .and_where(totals::Column::TenantId.eq(tenant.uuid()))
        .and_where(totals::Column::PartnerId.eq(partner.uuid()))
        .and_where(totals::Column::Status.is_in(statuses.iter().map(|s| s.name())))
        .and_where(totals::Column::EventCount.ne(0))
        .group_by_col(totals::Column::Currency)
        .to_owned();
    if let Some((first, last)) = days {
        q.and_where(totals::Column::Day.gte(first))
            .and_where(totals::Column::Day.lt(last));
    }
    q
}

/// A period cut into the whole UTC days it contains (read from the daily totals) and the
/// partial days at its edges (read from the events, at most a day each).
#[derive(Debug, Clone, PartialEq, Eq)]
struct DaySplit {
    /// Day numbers `[first, last)`, when the period holds at least one whole day.
    days: Option<(i64, i64)>,
    /// Instants `[from, to)`, microseconds, outside those days.
    edges: Vec<(i64, i64)>,
}

fn split_days(start: i64, end: i64) -> DaySplit {
    // Ceiling of the start and floor of the end: whole days only.
    let first = start.div_euclid(MICROS_PER_DAY) + i64::from(start.rem_euclid(MICROS_PER_DAY) != 0);
    let last = end.div_euclid(MICROS_PER_DAY);
    if first >= last {
        return DaySplit {
            days: None,
            edges: if start < end {
                vec![(start, end)]
            } else {
                vec![]
            },
        };
    }
    let (a, b) = (first * MICROS_PER_DAY, last * MICROS_PER_DAY);
    DaySplit {
        days: Some((first, last)),
        edges: [(start, a), (b, end)]
            .into_iter()
            .filter(|(from, to)| from < to)
            .collect(),
    }
}

/// Partner, currency, status, then Σ and count as the backend returns them.
type KeyedSums<N> = (uuid::Uuid, String, String, Option<i64>, N);

#[derive(Default)]
struct Figures {
    commissions: i64,
    count: i64,
    payouts: i64,
    pending: i64,
    on_hold: i64,
}

/// A partner's metrics over `period` in one statement (one round trip): the `UNION ALL` of
/// earned whole days from the daily totals, earned partial edge days from the events, the
/// approved and pending balances from the totals, and completed payouts, each row tagged with
/// its part.
pub(crate) async fn metrics<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    partner: PartnerId,
    period: Period,
) -> Result<Vec<CurrencyMetrics>, StoreError> {
    const EARNED: &[EventStatus] = &[EventStatus::Approved, EventStatus::Paid];
    let split = split_days(micros(period.start), micros(period.end));
    // Balances as of now span every date: whole days of totals.
    let mut union = total_sums("pending", tenant, partner, &[EventStatus::Approved], None);
    let mut parts = vec![total_sums(
        "on_hold",
        tenant,
        partner,
        &[EventStatus::Pending],
        None,
    )];
    if let Some(days) = split.days {
        parts.push(total_sums("earned", tenant, partner, EARNED, Some(days)));
    }
    for range in &split.edges {
        parts.push(event_sums("earned", tenant, partner, EARNED, *range));
    }
    // Completed payouts are few; `ix_payouts_partner_completed` bounds them by partner and date.
    parts.push(
        Query::select()
            .expr_as(Expr::val("payouts"), "part")
            .column(payout::Column::Currency)
            .expr_as(sum_bigint(payout::Column::TotalMinor), "total")
            .expr_as(Expr::col(payout::Column::Id).count().cast_as("BIGINT"), "n")
            .from(payout::Entity)
            .and_where(payout::Column::TenantId.eq(tenant.uuid()))
            .and_where(payout::Column::PartnerId.eq(partner.uuid()))
            .and_where(payout::Column::Status.eq(PayoutStatus::Completed.name()))
            .and_where(payout::Column::CompletedAt.gte(micros(period.start)))
            .and_where(payout::Column::CompletedAt.lt(micros(period.end)))
            .group_by_col(payout::Column::Currency)
            .to_owned(),
    );
    for p in parts {
        union.union(UnionType::All, p);
    }
    let mut by: BTreeMap<String, Figures> = BTreeMap::new();
    for row in db.query_all(&union).await.or_store()? {
        let part: String = row.try_get("", "part").or_store()?;
        let code: String = row.try_get("", "currency").or_store()?;
        let total = row
            .try_get::<Option<i64>>("", "total")
            .or_store()?
            .unwrap_or(0);
        let n = row.try_get::<Option<i64>>("", "n").or_store()?.unwrap_or(0);
        let f = by.entry(code).or_default();
        match part.as_str() {
            "earned" => {
                f.commissions += total;
                f.count += n;
            }
            "pending" => f.pending = total,
            "on_hold" => f.on_hold = total,
            "payouts" => f.payouts = total,
            other => return Err(StoreError::Internal(format!("metrics part {other}"))),
        }
    }
    by.into_iter()
        .map(|(code, f)| {
            let c = currency(&code)?;
            Ok(CurrencyMetrics {
                currency: c,
                total_commissions: money(f.commissions, c)?,
                total_commission_count: u64::try_from(f.count).unwrap_or(0),
                total_payouts: money(f.payouts, c)?,
                pending_amount: money(f.pending, c)?,
                on_hold_amount: money(f.on_hold, c)?,
            })
        })
        .collect()
}

pub(crate) async fn daily_series<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    partner: PartnerId,
    period: Period,
) -> Result<Vec<SeriesPoint>, StoreError> {
    let earned = [EventStatus::Approved.name(), EventStatus::Paid.name()];
    let split = split_days(micros(period.start), micros(period.end));
    let mut by: BTreeMap<(i64, String), (i64, i64, i64)> = BTreeMap::new();
    if let Some((first, last)) = split.days {
        let rows: Vec<(String, i64, Option<i64>, Option<i64>)> = totals::Entity::find()
            .select_only()
            .column(totals::Column::Currency)
            .column(totals::Column::Day)
            .column_as(sum_bigint(totals::Column::AmountMinor), "total")
            .column_as(sum_bigint(totals::Column::EventCount), "n")
            .filter(totals::Column::TenantId.eq(tenant.uuid()))
            .filter(totals::Column::PartnerId.eq(partner.uuid()))
            .filter(totals::Column::Status.is_in(earned))
            .filter(totals::Column::EventCount.ne(0))
            .filter(totals::Column::Day.gte(first))
            .filter(totals::Column::Day.lt(last))
            .group_by(totals::Column::Currency)
            .group_by(totals::Column::Day)
            .into_tuple()
            .all(db)
            .await
            .or_store()?;
        for (c, d, t, n) in rows {
            let e = by.entry((d, c)).or_default();
            e.0 += t.unwrap_or(0);
            e.1 += n.unwrap_or(0);
        }
    }
    // Instants are positive microseconds, so integer division is the UTC day on both backends.
    // The divisor is a literal: a bound parameter would make PostgreSQL see the SELECT and
    // GROUP BY expressions as different.
    let day = Expr::cust(format!("\"event_date\" / {MICROS_PER_DAY}"));
    for (from, to) in split.edges {
        let rows: Vec<(String, i64, Option<i64>, i64)> = ev::Entity::find()
            .select_only()
            .column(ev::Column::Currency)
            .column_as(day.clone().cast_as("BIGINT"), "day")
            .column_as(sum_bigint(ev::Column::AmountMinor), "total")
            .column_as(Expr::col(ev::Column::Id).count().cast_as("BIGINT"), "n")
            .filter(ev::Column::TenantId.eq(tenant.uuid()))
            .filter(ev::Column::PartnerId.eq(partner.uuid()))
            .filter(ev::Column::Status.is_in(earned))
            .filter(ev::Column::EventDate.gte(from))
            .filter(ev::Column::EventDate.lt(to))
            .group_by(ev::Column::Currency)
            .group_by(day.clone())
            .into_tuple()
            .all(db)
            .await
            .or_store()?;
        for (c, d, t, n) in rows {
            let e = by.entry((d, c)).or_default();
            e.0 += t.unwrap_or(0);
            e.1 += n;
        }
    }
    let pday = Expr::cust(format!("\"completed_at\" / {MICROS_PER_DAY}"));
    let payouts: Vec<(String, i64, Option<i64>)> = payout::Entity::find()
        .select_only()
        .column(payout::Column::Currency)
        .column_as(pday.clone().cast_as("BIGINT"), "day")
        .column_as(sum_bigint(payout::Column::TotalMinor), "total")
        .filter(payout::Column::TenantId.eq(tenant.uuid()))
        .filter(payout::Column::PartnerId.eq(partner.uuid()))
        .filter(payout::Column::Status.eq(PayoutStatus::Completed.name()))
        .filter(payout::Column::CompletedAt.gte(micros(period.start)))
        .filter(payout::Column::CompletedAt.lt(micros(period.end)))
        .group_by(payout::Column::Currency)
        .group_by(pday)
        .into_tuple()
        .all(db)
        .await
        .or_store()?;
    for (c, d, t) in payouts {
        by.entry((d, c)).or_default().2 = t.unwrap_or(0);
    }
    by.into_iter()
        .map(|((d, code), (commissions, n, payouts))| {
            let c = currency(&code)?;
            Ok(SeriesPoint {
                bucket_start: instant(d * MICROS_PER_DAY)?,
                currency: c,
                commissions: money(commissions, c)?,
                commission_count: u64::try_from(n).unwrap_or(0),
                payouts: money(payouts, c)?,
            })
        })
        .collect()
}

pub(crate) async fn approve_due<C: ConnectionTrait>(
    db: &C,
    tenant: Option<TenantId>,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    let now = micros(now);
    let mut q = ev::Entity::update_many()
        .col_expr(ev::Column::Status, Expr::val(EventStatus::Approved.name()))
        .col_expr(ev::Column::ApprovedAt, Expr::val(now))
        // Inline, not bound: `ix_events_held_until` holds pending events only, and a planner uses a
        // partial index only when the statement itself implies its predicate.
        .filter(
            Expr::col((ev::Entity, ev::Column::Status))
                .eq(Expr::Constant(EventStatus::Pending.name().into())),
        )
        .filter(ev::Column::HoldUntil.lte(now));
    if let Some(t) = tenant {
        q = q.filter(ev::Column::TenantId.eq(t.uuid()));
    }
    let r = q.exec(db).await.or_store()?;
    Ok(r.rows_affected)
}

pub(crate) async fn reconciliation_facts<C: ConnectionTrait>(
    db: &C,
    tenant: Option<TenantId>,
) -> Result<ReconciliationFacts, StoreError> {
    let tenant_payouts = |q: sea_orm::Select<payout::Entity>| match tenant {
        Some(t) => q.filter(payout::Column::TenantId.eq(t.uuid())),
        None => q,
    };
    let tenant_events = |q: sea_orm::Select<ev::Entity>| match tenant {
        Some(t) => q.filter(ev::Column::TenantId.eq(t.uuid())),
        None => q,
    };

    // Events grouped by the payout that holds them.
    let paid_case = Expr::case(
        Expr::col(ev::Column::Status).eq(EventStatus::Paid.name()),
        1,
    )
    .finally(0);
    let held: Vec<(uuid::Uuid, Option<i64>, i64, Option<i64>)> = tenant_events(ev::Entity::find())
        .select_only()
        .column(ev::Column::PayoutId)
        .column_as(sum_bigint(ev::Column::AmountMinor), "total")
        .column_as(Expr::col(ev::Column::Id).count().cast_as("BIGINT"), "n")
        .column_as(Func::sum(paid_case).cast_as("BIGINT"), "paid")
        .filter(ev::Column::PayoutId.is_not_null())
        .group_by(ev::Column::PayoutId)
        .into_tuple()
        .all(db)
        .await
        .or_store()?;
    let held: BTreeMap<uuid::Uuid, (i64, i64, i64)> = held
        .into_iter()
        .map(|(p, t, n, paid)| (p, (t.unwrap_or(0), n, paid.unwrap_or(0))))
        .collect();

    let mut facts = ReconciliationFacts::default();
    let mut completed: BTreeMap<(uuid::Uuid, String), i64> = BTreeMap::new();
    for p in tenant_payouts(payout::Entity::find())
        .all(db)
        .await
        .or_store()?
    {
        let (events_minor, events_count, paid) = held.get(&p.id).copied().unwrap_or((0, 0, 0));
        let status =
            PayoutStatus::parse(&p.status).map_err(|e| crate::convert::corrupt("payout", e))?;
        if status == PayoutStatus::Completed {
            *completed
                .entry((p.partner_id, p.currency.clone()))
                .or_default() += p.total_minor;
        }
        facts.payouts.push(PayoutFacts {
            payout_id: PayoutId::from_uuid(p.id),
            partner_id: PartnerId::from_uuid(p.partner_id),
            status,
            currency: currency(&p.currency)?,
            total_minor: p.total_minor,
            commission_count: u64::try_from(p.commission_count).unwrap_or(0),
            events_minor,
            events_count: u64::try_from(events_count).unwrap_or(0),
            paid_events: u64::try_from(paid).unwrap_or(0),
        });
    }

    let paid: Vec<(uuid::Uuid, String, Option<i64>)> = tenant_events(ev::Entity::find())
        .select_only()
        .column(ev::Column::PartnerId)
        .column(ev::Column::Currency)
        .column_as(sum_bigint(ev::Column::AmountMinor), "total")
        .filter(ev::Column::Status.eq(EventStatus::Paid.name()))
        .group_by(ev::Column::PartnerId)
        .group_by(ev::Column::Currency)
        .into_tuple()
        .all(db)
        .await
        .or_store()?;
    let mut balances: BTreeMap<(uuid::Uuid, String), (i64, i64)> = BTreeMap::new();
    for (p, c, t) in paid {
        balances.entry((p, c)).or_default().0 = t.unwrap_or(0);
    }
    for (k, t) in completed {
        balances.entry(k).or_default().1 = t;
    }
    for ((p, c), (paid_events_minor, completed_payouts_minor)) in balances {
        facts.balances.push(BalanceFacts {
            partner_id: PartnerId::from_uuid(p),
            currency: currency(&c)?,
            paid_events_minor,
            completed_payouts_minor,
        });
    }

    // The daily totals metrics read, against the events they summarise.
    let events: Vec<KeyedSums<i64>> = tenant_events(ev::Entity::find())
        .select_only()
        .column(ev::Column::PartnerId)
        .column(ev::Column::Currency)
        .column(ev::Column::Status)
        .column_as(sum_bigint(ev::Column::AmountMinor), "total")
        .column_as(Expr::col(ev::Column::Id).count().cast_as("BIGINT"), "n")
        .group_by(ev::Column::PartnerId)
        .group_by(ev::Column::Currency)
        .group_by(ev::Column::Status)
        .into_tuple()
        .all(db)
        .await
        .or_store()?;
    let mut kept = totals::Entity::find()
        .select_only()
        .column(totals::Column::PartnerId)
        .column(totals::Column::Currency)
        .column(totals::Column::Status)
        .column_as(sum_bigint(totals::Column::AmountMinor), "total")
        .column_as(sum_bigint(totals::Column::EventCount), "n");
    if let Some(t) = tenant {
        kept = kept.filter(totals::Column::TenantId.eq(t.uuid()));
    }
    let kept: Vec<KeyedSums<Option<i64>>> = kept
        .group_by(totals::Column::PartnerId)
        .group_by(totals::Column::Currency)
        .group_by(totals::Column::Status)
        .into_tuple()
        .all(db)
        .await
        .or_store()?;
    // [events Σ, events n, totals Σ, totals n] per partner, currency and status.
    let mut sums: BTreeMap<(uuid::Uuid, String, String), [i64; 4]> = BTreeMap::new();
    for (p, c, st, t, n) in events {
        let e = sums.entry((p, c, st)).or_default();
        e[0] = t.unwrap_or(0);
        e[1] = n;
    }
    for (p, c, st, t, n) in kept {
        let e = sums.entry((p, c, st)).or_default();
        e[2] = t.unwrap_or(0);
        e[3] = n.unwrap_or(0);
    }
    for ((p, c, st), [events_minor, events_count, totals_minor, totals_count]) in sums {
        facts.totals.push(TotalsFacts {
            partner_id: PartnerId::from_uuid(p),
            currency: currency(&c)?,
            status: EventStatus::parse(&st).map_err(|e| crate::convert::corrupt("totals", e))?,
            events_minor,
            events_count,
            totals_minor,
            totals_count,
        });
    }

    // The monthly totals tiers and caps read, against the payment events they summarise.
    facts.month_totals = month_totals_facts(db, tenant).await?;

    // Refunds of one commission never net more than the commission.
    let adjusted: Vec<(uuid::Uuid, Option<i64>)> = tenant_events(ev::Entity::find())
        .select_only()
        .column(ev::Column::OriginalEventId)
        .column_as(sum_bigint(ev::Column::AmountMinor), "total")
        .filter(ev::Column::OriginalEventId.is_not_null())
        .filter(ev::Column::Status.ne(EventStatus::Rejected.name()))
        .group_by(ev::Column::OriginalEventId)
        .into_tuple()
        .all(db)
        .await
        .or_store()?;
    if !adjusted.is_empty() {
        let originals: BTreeMap<uuid::Uuid, i64> = ev::Entity::find()
            .select_only()
            .column(ev::Column::Id)
            .column(ev::Column::AmountMinor)
            .filter(ev::Column::Id.is_in(adjusted.iter().map(|(id, _)| *id)))
            .into_tuple::<(uuid::Uuid, i64)>()
            .all(db)
            .await
            .or_store()?
            .into_iter()
            .collect();
        for (id, taken) in adjusted {
            let commission = originals.get(&id).copied().unwrap_or(0);
            if -taken.unwrap_or(0) > commission {
                facts.anomalies.push(EventAnomaly {
                    event_id: EventId::from_uuid(id),
                    problem: format!(
                        "refunds take {} minor units of a {commission} commission",
                        -taken.unwrap_or(0)
                    ),
                });
            }
        }
    }
    facts.events_checked = tenant_events(ev::Entity::find())
        .count(db)
        .await
        .or_store()?;
    Ok(facts)
}

/// Per monthly total, key, currency and month: Σ over the `invoice_payment` events (grouped by
/// the triggers' own month expression) beside the kept total.
async fn month_totals_facts<C: ConnectionTrait>(
    db: &C,
    tenant: Option<TenantId>,
) -> Result<Vec<MonthTotalsFacts>, StoreError> {
    let backend = db.get_database_backend();
    let month = revshare_migration::event_month_sql(backend);
    let mut out = Vec::new();
    for total in MonthTotal::ALL {
        let (key, table) = (total.key(), total.table());
        let mut from_events = Query::select()
            .expr(Expr::col(Alias::new(key)))
            .expr(Expr::col(Alias::new("currency")))
            .expr(Expr::cust(month.clone()))
            .expr(Expr::cust(format!("CAST(SUM({}) AS BIGINT)", total.adds())))
            .from(ev::Entity)
            .and_where(ev::Column::EventType.eq(EventType::InvoicePayment.name()))
            .and_where(Expr::col(Alias::new(key)).is_not_null())
            .add_group_by([
                Expr::col(Alias::new(key)),
                Expr::col(Alias::new("currency")),
                Expr::cust(month.clone()),
            ])
            .to_owned();
        let mut kept = Query::select()
            .expr(Expr::col(Alias::new(key)))
            .expr(Expr::col(Alias::new("currency")))
            .expr(Expr::col(Alias::new("month")))
            .expr(Expr::col(Alias::new(total.value())).sum().cast_as("BIGINT"))
            .from(Alias::new(table))
            .add_group_by([
                Expr::col(Alias::new(key)),
                Expr::col(Alias::new("currency")),
                Expr::col(Alias::new("month")),
            ])
            .to_owned();
        if let Some(t) = tenant {
            from_events.and_where(ev::Column::TenantId.eq(t.uuid()));
            kept.and_where(Expr::col(Alias::new("tenant_id")).eq(t.uuid()));
        }
        // [events Σ, kept] per key, currency and month.
        let mut sums: BTreeMap<(uuid::Uuid, String, i64), [i64; 2]> = BTreeMap::new();
        for (slot, q) in [from_events, kept].into_iter().enumerate() {
            for row in db.query_all(&q).await.or_store()? {
                let k: uuid::Uuid = row.try_get_by_index(0).or_store()?;
                let c: String = row.try_get_by_index(1).or_store()?;
                let m: i64 = row.try_get_by_index(2).or_store()?;
                let v: Option<i64> = row.try_get_by_index(3).or_store()?;
                sums.entry((k, c, m)).or_default()[slot] = v.unwrap_or(0);
            }
        }
        for ((k, c, m), [events_minor, kept_minor]) in sums {
            out.push(MonthTotalsFacts {
                total: match total {
                    MonthTotal::Volume => Of::TierVolume {
                        partner_id: PartnerId::from_uuid(k),
                    },
                    MonthTotal::Usage => Of::CapUsage {
                        rule_id: RuleId::from_uuid(k),
                    },
                },
                currency: currency(&c)?,
                month: month_period(m)?,
                events_minor,
                kept_minor,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: i64 = MICROS_PER_DAY;

    #[test]
    fn whole_days_come_from_totals_and_partial_edges_from_events() {
        // Midnight to midnight: days only.
        assert_eq!(
            split_days(10 * D, 13 * D),
            DaySplit {
                days: Some((10, 13)),
                edges: vec![]
            }
        );
        // 10:17 on day 10 to 15:03 on day 13: days 11 and 12, and two edges.
        let (s, e) = (10 * D + 37_020_000_000, 13 * D + 54_180_000_000);
        assert_eq!(
            split_days(s, e),
            DaySplit {
                days: Some((11, 13)),
                edges: vec![(s, 11 * D), (13 * D, e)]
            }
        );
        // Inside one day, across one midnight, one microsecond, empty.
        assert_eq!(
            split_days(10 * D + 1, 11 * D - 1),
            DaySplit {
                days: None,
                edges: vec![(10 * D + 1, 11 * D - 1)]
            }
        );
        assert_eq!(
            split_days(10 * D + 5, 11 * D + 5),
            DaySplit {
                days: None,
                edges: vec![(10 * D + 5, 11 * D + 5)]
            }
        );
        assert_eq!(
            split_days(10 * D, 10 * D + 1),
            DaySplit {
                days: None,
                edges: vec![(10 * D, 10 * D + 1)]
            }
        );
        assert_eq!(
            split_days(10 * D, 10 * D),
            DaySplit {
                days: None,
                edges: vec![]
            }
        );
        // One whole day with a microsecond on each side.
        assert_eq!(
            split_days(10 * D - 1, 11 * D + 1),
            DaySplit {
                days: Some((10, 11)),
                edges: vec![(10 * D - 1, 10 * D), (11 * D, 11 * D + 1)]
            }
        );
    }
}
