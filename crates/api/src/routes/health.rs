//! Liveness and readiness.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;

/// A health answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(tag = "health", responses((status = 200, body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// The database answers.
#[utoipa::path(tag = "health", responses((status = 200, body = Health), (status = 503, body = Problem, content_type = "application/problem+json")))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    state
        .directory
        .ping()
        .await
        .map_err(|_| ApiError::unavailable())?;
    Ok(HttpResponse::Ok().json(Health { status: "ok" }))
}
