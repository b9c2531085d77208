//! Attributions of customers to partners (partner accounts).

use actix_web::{HttpResponse, get, post, web};
use revshare_domain::attribution::PartnerAccount;
use revshare_domain::usecase::NewAccount;
use revshare_domain::value::{CustomerId, PartnerAccountId, PartnerId, Rate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Caller;
use crate::dto::{InstantParam, rfc3339, rfc3339_opt};
use crate::problem::{ApiResult, Problem};
use crate::routes::list;
use crate::state::AppState;

/// An attribution of a customer to a partner over `[start_date, end_date)`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountDto {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub customer_id: String,
    #[schema(format = DateTime)]
    pub start_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub end_date: Option<String>,
    /// Revenue-share rate overriding every rule, as a decimal string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_rate: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<&PartnerAccount> for AccountDto {
    fn from(a: &PartnerAccount) -> Self {
        AccountDto {
            id: a.id.uuid(),
            partner_id: a.partner_id.uuid(),
            customer_id: a.customer_id.to_string(),
            start_date: rfc3339(a.start),
            end_date: rfc3339_opt(a.end),
            custom_rate: a.custom_rate.map(|r| r.to_string()),
            created_at: rfc3339(a.created_at),
        }
    }
}

/// What attributes a customer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"customer_id": "cust_9", "start_date": "2026-01-01", "custom_rate": "0.20"}))]
pub struct CreateAccount {
    pub customer_id: String,
    /// RFC 3339 or `YYYY-MM-DD` (00:00 UTC).
    pub start_date: InstantParam,
    pub end_date: Option<InstantParam>,
    pub custom_rate: Option<String>,
}

/// Ends an attribution.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"end_date": "2026-06-30"}))]
pub struct EndAccount {
    /// First instant no longer attributed.
    pub end_date: InstantParam,
}

/// Attributes a customer to the partner; overlapping another attribution is refused (409).
#[utoipa::path(
    tag = "accounts",
    params(("id" = Uuid, Path, description = "partner id")),
    request_body = CreateAccount,
    responses(
        (status = 201, body = AccountDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/partners/{id}/accounts")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<CreateAccount>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_operator()?;
    let b = body.into_inner();
    let input = NewAccount {
        partner_id: PartnerId::from_uuid(*id),
        customer_id: CustomerId::parse(&b.customer_id)?,
        start: b.start_date.0,
        end: b.end_date.map(|e| e.0),
        custom_rate: b.custom_rate.as_deref().map(Rate::parse).transpose()?,
    };
    let a = state
        .engine
        .attribute_customer(caller.principal().tenant, &caller.actor(), input)
        .await?;
    Ok(HttpResponse::Created().json(AccountDto::from(&a)))
}

/// A partner's attributions.
#[utoipa::path(
    tag = "accounts",
    params(("id" = Uuid, Path, description = "partner id")),
    responses(
        (status = 200, body = [AccountDto]),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/partners/{id}/accounts")]
pub async fn list_accounts(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = caller.principal();
    let partner = p.portal_partner(Some(PartnerId::from_uuid(*id)))?;
    let accounts = state.engine.accounts_of_partner(p.tenant, partner).await?;
    let items: Vec<AccountDto> = accounts.iter().map(AccountDto::from).collect();
    Ok(list(&items, items.len() as u64))
}

/// Ends an attribution at `end_date` (it can be shortened, never extended).
#[utoipa::path(
    tag = "accounts",
    params(("id" = Uuid, Path, description = "partner account id")),
    request_body = EndAccount,
    responses(
        (status = 200, body = AccountDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/accounts/{id}/end")]
pub async fn end(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<EndAccount>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_operator()?;
    let a = state
        .engine
        .end_attribution(
            caller.principal().tenant,
            &caller.actor(),
            PartnerAccountId::from_uuid(*id),
            body.end_date.0,
        )
        .await?;
    Ok(HttpResponse::Ok().json(AccountDto::from(&a)))
}
