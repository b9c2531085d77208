//! The partner portal (`/api/v1/partners/revenue/…`): a partner user sees only their own
//! partner; operators and auditors name the partner with `partner_id`.

use std::future::Future;

use actix_web::{HttpRequest, HttpResponse, get, web};
use revshare_domain::commission::{EventStatus, EventType};
use revshare_domain::metrics::Granularity;
use revshare_domain::payout::PayoutStatus;
use revshare_domain::query::{
    CommissionFilter, MAX_PAGE_LIMIT, PageRequest, PayoutFilter, SeekRequest,
};
use revshare_domain::value::{Currency, PartnerId, PayoutId, TenantId};
use serde::{Deserialize, Serialize};
use tokio::runtime::Handle;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::coalesce::Coalescer;
use crate::csv::{Cell, Csv, MAX_EXPORT_ROWS};
use crate::dto::{CommissionDto, CursorQuery, InstantParam, ListQuery, PayoutDto, rfc3339};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::routes::{JsonAnswer, list_commissions, list_payouts, listing};
use crate::state::AppState;

/// The partner whose portal is read, and the period.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MetricsQuery {
    /// Start of the period (default: midnight UTC on the 1st of this month).
    pub period_start: Option<InstantParam>,
    /// End of the period, exclusive (default: now).
    pub period_end: Option<InstantParam>,
    /// Required for operators and auditors; partner users may omit it.
    pub partner_id: Option<Uuid>,
    /// `month` (default) or `day`, for the series.
    pub granularity: Option<String>,
}

/// The figures of one currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct CurrencyMetricsDto {
    pub currency: String,
    /// Approved and paid commissions dated in the period.
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$")]
    pub total_commissions: String,
    pub total_commission_count: u64,
    /// Completed payouts in the period.
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$")]
    pub total_payouts: String,
    /// Approved, not yet paid (claimed by an unfinished payout or not), as of now.
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$")]
    pub pending_amount: String,
    /// Held commissions, as of now.
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$")]
    pub on_hold_amount: String,
}

/// A partner's revenue metrics.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "partner_id": "0196f59f-0000-7000-8000-000000000001",
    "period_start": "2026-03-01T00:00:00Z", "period_end": "2026-03-15T12:00:00Z",
    "currencies": [{"currency": "USD", "total_commissions": "12500.50", "total_commission_count": 45,
        "total_payouts": "10000.00", "pending_amount": "2500.50", "on_hold_amount": "120.00"}]
}))]
pub struct MetricsDto {
    pub partner_id: Uuid,
    #[schema(format = DateTime)]
    pub period_start: String,
    #[schema(format = DateTime)]
    pub period_end: String,
    /// One entry per currency, by code.
    pub currencies: Vec<CurrencyMetricsDto>,
}

/// One bucket of the series.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesPointDto {
    #[schema(format = DateTime)]
    pub bucket_start: String,
    pub currency: String,
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$")]
    pub commissions: String,
    pub commission_count: u64,
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$")]
    pub payouts: String,
}

/// Filters of the commission list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommissionQuery {
    /// Required for operators and auditors.
    pub partner_id: Option<Uuid>,
    /// `invoice_payment`, `refund_adjustment`, `clawback`, `manual_adjustment`.
    pub event_type: Option<String>,
    /// ISO 4217 code.
    pub currency: Option<String>,
    /// Events dated at or after.
    pub from: Option<InstantParam>,
    /// Events dated before.
    pub to: Option<InstantParam>,
    /// Invoice id, invoice number or customer id.
    pub search: Option<String>,
}

/// The partner asked about in a portal path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PartnerQuery {
    /// Required for operators and auditors.
    pub partner_id: Option<Uuid>,
}

fn partner_of(caller: &Caller, requested: Option<Uuid>) -> ApiResult<PartnerId> {
    Ok(caller
        .principal()
        .portal_partner(requested.map(PartnerId::from_uuid))?)
}

async fn resolve(
    state: &AppState,
    caller: &Caller,
    requested: Option<Uuid>,
) -> ApiResult<(TenantId, PartnerId)> {
    let (tenant, partner) = scope(caller, requested)?;
    // Unknown partners answer 404 before anything else is read.
    state.engine.partner(tenant, partner).await?;
    Ok((tenant, partner))
}

/// The caller's tenant and the partner asked about, unread: for the reads that find out
/// whether the partner exists themselves (metrics, series) or in their shared round (the
/// commission list).
fn scope(caller: &Caller, requested: Option<Uuid>) -> ApiResult<(TenantId, PartnerId)> {
    Ok((caller.principal().tenant, partner_of(caller, requested)?))
}

/// What decides a portal answer: the route, the caller's tenant, the partner and the query as
/// sent. Equal keys get equal answers, so their reads in flight can be shared.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PortalRead {
    route: &'static str,
    tenant: TenantId,
    partner: PartnerId,
    query: String,
}

impl PortalRead {
    fn new(route: &'static str, tenant: TenantId, partner: PartnerId, req: &HttpRequest) -> Self {
        PortalRead {
            route,
            tenant,
            partner,
            query: req.query_string().to_owned(),
        }
    }
}

/// The portal's shared reads (see [`crate::coalesce`]).
pub type PortalReads = Coalescer<PortalRead, ApiResult<JsonAnswer>>;

/// No round in flight; rounds run on `rounds`; a 503 (the store unreachable) also answers the
/// next round's waiters.
pub fn reads(rounds: Handle) -> PortalReads {
    Coalescer::new(store_unreachable, rounds)
}

/// Only this answer may be handed to requests that arrived after its read started: it says
/// nothing about the data, which they would otherwise get stale.
fn store_unreachable(answer: &ApiResult<JsonAnswer>) -> bool {
    answer.as_ref().is_err_and(ApiError::is_unavailable)
}

/// `answer`, from a round shared with the identical portal reads waiting at the same time: the
/// dashboards' polling reads (metrics, series, commission pages). Only what the key holds may
/// decide the answer, and the caller's right to read it is checked before.
async fn shared<A, Fut>(
    state: &web::Data<AppState>,
    read: PortalRead,
    answer: A,
) -> ApiResult<JsonAnswer>
where
    A: Fn(web::Data<AppState>) -> Fut + Send + 'static,
    Fut: Future<Output = ApiResult<JsonAnswer>> + Send + 'static,
{
    let for_round = state.clone();
    state
        .reads
        .read(read, move || answer(for_round.clone()))
        .await
        .map_err(|_| ApiError::internal())?
}

fn commission_filter(
    partner: PartnerId,
    status: Option<&str>,
    q: &CommissionQuery,
) -> ApiResult<CommissionFilter> {
    Ok(CommissionFilter {
        partner_id: Some(partner),
        status: status.map(EventStatus::parse).transpose()?,
        event_type: q
            .event_type
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(EventType::parse)
            .transpose()?,
        currency: q
            .currency
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(Currency::parse)
            .transpose()?,
        from: q.from.map(|f| f.0),
        to: q.to.map(|t| t.0),
        payout_id: None,
        search: q.search.clone().filter(|s| !s.trim().is_empty()),
    })
}

/// Revenue metrics per currency for a period.
#[utoipa::path(
    tag = "portal",
    params(MetricsQuery),
    responses(
        (status = 200, body = MetricsDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/partners/revenue/metrics")]
pub async fn metrics(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    q: web::Query<MetricsQuery>,
) -> ApiResult<HttpResponse> {
    let (tenant, partner) = scope(&caller, q.partner_id)?;
    let (start, end) = (q.period_start.map(|p| p.0), q.period_end.map(|p| p.0));
    let read = PortalRead::new("metrics", tenant, partner, &req);
    let answer = shared(&state, read, move |state| async move {
        // The default end ("now") is the round's: after every request it answers arrived.
        let period = state.engine.metrics_period(start, end)?;
        let m = state.engine.metrics(tenant, partner, period).await?;
        JsonAnswer::value(&MetricsDto {
            partner_id: partner.uuid(),
            period_start: rfc3339(m.period.start),
            period_end: rfc3339(m.period.end),
            currencies: m
                .currencies
                .iter()
                .map(|c| CurrencyMetricsDto {
                    currency: c.currency.code().to_owned(),
                    total_commissions: c.total_commissions.to_plain_string(),
                    total_commission_count: c.total_commission_count,
                    total_payouts: c.total_payouts.to_plain_string(),
                    pending_amount: c.pending_amount.to_plain_string(),
                    on_hold_amount: c.on_hold_amount.to_plain_string(),
                })
                .collect(),
        })
    })
    .await?;
    Ok(answer.respond(&req))
}

/// Commissions and completed payouts per month (or day) over a period.
#[utoipa::path(
    tag = "portal",
    params(MetricsQuery),
    responses(
        (status = 200, body = [SeriesPointDto]),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/partners/revenue/series")]
pub async fn series(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    q: web::Query<MetricsQuery>,
) -> ApiResult<HttpResponse> {
    let (tenant, partner) = scope(&caller, q.partner_id)?;
    let granularity = match q.granularity.as_deref() {
        None | Some("") | Some("month") => Granularity::Month,
        Some("day") => Granularity::Day,
        Some(other) => {
            return Err(ApiError::invalid(
                "granularity",
                format!("{other:?} is not month or day"),
            ));
        }
    };
    let (start, end) = (q.period_start.map(|p| p.0), q.period_end.map(|p| p.0));
    let read = PortalRead::new("series", tenant, partner, &req);
    let answer = shared(&state, read, move |state| async move {
        let period = state.engine.metrics_period(start, end)?;
        let points = state
            .engine
            .series(tenant, partner, period, granularity)
            .await?;
        let out: Vec<SeriesPointDto> = points
            .iter()
            .map(|p| SeriesPointDto {
                bucket_start: rfc3339(p.bucket_start),
                currency: p.currency.code().to_owned(),
                commissions: p.commissions.to_plain_string(),
                commission_count: p.commission_count,
                payouts: p.payouts.to_plain_string(),
            })
            .collect();
        JsonAnswer::value(&out)
    })
    .await?;
    Ok(answer.respond(&req))
}

/// The partner's commissions, newest first (ties by id). Page by `offset` (the total count is
/// in `X-Total-Count`) or by `cursor` (no count; any depth costs the same): every page that
/// has a next one names it in `X-Next-Cursor` and `Link`.
#[utoipa::path(
    tag = "portal",
    params(ListQuery, CursorQuery, CommissionQuery),
    responses(
        (status = 200, body = [CommissionDto], headers(
            ("X-Total-Count" = u64, description = "rows matching the filter; offset reads only (cursor reads are not counted)"),
            ("X-Next-Cursor" = String, description = "the `cursor` of the next page; absent on the last page"),
            ("Link" = String, description = "`<path?…&cursor=…>; rel=\"next\"`: this request continued at the next page; absent on the last page"),
        )),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/partners/revenue/commissions")]
pub async fn commissions(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    page: web::Query<ListQuery>,
    cursor: web::Query<CursorQuery>,
    q: web::Query<CommissionQuery>,
) -> ApiResult<HttpResponse> {
    let (tenant, partner) = scope(&caller, q.partner_id)?;
    let filter = commission_filter(partner, page.status(), &q)?;
    let request = page.request(&cursor)?;
    let read = PortalRead::new("commissions", tenant, partner, &req);
    let answer = shared(&state, read, move |state| {
        let filter = filter.clone();
        async move {
            let found = list_commissions(&state, tenant, &filter, request).await?;
            // An unknown partner answers 404, not an empty list. A page with rows needs no
            // look-up for that: the tenant's commissions of a partner exist only if the
            // partner does (it is their foreign key, and never changes tenant).
            if found.items.is_empty() {
                state.engine.partner(tenant, partner).await?;
            }
            JsonAnswer::list::<_, CommissionDto>(&found)
        }
    })
    .await?;
    Ok(answer.respond(&req))
}

fn commission_row(csv: &mut Csv, e: &CommissionDto) {
    csv.row(&[
        Cell::Value(&e.event_date),
        Cell::Value(&e.event_type),
        Cell::Text(
            e.invoice_number
                .as_deref()
                .or(e.invoice_id.as_deref())
                .unwrap_or(""),
        ),
        Cell::Text(e.customer_id.as_deref().unwrap_or("")),
        Cell::Value(e.base_amount.as_deref().unwrap_or("")),
        Cell::Value(e.rate.as_deref().unwrap_or("")),
        Cell::Value(&e.amount),
        Cell::Value(&e.currency),
        Cell::Value(&e.status),
        Cell::Value(&e.payout_id.map(|p| p.to_string()).unwrap_or_default()),
        Cell::Value(&e.id.to_string()),
    ]);
}

const COMMISSION_COLUMNS: &[&str] = &[
    "date",
    "type",
    "invoice",
    "customer",
    "base",
    "rate",
    "commission",
    "currency",
    "status",
    "payout",
    "id",
];

pub(crate) async fn export(
    state: &AppState,
    tenant: TenantId,
    filter: &CommissionFilter,
) -> ApiResult<String> {
    let mut csv = Csv::new(COMMISSION_COLUMNS);
    // The first page is counted, to refuse an oversized export before writing it; the rest
    // are read by cursor, so the last page costs what the first does.
    let first = PageRequest {
        limit: MAX_PAGE_LIMIT,
        offset: 0,
    };
    let found = state.engine.list_commissions(tenant, filter, first).await?;
    if found.total > MAX_EXPORT_ROWS {
        return Err(ApiError::invalid(
            "from",
            format!(
                "the export would hold {} rows; narrow it to at most {MAX_EXPORT_ROWS}",
                found.total
            ),
        ));
    }
    let mut next = found.next_cursor();
    for e in &found.items {
        commission_row(&mut csv, &CommissionDto::from(e));
    }
    while let Some(after) = next {
        let page = SeekRequest {
            limit: MAX_PAGE_LIMIT,
            after: Some(after),
        };
        let found = state.engine.seek_commissions(tenant, filter, page).await?;
        for e in &found.items {
            commission_row(&mut csv, &CommissionDto::from(e));
        }
        next = found.next;
    }
    Ok(csv.finish())
}

pub(crate) fn csv_response(name: &str, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body)
}

/// The filtered commissions as CSV (at most 100,000 rows).
#[utoipa::path(
    tag = "portal",
    params(ListQuery, CommissionQuery),
    responses(
        (status = 200, content_type = "text/csv", body = String),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/partners/revenue/commissions/export.csv")]
pub async fn commissions_csv(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<ListQuery>,
    q: web::Query<CommissionQuery>,
) -> ApiResult<HttpResponse> {
    let (tenant, partner) = resolve(&state, &caller, q.partner_id).await?;
    let filter = commission_filter(partner, page.status(), &q)?;
    Ok(csv_response(
        "commissions.csv",
        export(&state, tenant, &filter).await?,
    ))
}

/// One commission of the partner.
#[utoipa::path(
    tag = "portal",
    params(("id" = Uuid, Path, description = "commission id"), PartnerQuery),
    responses(
        (status = 200, body = CommissionDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/partners/revenue/commissions/{id}")]
pub async fn commission(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    q: web::Query<PartnerQuery>,
) -> ApiResult<HttpResponse> {
    let (tenant, partner) = resolve(&state, &caller, q.partner_id).await?;
    let e = state
        .engine
        .commission(
            tenant,
            Some(partner),
            revshare_domain::value::EventId::from_uuid(*id),
        )
        .await?;
    Ok(HttpResponse::Ok().json(CommissionDto::from(&e)))
}

/// The partner's payouts, newest first (ties by id); paged by `offset` (counted in
/// `X-Total-Count`) or by `cursor` (not counted), with `X-Next-Cursor` and `Link` to the next.
#[utoipa::path(
    tag = "portal",
    params(ListQuery, CursorQuery, PartnerQuery),
    responses(
        (status = 200, body = [PayoutDto], headers(
            ("X-Total-Count" = u64, description = "rows matching the filter; offset reads only (cursor reads are not counted)"),
            ("X-Next-Cursor" = String, description = "the `cursor` of the next page; absent on the last page"),
            ("Link" = String, description = "`<path?…&cursor=…>; rel=\"next\"`: this request continued at the next page; absent on the last page"),
        )),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/partners/revenue/payouts")]
pub async fn payouts(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    page: web::Query<ListQuery>,
    cursor: web::Query<CursorQuery>,
    q: web::Query<PartnerQuery>,
) -> ApiResult<HttpResponse> {
    let (tenant, partner) = resolve(&state, &caller, q.partner_id).await?;
    let filter = PayoutFilter {
        partner_id: Some(partner),
        status: page.status().map(PayoutStatus::parse).transpose()?,
        currency: None,
    };
    let found = list_payouts(&state, tenant, &filter, page.request(&cursor)?).await?;
    listing::<_, PayoutDto>(&req, &found)
}

/// One payout of the partner.
#[utoipa::path(
    tag = "portal",
    params(("id" = Uuid, Path, description = "payout id"), PartnerQuery),
    responses(
        (status = 200, body = PayoutDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/partners/revenue/payouts/{id}")]
pub async fn payout(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    q: web::Query<PartnerQuery>,
) -> ApiResult<HttpResponse> {
    let (tenant, partner) = resolve(&state, &caller, q.partner_id).await?;
    let p = state
        .engine
        .payout(tenant, Some(partner), PayoutId::from_uuid(*id))
        .await?;
    Ok(HttpResponse::Ok().json(PayoutDto::from(&p)))
}

/// A payout's commission lines as CSV.
#[utoipa::path(
    tag = "portal",
    params(("id" = Uuid, Path, description = "payout id"), PartnerQuery),
    responses(
        (status = 200, content_type = "text/csv", body = String),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/partners/revenue/payouts/{id}/statement.csv")]
pub async fn payout_statement(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    q: web::Query<PartnerQuery>,
) -> ApiResult<HttpResponse> {
    let (tenant, partner) = resolve(&state, &caller, q.partner_id).await?;
    let p = state
        .engine
        .payout(tenant, Some(partner), PayoutId::from_uuid(*id))
        .await?;
    let filter = CommissionFilter {
        partner_id: Some(partner),
        payout_id: Some(p.id),
        ..Default::default()
    };
    let body = export(&state, tenant, &filter).await?;
    Ok(csv_response(&format!("payout-{}.csv", p.id), body))
}

#[cfg(test)]
mod tests {
    use revshare_domain::{DomainError, StoreError};

    use super::*;

    #[test]
    fn only_an_unreachable_store_answers_requests_that_came_later() {
        let outage: ApiResult<JsonAnswer> =
            Err(StoreError::Unavailable("connection refused".into()).into());
        assert!(store_unreachable(&outage));
        let data = JsonAnswer::value(&serde_json::json!({"currencies": []}));
        assert!(!store_unreachable(&data));
        let unknown: ApiResult<JsonAnswer> = Err(DomainError::not_found("partner").into());
        assert!(
            !store_unreachable(&unknown),
            "the partner may exist by then"
        );
        let invalid: ApiResult<JsonAnswer> = Err(ApiError::invalid("period_end", "before"));
        assert!(!store_unreachable(&invalid));
    }
}
