//! Operators manage partners and their users: create, list, read, update, status moves,
//! soft delete (archive).

use std::collections::BTreeMap;

use actix_web::{HttpResponse, delete, get, patch, post, web};
use revshare_domain::ValidationError;
use revshare_domain::partner::{Partner, PartnerStatus, PartnerTier, PartnerUser, PartnerUserRole};
use revshare_domain::usecase::{NewPartner, NewPartnerUser, PartnerUpdate};
use revshare_domain::value::{Currency, Money, PartnerId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Caller;
use crate::auth::password::{MAX_PASSWORD_LEN, MIN_PASSWORD_LEN, hash_password};
use crate::dto::{ListQuery, TermsDto, double_option, rfc3339};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::routes::list;
use crate::state::AppState;

/// A partner.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerDto {
    pub id: Uuid,
    pub partner_number: String,
    pub name: String,
    /// `pending`, `active`, `suspended`, `terminated` or `archived`.
    pub status: String,
    /// `bronze`, `silver`, `gold`, `platinum` or `direct`.
    pub tier: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_terms: Option<TermsDto>,
    pub hold_days: u32,
    /// Minimum payout per currency code.
    pub minimum_payouts: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_id: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<&Partner> for PartnerDto {
    fn from(p: &Partner) -> Self {
        PartnerDto {
            id: p.id.uuid(),
            partner_number: p.partner_number.clone(),
            name: p.name.clone(),
            status: p.status.name().to_owned(),
            tier: p.tier.name().to_owned(),
            default_terms: p.default_terms.as_ref().map(TermsDto::from_model),
            hold_days: p.hold_days,
            minimum_payouts: p
                .minimum_payouts
                .iter()
                .map(|(c, m)| (c.code().to_owned(), m.to_plain_string()))
                .collect(),
            contact_email: p.contact_email.clone(),
            tax_id: p.tax_id.clone(),
            created_at: rfc3339(p.created_at),
            updated_at: rfc3339(p.updated_at),
        }
    }
}

/// What creates a partner.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "partner_number": "P-0001", "name": "Northwind Resellers", "tier": "gold",
    "default_terms": {"model": "revenue_share", "rate": "0.15"}, "hold_days": 14,
    "minimum_payouts": {"USD": "50.00"}, "contact_email": "finance@northwind.example"
}))]
pub struct CreatePartner {
    pub partner_number: String,
    pub name: String,
    /// Default `bronze`.
    pub tier: Option<String>,
    pub default_terms: Option<TermsDto>,
    /// Default 0.
    pub hold_days: Option<u32>,
    /// Minimum payout per currency code, as decimal strings.
    pub minimum_payouts: Option<BTreeMap<String, String>>,
    pub contact_email: Option<String>,
    pub tax_id: Option<String>,
}

/// Changes to a partner; absent fields stay, `null` clears optional ones.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePartner {
    pub name: Option<String>,
    pub tier: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub default_terms: Option<Option<TermsDto>>,
    pub hold_days: Option<u32>,
    pub minimum_payouts: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub contact_email: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub tax_id: Option<Option<String>>,
}

/// A status move.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "active"}))]
pub struct StatusMove {
    /// The target status.
    pub status: String,
}

fn minimums(m: &BTreeMap<String, String>) -> Result<BTreeMap<Currency, Money>, ValidationError> {
    if m.len() > 200 {
        return Err(ValidationError::new(
            "minimum_payouts",
            "at most 200 currencies",
        ));
    }
    m.iter()
        .map(|(code, amount)| {
            let c = Currency::parse(code).map_err(|e| e.for_field("minimum_payouts"))?;
            Ok((
                c,
                Money::parse(amount, c).map_err(|e| e.for_field("minimum_payouts"))?,
            ))
        })
        .collect()
}

/// Creates a partner (status `pending`).
#[utoipa::path(
    tag = "partners",
    request_body = CreatePartner,
    responses(
        (status = 201, body = PartnerDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/partners")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<CreatePartner>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_operator()?;
    let b = body.into_inner();
    let input = NewPartner {
        partner_number: b.partner_number,
        name: b.name,
        tier: PartnerTier::parse(b.tier.as_deref().unwrap_or("bronze"))?,
        default_terms: b
            .default_terms
            .as_ref()
            .map(TermsDto::to_model)
            .transpose()?,
        hold_days: b.hold_days.unwrap_or(0),
        minimum_payouts: minimums(&b.minimum_payouts.unwrap_or_default())?,
        contact_email: b.contact_email,
        tax_id: b.tax_id,
    };
    let p = state
        .engine
        .create_partner(caller.principal().tenant, &caller.actor(), input)
        .await?;
    Ok(HttpResponse::Created().json(PartnerDto::from(&p)))
}

/// Lists the tenant's partners by partner number.
#[utoipa::path(
    tag = "partners",
    params(ListQuery),
    responses(
        (status = 200, body = [PartnerDto], headers(("X-Total-Count" = u64, description = "all partners"))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/partners")]
pub async fn list_partners(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_staff()?;
    let page = state
        .engine
        .ledger()
        .list_partners(caller.principal().tenant, q.page()?)
        .await?;
    let items: Vec<PartnerDto> = page.items.iter().map(PartnerDto::from).collect();
    Ok(list(&items, page.total))
}

/// One partner.
#[utoipa::path(
    tag = "partners",
    params(("id" = Uuid, Path, description = "partner id")),
    responses(
        (status = 200, body = PartnerDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/partners/{id}")]
pub async fn get_partner(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = caller.principal();
    let partner = PartnerId::from_uuid(*id);
    // Staff read any partner; a partner user only their own (another one is "not found").
    p.portal_partner(Some(partner))?;
    let found = state.engine.partner(p.tenant, partner).await?;
    Ok(HttpResponse::Ok().json(PartnerDto::from(&found)))
}

/// Changes a partner's fields.
#[utoipa::path(
    tag = "partners",
    params(("id" = Uuid, Path, description = "partner id")),
    request_body = UpdatePartner,
    responses(
        (status = 200, body = PartnerDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/partners/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<UpdatePartner>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_operator()?;
    let b = body.into_inner();
    let update = PartnerUpdate {
        name: b.name,
        tier: b.tier.as_deref().map(PartnerTier::parse).transpose()?,
        default_terms: b
            .default_terms
            .map(|t| t.as_ref().map(TermsDto::to_model).transpose())
            .transpose()?,
        hold_days: b.hold_days,
        minimum_payouts: b.minimum_payouts.as_ref().map(minimums).transpose()?,
        contact_email: b.contact_email,
        tax_id: b.tax_id,
    };
    let p = state
        .engine
        .update_partner(
            caller.principal().tenant,
            &caller.actor(),
            PartnerId::from_uuid(*id),
            update,
        )
        .await?;
    Ok(HttpResponse::Ok().json(PartnerDto::from(&p)))
}

/// Moves a partner's status (`pending → active`, `active ⇄ suspended`,
/// `active/suspended → terminated`, `pending/terminated → archived`).
#[utoipa::path(
    tag = "partners",
    params(("id" = Uuid, Path, description = "partner id")),
    request_body = StatusMove,
    responses(
        (status = 200, body = PartnerDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/partners/{id}/status")]
pub async fn move_status(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<StatusMove>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_operator()?;
    let to = PartnerStatus::parse(&body.status)?;
    let p = state
        .engine
        .move_partner(
            caller.principal().tenant,
            &caller.actor(),
            PartnerId::from_uuid(*id),
            to,
        )
        .await?;
    Ok(HttpResponse::Ok().json(PartnerDto::from(&p)))
}

/// Soft-deletes (archives) a partner; only `pending` and `terminated` partners can be archived.
#[utoipa::path(
    tag = "partners",
    params(("id" = Uuid, Path, description = "partner id")),
    responses(
        (status = 200, body = PartnerDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/partners/{id}")]
pub async fn archive(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_operator()?;
    let p = state
        .engine
        .move_partner(
            caller.principal().tenant,
            &caller.actor(),
            PartnerId::from_uuid(*id),
            PartnerStatus::Archived,
        )
        .await?;
    Ok(HttpResponse::Ok().json(PartnerDto::from(&p)))
}

/// A partner user (never their password).
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerUserDto {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub email: String,
    pub name: String,
    /// `owner`, `admin`, `finance` or `account_manager`.
    pub role: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<&PartnerUser> for PartnerUserDto {
    fn from(u: &PartnerUser) -> Self {
        PartnerUserDto {
            id: u.id.uuid(),
            partner_id: u.partner_id.uuid(),
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role.name().to_owned(),
            created_at: rfc3339(u.created_at),
        }
    }
}

/// What adds a partner user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ann@northwind.example", "name": "Ann", "role": "finance", "password": "a long passphrase"}))]
pub struct CreatePartnerUser {
    pub email: String,
    pub name: String,
    /// `owner`, `admin`, `finance` or `account_manager`.
    pub role: String,
    /// At least 12 characters.
    pub password: String,
}

/// Adds a user to a partner (operators, or the partner's owners and admins).
#[utoipa::path(
    tag = "partners",
    params(("id" = Uuid, Path, description = "partner id")),
    request_body = CreatePartnerUser,
    responses(
        (status = 201, body = PartnerUserDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/partners/{id}/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<CreatePartnerUser>,
) -> ApiResult<HttpResponse> {
    let partner = PartnerId::from_uuid(*id);
    caller.principal().require_team_admin(partner)?;
    let b = body.into_inner();
    let role = PartnerUserRole::parse(&b.role)?;
    if b.password.chars().count() < MIN_PASSWORD_LEN || b.password.len() > MAX_PASSWORD_LEN {
        return Err(ApiError::invalid(
            "password",
            format!("must be {MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} characters"),
        ));
    }
    // Only an owner may create another owner.
    if role == PartnerUserRole::Owner
        && caller.principal().role == revshare_domain::access::Role::Partner
        && caller.principal().partner_role != Some(PartnerUserRole::Owner)
    {
        return Err(ApiError::forbidden("only owners may add owners"));
    }
    // Refuse unknown partners before paying for a password hash.
    state
        .engine
        .partner(caller.principal().tenant, partner)
        .await?;
    let password = b.password;
    let hash = web::block(move || hash_password(&password))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            ApiError::internal()
        })?;
    let input = NewPartnerUser {
        email: b.email,
        name: b.name,
        role,
    };
    let u = state
        .engine
        .add_partner_user(
            caller.principal().tenant,
            &caller.actor(),
            partner,
            input,
            &hash,
        )
        .await?;
    Ok(HttpResponse::Created().json(PartnerUserDto::from(&u)))
}

/// A partner's users.
#[utoipa::path(
    tag = "partners",
    params(("id" = Uuid, Path, description = "partner id")),
    responses(
        (status = 200, body = [PartnerUserDto]),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/partners/{id}/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let p = caller.principal();
    let partner = PartnerId::from_uuid(*id);
    p.portal_partner(Some(partner))?;
    if p.role == revshare_domain::access::Role::Partner {
        p.require_team_admin(partner)?;
    }
    state.engine.partner(p.tenant, partner).await?;
    let users = state.directory.partner_users(p.tenant, partner).await?;
    let items: Vec<PartnerUserDto> = users.iter().map(PartnerUserDto::from).collect();
    Ok(list(&items, items.len() as u64))
}
