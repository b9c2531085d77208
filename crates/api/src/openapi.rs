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
