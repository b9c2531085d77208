//! Operators act on commissions: list across partners, approve, reject, adjust, and approve
//! held commissions whose hold has ended.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use revshare_domain::commission::{EventStatus, EventType};
use revshare_domain::query::CommissionFilter;
use revshare_domain::usecase::{MAX_BULK_IDS, ManualAdjustment};
use revshare_domain::value::{Currency, EventId, Money, PartnerId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::dto::{AmountText, CommissionDto, CursorQuery, InstantParam, ListQuery};
use crate::idempotency::run_once;
use crate::problem::{ApiError, ApiResult, Problem};
use crate::routes::{list_commissions, listing};
use crate::state::AppState;

/// Filters of the tenant-wide list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TenantCommissionQuery {
    pub partner_id: Option<Uuid>,
    pub event_type: Option<String>,
    pub currency: Option<String>,
    pub from: Option<InstantParam>,
    pub to: Option<InstantParam>,
    pub payout_id: Option<Uuid>,
    pub search: Option<String>,
}

/// Commissions of every partner of the tenant, newest first (ties by id); paged by `offset`
/// (counted in `X-Total-Count`) or by `cursor` (not counted), with `X-Next-Cursor` and `Link`
/// to the next page.
#[utoipa::path(
    tag = "commissions",
    params(ListQuery, CursorQuery, TenantCommissionQuery),
    responses(
        (status = 200, body = [CommissionDto], headers(
            ("X-Total-Count" = u64, description = "rows matching the filter; offset reads only (cursor reads are not counted)"),
            ("X-Next-Cursor" = String, description = "the `cursor` of the next page; absent on the last page"),
            ("Link" = String, description = "`<path?…&cursor=…>; rel=\"next\"`: this request continued at the next page; absent on the last page"),
        )),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/commissions")]
pub async fn list_all(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    page: web::Query<ListQuery>,
    cursor: web::Query<CursorQuery>,
    q: web::Query<TenantCommissionQuery>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_staff()?;
    let filter = CommissionFilter {
        partner_id: q.partner_id.map(PartnerId::from_uuid),
        status: page.status().map(EventStatus::parse).transpose()?,
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
        payout_id: q.payout_id.map(revshare_domain::value::PayoutId::from_uuid),
        search: q.search.clone().filter(|s| !s.trim().is_empty()),
    };
    let tenant = caller.principal().tenant;
    let found = list_commissions(&state, tenant, &filter, page.request(&cursor)?).await?;
    listing::<_, CommissionDto>(&req, &found)
}

/// Ids of a bulk action (1–500).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ids": ["0196f5a0-1c2b-7d3e-8f40-5a6b7c8d9e0f"]}))]
pub struct BulkIds {
    pub ids: Vec<Uuid>,
}

/// Ids and the reason of a rejection.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ids": ["0196f5a0-1c2b-7d3e-8f40-5a6b7c8d9e0f"], "reason": "duplicate invoice"}))]
pub struct BulkReject {
    pub ids: Vec<Uuid>,
    pub reason: String,
}

fn ids(v: &[Uuid]) -> ApiResult<Vec<EventId>> {
    if v.is_empty() || v.len() > MAX_BULK_IDS {
        return Err(ApiError::invalid(
            "ids",
            format!("must hold 1 to {MAX_BULK_IDS} ids"),
        ));
    }
    Ok(v.iter().map(|u| EventId::from_uuid(*u)).collect())
}

fn body_of<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Approves pending commissions, all or nothing.
#[utoipa::path(
    tag = "commissions",
    request_body = BulkIds,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays answer the first response")),
    responses(
        (status = 200, body = [CommissionDto]),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/commissions/approve")]
pub async fn approve(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: web::Json<BulkIds>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_operator()?;
    let ids = ids(&body.ids)?;
    run_once(&state, &req, &caller, &*body, || async {
        let done = state
            .engine
            .approve(caller.principal().tenant, &caller.actor(), &ids)
            .await?;
        let out: Vec<CommissionDto> = done.iter().map(CommissionDto::from).collect();
        Ok((StatusCode::OK, body_of(&out)))
    })
    .await
}

/// Rejects pending or approved, unclaimed commissions with a reason, all or nothing.
#[utoipa::path(
    tag = "commissions",
    request_body = BulkReject,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays answer the first response")),
    responses(
        (status = 200, body = [CommissionDto]),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/commissions/reject")]
pub async fn reject(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: web::Json<BulkReject>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_operator()?;
    let ids = ids(&body.ids)?;
    run_once(&state, &req, &caller, &*body, || async {
        let done = state
            .engine
            .reject(
                caller.principal().tenant,
                &caller.actor(),
                &ids,
                &body.reason,
            )
            .await?;
        let out: Vec<CommissionDto> = done.iter().map(CommissionDto::from).collect();
        Ok((StatusCode::OK, body_of(&out)))
    })
    .await
}

/// A manual adjustment.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"partner_id": "0196f59f-0000-7000-8000-000000000001", "amount": "-25.00", "currency": "USD", "note": "chargeback on INV-2026-0042"}))]
pub struct AdjustmentIn {
    pub partner_id: Uuid,
    /// Signed decimal string, not zero.
    pub amount: AmountText,
    pub currency: String,
    /// Why; required.
    pub note: String,
}

/// Adds an approved manual adjustment (credit or debit) to a partner's ledger.
#[utoipa::path(
    tag = "commissions",
    request_body = AdjustmentIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays answer the first response")),
    responses(
        (status = 201, body = CommissionDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/commissions/adjustments")]
pub async fn adjust(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: web::Json<AdjustmentIn>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_operator()?;
    let currency = Currency::parse(&body.currency)?;
    let amount = Money::from_input(body.amount.0, currency)?;
    run_once(&state, &req, &caller, &*body, || async {
        let input = ManualAdjustment {
            partner_id: PartnerId::from_uuid(body.partner_id),
            amount,
            note: body.note.clone(),
        };
        let e = state
            .engine
            .adjust(caller.principal().tenant, &caller.actor(), input)
            .await?;
        Ok((StatusCode::CREATED, body_of(&CommissionDto::from(&e))))
    })
    .await
}

/// How many held commissions were approved.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovedDue {
    pub approved: u64,
}

/// Approves the tenant's held commissions whose hold has ended (the server also does this
/// periodically).
#[utoipa::path(
    tag = "commissions",
    responses(
        (status = 200, body = ApprovedDue),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/commissions/approve-due")]
pub async fn approve_due(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    caller.principal().require_operator()?;
    let approved = state
        .engine
        .approve_due_in(caller.principal().tenant)
        .await?;
    Ok(HttpResponse::Ok().json(ApprovedDue { approved }))
}
