//! The application: routes (in an order where no route shadows another), extractor limits,
//! problem+json for every error, security headers, request ids, OpenAPI and Swagger UI.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, HttpRequest, HttpResponse, web};
use tracing_actix_web::TracingLogger;
use utoipa::OpenApi;
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::openapi::ApiDoc;
use crate::problem::ApiError;
use crate::routes::{
    accounts, audit, auth, commissions, health, ingestion, partners, payouts, portal,
    reconciliation, rules,
};
use crate::state::AppState;
use crate::web as pages;
use actix_web::dev::Service;

/// Largest JSON body accepted (a batch of 1,000 payments fits comfortably).
pub const MAX_JSON_BYTES: usize = 2 * 1024 * 1024;

fn json_error(err: JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    let e = match &err {
        JsonPayloadError::ContentType => {
            ApiError::unsupported_media_type("send the body as application/json")
        }
        JsonPayloadError::Overflow { limit }
        | JsonPayloadError::OverflowKnownLength { limit, .. } => {
            ApiError::too_large(format!("the body exceeds {limit} bytes"))
        }
        JsonPayloadError::Deserialize(d) if d.is_data() => ApiError::invalid("body", d.to_string()),
        JsonPayloadError::Deserialize(d) => ApiError::bad_request(format!("malformed JSON: {d}")),
        other => ApiError::bad_request(format!("unreadable body: {other}")),
    };
    e.into()
}

fn query_error(err: QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    ApiError::invalid("query", err.to_string()).into()
}

fn path_error(_: PathError, _: &HttpRequest) -> actix_web::Error {
    // A malformed id names nothing that exists.
    ApiError::not_found("no such resource").into()
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found("no such route"))
}

/// The OpenAPI document and the services, registered once so the two never disagree.
pub fn app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .app_data(state)
        .app_data(
            web::JsonConfig::default()
                .limit(MAX_JSON_BYTES)
                .error_handler(json_error),
        )
        .app_data(web::QueryConfig::default().error_handler(query_error))
        .app_data(web::PathConfig::default().error_handler(path_error))
        .service(health::healthz)
        .service(health::readyz)
        .service(
            scope::scope("/api/v1")
                .service(auth::login)
                // The portal's fixed paths come before `/partners/{id}`, and fixed suffixes
                // (`export.csv`, `simulate`, `run`) before the `{id}` they look like.
                .service(portal::metrics)
                .service(portal::series)
                .service(portal::commissions_csv)
                .service(portal::commissions)
                .service(portal::commission)
                .service(portal::payouts)
                .service(portal::payout_statement)
                .service(portal::payout)
                .service(partners::create)
                .service(partners::list_partners)
                .service(partners::get_partner)
                .service(partners::update)
                .service(partners::move_status)
                .service(partners::archive)
                .service(partners::create_user)
                .service(partners::list_users)
                .service(accounts::create)
                .service(accounts::list_accounts)
                .service(accounts::end)
                .service(rules::simulate)
                .service(rules::create)
                .service(rules::list_rules)
                .service(rules::get_rule)
                .service(rules::replace)
                .service(rules::deactivate)
                .service(commissions::list_all)
                .service(commissions::approve)
                .service(commissions::reject)
                .service(commissions::adjust)
                .service(commissions::approve_due)
                .service(payouts::run)
                .service(payouts::batch)
                .service(payouts::list_all)
                .service(payouts::get_payout)
                .service(payouts::move_status)
                .service(ingestion::payment_batch)
                .service(ingestion::payment)
                .service(ingestion::refund_batch)
                .service(ingestion::refund)
                .service(audit::audit_log)
                .service(reconciliation::report),
        )
        .split_for_parts();
    app.service(SwaggerUi::new("/docs/{_:.*}").url("/api-docs/openapi.json", api))
        .route("/static/app.css", web::get().to(pages::stylesheet))
        .service(pages::login::root)
        .service(pages::login::show)
        .service(pages::login::submit)
        .service(pages::login::logout)
        .service(pages::revenue::show)
        .service(pages::commissions::csv)
        .service(pages::commissions::show)
        .service(pages::payouts::list)
        .service(pages::payouts::statement)
        .service(pages::payouts::detail)
        .service(pages::operator::partners)
        .service(pages::operator::approvals)
        .service(pages::operator::decide)
        .service(pages::operator::payouts)
        .service(pages::operator::run)
        .service(pages::operator::move_payout)
        .default_service(web::to(not_found))
        .wrap_fn(|req, srv| {
            // Pages get a strict CSP; Swagger UI keeps its own scripts.
            let docs = req.path().starts_with("/docs");
            let fut = srv.call(req);
            async move {
                let mut res = fut.await?;
                let html = res
                    .headers()
                    .get(actix_web::http::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.starts_with("text/html"));
                if html && !docs {
                    pages::secure(res.headers_mut());
                }
                Ok(res)
            }
        })
        .wrap(
            DefaultHeaders::new()
                .add(("X-Content-Type-Options", "nosniff"))
                .add(("X-Frame-Options", "DENY"))
                .add(("Referrer-Policy", "same-origin"))
                .add(("Cache-Control", "no-store")),
        )
        .wrap(TracingLogger::default())
}
