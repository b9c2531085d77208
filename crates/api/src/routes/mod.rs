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

use actix_web::HttpResponse;
use actix_web::http::header::HeaderName;
use serde::Serialize;

/// The header carrying a list's total count.
pub const TOTAL_COUNT: HeaderName = HeaderName::from_static("x-total-count");

/// A JSON list answer with its total count in `X-Total-Count`.
pub fn list<T: Serialize>(items: &[T], total: u64) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((TOTAL_COUNT, total.to_string()))
        .insert_header(("Access-Control-Expose-Headers", "X-Total-Count"))
        .json(items)
}
