//! Login and logout pages.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use maud::html;
use serde::Deserialize;

use crate::routes::auth::authenticate;
use crate::state::AppState;
use crate::web::layout::bare;
use crate::web::session::{PageError, Session, login_cookie, logout_cookie};
use crate::web::{form, html_response};

/// Query of the login page.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    error: Option<String>,
    tenant: Option<String>,
}

fn login_form(error: Option<&str>, tenant: &str) -> maud::Markup {
    bare(
        "Log in",
        html! {
            h1 { "Log in to revshare" }
            @if let Some(e) = error { p class="error" role="alert" { (e) } }
            form method="post" action="/login" {
                p { label { "Organisation" input type="text" name="tenant" value=(tenant) required autocomplete="organization"; } }
                p { label { "E-mail" input type="email" name="email" required autocomplete="username"; } }
                p { label { "Password" input type="password" name="password" required autocomplete="current-password"; } }
                p { button type="submit" { "Log in" } }
            }
        },
    )
}

/// The login form.
#[get("/login")]
pub async fn show(q: web::Query<LoginQuery>) -> HttpResponse {
    let error = q.error.as_deref().map(|e| match e {
        "locked" => "Too many failed attempts. Wait a few minutes and try again.",
        _ => "Unknown account or wrong password.",
    });
    html_response(login_form(error, q.tenant.as_deref().unwrap_or("default")))
}

/// Checks credentials and opens a session.
#[post("/login")]
pub async fn submit(state: web::Data<AppState>, req: HttpRequest, body: String) -> HttpResponse {
    let f = form::pairs(&body);
    let tenant = form::first(&f, "tenant").unwrap_or("").trim().to_owned();
    let email = form::first(&f, "email").unwrap_or("").to_owned();
    let password = form::first(&f, "password").unwrap_or("").to_owned();
    match authenticate(&state, &tenant, &email, password).await {
        Ok((_, token)) => HttpResponse::SeeOther()
            .cookie(login_cookie(&req, &token, state.tokens.ttl_seconds()))
            .insert_header((header::LOCATION, "/app/revenue"))
            .finish(),
        Err(e) => {
            let kind = if e.problem().status == 429 {
                "locked"
            } else {
                "invalid"
            };
            let t: String = tenant
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .take(64)
                .collect();
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/login?error={kind}&tenant={t}")))
                .finish()
        }
    }
}

/// Closes the session.
#[post("/logout")]
pub async fn logout(
    req: HttpRequest,
    session: Result<Session, PageError>,
    body: String,
) -> HttpResponse {
    if let Ok(s) = &session {
        let f = form::pairs(&body);
        if let Err(e) = s.check_form(&req, form::first(&f, "csrf").unwrap_or("")) {
            return actix_web::ResponseError::error_response(&e);
        }
    }
    HttpResponse::SeeOther()
        .cookie(logout_cookie(&req))
        .insert_header((header::LOCATION, "/login"))
        .finish()
}

/// `/` goes to the revenue page (or the login page).
#[get("/")]
pub async fn root() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/app/revenue"))
        .finish()
}
