//! The authorisation matrix: every endpoint × {no token, expired, tampered, wrong key,
//! `alg: none`, wrong role, other partner, other tenant}. Bad credentials answer 401 with a
//! challenge, a role that may not act 403, another partner's or tenant's object 404 — the very
//! answer an id that never existed gets — and none of these changes anything.

use std::collections::BTreeMap;

use revshare_domain::access::{Principal, Role};
use revshare_domain::partner::PartnerUserRole;
use revshare_domain::value::PartnerId;
use revshare_tests::http;
use revshare_tests::http::{Reply, TestApp, World, assert_problem_shape, partner_user, staff};
use serde_json::Value;
use uuid::Uuid;

use crate::catalogue::{Endpoint, Foreign, Who, catalogue, send};

/// What the seeded tenant looks like to its operator; any write shows up here.
async fn snapshot(app: &TestApp, w: &World) -> BTreeMap<String, String> {
    let op = app.operator_token();
    let mut paths = vec![
        "/api/v1/partners".to_owned(),
        "/api/v1/commissions?limit=500".to_owned(),
        "/api/v1/payouts?limit=500".to_owned(),
        "/api/v1/audit-log?limit=500".to_owned(),
    ];
    for p in [&w.a, &w.b] {
        for tail in ["users", "accounts", "rules"] {
            paths.push(format!("/api/v1/partners/{}/{tail}", p.id));
        }
    }
    let mut out = BTreeMap::new();
    for path in paths {
        let r = app.get(&path, Some(&op)).await;
        r.expect(200);
        out.insert(path, r.body);
    }
    out
}

fn assert_unchanged(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
    what: &str,
) {
    for (path, body) in before {
        assert_eq!(Some(body), after.get(path), "{what} changed {path}");
    }
}

http!(
    bad_credentials_answer_401_with_a_challenge_on_every_endpoint,
    |app| {
        let w = app.seed().await;
        let op = staff(app.tenant, Role::Operator);
        let finance = partner_user(app.tenant, w.a.id, PartnerUserRole::Finance);
        let genuine = app.token(&op);
        // Genuinely signed tokens whose claims do not hold together, or that are not valid yet.
        let mut partner_without_partner = partner_user(app.tenant, w.a.id, PartnerUserRole::Owner);
        partner_without_partner.partner_id = None;
        let mut operator_with_partner = op.clone();
        operator_with_partner.partner_id = finance.partner_id;
        let mut nobody = op.clone();
        nobody.subject = String::new();
        let future = app.keys_issue_at(
            &op,
            time::OffsetDateTime::now_utc() + time::Duration::hours(2),
        );
        let headers: Vec<(&str, String)> = vec![
            (
                "partner role without a partner",
                format!("Bearer {}", app.token(&partner_without_partner)),
            ),
            (
                "operator role with a partner",
                format!("Bearer {}", app.token(&operator_with_partner)),
            ),
            ("empty subject", format!("Bearer {}", app.token(&nobody))),
            ("not valid yet", format!("Bearer {future}")),
            ("non-ASCII", "Bearer t\u{f6}k\u{e9}n".into()),
            ("expired", format!("Bearer {}", app.expired_token(&op))),
            (
                "signed with another key",
                format!("Bearer {}", app.foreign_key_token(&op)),
            ),
            ("alg none", format!("Bearer {}", app.alg_none_token(&op))),
            (
                "claims swapped to operator",
                format!("Bearer {}", app.tampered_token(&finance, &op)),
            ),
            (
                "truncated signature",
                format!("Bearer {}", &genuine[..genuine.len() - 3]),
            ),
            ("not a JWT", "Bearer not-a-jwt".into()),
            ("empty bearer", "Bearer ".into()),
            (
                "basic scheme",
                "Basic b3BzQGFjbWUudGVzdDpwYXNzd29yZA==".into(),
            ),
            ("oversized", format!("Bearer {}", "a".repeat(5000))),
        ];
        let before = snapshot(app, &w).await;
        for e in catalogue(&w).iter().filter(|e| !e.allowed.is_empty()) {
            let r = send(app, e, &e.path, e.body.as_ref(), None).await;
            let p = r.problem(401);
            assert_eq!(
                p["type"],
                "urn:revshare:problem:unauthorized",
                "{}",
                e.name()
            );
            for (what, value) in &headers {
                let mut b = app
                    .request(e.method.clone(), &e.path, None)
                    .header("Authorization", value);
                if let Some(body) = &e.body {
                    b = b.json(body);
                }
                let r = app.send(format!("{} ({what})", e.name()), b).await;
                r.problem(401);
            }
        }
        // The expired token says so; the others only that the token is invalid.
        let r = app
            .get("/api/v1/partners", Some(&app.expired_token(&op)))
            .await;
        assert!(
            r.problem(401)["detail"]
                .as_str()
                .unwrap()
                .contains("expired"),
            "{}",
            r.body
        );
        assert_unchanged(&before, &snapshot(app, &w).await, "refused credentials");
    }
);

http!(
    roles_that_may_not_act_answer_403_and_readers_who_may_answer_200,
    |app| {
        let w = app.seed().await;
        let before = snapshot(app, &w).await;
        for e in catalogue(&w).iter().filter(|e| !e.allowed.is_empty()) {
            for who in Who::ALL {
                let allowed = e.allowed.contains(&who);
                if allowed && !e.is_get() {
                    // Writes by callers who may make them are the happy path's business.
                    continue;
                }
                let token = app.token(&who.principal(app.tenant, w.a.id));
                let r = send(app, e, &e.path, e.body.as_ref(), Some(&token)).await;
                if !allowed {
                    let p = r.problem(403);
                    assert_eq!(
                        p["type"],
                        "urn:revshare:problem:forbidden",
                        "{} as {who:?}",
                        e.name()
                    );
                } else if e.is_get() {
                    r.expect(200);
                    if e.template.ends_with(".csv") {
                        assert_eq!(r.content_type(), "text/csv", "{} as {who:?}", e.name());
                    } else {
                        assert_eq!(
                            r.content_type(),
                            "application/json",
                            "{} as {who:?}",
                            e.name()
                        );
                    }
                }
            }
        }
        assert_unchanged(&before, &snapshot(app, &w).await, "refused roles");
    }
);

/// Replaces the hidden side's identifiers in a request by ones that never existed.
struct Scrub(Vec<(String, String)>);

impl Scrub {
    fn new(hidden: &[String]) -> Self {
        let mut pairs: Vec<(String, String)> = hidden
            .iter()
            .cloned()
            .map(|s| {
                let fresh = if Uuid::parse_str(&s).is_ok() {
                    Uuid::now_v7().to_string()
                } else {
                    format!("zz-{}", &Uuid::new_v4().simple().to_string()[..12])
                };
                (s, fresh)
            })
            .collect();
        // Longest first, so no secret is replaced inside a longer one.
        pairs.sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
        Scrub(pairs)
    }

    fn text(&self, s: &str) -> String {
        self.0
            .iter()
            .fold(s.to_owned(), |acc, (from, to)| acc.replace(from, to))
    }

    fn back(&self, s: &str) -> String {
        self.0
            .iter()
            .fold(s.to_owned(), |acc, (from, to)| acc.replace(to, from))
    }

    fn json(&self, v: &Value) -> Value {
        serde_json::from_str(&self.text(&v.to_string())).expect("scrubbed JSON")
    }

    fn principal(&self, p: &Principal) -> Principal {
        let mut p = p.clone();
        p.subject = self.text(&p.subject);
        p.partner_id = p.partner_id.map(|id| {
            PartnerId::from_uuid(Uuid::parse_str(&self.text(&id.to_string())).expect("uuid"))
        });
        p
    }
}

/// Sends `path`/`body` as `who`, then the same with every id of the hidden side replaced by one
/// that never existed: both must be the same 404 (after mapping the ids back), and the answer
/// may not show the hidden side's data.
async fn assert_hidden(
    app: &TestApp,
    e: &Endpoint,
    path: &str,
    who: &Principal,
    hidden: &[String],
    what: &str,
) {
    let scrub = Scrub::new(hidden);
    let body = e.body.clone();
    let real = send(app, e, path, body.as_ref(), Some(&app.token(who))).await;
    let label = format!("{} ({what})", e.name());
    assert_eq!(
        real.status, 404,
        "{label}: {} answered {}: {}",
        real.request, real.status, real.body
    );
    assert_problem_shape(&real);
    let fake_body = body.as_ref().map(|b| scrub.json(b));
    let fake = send(
        app,
        e,
        &scrub.text(path),
        fake_body.as_ref(),
        Some(&app.token(&scrub.principal(who))),
    )
    .await;
    assert_eq!(
        fake.status, 404,
        "{label}: never-existing ids answered {}: {}",
        fake.status, fake.body
    );
    assert_eq!(
        real.json(),
        serde_json::from_str::<Value>(&scrub.back(&fake.body)).unwrap(),
        "{label}: distinguishable from a missing object"
    );
    assert_reveals_nothing(&real, hidden, &label);
}

fn assert_reveals_nothing(r: &Reply, hidden: &[String], label: &str) {
    for s in hidden {
        assert!(
            !r.body.contains(s.as_str()),
            "{label}: the answer shows {s:?}: {}",
            r.body
        );
    }
}

http!(
    other_partners_and_other_tenants_get_404_revealing_nothing,
    |app| {
        let w = app.seed().await;
        let before = snapshot(app, &w).await;
        let seeded = w.secrets();
        let b_secrets = w.b.secrets();
        for e in &catalogue(&w) {
            // Partner A's users asking for partner B's objects.
            if let Some(path) = &e.other_partner {
                for who in [Who::Owner, Who::Finance]
                    .into_iter()
                    .filter(|w| e.allowed.contains(w))
                {
                    let p = who.principal(app.tenant, w.a.id);
                    assert_hidden(
                        app,
                        e,
                        path,
                        &p,
                        &b_secrets,
                        &format!("partner A {who:?} on B"),
                    )
                    .await;
                }
            }
            // The other tenant's callers asking for the seeded tenant's objects.
            match e.foreign {
                Foreign::Public => {}
                Foreign::NotFound => {
                    for who in e.allowed {
                        // A partner token of the other tenant that names partner A.
                        let p = who.principal(app.other_tenant, w.a.id);
                        assert_hidden(
                            app,
                            e,
                            &e.path,
                            &p,
                            &seeded,
                            &format!("other tenant {who:?}"),
                        )
                        .await;
                    }
                }
                Foreign::Isolated => {
                    for who in e.allowed {
                        let p = who.principal(app.other_tenant, w.g.id);
                        let r = send(app, e, &e.path, e.body.as_ref(), Some(&app.token(&p))).await;
                        assert!(
                            (200..300).contains(&r.status),
                            "{} as other tenant {who:?}: {} {}",
                            e.name(),
                            r.status,
                            r.body
                        );
                        assert_reveals_nothing(
                            &r,
                            &seeded,
                            &format!("{} as other tenant {who:?}", e.name()),
                        );
                        assert!(
                            !r.body.contains(&app.tenant.uuid().to_string()),
                            "{}: shows the tenant id",
                            e.name()
                        );
                    }
                }
            }
        }
        // Lists filtered on another tenant's partner are empty, not an error.
        let other = app.other_operator_token();
        for path in ["/api/v1/commissions", "/api/v1/payouts"] {
            let r = app
                .get(&format!("{path}?partner_id={}", w.a.id), Some(&other))
                .await;
            assert_eq!(r.ok_json(200), serde_json::json!([]), "{path}");
            assert_eq!(r.total(), 0);
        }
        assert_unchanged(
            &before,
            &snapshot(app, &w).await,
            "other partners' and tenants' requests",
        );
    }
);

http!(
    approving_due_commissions_stays_within_the_callers_tenant,
    |app| {
        // A held commission of the seeded tenant, due long ago.
        let held = app
            .ctx
            .active_partner(
                app.tenant,
                "P-H",
                Some(revshare_tests::fixtures::share("0.10")),
                5,
            )
            .await;
        app.ctx
            .attribute(app.tenant, held.id, "cust-h", "2026-01-01T00:00:00Z", None)
            .await;
        // Paid on 14 March (the test clock says 15 March): held until 19 March, long past now.
        let r = app
            .ctx
            .pay(
                app.tenant,
                "pay-h",
                "cust-h",
                revshare_tests::fixtures::usd("100.00"),
                "2026-03-14T00:00:00Z",
            )
            .await;
        assert_eq!(r.status.map(|s| s.name()), Some("pending"));
        let path = format!(
            "/api/v1/partners/revenue/commissions/{}?partner_id={}",
            r.commission_id.unwrap(),
            held.id
        );
        // The other tenant's operator approves what is due in *their* tenant: nothing.
        let other = app
            .post(
                "/api/v1/commissions/approve-due",
                Some(&app.other_operator_token()),
                &serde_json::json!({}),
            )
            .await;
        assert_eq!(
            other.ok_json(200)["approved"],
            0,
            "approve-due of another tenant reached the seeded tenant"
        );
        assert_eq!(
            app.get(&path, Some(&app.operator_token()))
                .await
                .ok_json(200)["status"],
            "pending"
        );
        let own = app
            .post(
                "/api/v1/commissions/approve-due",
                Some(&app.operator_token()),
                &serde_json::json!({}),
            )
            .await;
        assert_eq!(own.ok_json(200)["approved"], 1);
        assert_eq!(
            app.get(&path, Some(&app.operator_token()))
                .await
                .ok_json(200)["status"],
            "approved"
        );
    }
);
