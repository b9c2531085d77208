//! Operators make and move payouts: a batch for one partner, a run for the whole tenant,
//! status moves, and the list across partners.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use revshare_domain::payout::PayoutStatus;
use revshare_domain::query::PayoutFilter;
use revshare_domain::usecase::{PayoutBatchOutcome, PayoutMove, PayoutRefusal, PayoutRequest};
use revshare_domain::value::{Currency, PartnerId, PayoutId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::dto::{CursorQuery, InstantParam, ListQuery, PayoutDto};
use crate::idempotency::run_once;
use crate::problem::{ApiError, ApiResult, Problem};
use crate::routes::{list_payouts, listing};
use crate::state::AppState;

/// A payout batch request.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"partner_id": "0196f59f-0000-7000-8000-000000000001", "currency": "USD", "period_end": "2026-03-31T23:59:59Z", "payment_method": "bank_transfer"}))]
pub struct BatchIn {
    pub partner_id: Uuid,
    pub currency: String,
    /// Inclusive lower cut-off on event dates.
    pub period_start: Option<InstantParam>,
    /// Inclusive upper cut-off on event dates.
    pub period_end: InstantParam,
    /// Default `bank_transfer`.
    pub payment_method: Option<String>,
}

/// Why a batch made no payout.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefusalDto {
    pub partner_id: Uuid,
    pub currency: String,
    /// `nothing_to_pay`, `net_not_positive` or `below_minimum`.
    pub reason: String,
    /// Net of the commissions that would have been claimed.
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$")]
    pub net: String,
}

/// The outcome of a batch: a payout, or why not.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchOutcomeDto {
    /// `created` or `refused`.
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payout: Option<PayoutDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<RefusalDto>,
}

fn refusal_name(r: PayoutRefusal) -> &'static str {
    match r {
        PayoutRefusal::NothingToPay => "nothing_to_pay",
        PayoutRefusal::NetNotPositive => "net_not_positive",
        PayoutRefusal::BelowMinimum => "below_minimum",
    }
}

fn outcome_dto(o: &PayoutBatchOutcome) -> BatchOutcomeDto {
    match o {
        PayoutBatchOutcome::Created(p) => BatchOutcomeDto {
            outcome: "created".into(),
            payout: Some(PayoutDto::from(p)),
            refusal: None,
        },
        PayoutBatchOutcome::Refused {
            partner_id,
            currency,
            reason,
            net,
        } => BatchOutcomeDto {
            outcome: "refused".into(),
            payout: None,
            refusal: Some(RefusalDto {
                partner_id: partner_id.uuid(),
                currency: currency.code().to_owned(),
                reason: refusal_name(*reason).to_owned(),
                net: net.to_plain_string(),
            }),
        },
    }
}

fn method(m: &Option<String>) -> String {
    m.clone().unwrap_or_else(|| "bank_transfer".into())
}

/// Claims the partner's approved, unclaimed commissions in range into a payout. A refusal
/// (nothing to pay, net ≤ 0, below the minimum) answers 200 with `outcome: refused` and
/// changes nothing.
#[utoipa::path(
    tag = "payouts",
    request_body = BatchIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays answer the first response")),
    responses(
        (status = 201, body = BatchOutcomeDto, description = "a payout was made"),
        (status = 200, body = BatchOutcomeDto, description = "refused; nothing changed"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/payouts")]
pub async fn batch(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: web::Json<BatchIn>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_operator()?;
    let request = PayoutRequest {
        partner_id: PartnerId::from_uuid(body.partner_id),
        currency: Currency::parse(&body.currency)?,
        period_start: body.period_start.map(|p| p.0),
        period_end: body.period_end.0,
        payment_method: method(&body.payment_method),
    };
    run_once(&state, &req, &caller, &*body, || async {
        let o = state
            .engine
            .create_payout(caller.principal().tenant, &caller.actor(), request)
            .await?;
        let status = if matches!(o, PayoutBatchOutcome::Created(_)) {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        Ok((
            status,
            serde_json::to_string(&outcome_dto(&o)).unwrap_or_default(),
        ))
    })
    .await
}

/// A payout run over every partner and currency of the tenant.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"period_end": "2026-03-31T23:59:59Z"}))]
pub struct RunIn {
    pub period_start: Option<InstantParam>,
    pub period_end: InstantParam,
    pub payment_method: Option<String>,
}

/// What a run made and refused.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunReportDto {
    pub created: Vec<PayoutDto>,
    pub refused: Vec<RefusalDto>,
}

/// Runs payouts for every partner and currency with approved, unclaimed commissions up to
/// the cut-off, and reports refusals.
#[utoipa::path(
    tag = "payouts",
    request_body = RunIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays answer the first response")),
    responses(
        (status = 200, body = RunReportDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/payouts/run")]
pub async fn run(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: web::Json<RunIn>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_operator()?;
    if body.period_start.is_some_and(|s| s.0 > body.period_end.0) {
        return Err(ApiError::invalid(
            "period_start",
            "must not be after period_end",
        ));
    }
    run_once(&state, &req, &caller, &*body, || async {
        let r = state
            .engine
            .run_payouts(
                caller.principal().tenant,
                &caller.actor(),
                body.period_start.map(|p| p.0),
                body.period_end.0,
                &method(&body.payment_method),
            )
            .await?;
        let dto = RunReportDto {
            created: r.created.iter().map(PayoutDto::from).collect(),
            refused: r
                .refused
                .iter()
                .filter_map(|o| outcome_dto(o).refusal)
                .collect(),
        };
        Ok((
            StatusCode::OK,
            serde_json::to_string(&dto).unwrap_or_default(),
        ))
    })
    .await
}

/// Filters of the payout list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PayoutQuery {
    pub partner_id: Option<Uuid>,
    pub currency: Option<String>,
}

/// Payouts of every partner, newest first (ties by id); paged by `offset` (counted in
/// `X-Total-Count`) or by `cursor` (not counted), with `X-Next-Cursor` and `Link` to the next.
#[utoipa::path(
    tag = "payouts",
    params(ListQuery, CursorQuery, PayoutQuery),
    responses(
        (status = 200, body = [PayoutDto], headers(
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
#[get("/payouts")]
pub async fn list_all(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    page: web::Query<ListQuery>,
    cursor: web::Query<CursorQuery>,
    q: web::Query<PayoutQuery>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_staff()?;
    let filter = PayoutFilter {
        partner_id: q.partner_id.map(PartnerId::from_uuid),
        status: page.status().map(PayoutStatus::parse).transpose()?,
        currency: q
            .currency
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(Currency::parse)
            .transpose()?,
    };
    let tenant = caller.principal().tenant;
    let found = list_payouts(&state, tenant, &filter, page.request(&cursor)?).await?;
    listing::<_, PayoutDto>(&req, &found)
}

/// One payout.
#[utoipa::path(
    tag = "payouts",
    params(("id" = Uuid, Path, description = "payout id")),
    responses(
        (status = 200, body = PayoutDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/payouts/{id}")]
pub async fn get_payout(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_staff()?;
    let p = state
        .engine
        .payout(caller.principal().tenant, None, PayoutId::from_uuid(*id))
        .await?;
    Ok(HttpResponse::Ok().json(PayoutDto::from(&p)))
}

/// A payout status move.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "completed", "payment_reference": "BANK-2026-04-0007"}))]
pub struct PayoutMoveIn {
    /// `ready`, `processing`, `completed` (needs `payment_reference`), `failed` or `cancelled`
    /// (need `reason`).
    pub status: String,
    pub payment_reference: Option<String>,
    pub reason: Option<String>,
}

/// Moves a payout: `pending → ready → processing → completed` (its commissions become paid),
/// `processing → failed` and `pending/ready → cancelled` (its commissions are released).
#[utoipa::path(
    tag = "payouts",
    params(("id" = Uuid, Path, description = "payout id"), ("Idempotency-Key" = Option<String>, Header, description = "replays answer the first response")),
    request_body = PayoutMoveIn,
    responses(
        (status = 200, body = PayoutDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/payouts/{id}/status")]
pub async fn move_status(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<PayoutMoveIn>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_operator()?;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let mv = match body.status.as_str() {
        "ready" => PayoutMove::Ready,
        "processing" => PayoutMove::Processing,
        "completed" => PayoutMove::Complete {
            payment_reference: text(&body.payment_reference),
        },
        "failed" => PayoutMove::Fail {
            reason: text(&body.reason),
        },
        "cancelled" => PayoutMove::Cancel {
            reason: text(&body.reason),
        },
        other => {
            return Err(ApiError::invalid(
                "status",
                format!("{other:?} is not ready, processing, completed, failed or cancelled"),
            ));
        }
    };
    let id = PayoutId::from_uuid(*id);
    run_once(&state, &req, &caller, &*body, || async {
        let p = state
            .engine
            .move_payout(caller.principal().tenant, &caller.actor(), id, mv)
            .await?;
        Ok((
            StatusCode::OK,
            serde_json::to_string(&PayoutDto::from(&p)).unwrap_or_default(),
        ))
    })
    .await
}
