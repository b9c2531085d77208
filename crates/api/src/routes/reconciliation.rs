//! The reconciliation report (SPEC §2) of the caller's tenant.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::dto::rfc3339;
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

/// The report: empty `breaches` means the ledger is conserved.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"clean": true, "checked_at": "2026-04-02T10:00:00Z", "payouts_checked": 12, "events_checked": 4810, "breaches": []}))]
pub struct ReconciliationDto {
    pub clean: bool,
    #[schema(format = DateTime)]
    pub checked_at: String,
    pub payouts_checked: u64,
    pub events_checked: u64,
    #[schema(value_type = Vec<Object>)]
    pub breaches: serde_json::Value,
}

/// Checks every payout against its commissions, and paid commissions against completed
/// payouts, for the caller's tenant.
#[utoipa::path(
    tag = "reconciliation",
    responses(
        (status = 200, body = ReconciliationDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/reconciliation")]
pub async fn report(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    caller.principal().require_staff()?;
    let r = state
        .engine
        .reconcile(Some(caller.principal().tenant))
        .await?;
    Ok(HttpResponse::Ok().json(ReconciliationDto {
        clean: r.is_clean(),
        checked_at: rfc3339(r.checked_at),
        payouts_checked: r.payouts_checked,
        events_checked: r.events_checked,
        breaches: serde_json::to_value(&r.breaches).unwrap_or_default(),
    }))
}
