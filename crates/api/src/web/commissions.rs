//! The commissions page: table, status filter, search, pagination and CSV of the filtered view.

use actix_web::{HttpResponse, get, web};
use maud::html;
use revshare_domain::commission::EventStatus;
use revshare_domain::query::{CommissionFilter, PageRequest};
use revshare_domain::value::PartnerId;
use serde::Deserialize;
use uuid::Uuid;

use crate::routes::portal::{csv_response, export};
use crate::state::AppState;
use crate::web::form;
use crate::web::format::{date, money, plural, rate};
use crate::web::layout::{Nav, badge, page};
use crate::web::session::{PageError, Session};
use crate::web::{html_response, page_partner, partner_picker};

/// Rows per page.
pub const PAGE_SIZE: u32 = 25;

/// Query of the commissions page.
#[derive(Debug, Deserialize)]
pub struct CommissionsQuery {
    status: Option<String>,
    q: Option<String>,
    page: Option<u64>,
    partner_id: Option<Uuid>,
}

fn filter(partner: PartnerId, q: &CommissionsQuery) -> Result<CommissionFilter, PageError> {
    Ok(CommissionFilter {
        partner_id: Some(partner),
        status: q
            .status
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(EventStatus::parse)
            .transpose()?,
        search: q
            .q
            .clone()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()),
        ..Default::default()
    })
}

fn link(q: &CommissionsQuery, partner: PartnerId, page: u64, path: &str) -> String {
    let mut url = format!("{path}?page={page}&partner_id={partner}");
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty()) {
        url.push_str(&format!("&status={}", form::encode(s)));
    }
    if let Some(t) = q.q.as_deref().filter(|s| !s.is_empty()) {
        url.push_str(&format!("&q={}", form::encode(t)));
    }
    url
}

/// `GET /app/commissions`.
#[get("/app/commissions")]
pub async fn show(
    state: web::Data<AppState>,
    s: Session,
    q: web::Query<CommissionsQuery>,
) -> Result<HttpResponse, PageError> {
    let Some(partner) = page_partner(&state, &s, q.partner_id).await? else {
        return Ok(html_response(page(
            "Commissions",
            &s,
            Nav::Commissions,
            html! { p class="empty" { "No partner yet." } },
        )));
    };
    let picker = partner_picker(&state, &s, "/app/commissions", Some(partner)).await?;
    let f = filter(partner, &q)?;
    let page_no = q.page.unwrap_or(1).clamp(1, 400_000);
    let req = PageRequest {
        limit: PAGE_SIZE,
        offset: (page_no - 1) * u64::from(PAGE_SIZE),
    };
    let found = state
        .engine
        .list_commissions(s.principal.tenant, &f, req)
        .await?;
    let pages = found.total.div_ceil(u64::from(PAGE_SIZE)).max(1);
    let content = html! {
        (picker)
        form class="filters" method="get" action="/app/commissions" role="search" {
            input type="hidden" name="partner_id" value=(partner.to_string());
            label { "Status"
                select name="status" {
                    option value="" { "Any" }
                    @for st in EventStatus::ALL {
                        option value=(st.name()) selected[q.status.as_deref() == Some(st.name())] { (st.name()) }
                    }
                }
            }
            label { "Invoice or customer" input type="search" name="q" value=(q.q.clone().unwrap_or_default()) maxlength="128"; }
            button type="submit" { "Filter" }
            a class="button secondary" href=(link(&q, partner, 1, "/app/commissions.csv")) { "Download CSV" }
        }
        p { (plural(found.total, "commission", "commissions")) }
        @if found.items.is_empty() {
            div class="empty" { p { "No commissions match. Clear the filters, or choose another partner or period." } }
        } @else {
            div class="table-wrap" {
                table {
                    thead { tr {
                        th scope="col" { "Date" } th scope="col" { "Type" } th scope="col" { "Invoice" }
                        th scope="col" { "Customer" } th scope="col" class="num" { "Base" } th scope="col" class="num" { "Rate" }
                        th scope="col" class="num" { "Commission" } th scope="col" { "Status" } th scope="col" { "Payout" }
                    } }
                    tbody {
                        @for e in &found.items {
                            tr {
                                td { (date(e.event_date)) }
                                td { (e.event_type.name().replace('_', " ")) }
                                td { (e.invoice_number.clone().or(e.invoice_id.as_ref().map(ToString::to_string)).unwrap_or_default()) }
                                td { (e.customer_id.as_ref().map(ToString::to_string).unwrap_or_default()) }
                                td class="num" { (e.base_amount.map(|b| money(&b)).unwrap_or_default()) }
                                td class="num" { (e.rate.map(|r| rate(&r.to_string())).unwrap_or_default()) }
                                td class="num" { (money(&e.amount)) }
                                td { (badge(e.status.name())) }
                                td { @if let Some(p) = e.payout_id { a href=(format!("/app/payouts/{p}?partner_id={partner}")) { "view" } } }
                            }
                        }
                    }
                }
            }
            nav class="pager" aria-label="Pages" {
                @if page_no > 1 { a href=(link(&q, partner, page_no - 1, "/app/commissions")) rel="prev" { "← Previous" } }
                span { "Page " (page_no) " of " (pages) }
                @if page_no < pages { a href=(link(&q, partner, page_no + 1, "/app/commissions")) rel="next" { "Next →" } }
            }
        }
    };
    Ok(html_response(page(
        "Commissions",
        &s,
        Nav::Commissions,
        content,
    )))
}

/// `GET /app/commissions.csv`: the filtered view as CSV.
#[get("/app/commissions.csv")]
pub async fn csv(
    state: web::Data<AppState>,
    s: Session,
    q: web::Query<CommissionsQuery>,
) -> Result<HttpResponse, PageError> {
    let partner = page_partner(&state, &s, q.partner_id)
        .await?
        .ok_or(PageError::Forbidden("no partner".into()))?;
    let body = export(&state, s.principal.tenant, &filter(partner, &q)?).await?;
    Ok(csv_response("commissions.csv", body))
}
