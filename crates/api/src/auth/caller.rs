//! The `Caller` extractor: the principal proven by the request's bearer token.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use revshare_domain::Actor;
use revshare_domain::access::Principal;

use crate::problem::ApiError;
use crate::state::AppState;

/// Longest token accepted; longer headers are refused before any parsing.
const MAX_TOKEN_LEN: usize = 4096;

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl Caller {
    /// The principal.
    pub fn principal(&self) -> &Principal {
        &self.0
    }

    /// The actor recorded on what the caller writes.
    pub fn actor(&self) -> Actor {
        Actor(format!("{}:{}", self.0.role.name(), self.0.subject))
    }
}

fn extract(req: &HttpRequest) -> Result<Caller, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(ApiError::internal)?;
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("a bearer token is required"))?;
    let text = value
        .to_str()
        .map_err(|_| ApiError::unauthorized("the token is invalid"))?;
    let token = text
        .strip_prefix("Bearer ")
        .or_else(|| text.strip_prefix("bearer "))
        .ok_or_else(|| ApiError::unauthorized("use the Bearer scheme"))?
        .trim();
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(ApiError::unauthorized("the token is invalid"));
    }
    state.tokens.verify(token).map(Caller)
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(extract(req))
    }
}
