//! `POST /api/v1/auth/login`: a password login for partner users and staff.

use actix_web::{HttpResponse, post, web};
use revshare_domain::access::{Principal, check_slug, normalize_email};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::password::{MAX_PASSWORD_LEN, decoy_hash, verify_password};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"tenant": "default", "email": "admin@revshare.local", "password": "correct horse battery staple"}))]
pub struct LoginRequest {
    /// The tenant's login name.
    pub tenant: String,
    /// E-mail (case-insensitive).
    pub email: String,
    /// Password.
    pub password: String,
}

/// A bearer token.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJ…", "token_type": "Bearer", "expires_in": 3600, "role": "operator"}))]
pub struct LoginResponse {
    /// The JWT to send as `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until it expires.
    pub expires_in: i64,
    /// The role it carries.
    pub role: String,
    /// For partner users: their partner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<uuid::Uuid>,
}

/// Checks a login and issues a token: the one path every login (API and pages) takes. An
/// unknown tenant or e-mail and a wrong password fail alike, in the same time; five failures
/// for an account within fifteen minutes lock it until the window ends.
pub async fn authenticate(
    state: &AppState,
    tenant: &str,
    email: &str,
    password: String,
) -> ApiResult<(Principal, String)> {
    check_slug(tenant)?;
    let email = normalize_email(email)?;
    if password.is_empty() || password.len() > MAX_PASSWORD_LEN {
        return Err(ApiError::invalid(
            "password",
            format!("must be 1 to {MAX_PASSWORD_LEN} bytes"),
        ));
    }
    let now = state.engine.now();
    let key = format!("{tenant}/{email}");
    if let Some(wait) = state.throttle.locked(&key, now) {
        return Err(ApiError::too_many_requests(format!(
            "too many failed logins; retry in {wait} seconds"
        )));
    }
    let credential = match state.directory.tenant_by_slug(tenant).await? {
        Some(t) => state.directory.credential(t.id, &email).await?,
        None => None,
    };
    let hash = credential
        .as_ref()
        .map_or_else(|| decoy_hash().to_owned(), |c| c.password_hash.clone());
    // argon2 is deliberately slow: keep it off the async workers.
    let ok = web::block(move || verify_password(&password, &hash))
        .await
        .map_err(|_| ApiError::internal())?;
    let Some(credential) = credential.filter(|_| ok) else {
        state.throttle.failed(&key, now);
        return Err(ApiError::unauthorized("unknown account or wrong password"));
    };
    state.throttle.succeeded(&key);
    let token = state.tokens.issue(&credential.principal, now, None)?;
    Ok((credential.principal, token))
}

/// Logs in and answers a bearer token.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    body: web::Json<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let req = body.into_inner();
    let (principal, token) = authenticate(&state, &req.tenant, &req.email, req.password).await?;
    Ok(HttpResponse::Ok().json(LoginResponse {
        access_token: token,
        token_type: "Bearer",
        expires_in: state.tokens.ttl_seconds(),
        role: principal.role.name().to_owned(),
        partner_id: principal.partner_id.map(|p| p.uuid()),
    }))
}
