//! Commission rules: create, read, replace, deactivate, and a simulation that writes nothing.

use std::collections::BTreeSet;

use actix_web::{HttpResponse, delete, get, post, put, web};
use revshare_domain::ValidationError;
use revshare_domain::terms::CommissionRule;
use revshare_domain::usecase::RuleDraft;
use revshare_domain::value::{Currency, CustomerId, Money, PartnerId, ProductId, RuleId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Caller;
use crate::dto::{InstantParam, PaymentIn, TermsDto, rfc3339, rfc3339_opt};
use crate::problem::{ApiResult, Problem};
use crate::routes::list;
use crate::state::AppState;

/// A rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleDto {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub name: String,
    pub terms: TermsDto,
    pub product_ids: Vec<String>,
    pub customer_ids: Vec<String>,
    #[schema(format = DateTime)]
    pub effective_from: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub effective_to: Option<String>,
    pub priority: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_duration_months: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$")]
    pub monthly_cap: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monthly_cap_currency: Option<String>,
    pub active: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<&CommissionRule> for RuleDto {
    fn from(r: &CommissionRule) -> Self {
        RuleDto {
            id: r.id.uuid(),
            partner_id: r.partner_id.uuid(),
            name: r.name.clone(),
            terms: TermsDto::from_model(&r.model),
            product_ids: r.product_ids.iter().map(ToString::to_string).collect(),
            customer_ids: r.customer_ids.iter().map(ToString::to_string).collect(),
            effective_from: rfc3339(r.effective_from),
            effective_to: rfc3339_opt(r.effective_to),
            priority: r.priority,
            max_duration_months: r.max_duration_months,
            monthly_cap: r.monthly_cap.map(|c| c.to_plain_string()),
            monthly_cap_currency: r.monthly_cap.map(|c| c.currency().code().to_owned()),
            active: r.active,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

/// The fields of a rule.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Pro plan launch", "terms": {"model": "revenue_share", "rate": "0.25"},
    "product_ids": ["plan_pro"], "effective_from": "2026-01-01", "effective_to": "2026-07-01",
    "priority": 10, "max_duration_months": 12, "monthly_cap": "5000.00", "monthly_cap_currency": "USD"
}))]
pub struct RuleIn {
    pub name: String,
    pub terms: TermsDto,
    #[serde(default)]
    pub product_ids: Vec<String>,
    #[serde(default)]
    pub customer_ids: Vec<String>,
    pub effective_from: InstantParam,
    pub effective_to: Option<InstantParam>,
    #[serde(default)]
    pub priority: i32,
    pub max_duration_months: Option<u32>,
    pub monthly_cap: Option<String>,
    pub monthly_cap_currency: Option<String>,
    /// Default true.
    pub active: Option<bool>,
}

impl RuleIn {
    fn draft(&self, partner: PartnerId) -> Result<RuleDraft, ValidationError> {
        if self.product_ids.len() > revshare_domain::terms::MAX_SCOPE_IDS
            || self.customer_ids.len() > revshare_domain::terms::MAX_SCOPE_IDS
        {
            return Err(ValidationError::new(
                "product_ids",
                "at most 1000 ids per scope",
            ));
        }
        let monthly_cap = match (&self.monthly_cap, &self.monthly_cap_currency) {
            (None, None) => None,
            (Some(a), Some(c)) => {
                let c = Currency::parse(c).map_err(|e| e.for_field("monthly_cap_currency"))?;
                Some(Money::parse(a, c).map_err(|e| e.for_field("monthly_cap"))?)
            }
            _ => {
                return Err(ValidationError::new(
                    "monthly_cap",
                    "needs both monthly_cap and monthly_cap_currency",
                ));
            }
        };
        Ok(RuleDraft {
            partner_id: partner,
            name: self.name.clone(),
            model: self.terms.to_model()?,
            product_ids: self
                .product_ids
                .iter()
                .map(|p| ProductId::parse(p))
                .collect::<Result<BTreeSet<_>, _>>()?,
            customer_ids: self
                .customer_ids
                .iter()
                .map(|c| CustomerId::parse(c))
                .collect::<Result<BTreeSet<_>, _>>()?,
            effective_from: self.effective_from.0,
            effective_to: self.effective_to.map(|t| t.0),
            priority: self.priority,
            max_duration_months: self.max_duration_months,
            monthly_cap,
            active: self.active.unwrap_or(true),
        })
    }
}

/// Creates a rule for the partner.
#[utoipa::path(
    tag = "rules",
    params(("id" = Uuid, Path, description = "partner id")),
    request_body = RuleIn,
    responses(
        (status = 201, body = RuleDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/partners/{id}/rules")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<RuleIn>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_operator()?;
    let draft = body.draft(PartnerId::from_uuid(*id))?;
    let r = state
        .engine
        .create_rule(caller.principal().tenant, &caller.actor(), draft)
        .await?;
    Ok(HttpResponse::Created().json(RuleDto::from(&r)))
}

/// The partner's rules, highest priority first.
#[utoipa::path(
    tag = "rules",
    params(("id" = Uuid, Path, description = "partner id")),
    responses(
        (status = 200, body = [RuleDto]),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/partners/{id}/rules")]
pub async fn list_rules(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_staff()?;
    let rules = state
        .engine
        .rules_of_partner(caller.principal().tenant, PartnerId::from_uuid(*id))
        .await?;
    let items: Vec<RuleDto> = rules.iter().map(RuleDto::from).collect();
    Ok(list(&items, items.len() as u64))
}

/// One rule.
#[utoipa::path(
    tag = "rules",
    params(("id" = Uuid, Path, description = "rule id")),
    responses(
        (status = 200, body = RuleDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/rules/{id}")]
pub async fn get_rule(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_staff()?;
    let r = state
        .engine
        .rule(caller.principal().tenant, RuleId::from_uuid(*id))
        .await?;
    Ok(HttpResponse::Ok().json(RuleDto::from(&r)))
}

/// Replaces a rule's fields (events keep the terms they were computed with).
#[utoipa::path(
    tag = "rules",
    params(("id" = Uuid, Path, description = "rule id")),
    request_body = RuleIn,
    responses(
        (status = 200, body = RuleDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/rules/{id}")]
pub async fn replace(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<RuleIn>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_operator()?;
    let tenant = caller.principal().tenant;
    let old = state.engine.rule(tenant, RuleId::from_uuid(*id)).await?;
    let draft = body.draft(old.partner_id)?;
    let r = state
        .engine
        .update_rule(tenant, &caller.actor(), old.id, draft)
        .await?;
    Ok(HttpResponse::Ok().json(RuleDto::from(&r)))
}

/// Deactivates a rule; it is kept for the commissions it explains.
#[utoipa::path(
    tag = "rules",
    params(("id" = Uuid, Path, description = "rule id")),
    responses(
        (status = 200, body = RuleDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/rules/{id}")]
pub async fn deactivate(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_operator()?;
    let tenant = caller.principal().tenant;
    let old = state.engine.rule(tenant, RuleId::from_uuid(*id)).await?;
    let draft = RuleDraft {
        partner_id: old.partner_id,
        name: old.name.clone(),
        model: old.model.clone(),
        product_ids: old.product_ids.clone(),
        customer_ids: old.customer_ids.clone(),
        effective_from: old.effective_from,
        effective_to: old.effective_to,
        priority: old.priority,
        max_duration_months: old.max_duration_months,
        monthly_cap: old.monthly_cap,
        active: false,
    };
    let r = state
        .engine
        .update_rule(tenant, &caller.actor(), old.id, draft)
        .await?;
    Ok(HttpResponse::Ok().json(RuleDto::from(&r)))
}

/// What a payment would earn, and why.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"outcome": "created", "partner_id": "0196f59f-0000-7000-8000-000000000001",
    "amount": "50.00", "currency": "USD", "base_amount": "333.33", "rate": "0.15", "terms_source": "rule",
    "rule_id": "0196f5c0-0000-7000-8000-000000000003", "capped": false}))]
pub struct SimulationDto {
    /// The outcome recording would have.
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$")]
    pub amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$")]
    pub base_amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^-?[0-9]+(\.[0-9]+)?$")]
    pub fee: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terms_source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<Uuid>,
    /// True when the monthly cap reduced the amount.
    pub capped: bool,
}

/// Simulates a payment: what it would earn under today's attributions and rules, and why.
/// Writes nothing.
#[utoipa::path(
    tag = "rules",
    request_body = PaymentIn,
    responses(
        (status = 200, body = SimulationDto),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/rules/simulate")]
pub async fn simulate(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<PaymentIn>,
) -> ApiResult<HttpResponse> {
    caller.principal().require_staff()?;
    let payment = body.to_domain()?;
    let e = state
        .engine
        .simulate_payment(caller.principal().tenant, &payment)
        .await?;
    let c = e.commission.as_ref();
    Ok(HttpResponse::Ok().json(SimulationDto {
        outcome: e.outcome.name().to_owned(),
        partner_id: e.partner_id.map(|p| p.uuid()),
        amount: c.map(|c| c.amount.to_plain_string()),
        currency: c.map(|c| c.amount.currency().code().to_owned()),
        base_amount: c.map(|c| c.base.to_plain_string()),
        rate: c.and_then(|c| c.rate).map(|r| r.to_string()),
        fee: c.and_then(|c| c.fee).map(|f| f.to_plain_string()),
        terms_source: c.map(|c| c.source.name().to_owned()),
        rule_id: c.and_then(|c| c.rule_id).map(|r| r.uuid()),
        capped: c.is_some_and(|c| c.capped),
    }))
}
