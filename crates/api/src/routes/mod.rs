//! Handlers, one module per resource. Each parses, checks who is asking, calls one use case
//! and shapes the answer.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod commissions;
pub mod health;
pub mod ingestion;
pub mod partners;
pub mod payouts;
pub mod portal;
pub mod reconciliation;
pub mod rules;

use actix_web::http::header::{self, HeaderName};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, mime};
use revshare_domain::commission::CommissionEvent;
use revshare_domain::payout::Payout;
use revshare_domain::query::{CommissionFilter, Cursor, ListRequest, Listing, PayoutFilter};
use revshare_domain::value::TenantId;
use serde::Serialize;

use crate::problem::{ApiError, ApiResult};
use crate::state::AppState;

/// The header carrying a list's total count.
pub const TOTAL_COUNT: HeaderName = HeaderName::from_static("x-total-count");
/// The header carrying the position the next page of a list starts from.
pub const NEXT_CURSOR: HeaderName = HeaderName::from_static("x-next-cursor");

/// A JSON list answer with its total count in `X-Total-Count`.
pub fn list<T: Serialize>(items: &[T], total: u64) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((TOTAL_COUNT, total.to_string()))
        .insert_header(("Access-Control-Expose-Headers", "X-Total-Count"))
        .json(items)
}

/// A JSON list answer paged by offset or cursor: `X-Total-Count` when the list was counted
/// (offset reads), and `X-Next-Cursor` plus `Link: <…>; rel="next"` when a next page exists.
pub fn listing<T, D>(req: &HttpRequest, found: &Listing<T>) -> ApiResult<HttpResponse>
where
    D: Serialize + for<'a> From<&'a T>,
{
    Ok(JsonAnswer::list::<T, D>(found)?.respond(req))
}

/// A JSON answer serialized once, so the requests of a shared read ([`crate::coalesce`]) send
/// the same bytes: its body and, for a list, what its headers say.
#[derive(Debug, Clone)]
pub struct JsonAnswer {
    body: Bytes,
    total: Option<u64>,
    next: Option<Cursor>,
}

impl JsonAnswer {
    /// `value`, serialized.
    pub fn value<T: Serialize + ?Sized>(value: &T) -> ApiResult<Self> {
        Ok(JsonAnswer {
            body: json_body(value)?,
            total: None,
            next: None,
        })
    }

    /// A page of rows as `D`, serialized, with its count and next cursor.
    pub fn list<T, D>(found: &Listing<T>) -> ApiResult<Self>
    where
        D: Serialize + for<'a> From<&'a T>,
    {
        let items: Vec<D> = found.items.iter().map(D::from).collect();
        Ok(JsonAnswer {
            body: json_body(&items)?,
            total: found.total,
            next: found.next,
        })
    }

    /// The answer to `req`: a list's `Link` names the request's own path and query.
    pub fn respond(&self, req: &HttpRequest) -> HttpResponse {
        let mut r = HttpResponse::Ok();
        let mut exposed = Vec::new();
        if let Some(total) = self.total {
            r.insert_header((TOTAL_COUNT, total.to_string()));
            exposed.push("X-Total-Count");
        }
        if let Some(next) = self.next {
            r.insert_header((NEXT_CURSOR, next.to_string()));
            r.insert_header((
                header::LINK,
                format!("<{}>; rel=\"next\"", next_link(req, next)),
            ));
            exposed.extend(["X-Next-Cursor", "Link"]);
        }
        if !exposed.is_empty() {
            r.insert_header(("Access-Control-Expose-Headers", exposed.join(", ")));
        }
        r.content_type(mime::APPLICATION_JSON)
            .body(self.body.clone())
    }
}

/// `value` as a JSON body (what `HttpResponseBuilder::json` sends, kept to be sent again).
fn json_body<T: Serialize + ?Sized>(value: &T) -> ApiResult<Bytes> {
    serde_json::to_vec(value).map(Bytes::from).map_err(|e| {
        tracing::error!(error = %e, "serializing an answer failed");
        ApiError::internal()
    })
}

/// The request's own path and query with `offset` and `cursor` replaced by the next cursor;
/// relative, so it stays right behind a proxy that keeps the path.
fn next_link(req: &HttpRequest, next: Cursor) -> String {
    let raw: Vec<&str> = req
        .query_string()
        .split('&')
        .filter(|p| !p.is_empty())
        .collect();
    // Keys as the handlers read them (percent-decoded), in the same order as the raw pairs.
    let keys: Vec<String> =
        actix_web::web::Query::<Vec<(String, String)>>::from_query(req.query_string())
            .map(|q| q.into_inner().into_iter().map(|(k, _)| k).collect())
            .unwrap_or_default();
    let keys = if keys.len() == raw.len() {
        keys
    } else {
        Vec::new()
    };
    let mut query: Vec<&str> = raw
        .iter()
        .enumerate()
        .filter(|(i, pair)| {
            let key = keys.get(*i).map_or_else(
                || pair.split('=').next().unwrap_or_default(),
                String::as_str,
            );
            key != "offset" && key != "cursor"
        })
        .map(|(_, pair)| *pair)
        .collect();
    // Cursors are base64url: safe in a query string as they are.
    let cursor = format!("cursor={next}");
    query.push(&cursor);
    format!("{}?{}", req.path(), query.join("&"))
}

/// A page of commissions read either way.
pub(crate) async fn list_commissions(
    state: &AppState,
    tenant: TenantId,
    filter: &CommissionFilter,
    request: ListRequest,
) -> ApiResult<Listing<CommissionEvent>> {
    Ok(match request {
        ListRequest::Offset(p) => state
            .engine
            .list_commissions(tenant, filter, p)
            .await?
            .into(),
        ListRequest::Seek(s) => state
            .engine
            .seek_commissions(tenant, filter, s)
            .await?
            .into(),
    })
}

/// A page of payouts read either way.
pub(crate) async fn list_payouts(
    state: &AppState,
    tenant: TenantId,
    filter: &PayoutFilter,
    request: ListRequest,
) -> ApiResult<Listing<Payout>> {
    Ok(match request {
        ListRequest::Offset(p) => state.engine.list_payouts(tenant, filter, p).await?.into(),
        ListRequest::Seek(s) => state.engine.seek_payouts(tenant, filter, s).await?.into(),
    })
}
