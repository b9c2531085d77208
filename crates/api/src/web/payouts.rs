//! The payouts page and a payout's page with its commission lines and statement CSV.

use actix_web::{HttpResponse, get, web};
use maud::html;
use revshare_domain::query::{CommissionFilter, PageRequest, PayoutFilter};
use revshare_domain::value::PayoutId;
use serde::Deserialize;
use uuid::Uuid;

use crate::routes::portal::{csv_response, export};
use crate::state::AppState;
use crate::web::format::{date, money, rate};
use crate::web::layout::{Nav, badge, page};
use crate::web::session::{PageError, Session};
use crate::web::{html_response, page_partner, partner_picker};

/// Query naming the partner (staff only).
#[derive(Debug, Deserialize)]
pub struct PartnerQuery {
    partner_id: Option<Uuid>,
    page: Option<u64>,
}

/// `GET /app/payouts`.
#[get("/app/payouts")]
pub async fn list(
    state: web::Data<AppState>,
    s: Session,
    q: web::Query<PartnerQuery>,
) -> Result<HttpResponse, PageError> {
    let Some(partner) = page_partner(&state, &s, q.partner_id).await? else {
        return Ok(html_response(page(
            "Payouts",
            &s,
            Nav::Payouts,
            html! { p class="empty" { "No partner yet." } },
        )));
    };
    let picker = partner_picker(&state, &s, "/app/payouts", Some(partner)).await?;
    let page_no = q.page.unwrap_or(1).clamp(1, 100_000);
    let req = PageRequest {
        limit: 25,
        offset: (page_no - 1) * 25,
    };
    let filter = PayoutFilter {
        partner_id: Some(partner),
        ..Default::default()
    };
    let found = state
        .engine
        .list_payouts(s.principal.tenant, &filter, req)
        .await?;
    let content = html! {
        (picker)
        @if found.items.is_empty() {
            div class="empty" { p { "No payouts yet. Approved commissions are paid out in the next payout run." } }
        } @else {
            div class="table-wrap" { table {
                thead { tr {
                    th scope="col" { "Created" } th scope="col" { "Status" } th scope="col" { "Period" }
                    th scope="col" class="num" { "Commissions" } th scope="col" class="num" { "Amount" }
                    th scope="col" { "Method" } th scope="col" { "Reference" } th scope="col" {}
                } }
                tbody { @for p in &found.items { tr {
                    td { (date(p.created_at)) }
                    td { (badge(p.status.name())) }
                    td { (p.period_start.map(date).unwrap_or_else(|| "…".into())) " – " (date(p.period_end)) }
                    td class="num" { (p.commission_count) }
                    td class="num" { (money(&p.total)) }
                    td { (p.payment_method) }
                    td { (p.payment_reference.clone().unwrap_or_default()) }
                    td { a href=(format!("/app/payouts/{}?partner_id={partner}", p.id)) { "Details" } }
                } } }
            } }
            p { (found.total) " payouts" }
            nav class="pager" aria-label="Pages" {
                @if page_no > 1 { a href=(format!("/app/payouts?partner_id={partner}&page={}", page_no - 1)) { "← Previous" } }
                @if page_no * 25 < found.total { a href=(format!("/app/payouts?partner_id={partner}&page={}", page_no + 1)) { "Next →" } }
            }
        }
    };
    Ok(html_response(page("Payouts", &s, Nav::Payouts, content)))
}

/// `GET /app/payouts/{id}`.
#[get("/app/payouts/{id}")]
pub async fn detail(
    state: web::Data<AppState>,
    s: Session,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let tenant = s.principal.tenant;
    let scope = if s.is_staff() {
        None
    } else {
        Some(s.principal.portal_partner(None)?)
    };
    let p = state
        .engine
        .payout(tenant, scope, PayoutId::from_uuid(*id))
        .await?;
    let lines = state
        .engine
        .list_commissions(
            tenant,
            &CommissionFilter {
                partner_id: Some(p.partner_id),
                payout_id: Some(p.id),
                ..Default::default()
            },
            PageRequest {
                limit: 500,
                offset: 0,
            },
        )
        .await?;
    let content = html! {
        div class="cards" {
            div class="card" { div class="label" { "Amount" } div class="value" { (money(&p.total)) } div class="sub" { (p.commission_count) " commissions" } }
            div class="card" { div class="label" { "Status" } div class="value" { (badge(p.status.name())) } div class="sub" { @if let Some(c) = p.completed_at { "completed " (date(c)) } } }
            div class="card" { div class="label" { "Period" } div class="value" { (p.period_start.map(date).unwrap_or_else(|| "…".into())) " – " (date(p.period_end)) } }
            div class="card" { div class="label" { "Method / reference" } div class="value" { (p.payment_method) } div class="sub" { (p.payment_reference.clone().unwrap_or_default()) } }
        }
        @if let Some(r) = &p.failure_reason { p class="error" { "Reason: " (r) } }
        p { a class="button" href=(format!("/app/payouts/{}/statement.csv", p.id)) { "Download statement (CSV)" } }
        h2 { "Commission lines" }
        @if lines.items.is_empty() {
            div class="empty" { p { "This payout holds no commissions (failed and cancelled payouts release them)." } }
        } @else {
            div class="table-wrap" { table {
                thead { tr { th scope="col" { "Date" } th scope="col" { "Type" } th scope="col" { "Invoice" } th scope="col" { "Customer" } th scope="col" class="num" { "Base" } th scope="col" class="num" { "Rate" } th scope="col" class="num" { "Commission" } th scope="col" { "Status" } } }
                tbody { @for e in &lines.items { tr {
                    td { (date(e.event_date)) }
                    td { (e.event_type.name().replace('_', " ")) }
                    td { (e.invoice_number.clone().or(e.invoice_id.as_ref().map(ToString::to_string)).unwrap_or_default()) }
                    td { (e.customer_id.as_ref().map(ToString::to_string).unwrap_or_default()) }
                    td class="num" { (e.base_amount.map(|b| money(&b)).unwrap_or_default()) }
                    td class="num" { (e.rate.map(|r| rate(&r.to_string())).unwrap_or_default()) }
                    td class="num" { (money(&e.amount)) }
                    td { (badge(e.status.name())) }
                } } }
            } }
        }
    };
    Ok(html_response(page(
        &format!("Payout of {}", date(p.created_at)),
        &s,
        Nav::Payouts,
        content,
    )))
}

/// `GET /app/payouts/{id}/statement.csv`.
#[get("/app/payouts/{id}/statement.csv")]
pub async fn statement(
    state: web::Data<AppState>,
    s: Session,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let tenant = s.principal.tenant;
    let scope = if s.is_staff() {
        None
    } else {
        Some(s.principal.portal_partner(None)?)
    };
    let p = state
        .engine
        .payout(tenant, scope, PayoutId::from_uuid(*id))
        .await?;
    let filter = CommissionFilter {
        partner_id: Some(p.partner_id),
        payout_id: Some(p.id),
        ..Default::default()
    };
    Ok(csv_response(
        &format!("payout-{}.csv", p.id),
        export(&state, tenant, &filter).await?,
    ))
}
