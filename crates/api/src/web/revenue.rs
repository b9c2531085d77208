//! The revenue page: metric cards per currency, a date range with presets, and a chart of
//! commissions and payouts per month.

use actix_web::{HttpResponse, get, web};
use maud::{Markup, html};
use revshare_domain::metrics::Granularity;
use revshare_domain::value::{Period, midnight, start_of_month};
use serde::Deserialize;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::dto::InstantParam;
use crate::state::AppState;
use crate::web::chart::{Bar, bars};
use crate::web::format::money;
use crate::web::layout::{Nav, page};
use crate::web::session::{PageError, Session};
use crate::web::{html_response, page_partner, partner_picker};

/// Query of the revenue page.
#[derive(Debug, Deserialize)]
pub struct RevenueQuery {
    preset: Option<String>,
    from: Option<String>,
    to: Option<String>,
    partner_id: Option<Uuid>,
}

const PRESETS: &[(&str, &str)] = &[
    ("this_month", "This month"),
    ("last_month", "Last month"),
    ("last_90_days", "Last 90 days"),
    ("year_to_date", "Year to date"),
];

/// The period of a preset or a custom range (`to` is an inclusive date).
pub fn period_of(
    preset: &str,
    from: Option<&str>,
    to: Option<&str>,
    now: OffsetDateTime,
) -> Result<Period, PageError> {
    let this_month = start_of_month(now);
    let (start, end) = match preset {
        "last_month" => (start_of_month(this_month - Duration::days(1)), this_month),
        "last_90_days" => (now - Duration::days(90), now),
        "year_to_date" => (
            midnight(
                time::Date::from_calendar_date(now.year(), time::Month::January, 1)
                    .unwrap_or(now.date()),
            ),
            now,
        ),
        "custom" => {
            let parse = |v: Option<&str>, field: &str| -> Result<OffsetDateTime, PageError> {
                let t = v.filter(|s| !s.is_empty()).ok_or_else(|| {
                    revshare_domain::ValidationError::new(field, "is required for a custom range")
                })?;
                InstantParam::parse(t)
                    .map_err(|m| revshare_domain::ValidationError::new(field, m).into())
            };
            // `to` is inclusive; the day after 9999-12-31 does not exist.
            let end = parse(to, "to")?
                .checked_add(Duration::days(1))
                .ok_or_else(|| revshare_domain::ValidationError::new("to", "is out of range"))?;
            (parse(from, "from")?, end)
        }
        _ => (this_month, now),
    };
    Ok(Period::new(start, end)?)
}

/// First instants of the months a period touches (at most 120).
fn months_of(period: Period) -> Vec<OffsetDateTime> {
    let mut out = Vec::new();
    let mut m = start_of_month(period.start);
    while m < period.end && out.len() < 120 {
        out.push(m);
        m = revshare_domain::value::add_months(m, 1);
    }
    out
}

fn query_with(q: &RevenueQuery, preset: &str) -> String {
    match q.partner_id {
        Some(p) => format!("?preset={preset}&partner_id={p}"),
        None => format!("?preset={preset}"),
    }
}

fn empty_state(staff: bool) -> Markup {
    html! {
        div class="empty" {
            h2 { "Nothing here yet" }
            @if staff {
                p { "Commissions appear when customers attributed to this partner pay invoices. Attribute customers (" code { "POST /api/v1/partners/{id}/accounts" } "), then let the billing system send payments, or load demo data with " code { "cargo xtask seed" } "." }
            } @else {
                p { "Commissions appear here when the customers you brought pay their invoices. Try another period above, or check back after your customers' next billing run." }
            }
        }
    }
}

/// `GET /app/revenue`.
#[get("/app/revenue")]
pub async fn show(
    state: web::Data<AppState>,
    s: Session,
    q: web::Query<RevenueQuery>,
) -> Result<HttpResponse, PageError> {
    let now = state.engine.now();
    let preset = q.preset.as_deref().unwrap_or("this_month");
    let period = period_of(preset, q.from.as_deref(), q.to.as_deref(), now)?;
    let partner = page_partner(&state, &s, q.partner_id).await?;
    let picker = partner_picker(&state, &s, "/app/revenue", partner).await?;
    let tenant = s.principal.tenant;
    let body = match partner {
        None => empty_state(true),
        Some(p) => {
            let metrics = state.engine.metrics(tenant, p, period).await?;
            // The chart covers whole months from the period's first month.
            let series = state
                .engine
                .series(tenant, p, period, Granularity::Month)
                .await?;
            let months = months_of(period);
            html! {
                @if metrics.currencies.is_empty() {
                    (empty_state(s.is_staff()))
                }
                @for c in &metrics.currencies {
                    section aria-label=(format!("Figures in {}", c.currency)) {
                        h2 { (c.currency.code()) }
                        div class="cards" {
                            div class="card" data-metric="total_commissions" {
                                div class="label" { "Total commissions" }
                                div class="value" { (money(&c.total_commissions)) }
                                div class="sub" { (crate::web::format::plural(c.total_commission_count, "commission", "commissions")) " in the period" }
                            }
                            div class="card" data-metric="total_payouts" {
                                div class="label" { "Total payouts" }
                                div class="value" { (money(&c.total_payouts)) }
                                div class="sub" { "completed in the period" }
                            }
                            div class="card" data-metric="pending_amount" {
                                div class="label" { "Pending" }
                                div class="value" { (money(&c.pending_amount)) }
                                div class="sub" { "approved, not yet paid" }
                            }
                            div class="card" data-metric="on_hold_amount" {
                                div class="label" { "On hold" }
                                div class="value" { (money(&c.on_hold_amount)) }
                                div class="sub" { "waiting for the hold period" }
                            }
                        }
                        // Every month of the period gets a bar, empty months included.
                        @let data: Vec<Bar> = months.iter().map(|m| {
                            let pt = series.iter().find(|pt| pt.currency == c.currency && start_of_month(pt.bucket_start) == *m);
                            Bar {
                                label: format!("{}-{:02}", m.year(), u8::from(m.month())),
                                commissions: pt.map_or(rust_decimal::Decimal::ZERO, |pt| pt.commissions.amount()),
                                payouts: pt.map_or(rust_decimal::Decimal::ZERO, |pt| pt.payouts.amount()),
                            }
                        }).collect();
                        @if !data.is_empty() {
                            h2 { "Per month" }
                            (bars(&data, c.currency.code()))
                        }
                    }
                }
            }
        }
    };
    let content = html! {
        (picker)
        nav class="presets" aria-label="Period" {
            @for (key, label) in PRESETS {
                a href=(query_with(&q, key)) aria-current=[(preset == *key).then_some("true")] { (label) }
            }
        }
        form class="filters" method="get" action="/app/revenue" {
            input type="hidden" name="preset" value="custom";
            @if let (true, Some(p)) = (s.is_staff(), partner) { input type="hidden" name="partner_id" value=(p.to_string()); }
            label { "From" input type="date" name="from" value=(period.start.date().to_string()); }
            label { "To" input type="date" name="to" value=(crate::web::format::date(period.end - Duration::seconds(1))); }
            button type="submit" { "Apply" }
        }
        p class="sub" { "Period: " (period.start.date()) " to " (crate::web::format::date(period.end - Duration::microseconds(1))) " inclusive (UTC). Pending and on-hold amounts are as of now." }
        (body)
    };
    Ok(html_response(page("Revenue", &s, Nav::Revenue, content)))
}
