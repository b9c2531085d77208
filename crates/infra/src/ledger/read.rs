//! Queries shared by reads and transactions, generic over the connection.

use futures_util::future::try_join;
use revshare_domain::StoreError;
use revshare_domain::attribution::PartnerAccount;
use revshare_domain::commission::CommissionEvent;
use revshare_domain::partner::Partner;
use revshare_domain::payout::Payout;
use revshare_domain::query::{
    CommissionFilter, Cursor, Page, PageRequest, PayoutFilter, SeekPage, SeekRequest,
};
use revshare_domain::terms::CommissionRule;
use revshare_domain::value::{EventId, PartnerId, PayoutId, TenantId};
use sea_orm::sea_query::{Condition, Expr, QueryStatementBuilder};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Select,
};

use crate::convert::{account_from, micros, partner_from, payout_from, rule_from};
use crate::entity::{
    commission_event as ev, commission_rule, partner, partner_account,
    partner_daily_total as totals, payout,
};
use crate::error::OrStore;

use super::event_rows::{TOTAL, events, events_with_total};
use super::reports::{MICROS_PER_DAY, sum_bigint};

pub(crate) async fn partner<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    id: PartnerId,
) -> Result<Option<Partner>, StoreError> {
    partner::Entity::find_by_id(id.uuid())
        .filter(partner::Column::TenantId.eq(tenant.uuid()))
        .one(db)
        .await
        .or_store()?
        .map(partner_from)
        .transpose()
}

pub(crate) async fn list_partners<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    page: PageRequest,
) -> Result<Page<Partner>, StoreError> {
    let q = partner::Entity::find().filter(partner::Column::TenantId.eq(tenant.uuid()));
    let total = q.clone().count(db).await.or_store()?;
    let rows = q
        .order_by_asc(partner::Column::PartnerNumber)
        .offset(page.offset)
        .limit(u64::from(page.limit))
        .all(db)
        .await
        .or_store()?;
    Ok(Page {
        items: rows
            .into_iter()
            .map(partner_from)
            .collect::<Result<_, _>>()?,
        total,
        page,
    })
}

pub(crate) async fn accounts_of_partner<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    partner: PartnerId,
) -> Result<Vec<PartnerAccount>, StoreError> {
    partner_account::Entity::find()
        .filter(partner_account::Column::TenantId.eq(tenant.uuid()))
        .filter(partner_account::Column::PartnerId.eq(partner.uuid()))
        .order_by_asc(partner_account::Column::StartAt)
        .all(db)
        .await
        .or_store()?
        .into_iter()
        .map(account_from)
        .collect()
}

pub(crate) async fn rules_of_partner<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    partner: PartnerId,
    active_only: bool,
) -> Result<Vec<CommissionRule>, StoreError> {
    let mut q = commission_rule::Entity::find()
        .filter(commission_rule::Column::TenantId.eq(tenant.uuid()))
        .filter(commission_rule::Column::PartnerId.eq(partner.uuid()));
    if active_only {
        q = q.filter(commission_rule::Column::Active.eq(true));
    }
    q.order_by_desc(commission_rule::Column::Priority)
        .order_by_asc(commission_rule::Column::CreatedAt)
        .all(db)
        .await
        .or_store()?
        .into_iter()
        .map(rule_from)
        .collect()
}

pub(crate) async fn events_by_ids<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    ids: &[EventId],
) -> Result<Vec<CommissionEvent>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    events(
        db,
        ev::Entity::find()
            .filter(ev::Column::TenantId.eq(tenant.uuid()))
            .filter(ev::Column::Id.is_in(ids.iter().map(|i| i.uuid())))
            .order_by_asc(ev::Column::Id),
    )
    .await
}

/// The rows strictly after `c` in the order `at DESC, id DESC`: `(at, id) < (c.at, c.id)`,
/// spelled without row values for portability. The leading `at <= c.at` is implied by the rest
/// but is what the planner can use as an index range, so the scan starts at the position
/// instead of filtering every newer row of the list.
fn after<C: ColumnTrait>(at: C, id: C, c: Cursor) -> Condition {
    let m = c.at_micros();
    Condition::all().add(at.lte(m)).add(
        Condition::any()
            .add(at.lt(m))
            .add(Condition::all().add(at.eq(m)).add(id.lt(c.id()))),
    )
}

fn commission_query(tenant: TenantId, f: &CommissionFilter) -> Select<ev::Entity> {
    let mut q = ev::Entity::find().filter(ev::Column::TenantId.eq(tenant.uuid()));
    if let Some(p) = f.partner_id {
        q = q.filter(ev::Column::PartnerId.eq(p.uuid()));
    }
    if let Some(s) = f.status {
        q = q.filter(ev::Column::Status.eq(s.name()));
    }
    if let Some(t) = f.event_type {
        q = q.filter(ev::Column::EventType.eq(t.name()));
    }
    if let Some(c) = f.currency {
        q = q.filter(ev::Column::Currency.eq(c.code()));
    }
    if let Some(from) = f.from {
        q = q.filter(ev::Column::EventDate.gte(micros(from)));
    }
    if let Some(to) = f.to {
        q = q.filter(ev::Column::EventDate.lt(micros(to)));
    }
    if let Some(p) = f.payout_id {
        q = q.filter(ev::Column::PayoutId.eq(p.uuid()));
    }
    if let Some(s) = f.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        q = q.filter(
            Condition::any()
                .add(ev::Column::InvoiceId.eq(s))
                .add(ev::Column::InvoiceNumber.eq(s))
                .add(ev::Column::CustomerId.eq(s)),
        );
    }
    q
}

/// Newest first, ties by id: the order of the indexes (…, event_date, id), read backwards.
/// Not part of the filter query, so counts stay free of it.
fn newest_events(q: Select<ev::Entity>) -> Select<ev::Entity> {
    q.order_by_desc(ev::Column::EventDate)
        .order_by_desc(ev::Column::Id)
}

pub(crate) async fn list_commissions<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    f: &CommissionFilter,
    page: PageRequest,
) -> Result<Page<CommissionEvent>, StoreError> {
    let q = commission_query(tenant, f);
    let counted = counted_partner(f);
    if page.offset > 0
        && let Some(partner) = counted
    {
        return jump_by_days(db, tenant, partner, f, q, page).await;
    }
    if page.offset == 0
        && let Some(partner) = counted
    {
        return first_page_counted(db, tenant, partner, f, q, page).await;
    }
    // The count and the page are separate statements (see api.md); sent together they cost
    // one round trip, not two.
    let total = async { q.clone().count(db).await.or_store() };
    let rows = async {
        if page.offset == 0 {
            events(db, newest_events(q.clone()).limit(u64::from(page.limit))).await
        } else {
            skipped_in_index(db, q.clone(), page).await
        }
    };
    let (total, items) = try_join(total, rows).await?;
    Ok(Page { items, total, page })
}

/// The first page of a list the daily totals count, and its count, in one statement: each
/// row carries the sum of the totals (an uncorrelated subquery, computed once on both
/// backends). One statement is one snapshot, so the count always agrees with the page, and a
/// shared portal round sends one statement instead of two. An empty page has no row to carry
/// the count, and needs none: the totals are kept by triggers in the events' own
/// transactions, so in the snapshot that found no event, they count none either.
async fn first_page_counted<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    partner: PartnerId,
    f: &CommissionFilter,
    q: Select<ev::Entity>,
    page: PageRequest,
) -> Result<Page<CommissionEvent>, StoreError> {
    let counted = totals_query(tenant, partner, f)
        .select_only()
        .column_as(sum_bigint(totals::Column::EventCount), "n")
        .into_query();
    let select = newest_events(q).limit(u64::from(page.limit)).expr_as(
        Expr::SubQuery(None, Box::new(counted.into_sub_query_statement())),
        TOTAL,
    );
    let (items, total) = events_with_total(db, select).await?;
    let total = total.map(count).transpose()?.unwrap_or(0);
    Ok(Page { items, total, page })
}

/// A deep page of a list the daily totals cannot place: it skips `offset` rows however it is
/// read, so it skips them in the list's index alone (an index-only scan when the filter is the
/// index's columns) and reads only the page's rows, instead of every skipped row too.
async fn skipped_in_index<C: ConnectionTrait>(
    db: &C,
    q: Select<ev::Entity>,
    page: PageRequest,
) -> Result<Vec<CommissionEvent>, StoreError> {
    let ids = newest_events(q)
        .select_only()
        .column(ev::Column::Id)
        .offset(page.offset)
        .limit(u64::from(page.limit))
        .into_query();
    let of_page = match db.get_database_backend() {
        // `= ANY(ARRAY(…))` computes the ids once and reads them by primary key in every
        // plan. With `IN (…)` PostgreSQL's generic plan, which cannot know the LIMIT, expects
        // a tenth of the list and hash-joins it to a scan of the whole table.
        DbBackend::Postgres => Expr::cust_with_exprs(
            "$1 = ANY(ARRAY $2)",
            [
                Expr::col((ev::Entity, ev::Column::Id)),
                Expr::SubQuery(None, Box::new(ids.into_sub_query_statement())),
            ],
        ),
        _ => ev::Column::Id.in_subquery(ids),
    };
    // The ids come from the tenant's list; filtering the tenant again here made SQLite read
    // the tenant's whole list by its index and test each row against the ids.
    events(db, newest_events(ev::Entity::find().filter(of_page))).await
}

/// A page past the first of a list the daily totals count: their per-day counts (one row per
/// day with events, newest first) say on which day row `offset` falls and how many rows the
/// newer days hold, so the page is read from that day on and skips at most one day's rows,
/// at any depth. The counts also give the total. As with any offset page, a write between
/// the two statements may shift the page by the rows it added or removed.
async fn jump_by_days<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    partner: PartnerId,
    f: &CommissionFilter,
    q: Select<ev::Entity>,
    page: PageRequest,
) -> Result<Page<CommissionEvent>, StoreError> {
    let days: Vec<(i64, i64)> = totals_query(tenant, partner, f)
        .select_only()
        .column(totals::Column::Day)
        .column_as(sum_bigint(totals::Column::EventCount), "n")
        .group_by(totals::Column::Day)
        .order_by_desc(totals::Column::Day)
        .into_tuple()
        .all(db)
        .await
        .or_store()?;
    let mut total: u64 = 0;
    let mut start = None;
    for (day, n) in days {
        let n = count(n)?;
        if start.is_none() && page.offset < total + n {
            start = Some((day, page.offset - total));
        }
        total += n;
    }
    let items = match start {
        // Past the end.
        None => Vec::new(),
        Some((day, skip)) => {
            let mut q = q;
            // Events of day d have d × DAY ≤ event_date < (d + 1) × DAY (dates are positive).
            if let Some(end) = day
                .checked_add(1)
                .and_then(|d| d.checked_mul(MICROS_PER_DAY))
            {
                q = q.filter(ev::Column::EventDate.lt(end));
            }
            events(
                db,
                newest_events(q).offset(skip).limit(u64::from(page.limit)),
            )
            .await?
        }
    };
    Ok(Page { items, total, page })
}

/// The partner of a list filtered at most by partner, status and currency: what the daily
/// totals count (a few hundred rows) instead of counting up to millions of events.
fn counted_partner(f: &CommissionFilter) -> Option<PartnerId> {
    let by_totals = CommissionFilter {
        partner_id: f.partner_id,
        status: f.status,
        currency: f.currency,
        ..CommissionFilter::default()
    };
    (*f == by_totals).then_some(f.partner_id).flatten()
}

/// The daily totals of a partner's list, filtered as the list is.
fn totals_query(
    tenant: TenantId,
    partner: PartnerId,
    f: &CommissionFilter,
) -> Select<totals::Entity> {
    let mut q = totals::Entity::find()
        .filter(totals::Column::TenantId.eq(tenant.uuid()))
        .filter(totals::Column::PartnerId.eq(partner.uuid()));
    if let Some(s) = f.status {
        q = q.filter(totals::Column::Status.eq(s.name()));
    }
    if let Some(c) = f.currency {
        q = q.filter(totals::Column::Currency.eq(c.code()));
    }
    q
}

/// An event count read from the daily totals, which never go negative.
fn count(n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| {
        StoreError::Internal(format!("a negative event count in the daily totals: {n}"))
    })
}

pub(crate) async fn seek_commissions<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    f: &CommissionFilter,
    page: SeekRequest,
) -> Result<SeekPage<CommissionEvent>, StoreError> {
    let mut q = commission_query(tenant, f);
    if let Some(c) = page.after {
        q = q.filter(after(ev::Column::EventDate, ev::Column::Id, c));
    }
    // One row more than asked tells whether a next page exists, without counting.
    let items = events(db, newest_events(q).limit(u64::from(page.limit) + 1)).await?;
    Ok(SeekPage::cut(items, page.limit))
}

pub(crate) async fn payout<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    id: PayoutId,
) -> Result<Option<Payout>, StoreError> {
    payout::Entity::find_by_id(id.uuid())
        .filter(payout::Column::TenantId.eq(tenant.uuid()))
        .one(db)
        .await
        .or_store()?
        .map(payout_from)
        .transpose()
}

fn payout_query(tenant: TenantId, f: &PayoutFilter) -> Select<payout::Entity> {
    let mut q = payout::Entity::find().filter(payout::Column::TenantId.eq(tenant.uuid()));
    if let Some(p) = f.partner_id {
        q = q.filter(payout::Column::PartnerId.eq(p.uuid()));
    }
    if let Some(s) = f.status {
        q = q.filter(payout::Column::Status.eq(s.name()));
    }
    if let Some(c) = f.currency {
        q = q.filter(payout::Column::Currency.eq(c.code()));
    }
    q
}

fn newest_payouts(q: Select<payout::Entity>) -> Select<payout::Entity> {
    q.order_by_desc(payout::Column::CreatedAt)
        .order_by_desc(payout::Column::Id)
}

pub(crate) async fn list_payouts<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    f: &PayoutFilter,
    page: PageRequest,
) -> Result<Page<Payout>, StoreError> {
    let q = payout_query(tenant, f);
    let total = q.clone().count(db).await.or_store()?;
    let rows = newest_payouts(q)
        .offset(page.offset)
        .limit(u64::from(page.limit))
        .all(db)
        .await
        .or_store()?;
    Ok(Page {
        items: rows
            .into_iter()
            .map(payout_from)
            .collect::<Result<_, _>>()?,
        total,
        page,
    })
}

pub(crate) async fn seek_payouts<C: ConnectionTrait>(
    db: &C,
    tenant: TenantId,
    f: &PayoutFilter,
    page: SeekRequest,
) -> Result<SeekPage<Payout>, StoreError> {
    let mut q = payout_query(tenant, f);
    if let Some(c) = page.after {
        q = q.filter(after(payout::Column::CreatedAt, payout::Column::Id, c));
    }
    let rows = newest_payouts(q)
        .limit(u64::from(page.limit) + 1)
        .all(db)
        .await
        .or_store()?;
    let items = rows
        .into_iter()
        .map(payout_from)
        .collect::<Result<_, _>>()?;
    Ok(SeekPage::cut(items, page.limit))
}
