//! The audit log: read-only through the API.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Caller;
use crate::dto::{ListQuery, rfc3339};
use crate::problem::{ApiResult, Problem};
use crate::routes::list;
use crate::state::AppState;

/// One operator action.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryDto {
    pub id: Uuid,
    /// `role:subject` of who acted.
    pub actor: String,
    /// `partner.create`, `payout.complete`, …
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    /// State before, as stored.
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// State after, as stored.
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    #[schema(format = DateTime)]
    pub at: String,
}

/// The tenant's audit log, newest first.
#[utoipa::path(
    tag = "audit",
    params(ListQuery),
    responses(
        (status = 200, body = [AuditEntryDto], headers(("X-Total-Count" = u64, description = "all entries"))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/audit-log")]
pub async fn audit_log(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_staff()?;
    let page = state
        .directory
        .audit_log(caller.principal().tenant, q.page()?)
        .await?;
    let parse = |s: &Option<String>| s.as_deref().and_then(|t| serde_json::from_str(t).ok());
    let items: Vec<AuditEntryDto> = page
        .items
        .iter()
        .map(|e| AuditEntryDto {
            id: e.id,
            actor: e.actor.clone(),
            action: e.action.clone(),
            target_type: e.target_type.clone(),
            target_id: e.target_id.clone(),
            before: parse(&e.before),
            after: parse(&e.after),
            at: rfc3339(e.at),
        })
        .collect();
    Ok(list(&items, page.total))
}
