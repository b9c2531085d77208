//! The dashboard: server-rendered pages for partner users and operators, working without
//! JavaScript. Pages call the same use cases as the API; only the shape of the answer differs.

pub mod chart;
pub mod commissions;
pub mod form;
pub mod format;
pub mod layout;
pub mod login;
pub mod operator;
pub mod payouts;
pub mod revenue;
pub mod session;

use actix_web::HttpResponse;
use maud::{Markup, html};
use revshare_domain::value::PartnerId;
use uuid::Uuid;

use crate::state::AppState;
use crate::web::session::{PageError, Session};

/// The stylesheet, compiled in: no build step, no CDN.
pub const STYLESHEET: &str = include_str!("../../static/app.css");

/// Adds the headers of every page: a strict CSP (no scripts at all), no framing.
pub fn secure(h: &mut actix_web::http::header::HeaderMap) {
    use actix_web::http::header::{HeaderName, HeaderValue};
    h.insert(
        HeaderName::from_static("content-security-policy"),
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
}

/// An HTML answer.
pub fn html_response(m: Markup) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(m.into_string())
}

/// `GET /static/app.css`.
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(STYLESHEET)
}

/// The partner a page shows: a partner user's own; for staff the one they picked, else the
/// first by partner number (`None` when the tenant has no partner yet).
pub async fn page_partner(
    state: &AppState,
    s: &Session,
    requested: Option<Uuid>,
) -> Result<Option<PartnerId>, PageError> {
    if !s.is_staff() {
        return Ok(Some(s.principal.portal_partner(None)?));
    }
    if let Some(id) = requested {
        let p = PartnerId::from_uuid(id);
        state.engine.partner(s.principal.tenant, p).await?;
        return Ok(Some(p));
    }
    let page = revshare_domain::query::PageRequest {
        limit: 1,
        offset: 0,
    };
    Ok(state
        .engine
        .ledger()
        .list_partners(s.principal.tenant, page)
        .await
        .map_err(revshare_domain::DomainError::from)?
        .items
        .first()
        .map(|p| p.id))
}

/// For staff: a partner picker that keeps the page's other query fields.
pub async fn partner_picker(
    state: &AppState,
    s: &Session,
    action: &str,
    current: Option<PartnerId>,
) -> Result<Markup, PageError> {
    if !s.is_staff() {
        return Ok(html! {});
    }
    let page = revshare_domain::query::PageRequest {
        limit: 500,
        offset: 0,
    };
    let partners = state
        .engine
        .ledger()
        .list_partners(s.principal.tenant, page)
        .await
        .map_err(revshare_domain::DomainError::from)?;
    Ok(html! {
        form class="filters" method="get" action=(action) {
            label { "Partner"
                select name="partner_id" {
                    @for p in &partners.items {
                        option value=(p.id.to_string()) selected[Some(p.id) == current] { (p.partner_number) " — " (p.name) }
                    }
                }
            }
            button type="submit" class="secondary" { "Show" }
        }
    })
}
