//! Every endpoint of the API once, with a valid request about partner A's objects, who may call
//! it, how partner A's user reaches partner B's object through it, and what another tenant
//! must get. The authorisation matrix and the route walk both read this list.

use reqwest::Method;
use revshare_domain::access::{Principal, Role};
use revshare_domain::partner::PartnerUserRole;
use revshare_domain::value::TenantId;
use revshare_tests::http::{
    OPERATOR_EMAIL, PASSWORD, TENANT_SLUG, TestApp, World, partner_user, staff,
};
use serde_json::{Value, json};
use uuid::Uuid;

/// A kind of caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Operator,
    Auditor,
    Billing,
    /// An owner of partner A.
    Owner,
    /// A finance user of partner A.
    Finance,
}

impl Who {
    pub const ALL: [Who; 5] = [
        Who::Operator,
        Who::Auditor,
        Who::Billing,
        Who::Owner,
        Who::Finance,
    ];

    /// This caller in `tenant`; partner users belong to `partner`.
    pub fn principal(self, tenant: TenantId, partner: Uuid) -> Principal {
        match self {
            Who::Operator => staff(tenant, Role::Operator),
            Who::Auditor => staff(tenant, Role::Auditor),
            Who::Billing => staff(tenant, Role::Billing),
            Who::Owner => partner_user(tenant, partner, PartnerUserRole::Owner),
            Who::Finance => partner_user(tenant, partner, PartnerUserRole::Finance),
        }
    }
}

const PUBLIC: &[Who] = &[];
const STAFF: &[Who] = &[Who::Operator, Who::Auditor];
const OPERATOR: &[Who] = &[Who::Operator];
const INGESTION: &[Who] = &[Who::Billing, Who::Operator];
const PORTAL: &[Who] = &[Who::Operator, Who::Auditor, Who::Owner, Who::Finance];
const TEAM_WRITE: &[Who] = &[Who::Operator, Who::Owner];
const TEAM_READ: &[Who] = &[Who::Operator, Who::Auditor, Who::Owner];

/// What another tenant must get from the same request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Foreign {
    /// No token involved.
    Public,
    /// 404, the same answer as for an id that never existed.
    NotFound,
    /// A success that shows nothing of the seeded tenant.
    Isolated,
}

/// One endpoint and a valid request to it.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub method: Method,
    /// The path as the OpenAPI document names it.
    pub template: &'static str,
    /// A concrete path (and query) about partner A's objects.
    pub path: String,
    pub body: Option<Value>,
    /// Who may call it; everyone else gets 403.
    pub allowed: &'static [Who],
    /// The same request about partner B's object, which partner A's users must not see (404).
    pub other_partner: Option<String>,
    pub foreign: Foreign,
}

impl Endpoint {
    /// Whether this is a read.
    pub fn is_get(&self) -> bool {
        self.method == Method::GET
    }

    /// `METHOD template`.
    pub fn name(&self) -> String {
        format!("{} {}", self.method, self.template)
    }
}

#[allow(clippy::too_many_arguments)]
fn ep(
    method: Method,
    template: &'static str,
    path: String,
    body: Option<Value>,
    allowed: &'static [Who],
    other_partner: Option<String>,
    foreign: Foreign,
) -> Endpoint {
    Endpoint {
        method,
        template,
        path,
        body,
        allowed,
        other_partner,
        foreign,
    }
}

/// A valid payment body for `customer`.
pub fn payment(id: &str, customer: &str, amount: &str, paid_at: &str) -> Value {
    json!({
        "payment_id": id, "invoice_id": format!("inv-{id}"), "invoice_number": format!("INV-{id}"),
        "customer_id": customer, "amount": amount, "currency": "USD", "paid_at": paid_at,
    })
}

/// Every endpoint the API serves, with requests about the seeded world.
pub fn catalogue(w: &World) -> Vec<Endpoint> {
    use Foreign::{Isolated, NotFound, Public};
    use Method as M;
    let (a, b) = (&w.a, &w.b);
    let q = |path: &str, partner: Uuid| format!("{path}?partner_id={partner}");
    let period = "period_start=2026-01-01&period_end=2026-04-01";
    let rule = json!({"name": "Launch", "terms": {"model": "revenue_share", "rate": "0.3"}, "effective_from": "2026-01-01"});
    let new_payment = payment("pay-new", &a.customer, "50.00", "2026-03-05T00:00:00Z");
    let refund = json!({"refund_id": "ref-new", "payment_id": a.payments[1], "amount": "20.00", "refunded_at": "2026-03-06T00:00:00Z"});
    let user = json!({"email": "new.user@partners.test", "name": "New", "role": "finance", "password": "a long passphrase!"});
    vec![
        ep(
            M::GET,
            "/healthz",
            "/healthz".into(),
            None,
            PUBLIC,
            None,
            Public,
        ),
        ep(
            M::GET,
            "/readyz",
            "/readyz".into(),
            None,
            PUBLIC,
            None,
            Public,
        ),
        ep(
            M::POST,
            "/api/v1/auth/login",
            "/api/v1/auth/login".into(),
            Some(json!({"tenant": TENANT_SLUG, "email": OPERATOR_EMAIL, "password": PASSWORD})),
            PUBLIC,
            None,
            Public,
        ),
        // The partner portal.
        ep(
            M::GET,
            "/api/v1/partners/revenue/metrics",
            format!(
                "/api/v1/partners/revenue/metrics?partner_id={}&{period}",
                a.id
            ),
            None,
            PORTAL,
            Some(format!(
                "/api/v1/partners/revenue/metrics?partner_id={}&{period}",
                b.id
            )),
            NotFound,
        ),
        ep(
            M::GET,
            "/api/v1/partners/revenue/series",
            format!(
                "/api/v1/partners/revenue/series?partner_id={}&{period}&granularity=day",
                a.id
            ),
            None,
            PORTAL,
            Some(format!(
                "/api/v1/partners/revenue/series?partner_id={}&{period}&granularity=day",
                b.id
            )),
            NotFound,
        ),
        ep(
            M::GET,
            "/api/v1/partners/revenue/commissions",
            q("/api/v1/partners/revenue/commissions", a.id),
            None,
            PORTAL,
            Some(q("/api/v1/partners/revenue/commissions", b.id)),
            NotFound,
        ),
        ep(
            M::GET,
            "/api/v1/partners/revenue/commissions/export.csv",
            q("/api/v1/partners/revenue/commissions/export.csv", a.id),
            None,
            PORTAL,
            Some(q("/api/v1/partners/revenue/commissions/export.csv", b.id)),
            NotFound,
        ),
        ep(
            M::GET,
            "/api/v1/partners/revenue/commissions/{id}",
            q(
                &format!("/api/v1/partners/revenue/commissions/{}", a.commissions[1]),
                a.id,
            ),
            None,
            PORTAL,
            // Partner A's user asks for B's commission under their own partner.
            Some(format!(
                "/api/v1/partners/revenue/commissions/{}",
                b.commissions[1]
            )),
            NotFound,
        ),
        ep(
            M::GET,
            "/api/v1/partners/revenue/payouts",
            q("/api/v1/partners/revenue/payouts", a.id),
            None,
            PORTAL,
            Some(q("/api/v1/partners/revenue/payouts", b.id)),
            NotFound,
        ),
        ep(
            M::GET,
            "/api/v1/partners/revenue/payouts/{id}",
            q(
                &format!("/api/v1/partners/revenue/payouts/{}", a.payout),
                a.id,
            ),
            None,
            PORTAL,
            Some(format!("/api/v1/partners/revenue/payouts/{}", b.payout)),
            NotFound,
        ),
        ep(
            M::GET,
            "/api/v1/partners/revenue/payouts/{id}/statement.csv",
            q(
                &format!(
                    "/api/v1/partners/revenue/payouts/{}/statement.csv",
                    a.payout
                ),
                a.id,
            ),
            None,
            PORTAL,
            Some(format!(
                "/api/v1/partners/revenue/payouts/{}/statement.csv",
                b.payout
            )),
            NotFound,
        ),
        // Partners and their users.
        ep(
            M::POST,
            "/api/v1/partners",
            "/api/v1/partners".into(),
            Some(json!({
                "partner_number": "P-NEW", "name": "New partner", "tier": "silver",
                "default_terms": {"model": "revenue_share", "rate": "0.15"}, "hold_days": 7,
                "minimum_payouts": {"USD": "50.00"}, "contact_email": "new@partners.test"
            })),
            OPERATOR,
            None,
            Isolated,
        ),
        ep(
            M::GET,
            "/api/v1/partners",
            "/api/v1/partners".into(),
            None,
            STAFF,
            None,
            Isolated,
        ),
        ep(
            M::GET,
            "/api/v1/partners/{id}",
            format!("/api/v1/partners/{}", a.id),
            None,
            PORTAL,
            Some(format!("/api/v1/partners/{}", b.id)),
            NotFound,
        ),
        ep(
            M::PATCH,
            "/api/v1/partners/{id}",
            format!("/api/v1/partners/{}", a.id),
            Some(json!({"name": "Renamed", "tax_id": null})),
            OPERATOR,
            None,
            NotFound,
        ),
        ep(
            M::DELETE,
            "/api/v1/partners/{id}",
            format!("/api/v1/partners/{}", a.id),
            None,
            OPERATOR,
            None,
            NotFound,
        ),
        ep(
            M::POST,
            "/api/v1/partners/{id}/status",
            format!("/api/v1/partners/{}/status", a.id),
            Some(json!({"status": "suspended"})),
            OPERATOR,
            None,
            NotFound,
        ),
        ep(
            M::POST,
            "/api/v1/partners/{id}/users",
            format!("/api/v1/partners/{}/users", a.id),
            Some(user),
            TEAM_WRITE,
            Some(format!("/api/v1/partners/{}/users", b.id)),
            NotFound,
        ),
        ep(
            M::GET,
            "/api/v1/partners/{id}/users",
            format!("/api/v1/partners/{}/users", a.id),
            None,
            TEAM_READ,
            Some(format!("/api/v1/partners/{}/users", b.id)),
            NotFound,
        ),
        // Attributions.
        ep(
            M::POST,
            "/api/v1/partners/{id}/accounts",
            format!("/api/v1/partners/{}/accounts", a.id),
            Some(
                json!({"customer_id": "cust-new", "start_date": "2026-01-01", "custom_rate": "0.2"}),
            ),
            OPERATOR,
            None,
            NotFound,
        ),
        ep(
            M::GET,
            "/api/v1/partners/{id}/accounts",
            format!("/api/v1/partners/{}/accounts", a.id),
            None,
            PORTAL,
            Some(format!("/api/v1/partners/{}/accounts", b.id)),
            NotFound,
        ),
        ep(
            M::POST,
            "/api/v1/accounts/{id}/end",
            format!("/api/v1/accounts/{}/end", a.account),
            Some(json!({"end_date": "2026-12-31"})),
            OPERATOR,
            None,
            NotFound,
        ),
        // Rules.
        ep(
            M::POST,
            "/api/v1/rules/simulate",
            "/api/v1/rules/simulate".into(),
            Some(payment(
                "pay-sim",
                &a.customer,
                "80.00",
                "2026-03-05T00:00:00Z",
            )),
            STAFF,
            None,
            Isolated,
        ),
        ep(
            M::POST,
            "/api/v1/partners/{id}/rules",
            format!("/api/v1/partners/{}/rules", a.id),
            Some(rule.clone()),
            OPERATOR,
            None,
            NotFound,
        ),
        ep(
            M::GET,
            "/api/v1/partners/{id}/rules",
            format!("/api/v1/partners/{}/rules", a.id),
            None,
            STAFF,
            None,
            NotFound,
        ),
        ep(
            M::GET,
            "/api/v1/rules/{id}",
            format!("/api/v1/rules/{}", a.rule),
            None,
            STAFF,
            None,
            NotFound,
        ),
        ep(
            M::PUT,
            "/api/v1/rules/{id}",
            format!("/api/v1/rules/{}", a.rule),
            Some(rule),
            OPERATOR,
            None,
            NotFound,
        ),
        ep(
            M::DELETE,
            "/api/v1/rules/{id}",
            format!("/api/v1/rules/{}", a.rule),
            None,
            OPERATOR,
            None,
            NotFound,
        ),
        // Commissions.
        ep(
            M::GET,
            "/api/v1/commissions",
            q("/api/v1/commissions", a.id),
            None,
            STAFF,
            None,
            Isolated,
        ),
        ep(
            M::POST,
            "/api/v1/commissions/approve",
            "/api/v1/commissions/approve".into(),
            Some(json!({"ids": [a.commissions[1]]})),
            OPERATOR,
            None,
            NotFound,
        ),
        ep(
            M::POST,
            "/api/v1/commissions/reject",
            "/api/v1/commissions/reject".into(),
            Some(json!({"ids": [a.commissions[1]], "reason": "duplicate invoice"})),
            OPERATOR,
            None,
            NotFound,
        ),
        ep(
            M::POST,
            "/api/v1/commissions/adjustments",
            "/api/v1/commissions/adjustments".into(),
            Some(
                json!({"partner_id": a.id, "amount": "5.00", "currency": "USD", "note": "goodwill"}),
            ),
            OPERATOR,
            None,
            NotFound,
        ),
        ep(
            M::POST,
            "/api/v1/commissions/approve-due",
            "/api/v1/commissions/approve-due".into(),
            None,
            OPERATOR,
            None,
            Isolated,
        ),
        // Payouts.
        ep(
            M::POST,
            "/api/v1/payouts/run",
            "/api/v1/payouts/run".into(),
            Some(json!({"period_end": "2026-03-31T23:59:59Z"})),
            OPERATOR,
            None,
            Isolated,
        ),
        ep(
            M::POST,
            "/api/v1/payouts",
            "/api/v1/payouts".into(),
            Some(
                json!({"partner_id": a.id, "currency": "USD", "period_end": "2026-03-31T23:59:59Z"}),
            ),
            OPERATOR,
            None,
            NotFound,
        ),
        ep(
            M::GET,
            "/api/v1/payouts",
            q("/api/v1/payouts", a.id),
            None,
            STAFF,
            None,
            Isolated,
        ),
        ep(
            M::GET,
            "/api/v1/payouts/{id}",
            format!("/api/v1/payouts/{}", a.payout),
            None,
            STAFF,
            None,
            NotFound,
        ),
        ep(
            M::POST,
            "/api/v1/payouts/{id}/status",
            format!("/api/v1/payouts/{}/status", a.payout),
            Some(json!({"status": "ready"})),
            OPERATOR,
            None,
            NotFound,
        ),
        // Ingestion.
        ep(
            M::POST,
            "/api/v1/ingest/payments",
            "/api/v1/ingest/payments".into(),
            Some(new_payment.clone()),
            INGESTION,
            None,
            Isolated,
        ),
        ep(
            M::POST,
            "/api/v1/ingest/payments/batch",
            "/api/v1/ingest/payments/batch".into(),
            Some(json!({"payments": [new_payment]})),
            INGESTION,
            None,
            Isolated,
        ),
        ep(
            M::POST,
            "/api/v1/ingest/refunds",
            "/api/v1/ingest/refunds".into(),
            Some(refund.clone()),
            INGESTION,
            None,
            NotFound,
        ),
        ep(
            M::POST,
            "/api/v1/ingest/refunds/batch",
            "/api/v1/ingest/refunds/batch".into(),
            Some(json!({"refunds": [refund]})),
            INGESTION,
            None,
            Isolated,
        ),
        // Audit and reconciliation.
        ep(
            M::GET,
            "/api/v1/audit-log",
            "/api/v1/audit-log".into(),
            None,
            STAFF,
            None,
            Isolated,
        ),
        ep(
            M::GET,
            "/api/v1/reconciliation",
            "/api/v1/reconciliation".into(),
            None,
            STAFF,
            None,
            Isolated,
        ),
    ]
}

/// Every (method, path) the API must serve and document: the contract of the route table.
pub const EXPECTED_ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("POST", "/api/v1/auth/login"),
    ("GET", "/api/v1/partners/revenue/metrics"),
    ("GET", "/api/v1/partners/revenue/series"),
    ("GET", "/api/v1/partners/revenue/commissions"),
    ("GET", "/api/v1/partners/revenue/commissions/export.csv"),
    ("GET", "/api/v1/partners/revenue/commissions/{id}"),
    ("GET", "/api/v1/partners/revenue/payouts"),
    ("GET", "/api/v1/partners/revenue/payouts/{id}"),
    ("GET", "/api/v1/partners/revenue/payouts/{id}/statement.csv"),
    ("POST", "/api/v1/partners"),
    ("GET", "/api/v1/partners"),
    ("GET", "/api/v1/partners/{id}"),
    ("PATCH", "/api/v1/partners/{id}"),
    ("DELETE", "/api/v1/partners/{id}"),
    ("POST", "/api/v1/partners/{id}/status"),
    ("POST", "/api/v1/partners/{id}/users"),
    ("GET", "/api/v1/partners/{id}/users"),
    ("POST", "/api/v1/partners/{id}/accounts"),
    ("GET", "/api/v1/partners/{id}/accounts"),
    ("POST", "/api/v1/accounts/{id}/end"),
    ("POST", "/api/v1/rules/simulate"),
    ("POST", "/api/v1/partners/{id}/rules"),
    ("GET", "/api/v1/partners/{id}/rules"),
    ("GET", "/api/v1/rules/{id}"),
    ("PUT", "/api/v1/rules/{id}"),
    ("DELETE", "/api/v1/rules/{id}"),
    ("GET", "/api/v1/commissions"),
    ("POST", "/api/v1/commissions/approve"),
    ("POST", "/api/v1/commissions/reject"),
    ("POST", "/api/v1/commissions/adjustments"),
    ("POST", "/api/v1/commissions/approve-due"),
    ("POST", "/api/v1/payouts/run"),
    ("POST", "/api/v1/payouts"),
    ("GET", "/api/v1/payouts"),
    ("GET", "/api/v1/payouts/{id}"),
    ("POST", "/api/v1/payouts/{id}/status"),
    ("POST", "/api/v1/ingest/payments"),
    ("POST", "/api/v1/ingest/payments/batch"),
    ("POST", "/api/v1/ingest/refunds"),
    ("POST", "/api/v1/ingest/refunds/batch"),
    ("GET", "/api/v1/audit-log"),
    ("GET", "/api/v1/reconciliation"),
];

/// Sends an endpoint's request (its path and body, or replacements) as `token`.
pub async fn send(
    app: &TestApp,
    e: &Endpoint,
    path: &str,
    body: Option<&Value>,
    token: Option<&str>,
) -> revshare_tests::http::Reply {
    app.call(e.method.clone(), path, token, body).await
}
