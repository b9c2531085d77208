//! The page shell: header, navigation, stylesheet, and error pages.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use maud::{DOCTYPE, Markup, html};

use crate::web::session::Session;

/// The navigation entries, and which one is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// Revenue.
    Revenue,
    /// Commissions.
    Commissions,
    /// Payouts.
    Payouts,
    /// Operator: partners.
    Partners,
    /// Operator: approvals.
    Approvals,
    /// Operator: payout runs.
    PayoutRuns,
    /// None.
    None,
}

fn link(current: Nav, me: Nav, href: &str, label: &str) -> Markup {
    html! {
        @if current == me {
            a href=(href) aria-current="page" { (label) }
        } @else {
            a href=(href) { (label) }
        }
    }
}

/// A full page for a logged-in user.
pub fn page(title: &str, session: &Session, nav: Nav, content: Markup) -> Markup {
    let staff = session.is_staff();
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · revshare" }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                a class="skip" href="#main" { "Skip to content" }
                header class="top" {
                    a class="brand" href="/app/revenue" { "revshare" }
                    nav aria-label="Main" {
                        (link(nav, Nav::Revenue, "/app/revenue", "Revenue"))
                        (link(nav, Nav::Commissions, "/app/commissions", "Commissions"))
                        (link(nav, Nav::Payouts, "/app/payouts", "Payouts"))
                        @if staff {
                            (link(nav, Nav::Partners, "/app/operator/partners", "Partners"))
                            (link(nav, Nav::Approvals, "/app/operator/approvals", "Approvals"))
                            (link(nav, Nav::PayoutRuns, "/app/operator/payouts", "Payout runs"))
                        }
                    }
                    form class="logout" method="post" action="/logout" {
                        input type="hidden" name="csrf" value=(session.csrf());
                        span class="who" { (session.principal.role.name()) }
                        button type="submit" { "Log out" }
                    }
                }
                main id="main" { h1 { (title) } (content) }
            }
        }
    }
}

/// A bare page (login, errors).
pub fn bare(title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · revshare" }
                link rel="stylesheet" href="/static/app.css";
            }
            body { main id="main" class="narrow" { (content) } }
        }
    }
}

/// An HTML error page.
pub fn error_page(status: StatusCode, title: &str, detail: &str) -> HttpResponse {
    let body = bare(
        title,
        html! {
            h1 { (title) }
            p { (detail) }
            p { a href="/app/revenue" { "Back to revenue" } " · " a href="/login" { "Log in" } }
        },
    );
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body.into_string())
}

/// A status badge.
pub fn badge(status: &str) -> Markup {
    html! { span class=(format!("badge badge-{status}")) { (status) } }
}
