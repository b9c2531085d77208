//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Document-level information; paths and schemas are collected from the registered services.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "revshare",
        description = "Partner revenue-share engine: ingestion of invoice payments and refunds, commissions, payouts, and the partner portal. Amounts are decimal strings with the currency's decimals; instants are RFC 3339 (bare dates mean 00:00 UTC). Errors are application/problem+json (RFC 9457).",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Password login for people"),
        (name = "portal", description = "The partner portal: metrics, commissions, payouts"),
        (name = "partners", description = "Partners and their users (operators)"),
        (name = "accounts", description = "Attribution of customers to partners"),
        (name = "rules", description = "Commission rules and simulation"),
        (name = "commissions", description = "Approval, rejection, adjustments"),
        (name = "payouts", description = "Payout batches, runs and status moves"),
        (name = "ingestion", description = "Invoice payments and refunds from the billing system"),
        (name = "audit", description = "Audit log of operator actions"),
        (name = "reconciliation", description = "Conservation check of the ledger"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The problem answers every operation can give whatever its handler does, by what the
/// operation takes: a bearer token (401, 403), a path id (404: a malformed or unknown id), a
/// query string (422), a JSON body (400 unreadable, 413 too large, 415 not JSON, 422 invalid),
/// an `Idempotency-Key` (409 still running, 422 reused), and the database (503). Added to the
/// collected document once, so a new route cannot forget them; responses a handler declares
/// itself are kept as declared.
pub fn complete(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::path::ParameterIn;

    for (path, item) in api.paths.paths.iter_mut() {
        let database = path != "/healthz";
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            let params: Vec<(ParameterIn, String)> = op
                .parameters
                .iter()
                .flatten()
                .filter_map(|p| match p {
                    RefOr::T(p) => Some((p.parameter_in.clone(), p.name.clone())),
                    RefOr::Ref(_) => None,
                })
                .collect();
            let has = |place: ParameterIn| params.iter().any(|(p, _)| *p == place);
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let idempotent = params
                .iter()
                .any(|(p, n)| *p == ParameterIn::Header && n == crate::idempotency::HEADER);
            let mut wanted: Vec<&str> = Vec::new();
            if op.request_body.is_some() {
                wanted.extend(["400", "413", "415", "422"]);
            }
            if secured {
                wanted.extend(["401", "403"]);
            }
            if has(ParameterIn::Path) {
                wanted.push("404");
            }
            if has(ParameterIn::Query) {
                wanted.push("422");
            }
            if idempotent {
                wanted.extend(["409", "422"]);
            }
            if database {
                wanted.push("503");
            }
            for status in wanted {
                let Some((_, description)) = SHARED_PROBLEMS.iter().find(|(s, _)| *s == status)
                else {
                    continue;
                };
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| RefOr::T(shared_problem(status, description)));
            }
            for (status, response) in op.responses.responses.iter_mut() {
                let RefOr::T(r) = response else { continue };
                if !r.description.is_empty() {
                    continue;
                }
                // A bare problem answer of a shared status is the shared one.
                let bare_problem = r.headers.is_empty()
                    && r.content.len() == 1
                    && r.content.contains_key(crate::problem::PROBLEM_JSON);
                match SHARED_PROBLEMS.iter().find(|(s, _)| s == status) {
                    Some((_, description)) if bare_problem => {
                        *r = shared_problem(status, description);
                    }
                    // OpenAPI requires a description on every response.
                    _ => r.description = reason(status).to_owned(),
                }
            }
        }
    }
}

/// The shared problem responses: status and what it means.
const SHARED_PROBLEMS: &[(&str, &str)] = &[
    (
        "400",
        "The request cannot be read: malformed JSON, or bytes that are not UTF-8.",
    ),
    ("401", "No bearer token, or one that is invalid or expired."),
    ("403", "The caller's role may not do this."),
    ("404", "No such resource (a malformed id names nothing)."),
    (
        "409",
        "The request conflicts with stored data, or a request with the same Idempotency-Key is still running.",
    ),
    ("413", "The body is larger than 2 MiB."),
    ("415", "The body is not sent as application/json."),
    (
        "422",
        "Invalid input: the offending fields are listed in `errors`.",
    ),
    (
        "503",
        "The database is unreachable; retry after `Retry-After` seconds.",
    ),
];

fn reason(status: &str) -> &'static str {
    status
        .parse::<u16>()
        .ok()
        .and_then(|s| actix_web::http::StatusCode::from_u16(s).ok())
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Response")
}

fn shared_problem(status: &str, description: &str) -> utoipa::openapi::Response {
    use utoipa::openapi::header::Header;
    use utoipa::openapi::{ContentBuilder, Object, Ref, ResponseBuilder, Type};

    let mut r = ResponseBuilder::new().description(description).content(
        crate::problem::PROBLEM_JSON,
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build(),
    );
    if status == "401" {
        let mut h = Header::default();
        h.description = Some("`Bearer` challenge".into());
        r = r.header("WWW-Authenticate", h);
    }
    if status == "503" {
        let mut h = Header::new(Object::with_type(Type::Integer));
        h.description = Some("seconds to wait before retrying".into());
        r = r.header("Retry-After", h);
    }
    r.build()
}
