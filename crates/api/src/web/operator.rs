//! Operator pages: partners with their balances, approvals of pending commissions, payout runs
//! and payout status moves. Auditors see them read-only.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use maud::html;
use revshare_domain::commission::EventStatus;
use revshare_domain::payout::PayoutStatus;
use revshare_domain::query::{CommissionFilter, PageRequest, PayoutFilter};
use revshare_domain::usecase::{PayoutBatchOutcome, PayoutMove};
use revshare_domain::value::{EventId, PayoutId};
use serde::Deserialize;
use time::Duration;
use uuid::Uuid;

use crate::dto::InstantParam;
use crate::state::AppState;
use crate::web::format::{date, money, plural};
use crate::web::layout::{Nav, badge, page};
use crate::web::session::{PageError, StaffSession};
use crate::web::{form, html_response};

/// A notice shown after a form.
#[derive(Debug, Deserialize)]
pub struct Notice {
    notice: Option<String>,
    error: Option<String>,
}

fn notices(n: &Notice) -> maud::Markup {
    html! {
        @if let Some(t) = &n.notice { p class="notice" role="status" { (t) } }
        @if let Some(t) = &n.error { p class="error" role="alert" { (t) } }
    }
}

fn back(path: &str, key: &str, text: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("{path}?{key}={}", form::encode(text)),
        ))
        .finish()
}

/// Partner numbers by id, for tables that list several partners.
async fn partner_names(
    state: &AppState,
    tenant: revshare_domain::value::TenantId,
) -> Result<std::collections::HashMap<revshare_domain::value::PartnerId, String>, PageError> {
    let page = PageRequest {
        limit: 500,
        offset: 0,
    };
    let list = state
        .engine
        .ledger()
        .list_partners(tenant, page)
        .await
        .map_err(revshare_domain::DomainError::from)?;
    Ok(list
        .items
        .into_iter()
        .map(|p| (p.id, format!("{} {}", p.partner_number, p.name)))
        .collect())
}

fn require_operator(s: &StaffSession) -> Result<(), PageError> {
    s.0.principal
        .require_operator()
        .map_err(|_| PageError::Forbidden("auditors can look but not change".into()))
}

/// `GET /app/operator/partners`: partners with their balances.
#[get("/app/operator/partners")]
pub async fn partners(
    state: web::Data<AppState>,
    s: StaffSession,
) -> Result<HttpResponse, PageError> {
    let tenant = s.0.principal.tenant;
    let list = state
        .engine
        .ledger()
        .list_partners(
            tenant,
            PageRequest {
                limit: 100,
                offset: 0,
            },
        )
        .await
        .map_err(revshare_domain::DomainError::from)?;
    let now = state.engine.now();
    let period = revshare_domain::value::Period::month_to_date(now);
    let mut rows = Vec::with_capacity(list.items.len());
    for p in &list.items {
        rows.push((p, state.engine.metrics(tenant, p.id, period).await?));
    }
    let content = html! {
        @if rows.is_empty() {
            div class="empty" { p { "No partners yet. Create one with " code { "POST /api/v1/partners" } " or load demo data with " code { "cargo xtask seed" } "." } }
        } @else {
            div class="table-wrap" { table {
                thead { tr { th scope="col" { "Number" } th scope="col" { "Name" } th scope="col" { "Status" } th scope="col" { "Tier" }
                    th scope="col" class="num" { "Pending" } th scope="col" class="num" { "On hold" } th scope="col" class="num" { "This month" } th scope="col" {} } }
                tbody { @for (p, m) in &rows { tr {
                    td { (p.partner_number) } td { (p.name) } td { (badge(p.status.name())) } td { (p.tier.name()) }
                    td class="num" { @for c in &m.currencies { div { (money(&c.pending_amount)) } } }
                    td class="num" { @for c in &m.currencies { div { (money(&c.on_hold_amount)) } } }
                    td class="num" { @for c in &m.currencies { div { (money(&c.total_commissions)) } } }
                    td { a href=(format!("/app/revenue?partner_id={}", p.id)) { "Revenue" } }
                } } }
            } }
            p { (list.total) " partners" @if list.total > 100 { " (first 100 shown)" } }
        }
    };
    Ok(html_response(page(
        "Partners",
        &s.0,
        Nav::Partners,
        content,
    )))
}

/// `GET /app/operator/approvals`: pending commissions with approve / reject.
#[get("/app/operator/approvals")]
pub async fn approvals(
    state: web::Data<AppState>,
    s: StaffSession,
    n: web::Query<Notice>,
) -> Result<HttpResponse, PageError> {
    let tenant = s.0.principal.tenant;
    let f = CommissionFilter {
        status: Some(EventStatus::Pending),
        ..Default::default()
    };
    let pending = state
        .engine
        .list_commissions(
            tenant,
            &f,
            PageRequest {
                limit: 200,
                offset: 0,
            },
        )
        .await?;
    let names = partner_names(&state, tenant).await?;
    let content = html! {
        (notices(&n))
        @if pending.items.is_empty() {
            div class="empty" { p { "No commissions are waiting. Held commissions are approved automatically when their hold ends." } }
        } @else {
            form method="post" action="/app/operator/approvals" {
                input type="hidden" name="csrf" value=(s.0.csrf());
                div class="table-wrap" { table {
                    thead { tr { th scope="col" { "Select" } th scope="col" { "Date" } th scope="col" { "Partner" } th scope="col" { "Invoice" }
                        th scope="col" class="num" { "Commission" } th scope="col" { "Hold until" } } }
                    tbody { @for e in &pending.items { tr {
                        td { input type="checkbox" name="ids" value=(e.id.to_string()) id=(format!("c-{}", e.id)) aria-label=(format!("Select commission {}", e.id)); }
                        td { label for=(format!("c-{}", e.id)) { (date(e.event_date)) } }
                        td { (names.get(&e.partner_id).cloned().unwrap_or_default()) }
                        td { (e.invoice_number.clone().unwrap_or_default()) }
                        td class="num" { (money(&e.amount)) }
                        td { (e.hold_until.map(date).unwrap_or_default()) }
                    } } }
                } }
                p { (pending.total) " pending" @if pending.total > 200 { " (first 200 shown)" } }
                div class="inline" {
                    button type="submit" name="action" value="approve" { "Approve selected" }
                    label { "Reason (for rejection)" input type="text" name="reason" maxlength="1000"; }
                    button type="submit" name="action" value="reject" class="danger" { "Reject selected" }
                }
            }
        }
    };
    Ok(html_response(page(
        "Approvals",
        &s.0,
        Nav::Approvals,
        content,
    )))
}

/// `POST /app/operator/approvals`.
#[post("/app/operator/approvals")]
pub async fn decide(
    state: web::Data<AppState>,
    s: StaffSession,
    req: HttpRequest,
    body: String,
) -> Result<HttpResponse, PageError> {
    require_operator(&s)?;
    let f = form::pairs(&body);
    s.0.check_form(&req, form::first(&f, "csrf").unwrap_or(""))?;
    let ids: Vec<EventId> = form::all(&f, "ids")
        .iter()
        .filter_map(|i| Uuid::parse_str(i).ok())
        .map(EventId::from_uuid)
        .collect();
    let path = "/app/operator/approvals";
    if ids.is_empty() {
        return Ok(back(path, "error", "Select at least one commission."));
    }
    let tenant = s.0.principal.tenant;
    let reason = form::first(&f, "reason").unwrap_or("").trim();
    if form::first(&f, "action") == Some("approve") && !reason.is_empty() {
        // Enter in the reason field submits the form's first button (approve): never approve
        // what the operator meant to reject.
        return Ok(back(
            path,
            "error",
            "A rejection reason was typed: press Reject selected to reject, or clear the reason to approve.",
        ));
    }
    let result = match form::first(&f, "action") {
        Some("approve") => state
            .engine
            .approve(tenant, &s.0.actor(), &ids)
            .await
            .map(|d| {
                format!(
                    "Approved {}.",
                    plural(d.len() as u64, "commission", "commissions")
                )
            }),
        Some("reject") => state
            .engine
            .reject(
                tenant,
                &s.0.actor(),
                &ids,
                form::first(&f, "reason").unwrap_or(""),
            )
            .await
            .map(|d| {
                format!(
                    "Rejected {}.",
                    plural(d.len() as u64, "commission", "commissions")
                )
            }),
        _ => return Ok(back(path, "error", "Unknown action.")),
    };
    Ok(match result {
        Ok(msg) => back(path, "notice", &msg),
        Err(e) => back(
            path,
            "error",
            &crate::problem::ApiError::from(e).problem().detail,
        ),
    })
}

/// `GET /app/operator/payouts`: run payouts and move them.
#[get("/app/operator/payouts")]
pub async fn payouts(
    state: web::Data<AppState>,
    s: StaffSession,
    n: web::Query<Notice>,
) -> Result<HttpResponse, PageError> {
    let tenant = s.0.principal.tenant;
    let list = state
        .engine
        .list_payouts(
            tenant,
            &PayoutFilter::default(),
            PageRequest {
                limit: 100,
                offset: 0,
            },
        )
        .await?;
    let names = partner_names(&state, tenant).await?;
    let today = state.engine.now().date();
    let csrf = s.0.csrf();
    let content = html! {
        (notices(&n))
        h2 { "Run payouts" }
        form class="inline" method="post" action="/app/operator/payouts/run" {
            input type="hidden" name="csrf" value=(csrf);
            label { "Cut-off date (inclusive)" input type="date" name="cutoff" value=(today.to_string()) required; }
            label { "Method" input type="text" name="payment_method" value="bank_transfer" maxlength="255"; }
            button type="submit" { "Run payouts" }
        }
        h2 { "Payouts" }
        @if list.items.is_empty() {
            div class="empty" { p { "No payouts yet. Run payouts for a cut-off date above." } }
        } @else {
            div class="table-wrap" { table {
                thead { tr { th scope="col" { "Created" } th scope="col" { "Partner" } th scope="col" { "Status" } th scope="col" class="num" { "Amount" } th scope="col" class="num" { "Count" } th scope="col" { "Next step" } } }
                tbody { @for p in &list.items { tr {
                    td { a href=(format!("/app/payouts/{}", p.id)) { (date(p.created_at)) } }
                    td { (names.get(&p.partner_id).cloned().unwrap_or_default()) }
                    td { (badge(p.status.name())) }
                    td class="num" { (money(&p.total)) }
                    td class="num" { (p.commission_count) }
                    td {
                        @if p.status.is_unfinished() {
                            // One form per action, so Enter in a text field submits that field's action.
                            @let action = format!("/app/operator/payouts/{}/move", p.id);
                            @match p.status {
                                PayoutStatus::Pending | PayoutStatus::Ready => {
                                    form class="inline" method="post" action=(action) {
                                        input type="hidden" name="csrf" value=(csrf);
                                        @if p.status == PayoutStatus::Pending {
                                            button type="submit" name="status" value="ready" { "Mark ready" }
                                        } @else {
                                            button type="submit" name="status" value="processing" { "Mark processing" }
                                        }
                                    }
                                    form class="inline" method="post" action=(action) {
                                        input type="hidden" name="csrf" value=(csrf);
                                        input type="hidden" name="status" value="cancelled";
                                        input type="text" name="text" placeholder="reason to cancel" maxlength="255" aria-label="Reason to cancel" required;
                                        button type="submit" class="secondary" { "Cancel" }
                                    }
                                }
                                _ => {
                                    form class="inline" method="post" action=(action) {
                                        input type="hidden" name="csrf" value=(csrf);
                                        input type="hidden" name="status" value="completed";
                                        input type="text" name="text" placeholder="payment reference" maxlength="255" aria-label="Payment reference" required;
                                        button type="submit" { "Complete" }
                                    }
                                    form class="inline" method="post" action=(action) {
                                        input type="hidden" name="csrf" value=(csrf);
                                        input type="hidden" name="status" value="failed";
                                        input type="text" name="text" placeholder="reason it failed" maxlength="255" aria-label="Reason it failed" required;
                                        button type="submit" class="danger" { "Failed" }
                                    }
                                }
                            }
                        }
                    }
                } } }
            } }
        }
    };
    Ok(html_response(page(
        "Payout runs",
        &s.0,
        Nav::PayoutRuns,
        content,
    )))
}

/// `POST /app/operator/payouts/run`.
#[post("/app/operator/payouts/run")]
pub async fn run(
    state: web::Data<AppState>,
    s: StaffSession,
    req: HttpRequest,
    body: String,
) -> Result<HttpResponse, PageError> {
    require_operator(&s)?;
    let f = form::pairs(&body);
    s.0.check_form(&req, form::first(&f, "csrf").unwrap_or(""))?;
    let path = "/app/operator/payouts";
    let cutoff = match InstantParam::parse(form::first(&f, "cutoff").unwrap_or("")) {
        // The whole cut-off day; the day after 9999-12-31 does not exist.
        Ok(d) => match d.checked_add(Duration::days(1) - Duration::microseconds(1)) {
            Some(end) => end,
            None => return Ok(back(path, "error", "the cut-off date is out of range")),
        },
        Err(m) => return Ok(back(path, "error", &m)),
    };
    let method = form::first(&f, "payment_method")
        .filter(|m| !m.trim().is_empty())
        .unwrap_or("bank_transfer");
    Ok(
        match state
            .engine
            .run_payouts(s.0.principal.tenant, &s.0.actor(), None, cutoff, method)
            .await
        {
            Ok(r) => {
                let refused = r
                    .refused
                    .iter()
                    .filter(|o| !matches!(o, PayoutBatchOutcome::Created(_)))
                    .count();
                back(
                    path,
                    "notice",
                    &format!(
                        "Made {} payouts; {} refused (nothing to pay, net not positive, or below minimum).",
                        r.created.len(),
                        refused
                    ),
                )
            }
            Err(e) => back(
                path,
                "error",
                &crate::problem::ApiError::from(e).problem().detail,
            ),
        },
    )
}

/// `POST /app/operator/payouts/{id}/move`.
#[post("/app/operator/payouts/{id}/move")]
pub async fn move_payout(
    state: web::Data<AppState>,
    s: StaffSession,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: String,
) -> Result<HttpResponse, PageError> {
    require_operator(&s)?;
    let f = form::pairs(&body);
    s.0.check_form(&req, form::first(&f, "csrf").unwrap_or(""))?;
    let path = "/app/operator/payouts";
    // Several text inputs may share the name; the first non-empty one is the operator's.
    let text = form::all(&f, "text")
        .into_iter()
        .find(|t| !t.trim().is_empty())
        .unwrap_or("")
        .to_owned();
    let mv = match form::first(&f, "status") {
        Some("ready") => PayoutMove::Ready,
        Some("processing") => PayoutMove::Processing,
        Some("completed") => PayoutMove::Complete {
            payment_reference: text,
        },
        Some("failed") => PayoutMove::Fail { reason: text },
        Some("cancelled") => PayoutMove::Cancel { reason: text },
        _ => return Ok(back(path, "error", "Unknown status.")),
    };
    Ok(
        match state
            .engine
            .move_payout(
                s.0.principal.tenant,
                &s.0.actor(),
                PayoutId::from_uuid(*id),
                mv,
            )
            .await
        {
            Ok(p) => back(
                path,
                "notice",
                &format!("Payout is now {}.", p.status.name()),
            ),
            Err(e) => back(
                path,
                "error",
                &crate::problem::ApiError::from(e).problem().detail,
            ),
        },
    )
}
