//! Browser sessions: the bearer token lives in an HttpOnly, SameSite=Strict cookie (Secure
//! behind TLS). Forms that change state carry a CSRF token derived from the session, and a
//! cross-origin `Origin` is refused.

use std::future::{Ready, ready};

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use revshare_domain::Actor;
use revshare_domain::access::{Principal, Role};
use sha2::{Digest, Sha256};

use crate::problem::ApiError;
use crate::state::AppState;
use crate::web::layout;

/// Name of the session cookie.
pub const COOKIE: &str = "revshare_session";

/// A logged-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who is logged in.
    pub principal: Principal,
    token: String,
}

impl Session {
    /// The CSRF token forms must echo back.
    pub fn csrf(&self) -> String {
        csrf_for(&self.token)
    }

    /// The actor recorded on what this session writes.
    pub fn actor(&self) -> Actor {
        Actor(format!(
            "{}:{}",
            self.principal.role.name(),
            self.principal.subject
        ))
    }

    /// True for operators and auditors.
    pub fn is_staff(&self) -> bool {
        matches!(self.principal.role, Role::Operator | Role::Auditor)
    }

    /// Refuses a state-changing form without the session's CSRF token or from another origin.
    pub fn check_form(&self, req: &HttpRequest, token: &str) -> Result<(), PageError> {
        let expected = self.csrf();
        let same = expected.len() == token.len()
            && expected
                .bytes()
                .zip(token.bytes())
                .fold(0u8, |a, (x, y)| a | (x ^ y))
                == 0;
        if !same || !same_origin(req) {
            return Err(PageError::Forbidden(
                "this form expired or came from another site; reload the page".into(),
            ));
        }
        Ok(())
    }
}

fn csrf_for(token: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"revshare-csrf\n");
    h.update(token.as_bytes());
    hex::encode(&h.finalize()[..16])
}

fn same_origin(req: &HttpRequest) -> bool {
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
    else {
        // Browsers send Origin on cross-site POSTs; its absence means same-site or no browser.
        return true;
    };
    let host = req.connection_info().host().to_owned();
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest == host)
}

/// True when the request reached us over TLS (directly or through a proxy that says so).
pub fn is_tls(req: &HttpRequest) -> bool {
    req.connection_info().scheme() == "https"
}

/// The cookie that opens a session.
pub fn login_cookie(req: &HttpRequest, token: &str, ttl_seconds: i64) -> Cookie<'static> {
    Cookie::build(COOKIE, token.to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(is_tls(req))
        .max_age(CookieDuration::seconds(ttl_seconds))
        .finish()
}

/// The cookie that closes it.
pub fn logout_cookie(req: &HttpRequest) -> Cookie<'static> {
    let mut c = Cookie::build(COOKIE, "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(is_tls(req))
        .finish();
    c.make_removal();
    c
}

/// Why a page cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// Not logged in (or the session expired): go to the login page.
    #[error("login required")]
    Login,
    /// Logged in, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// Anything the API layer would answer as an error.
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl From<revshare_domain::DomainError> for PageError {
    fn from(e: revshare_domain::DomainError) -> Self {
        PageError::Api(e.into())
    }
}

impl From<revshare_domain::ValidationError> for PageError {
    fn from(e: revshare_domain::ValidationError) -> Self {
        PageError::Api(e.into())
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::Login => StatusCode::SEE_OTHER,
            PageError::Forbidden(_) => StatusCode::FORBIDDEN,
            PageError::Api(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            PageError::Login => HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/login"))
                .finish(),
            PageError::Forbidden(msg) => {
                layout::error_page(StatusCode::FORBIDDEN, "Not allowed", msg)
            }
            PageError::Api(e) => {
                let p = e.problem();
                if p.status == 401 {
                    return HttpResponse::SeeOther()
                        .insert_header((header::LOCATION, "/login"))
                        .finish();
                }
                let status =
                    StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                layout::error_page(status, &p.title, &p.detail)
            }
        }
    }
}

fn extract(req: &HttpRequest) -> Result<Session, PageError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or(PageError::Api(ApiError::internal()))?;
    let token = req
        .cookie(COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|t| !t.is_empty() && t.len() <= 4096)
        .ok_or(PageError::Login)?;
    let principal = state.tokens.verify(&token).map_err(|_| PageError::Login)?;
    if principal.role == Role::Billing {
        return Err(PageError::Forbidden("service tokens have no pages".into()));
    }
    Ok(Session { principal, token })
}

impl FromRequest for Session {
    type Error = PageError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(extract(req))
    }
}

/// A logged-in operator (or auditor, for read-only pages).
#[derive(Debug, Clone)]
pub struct StaffSession(pub Session);

impl FromRequest for StaffSession {
    type Error = PageError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(extract(req).and_then(|s| {
            if s.is_staff() {
                Ok(StaffSession(s))
            } else {
                Err(PageError::Forbidden(
                    "operator pages are for operators".into(),
                ))
            }
        }))
    }
}
