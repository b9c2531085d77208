//! Ingestion for the billing system: invoice payments (one, or up to 1,000 per batch) and
//! refunds, answering the outcome of each.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::dto::{OutcomeDto, PaymentIn, RefundIn};
use crate::idempotency::run_once;
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;

/// Most events in one batch.
pub const MAX_BATCH: usize = revshare_domain::usecase::MAX_INGEST_BATCH;

/// A batch of payments.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentBatch {
    /// 1 to 1,000 payments.
    pub payments: Vec<PaymentIn>,
}

/// A batch of refunds.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundBatch {
    /// 1 to 1,000 refunds.
    pub refunds: Vec<RefundIn>,
}

/// The outcome of every event of a batch, in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResult {
    pub results: Vec<OutcomeDto>,
}

async fn one_payment(state: &AppState, caller: &Caller, p: &PaymentIn) -> ApiResult<OutcomeDto> {
    let input = p.to_domain()?;
    let r = state
        .engine
        .record_payment(caller.principal().tenant, &caller.actor(), input)
        .await?;
    Ok(OutcomeDto::from(&r))
}

async fn one_refund(state: &AppState, caller: &Caller, r: &RefundIn) -> ApiResult<OutcomeDto> {
    let input = r.to_domain()?;
    let out = state
        .engine
        .record_refund(caller.principal().tenant, &caller.actor(), input)
        .await?;
    Ok(OutcomeDto::from(&out))
}

fn status_of(o: &OutcomeDto) -> StatusCode {
    if o.outcome == "created" && !o.duplicate {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

fn answer<T: Serialize>(status: StatusCode, body: &T) -> ApiResult<(StatusCode, String)> {
    Ok((
        status,
        serde_json::to_string(body).map_err(|_| ApiError::internal())?,
    ))
}

/// Records one paid invoice. Replays answer `duplicate: true` with the first outcome.
#[utoipa::path(
    tag = "ingestion",
    request_body = PaymentIn,
    responses(
        (status = 201, body = OutcomeDto, description = "a commission was written"),
        (status = 200, body = OutcomeDto, description = "recorded without commission, or a replay"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/ingest/payments")]
pub async fn payment(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: web::Json<PaymentIn>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_ingestion()?;
    run_once(&state, &req, &caller, &*body, || async {
        let o = one_payment(&state, &caller, &body).await?;
        answer(status_of(&o), &o)
    })
    .await
}

fn item_problem(e: ApiError) -> ApiResult<(String, crate::problem::Problem)> {
    let p = e.problem();
    // Infrastructure failures fail the whole batch, so the caller retries it; replays are safe.
    if p.status >= 500 {
        return Err(e);
    }
    Ok((
        if p.status == 422 {
            "invalid".into()
        } else {
            "refused".into()
        },
        p,
    ))
}

/// Records up to 1,000 paid invoices; each answers its own outcome (`invalid` items carry the
/// problem and are not remembered).
#[utoipa::path(
    tag = "ingestion",
    request_body = PaymentBatch,
    responses(
        (status = 200, body = BatchResult),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/ingest/payments/batch")]
pub async fn payment_batch(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: web::Json<PaymentBatch>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_ingestion()?;
    if body.payments.is_empty() || body.payments.len() > MAX_BATCH {
        return Err(ApiError::invalid(
            "payments",
            format!("must hold 1 to {MAX_BATCH} payments"),
        ));
    }
    run_once(&state, &req, &caller, &*body, || async {
        // Items that fail to parse answer `invalid`; the rest are recorded in one call.
        let parsed: Vec<ApiResult<_>> = body
            .payments
            .iter()
            .map(|p| p.to_domain().map_err(ApiError::from))
            .collect();
        let valid: Vec<_> = parsed
            .iter()
            .filter_map(|p| p.as_ref().ok().cloned())
            .collect();
        let mut recorded = if valid.is_empty() {
            Vec::new()
        } else {
            state
                .engine
                .record_payments(caller.principal().tenant, &caller.actor(), valid)
                .await?
        }
        .into_iter();
        let mut results = Vec::with_capacity(body.payments.len());
        for (p, parsed) in body.payments.iter().zip(parsed) {
            let outcome = match parsed {
                Ok(_) => match recorded.next() {
                    Some(r) => r.map_err(ApiError::from),
                    None => return Err(ApiError::internal()),
                },
                Err(e) => Err(e),
            };
            results.push(match outcome {
                Ok(o) => OutcomeDto::from(&o),
                Err(e) => {
                    let (outcome, problem) = item_problem(e)?;
                    OutcomeDto::refused(&p.payment_id, &outcome, problem)
                }
            });
        }
        answer(StatusCode::OK, &BatchResult { results })
    })
    .await
}

/// Records one refund. A refund of an unknown payment answers 404 and is not remembered, so
/// it succeeds when retried after its payment.
#[utoipa::path(
    tag = "ingestion",
    request_body = RefundIn,
    responses(
        (status = 201, body = OutcomeDto, description = "a negative commission was written"),
        (status = 200, body = OutcomeDto, description = "recorded without commission, or a replay"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/ingest/refunds")]
pub async fn refund(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: web::Json<RefundIn>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_ingestion()?;
    run_once(&state, &req, &caller, &*body, || async {
        let o = one_refund(&state, &caller, &body).await?;
        answer(status_of(&o), &o)
    })
    .await
}

/// Records up to 1,000 refunds; each answers its own outcome.
#[utoipa::path(
    tag = "ingestion",
    request_body = RefundBatch,
    responses(
        (status = 200, body = BatchResult),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/ingest/refunds/batch")]
pub async fn refund_batch(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: web::Json<RefundBatch>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_ingestion()?;
    if body.refunds.is_empty() || body.refunds.len() > MAX_BATCH {
        return Err(ApiError::invalid(
            "refunds",
            format!("must hold 1 to {MAX_BATCH} refunds"),
        ));
    }
    run_once(&state, &req, &caller, &*body, || async {
        let mut results = Vec::with_capacity(body.refunds.len());
        for r in &body.refunds {
            results.push(match one_refund(&state, &caller, r).await {
                Ok(o) => o,
                Err(e) => {
                    let (outcome, problem) = item_problem(e)?;
                    OutcomeDto::refused(&r.refund_id, &outcome, problem)
                }
            });
        }
        answer(StatusCode::OK, &BatchResult { results })
    })
    .await
}
