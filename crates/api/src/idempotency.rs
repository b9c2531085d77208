//! `Idempotency-Key` on POSTs that move money: the same key and body answer the stored
//! response without running again; the same key with another body is refused (422); a key
//! whose first request is still running answers 409.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use revshare_domain::port::Reservation;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::auth::Caller;
use crate::problem::{ApiError, ApiResult};
use crate::state::AppState;

/// The request header.
pub const HEADER: &str = "Idempotency-Key";
/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

fn key_of(req: &HttpRequest) -> ApiResult<Option<String>> {
    let Some(v) = req.headers().get(HEADER) else {
        return Ok(None);
    };
    let k = v
        .to_str()
        .map_err(|_| ApiError::invalid("Idempotency-Key", "must be printable ASCII"))?
        .trim();
    if k.is_empty() || k.len() > MAX_KEY_LEN || !k.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ApiError::invalid(
            "Idempotency-Key",
            format!("must be 1 to {MAX_KEY_LEN} printable ASCII characters"),
        ));
    }
    Ok(Some(k.to_owned()))
}

fn fingerprint<B: Serialize>(req: &HttpRequest, body: &B) -> String {
    let mut h = Sha256::new();
    h.update(req.method().as_str());
    h.update(b" ");
    h.update(req.path());
    h.update(b"?");
    h.update(req.query_string());
    h.update(b"\n");
    h.update(serde_json::to_vec(body).unwrap_or_default());
    hex::encode(h.finalize())
}

fn json(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .body(body)
}

/// Runs `action` at most once per idempotency key. `action` answers a status and a JSON body;
/// client errors are remembered like successes, server errors free the key for a retry.
pub async fn run_once<B, F, Fut>(
    state: &AppState,
    req: &HttpRequest,
    caller: &Caller,
    body: &B,
    action: F,
) -> ApiResult<HttpResponse>
where
    B: Serialize,
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ApiResult<(StatusCode, String)>>,
{
    let Some(key) = key_of(req)? else {
        let (status, body) = action().await?;
        return Ok(json(status, body));
    };
    let tenant = caller.principal().tenant;
    let principal = caller.actor().0;
    let hash = fingerprint(req, body);
    match state
        .idempotency
        .reserve(tenant, &principal, &key, &hash, state.engine.now())
        .await?
    {
        Reservation::Completed {
            request_hash,
            status,
            body,
        } if request_hash == hash => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut r = HttpResponse::build(status);
            r.insert_header(("Idempotent-Replayed", "true"));
            if status.is_client_error() {
                r.content_type(crate::problem::PROBLEM_JSON);
            } else {
                r.content_type("application/json");
            }
            return Ok(r.body(body));
        }
        Reservation::Completed { .. } => {
            return Err(ApiError::invalid(
                "Idempotency-Key",
                "this key was used with another request",
            ));
        }
        Reservation::InProgress { request_hash } if request_hash == hash => {
            return Err(ApiError::conflict(
                "a request with this Idempotency-Key is still running",
            ));
        }
        Reservation::InProgress { .. } => {
            return Err(ApiError::invalid(
                "Idempotency-Key",
                "this key was used with another request",
            ));
        }
        Reservation::Reserved => {}
    }
    match action().await {
        Ok((status, body)) => {
            state
                .idempotency
                .complete(tenant, &principal, &key, status.as_u16(), &body)
                .await?;
            Ok(json(status, body))
        }
        Err(e) if e.problem().status < 500 => {
            let body = serde_json::to_string(&e.problem()).unwrap_or_default();
            state
                .idempotency
                .complete(tenant, &principal, &key, e.problem().status, &body)
                .await?;
            Err(e)
        }
        Err(e) => {
            // Nothing was committed: let a retry run.
            if let Err(release) = state.idempotency.release(tenant, &principal, &key).await {
                tracing::warn!(error = %release, "could not release an idempotency key");
            }
            Err(e)
        }
    }
}
