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

fn path_error(err: PathError, req: &HttpRequest) -> actix_web::Error {
    // `GET /payouts/run` is the run asked with the wrong method, not a payout named `run`.
    if let Some(res) = req
        .app_data::<web::Data<KnownRoutes>>()
        .and_then(|r| r.refuse_method(req))
    {
        return actix_web::error::InternalError::from_response(err, res).into();
    }
    // A malformed id names nothing that exists.
    ApiError::not_found("no such resource").into()
}

/// The documented paths and their methods, to tell an unknown path (404) from a known one
/// asked with a method it does not serve (405 with `Allow`).
#[derive(Debug)]
struct KnownRoutes(Vec<(Vec<Option<String>>, Vec<&'static str>)>);

impl KnownRoutes {
    fn from_doc(api: &utoipa::openapi::OpenApi) -> Self {
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path
                    .split('/')
                    .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_owned()))
                    .collect();
                let methods = [
                    ("GET", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("PATCH", item.patch.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, served)| served.then_some(m))
                .collect();
                (segments, methods)
            })
            .collect();
        KnownRoutes(routes)
    }

    /// The methods served at `path`: those of the documented path it is exactly (`/payouts/run`
    /// is not the payout `run`), else those of every template it matches.
    fn methods(&self, path: &str) -> Vec<&'static str> {
        let parts: Vec<&str> = path.split('/').collect();
        let matching = |literal_only: bool| {
            let mut out: Vec<&'static str> = Vec::new();
            for (segments, methods) in &self.0 {
                let matches = segments.len() == parts.len()
                    && (!literal_only || segments.iter().all(Option::is_some))
                    && segments.iter().zip(&parts).all(|(s, p)| match s {
                        Some(literal) => literal == p,
                        None => !p.is_empty(),
                    });
                if !matches {
                    continue;
                }
                for m in methods {
                    if !out.contains(m) {
                        out.push(m);
                    }
                }
            }
            out
        };
        let exact = matching(true);
        if exact.is_empty() {
            matching(false)
        } else {
            exact
        }
    }

    /// 405 with `Allow` when `req`'s path is served, but not with its method.
    fn refuse_method(&self, req: &HttpRequest) -> Option<HttpResponse> {
        let allowed = self.methods(req.path());
        if allowed.is_empty() || allowed.contains(&req.method().as_str()) {
            return None;
        }
        let mut res = actix_web::ResponseError::error_response(&ApiError::method_not_allowed());
        if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&allowed.join(", ")) {
            res.headers_mut().insert(actix_web::http::header::ALLOW, v);
        }
        Some(res)
    }
}

async fn not_found(
    req: HttpRequest,
    routes: Option<web::Data<KnownRoutes>>,
) -> Result<HttpResponse, ApiError> {
    routes
        .and_then(|r| r.refuse_method(&req))
        .ok_or_else(|| ApiError::not_found("no such route"))
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
    let mut api = api;
    crate::openapi::complete(&mut api);
    let routes = web::Data::new(KnownRoutes::from_doc(&api));
    app.app_data(routes)
        .service(SwaggerUi::new("/docs/{_:.*}").url("/api-docs/openapi.json", api))
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
