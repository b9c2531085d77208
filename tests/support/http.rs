//! HTTP test support: the real application on a random port over a fresh database, a client,
//! tokens for any principal (and broken ones), a seeded world of two tenants and three
//! partners, and assertions on problem documents.
//!
//! ```text
//! http!(partners_are_listed, |app| {
//!     let w = app.seed().await;
//!     let r = app.get("/api/v1/partners", Some(&app.operator_token())).await;
//!     assert_eq!(r.status, 200);
//! });
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::time::Duration;

use reqwest::Method;
use reqwest::header::HeaderMap;
use revshare_api::auth::TokenKeys;
use revshare_domain::access::{Principal, Role, StaffUser, Tenant};
use revshare_domain::partner::PartnerUserRole;
use revshare_domain::port::Directory;
use revshare_domain::usecase::{NewAccount, NewPartnerUser, PayoutBatchOutcome, PayoutRequest};
use revshare_domain::value::{Currency, CustomerId, PartnerId, TenantId};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::fixtures::{operator, rule, share, usd};
use crate::{Backend, START, TestContext, at};

/// The HS256 secret the test server signs and verifies with.
pub const SECRET: &[u8] = b"test-secret-test-secret-test-secret!!";
/// Every person's password in the seeded world.
pub const PASSWORD: &str = "correct horse battery staple";
/// Login slug of the seeded tenant.
pub const TENANT_SLUG: &str = "acme";
/// Login slug of the other tenant.
pub const OTHER_TENANT_SLUG: &str = "globex";
/// The seeded tenant's operator.
pub const OPERATOR_EMAIL: &str = "ops@acme.test";
/// The seeded tenant's auditor.
pub const AUDITOR_EMAIL: &str = "audit@acme.test";
/// The other tenant's operator.
pub const OTHER_OPERATOR_EMAIL: &str = "ops@globex.test";

/// The argon2id hash of [`PASSWORD`], computed once per test binary (it costs ~50 ms).
pub fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        revshare_api::auth::password::hash_password(PASSWORD).expect("hash the test password")
    })
}

type StopFn = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A running application: its address, a client, the test's database world and the token keys.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub addr: String,
    /// A client that follows no redirect and ignores proxy settings.
    pub client: reqwest::Client,
    /// The database, engine (on the test clock) and directory under the server.
    pub ctx: TestContext,
    /// The seeded tenant (`acme`), with an operator and an auditor who can log in.
    pub tenant: TenantId,
    /// Another tenant (`globex`), with an operator, for isolation checks.
    pub other_tenant: TenantId,
    keys: TokenKeys,
    stop: Option<StopFn>,
}

impl std::fmt::Debug for TestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestApp")
            .field("addr", &self.addr)
            .field("backend", &self.ctx.backend)
            .finish_non_exhaustive()
    }
}

/// Starts the application on `127.0.0.1:0` over a fresh database on `backend`, with the two
/// tenants and their staff in the directory; `None` when PostgreSQL is not configured (the
/// support says so loudly).
pub async fn spawn_app(backend: Backend, name: &str) -> Option<TestApp> {
    let ctx = TestContext::new(backend, name).await?;
    let keys = TokenKeys::hs256(SECRET, 3600).expect("token keys");
    let state = revshare_api::server::state(ctx.db.clone(), keys.clone()).expect("server state");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a random port");
    let port = listener.local_addr().expect("local address").port();
    let server = revshare_api::server::serve(state, listener, 1).expect("start the server");
    let handle = server.handle();
    tokio::spawn(server);
    let stop: StopFn = Box::new(move || Box::pin(async move { handle.stop(false).await }));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client");
    let tenant = TenantId::from_uuid(Uuid::now_v7());
    let other_tenant = TenantId::from_uuid(Uuid::now_v7());
    let app = TestApp {
        addr: format!("http://127.0.0.1:{port}"),
        client,
        ctx,
        tenant,
        other_tenant,
        keys,
        stop: Some(stop),
    };
    app.directory_tenant(
        tenant,
        TENANT_SLUG,
        &[
            (OPERATOR_EMAIL, Role::Operator),
            (AUDITOR_EMAIL, Role::Auditor),
        ],
    )
    .await;
    app.directory_tenant(
        other_tenant,
        OTHER_TENANT_SLUG,
        &[(OTHER_OPERATOR_EMAIL, Role::Operator)],
    )
    .await;
    Some(app)
}

/// Declares an HTTP test that runs against the real server on SQLite and on PostgreSQL, each
/// over a fresh database. Attributes (such as `#[ignore = "…"]`) apply to both.
#[macro_export]
macro_rules! http {
    ($(#[$meta:meta])* $name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($app: &$crate::http::TestApp) $body

            $(#[$meta])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::http::spawn_app($crate::Backend::Sqlite, stringify!($name)).await.expect("sqlite");
                body(&app).await;
                app.finish().await;
            }

            $(#[$meta])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::http::spawn_app($crate::Backend::Postgres, stringify!($name)).await {
                    body(&app).await;
                    app.finish().await;
                }
            }
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Principals and tokens
// ---------------------------------------------------------------------------------------------

/// A staff principal (operator, auditor) or the billing system of `tenant`.
pub fn staff(tenant: TenantId, role: Role) -> Principal {
    let subject = match role {
        Role::Operator => OPERATOR_EMAIL,
        Role::Auditor => AUDITOR_EMAIL,
        Role::Billing => "billing-system",
        Role::Partner => panic!("use partner_user for partner principals"),
    };
    Principal {
        subject: subject.into(),
        tenant,
        role,
        partner_id: None,
        partner_role: None,
    }
}

/// A partner user of `partner` in `tenant`.
pub fn partner_user(tenant: TenantId, partner: Uuid, role: PartnerUserRole) -> Principal {
    Principal {
        subject: format!("{}-{partner}", role.name()),
        tenant,
        role: Role::Partner,
        partner_id: Some(PartnerId::from_uuid(partner)),
        partner_role: Some(role),
    }
}

fn b64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

fn claims_of(p: &Principal, now: OffsetDateTime) -> Value {
    let mut c = serde_json::json!({
        "sub": p.subject,
        "tenant": p.tenant.uuid(),
        "role": p.role.name(),
        "exp": now.unix_timestamp() + 3600,
        "iat": now.unix_timestamp(),
        "nbf": now.unix_timestamp(),
    });
    if let Some(partner) = p.partner_id {
        c["partner_id"] = serde_json::json!(partner.uuid());
    }
    if let Some(r) = p.partner_role {
        c["partner_role"] = serde_json::json!(r.name());
    }
    c
}

impl TestApp {
    /// A valid token for `p`.
    pub fn token(&self, p: &Principal) -> String {
        self.keys
            .issue(p, OffsetDateTime::now_utc(), None)
            .expect("issue a token")
    }

    /// A token for `p` issued at `at` (in the future: not valid yet).
    pub fn keys_issue_at(&self, p: &Principal, at: OffsetDateTime) -> String {
        self.keys.issue(p, at, None).expect("issue a token")
    }

    /// A token for `p` issued two hours ago (its hour of life is over, beyond any leeway).
    pub fn expired_token(&self, p: &Principal) -> String {
        self.keys
            .issue(
                p,
                OffsetDateTime::now_utc() - time::Duration::hours(2),
                None,
            )
            .expect("issue a token")
    }

    /// A token for `p` signed with another secret.
    pub fn foreign_key_token(&self, p: &Principal) -> String {
        let other =
            TokenKeys::hs256(b"another-secret-another-secret-another!", 3600).expect("keys");
        other
            .issue(p, OffsetDateTime::now_utc(), None)
            .expect("issue a token")
    }

    /// An unsigned token for `p` (`alg: none`).
    pub fn alg_none_token(&self, p: &Principal) -> String {
        let header = b64url(br#"{"alg":"none","typ":"JWT"}"#);
        let body = b64url(
            claims_of(p, OffsetDateTime::now_utc())
                .to_string()
                .as_bytes(),
        );
        format!("{header}.{body}.")
    }

    /// A genuine token of `signed` whose claims were swapped for those of `wanted` (an
    /// escalation attempt): the signature no longer matches.
    pub fn tampered_token(&self, signed: &Principal, wanted: &Principal) -> String {
        let genuine = self.token(signed);
        let parts: Vec<&str> = genuine.split('.').collect();
        let body = b64url(
            claims_of(wanted, OffsetDateTime::now_utc())
                .to_string()
                .as_bytes(),
        );
        format!("{}.{body}.{}", parts[0], parts[2])
    }

    /// A token of the seeded tenant's operator.
    pub fn operator_token(&self) -> String {
        self.token(&staff(self.tenant, Role::Operator))
    }

    /// A token of the seeded tenant's auditor.
    pub fn auditor_token(&self) -> String {
        self.token(&staff(self.tenant, Role::Auditor))
    }

    /// A token of the seeded tenant's billing system.
    pub fn billing_token(&self) -> String {
        self.token(&staff(self.tenant, Role::Billing))
    }

    /// A token of a user of `partner` in the seeded tenant.
    pub fn partner_token(&self, partner: Uuid, role: PartnerUserRole) -> String {
        self.token(&partner_user(self.tenant, partner, role))
    }

    /// A token of the other tenant's operator.
    pub fn other_operator_token(&self) -> String {
        self.token(&staff(self.other_tenant, Role::Operator))
    }
}

// ---------------------------------------------------------------------------------------------
// Requests and answers
// ---------------------------------------------------------------------------------------------

/// An answer of the server, read in full.
#[derive(Debug, Clone)]
pub struct Reply {
    /// What was asked, for failure messages (`GET /api/v1/…`).
    pub request: String,
    /// HTTP status.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// Body text.
    pub body: String,
}

impl Reply {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The content type, without parameters.
    pub fn content_type(&self) -> &str {
        self.header("content-type")
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
    }

    /// The body as JSON (panics, with the request, when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("{}: body is not JSON ({e}): {}", self.request, self.body))
    }

    /// `X-Total-Count` as a number.
    pub fn total(&self) -> u64 {
        self.header("x-total-count")
            .unwrap_or_else(|| panic!("{}: no X-Total-Count", self.request))
            .parse()
            .expect("X-Total-Count is a number")
    }

    /// Asserts the status, showing the request and body when it differs.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status, status,
            "{} answered {}: {}",
            self.request, self.status, self.body
        );
        self
    }

    /// Asserts a JSON answer with `status` and returns its body.
    #[track_caller]
    pub fn ok_json(&self, status: u16) -> Value {
        self.expect(status);
        assert_eq!(
            self.content_type(),
            "application/json",
            "{}: content type",
            self.request
        );
        self.json()
    }

    /// Asserts an RFC 9457 problem with `status`: `application/problem+json` with `type`,
    /// `title`, `status` and `detail`, a `WWW-Authenticate` challenge on 401, and returns it.
    #[track_caller]
    pub fn problem(&self, status: u16) -> Value {
        self.expect(status);
        assert_problem_shape(self);
        self.json()
    }

    /// Like [`Reply::problem`] for a 422 about fields: `errors` lists `{field, message}`, and
    /// one of them is about `field`.
    #[track_caller]
    pub fn invalid(&self, field: &str) -> Value {
        let p = self.problem(422);
        let errors = p["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: a 422 without errors: {}", self.request, self.body));
        assert!(!errors.is_empty(), "{}: empty errors", self.request);
        for e in errors {
            assert!(
                e["field"].is_string() && e["message"].is_string(),
                "{}: bad error entry {e}",
                self.request
            );
        }
        assert!(
            errors.iter().any(|e| e["field"] == field),
            "{}: no error about {field:?}: {}",
            self.request,
            self.body
        );
        p
    }
}

/// Checks the shape every error answer must have.
#[track_caller]
pub fn assert_problem_shape(r: &Reply) {
    assert_eq!(
        r.content_type(),
        "application/problem+json",
        "{} ({}): content type of {}",
        r.request,
        r.status,
        r.body
    );
    let p = r.json();
    for key in ["type", "title", "detail"] {
        assert!(
            p[key].as_str().is_some_and(|s| !s.is_empty()),
            "{}: problem without {key}: {}",
            r.request,
            r.body
        );
    }
    assert_eq!(
        p["status"].as_u64(),
        Some(u64::from(r.status)),
        "{}: problem status: {}",
        r.request,
        r.body
    );
    assert!(r.status < 500, "{}: a server error: {}", r.request, r.body);
    if r.status == 401 {
        let challenge = r
            .header("www-authenticate")
            .unwrap_or_else(|| panic!("{}: 401 without WWW-Authenticate", r.request));
        assert!(
            challenge.starts_with("Bearer"),
            "{}: challenge {challenge:?}",
            r.request
        );
    }
    let lower = r.body.to_lowercase();
    for leak in [
        "panicked",
        "sqlx",
        "sea_orm",
        "stack backtrace",
        "select ",
        "insert into",
    ] {
        assert!(
            !lower.contains(leak),
            "{}: the problem leaks internals ({leak}): {}",
            r.request,
            r.body
        );
    }
}

impl TestApp {
    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.addr)
    }

    /// Sends a prepared request and reads the answer in full.
    pub async fn send(&self, what: String, req: reqwest::RequestBuilder) -> Reply {
        let r = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{what}: request failed: {e}"));
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r
            .text()
            .await
            .unwrap_or_else(|e| panic!("{what}: reading the body failed: {e}"));
        Reply {
            request: what,
            status,
            headers,
            body,
        }
    }

    /// A request builder with an optional bearer token.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let b = self.client.request(method, self.url(path));
        match token {
            Some(t) => b.bearer_auth(t),
            None => b,
        }
    }

    /// Sends `method path` with an optional token and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let what = format!("{method} {path}");
        let mut b = self.request(method, path, token);
        if let Some(body) = body {
            b = b.json(body);
        }
        self.send(what, b).await
    }

    /// `GET path`.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(Method::GET, path, token, None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// `POST path` with a JSON body and an `Idempotency-Key`.
    pub async fn post_idempotent(&self, path: &str, token: &str, key: &str, body: &Value) -> Reply {
        let b = self
            .request(Method::POST, path, Some(token))
            .header("Idempotency-Key", key)
            .json(body);
        self.send(format!("POST {path} (Idempotency-Key {key})"), b)
            .await
    }

    /// Stops the server and drops the database.
    pub async fn finish(mut self) {
        if let Some(stop) = self.stop.take() {
            stop().await;
        }
        self.ctx.finish().await;
    }
}

// ---------------------------------------------------------------------------------------------
// The seeded world
// ---------------------------------------------------------------------------------------------

/// One seeded partner and everything it owns.
#[derive(Debug, Clone)]
pub struct SeededPartner {
    /// Partner id.
    pub id: Uuid,
    /// `P-A`, `P-B`, …
    pub number: String,
    /// The owner's login e-mail (password [`PASSWORD`]).
    pub owner_email: String,
    /// The owner's user id.
    pub owner_id: Uuid,
    /// The attributed customer.
    pub customer: String,
    /// The attribution of that customer.
    pub account: Uuid,
    /// A product-scoped rule (it never applies to the seeded payments).
    pub rule: Uuid,
    /// Payment ids: `[first, second]`.
    pub payments: [String; 2],
    /// Commissions of those payments: the first is in [`SeededPartner::payout`], the second is
    /// approved and unclaimed.
    pub commissions: [Uuid; 2],
    /// A pending payout holding the first commission.
    pub payout: Uuid,
}

/// The seeded world: in the seeded tenant, active partners A (default rate 10 %) and B (20 %),
/// each with an owner, an attributed customer, a rule, two approved USD commissions (100.00 and
/// 200.00 paid on 1 and 2 March 2026) and a pending payout of the first; in the other tenant,
/// partner G with the same.
#[derive(Debug, Clone)]
pub struct World {
    /// Partner A of the seeded tenant.
    pub a: SeededPartner,
    /// Partner B of the seeded tenant.
    pub b: SeededPartner,
    /// Partner G of the other tenant.
    pub g: SeededPartner,
}

impl SeededPartner {
    /// Every identifier and business key of the partner, for "reveals nothing" checks.
    pub fn secrets(&self) -> Vec<String> {
        let mut v = vec![
            self.id.to_string(),
            self.number.clone(),
            self.owner_email.clone(),
            self.owner_id.to_string(),
            self.customer.clone(),
            self.account.to_string(),
            self.rule.to_string(),
            self.payout.to_string(),
        ];
        v.extend(self.payments.iter().cloned());
        v.extend(self.commissions.iter().map(ToString::to_string));
        v
    }
}

impl World {
    /// The secrets of the seeded tenant's partners (A and B).
    pub fn secrets(&self) -> Vec<String> {
        let mut v = self.a.secrets();
        v.extend(self.b.secrets());
        v
    }
}

impl TestApp {
    async fn directory_tenant(&self, id: TenantId, slug: &str, staff: &[(&str, Role)]) {
        let t = Tenant {
            id,
            slug: slug.into(),
            name: slug.to_uppercase(),
            created_at: START,
        };
        self.ctx
            .directory
            .insert_tenant(&t)
            .await
            .expect("insert tenant");
        for (email, role) in staff {
            let user = StaffUser {
                id: Uuid::now_v7(),
                tenant_id: id,
                email: (*email).into(),
                name: format!("{role:?}"),
                role: *role,
                created_at: START,
            };
            self.ctx
                .directory
                .insert_staff(&user, password_hash())
                .await
                .expect("insert staff");
        }
    }

    /// Seeds an active partner with an owner, a customer, a rule, two approved commissions and
    /// a pending payout of the first, through the engine (on the test clock).
    pub async fn seed_partner(&self, tenant: TenantId, letter: &str, rate: &str) -> SeededPartner {
        let ctx = &self.ctx;
        let lower = letter.to_lowercase();
        let number = format!("P-{letter}");
        let p = ctx
            .active_partner(tenant, &number, Some(share(rate)), 0)
            .await;
        let owner_email = format!("owner@{lower}.partners.test");
        let owner = ctx
            .engine
            .add_partner_user(
                tenant,
                &operator(),
                p.id,
                NewPartnerUser {
                    email: owner_email.clone(),
                    name: format!("Owner {letter}"),
                    role: PartnerUserRole::Owner,
                },
                password_hash(),
            )
            .await
            .expect("add partner user");
        let customer = format!("cust-{lower}");
        let account = ctx
            .engine
            .attribute_customer(
                tenant,
                &operator(),
                NewAccount {
                    partner_id: p.id,
                    customer_id: CustomerId::parse(&customer).expect("customer"),
                    start: at("2026-01-01T00:00:00Z"),
                    end: None,
                    custom_rate: None,
                },
            )
            .await
            .expect("attribute");
        let mut draft = rule(p.id, "Pro plan", share("0.25"));
        draft
            .product_ids
            .insert(revshare_domain::value::ProductId::parse("plan_pro").expect("product"));
        let rule = ctx.rule(tenant, draft).await;
        let payments = [format!("pay-{lower}-1"), format!("pay-{lower}-2")];
        let first = ctx
            .pay(
                tenant,
                &payments[0],
                &customer,
                usd("100.00"),
                "2026-03-01T10:00:00Z",
            )
            .await;
        let second = ctx
            .pay(
                tenant,
                &payments[1],
                &customer,
                usd("200.00"),
                "2026-03-02T10:00:00Z",
            )
            .await;
        assert_eq!(
            (first.outcome.as_str(), second.outcome.as_str()),
            ("created", "created"),
            "seed payments"
        );
        let commissions = [
            first.commission_id.expect("commission").uuid(),
            second.commission_id.expect("commission").uuid(),
        ];
        let outcome = ctx
            .engine
            .create_payout(
                tenant,
                &operator(),
                PayoutRequest {
                    partner_id: p.id,
                    currency: Currency::USD,
                    period_start: None,
                    period_end: at("2026-03-01T23:59:59Z"),
                    payment_method: "bank_transfer".into(),
                },
            )
            .await
            .expect("payout");
        let PayoutBatchOutcome::Created(payout) = outcome else {
            panic!("seed payout refused: {outcome:?}")
        };
        SeededPartner {
            id: p.id.uuid(),
            number,
            owner_email,
            owner_id: owner.id.uuid(),
            customer,
            account: account.id.uuid(),
            rule: rule.id.uuid(),
            payments,
            commissions,
            payout: payout.id.uuid(),
        }
    }

    /// Seeds [`World`].
    pub async fn seed(&self) -> World {
        World {
            a: self.seed_partner(self.tenant, "A", "0.10").await,
            b: self.seed_partner(self.tenant, "B", "0.20").await,
            g: self.seed_partner(self.other_tenant, "G", "0.10").await,
        }
    }
}
