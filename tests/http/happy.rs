//! The happy path of every endpoint, through the real server: health, login, documentation,
//! partner administration, and money from ingestion to a completed payout and the portal.
//! Amounts are computed by hand in the comments.

use revshare_tests::http;
use revshare_tests::http::{AUDITOR_EMAIL, OPERATOR_EMAIL, PASSWORD, TENANT_SLUG};
use serde_json::{Value, json};

use crate::catalogue::payment;

fn login_body(tenant: &str, email: &str, password: &str) -> Value {
    json!({"tenant": tenant, "email": email, "password": password})
}

/// The UTC date `offset` days from today, as `YYYY-MM-DD`.
fn d(offset: i64) -> String {
    let day = time::OffsetDateTime::now_utc().date() + time::Duration::days(offset);
    format!("{day}")
}

fn find<'a>(list: &'a Value, key: &str, value: &str) -> &'a Value {
    list.as_array()
        .expect("a JSON list")
        .iter()
        .find(|x| x[key] == value)
        .unwrap_or_else(|| panic!("no entry with {key} = {value} in {list}"))
}

http!(health_login_and_documentation, |app| {
    let w = app.seed().await;
    for path in ["/healthz", "/readyz"] {
        assert_eq!(
            app.get(path, None).await.ok_json(200),
            json!({"status": "ok"})
        );
    }

    // Staff log in; the token they get works; e-mails are case-insensitive.
    let r = app
        .post(
            "/api/v1/auth/login",
            None,
            &login_body(TENANT_SLUG, " OPS@Acme.Test ", PASSWORD),
        )
        .await;
    let login = r.ok_json(200);
    assert_eq!(login["token_type"], "Bearer");
    assert_eq!(login["expires_in"], 3600);
    assert_eq!(login["role"], "operator");
    assert!(login.get("partner_id").is_none());
    assert_eq!(
        r.header("cache-control"),
        Some("no-store"),
        "a token must not be cached"
    );
    let token = login["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get("/api/v1/partners", Some(&token))
            .await
            .ok_json(200)
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // A JSON content type with parameters is JSON.
    let b = app
        .request(reqwest::Method::POST, "/api/v1/auth/login", None)
        .header("Content-Type", "application/json; charset=utf-8")
        .body(login_body(TENANT_SLUG, AUDITOR_EMAIL, PASSWORD).to_string());
    let auditor = app.send("login with charset".into(), b).await.ok_json(200);
    assert_eq!(auditor["role"], "auditor");

    // A partner user logs in and reads their own portal without naming the partner.
    let owner = app
        .post(
            "/api/v1/auth/login",
            None,
            &login_body(TENANT_SLUG, &w.a.owner_email, PASSWORD),
        )
        .await
        .ok_json(200);
    assert_eq!(owner["role"], "partner");
    assert_eq!(owner["partner_id"], w.a.id.to_string());
    let metrics = app
        .get(
            "/api/v1/partners/revenue/metrics?period_start=2026-03-01&period_end=2026-04-01",
            owner["access_token"].as_str(),
        )
        .await
        .ok_json(200);
    assert_eq!(metrics["partner_id"], w.a.id.to_string());
    // 10 % of 100.00 and 200.00, both approved; the first is in an unfinished payout.
    assert_eq!(
        metrics["currencies"],
        json!([{"currency": "USD", "total_commissions": "30.00", "total_commission_count": 2, "total_payouts": "0.00",
                "pending_amount": "30.00", "on_hold_amount": "0.00"}])
    );

    // Wrong password, unknown e-mail, unknown tenant and another tenant's account: one answer.
    let refused = [
        login_body(TENANT_SLUG, OPERATOR_EMAIL, "wrong password!"),
        login_body(TENANT_SLUG, "nobody@acme.test", PASSWORD),
        login_body("initech", OPERATOR_EMAIL, PASSWORD),
        login_body(
            TENANT_SLUG,
            revshare_tests::http::OTHER_OPERATOR_EMAIL,
            PASSWORD,
        ),
    ];
    let mut details = Vec::new();
    for body in &refused {
        let p = app
            .post("/api/v1/auth/login", None, body)
            .await
            .problem(401);
        details.push(p["detail"].clone());
    }
    assert!(
        details.windows(2).all(|d| d[0] == d[1]),
        "login refusals differ: {details:?}"
    );
    // Five failures lock the account for a while; the right password then waits too. The
    // counters live in memory, not in the database, and each failure costs an argon2 check
    // (slow in debug builds), so this runs on one backend only.
    if app.ctx.backend == revshare_tests::Backend::Sqlite {
        for _ in 0..5 {
            app.post(
                "/api/v1/auth/login",
                None,
                &login_body(TENANT_SLUG, AUDITOR_EMAIL, "wrong password!"),
            )
            .await
            .problem(401);
        }
        let locked = app
            .post(
                "/api/v1/auth/login",
                None,
                &login_body(TENANT_SLUG, AUDITOR_EMAIL, PASSWORD),
            )
            .await;
        assert_eq!(
            locked.problem(429)["type"],
            "urn:revshare:problem:too-many-requests"
        );
        // Other accounts are not locked.
        app.post(
            "/api/v1/auth/login",
            None,
            &login_body(TENANT_SLUG, &w.b.owner_email, PASSWORD),
        )
        .await
        .expect(200);
    }
    // Input that cannot be a login is invalid, not unauthorised.
    app.post(
        "/api/v1/auth/login",
        None,
        &login_body("ACME!", OPERATOR_EMAIL, PASSWORD),
    )
    .await
    .invalid("tenant");
    app.post(
        "/api/v1/auth/login",
        None,
        &login_body(TENANT_SLUG, "not-an-email", PASSWORD),
    )
    .await
    .invalid("email");

    // The OpenAPI document and Swagger UI.
    let doc = app.get("/api-docs/openapi.json", None).await.ok_json(200);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let ui = app.get("/docs/", None).await;
    ui.expect(200);
    assert!(
        ui.content_type().starts_with("text/html"),
        "{}",
        ui.content_type()
    );

    // Security headers on every answer.
    let r = app.get("/healthz", None).await;
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
});

http!(
    operators_manage_partners_users_attributions_and_rules,
    |app| {
        let w = app.seed().await;
        let op = app.operator_token();
        let op = Some(op.as_str());

        // Partners: create, read, list, update, status moves, soft delete.
        let created = app
        .post(
            "/api/v1/partners",
            op,
            &json!({
                "partner_number": "P-C", "name": "Contoso", "tier": "silver",
                "default_terms": {"model": "revenue_share", "rate": "0.15"}, "hold_days": 7,
                "minimum_payouts": {"USD": "50.00", "JPY": "5000"}, "contact_email": "finance@contoso.test", "tax_id": "DE123"
            }),
        )
        .await
        .ok_json(201);
        assert_eq!(created["status"], "pending");
        assert_eq!(created["tier"], "silver");
        assert_eq!(created["hold_days"], 7);
        assert_eq!(
            created["default_terms"],
            json!({"model": "revenue_share", "rate": "0.15"})
        );
        assert_eq!(
            created["minimum_payouts"],
            json!({"JPY": "5000", "USD": "50.00"})
        );
        let c = created["id"].as_str().unwrap().to_owned();
        let dup = app
            .post(
                "/api/v1/partners",
                op,
                &json!({"partner_number": "P-C", "name": "Again"}),
            )
            .await
            .problem(409);
        assert_eq!(dup["type"], "urn:revshare:problem:conflict");

        let list = app.get("/api/v1/partners", op).await;
        assert_eq!(list.total(), 3);
        assert_eq!(find(&list.ok_json(200), "id", &c)["name"], "Contoso");
        assert_eq!(
            app.get("/api/v1/partners?limit=1&offset=2", op)
                .await
                .ok_json(200)
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            app.get(&format!("/api/v1/partners/{c}"), op)
                .await
                .ok_json(200),
            created
        );

        let patched = app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/partners/{c}"),
            op,
            Some(&json!({"name": "Contoso Ltd", "tax_id": null, "default_terms": {"model": "hybrid", "fee": "1.00", "currency": "USD", "rate": "0.05"}})),
        )
        .await
        .ok_json(200);
        assert_eq!(patched["name"], "Contoso Ltd");
        assert!(patched.get("tax_id").is_none(), "null clears: {patched}");
        assert_eq!(
            patched["contact_email"], "finance@contoso.test",
            "absent fields stay"
        );
        assert_eq!(
            patched["default_terms"],
            json!({"model": "hybrid", "fee": "1.00", "currency": "USD", "rate": "0.05"})
        );

        let active = app
            .post(
                &format!("/api/v1/partners/{c}/status"),
                op,
                &json!({"status": "active"}),
            )
            .await
            .ok_json(200);
        assert_eq!(active["status"], "active");
        let bad = app
            .post(
                &format!("/api/v1/partners/{c}/status"),
                op,
                &json!({"status": "pending"}),
            )
            .await
            .problem(409);
        assert_eq!(bad["type"], "urn:revshare:problem:invalid-transition");
        app.post(
            &format!("/api/v1/partners/{c}/status"),
            op,
            &json!({"status": "suspended"}),
        )
        .await
        .expect(200);
        app.post(
            &format!("/api/v1/partners/{c}/status"),
            op,
            &json!({"status": "active"}),
        )
        .await
        .expect(200);

        let d = app
            .post(
                "/api/v1/partners",
                op,
                &json!({"partner_number": "P-D", "name": "Doomed"}),
            )
            .await
            .ok_json(201);
        let d_path = format!("/api/v1/partners/{}", d["id"].as_str().unwrap());
        let archived = app
            .call(reqwest::Method::DELETE, &d_path, op, None)
            .await
            .ok_json(200);
        assert_eq!(archived["status"], "archived");
        assert_eq!(
            app.get(&d_path, op).await.ok_json(200)["status"],
            "archived",
            "soft delete keeps the row"
        );
        app.call(
            reqwest::Method::DELETE,
            &format!("/api/v1/partners/{c}"),
            op,
            None,
        )
        .await
        .problem(409);

        // Partner users: by an operator, and by the partner's own owner; never a password back.
        let user = app
        .post(
            &format!("/api/v1/partners/{c}/users"),
            op,
            &json!({"email": "Ann@Contoso.test", "name": "Ann", "role": "finance", "password": "a long passphrase!"}),
        )
        .await
        .ok_json(201);
        assert_eq!(user["email"], "ann@contoso.test");
        assert_eq!(user["role"], "finance");
        assert!(
            !user.to_string().contains("passphrase") && !user.to_string().contains("argon2"),
            "{user}"
        );
        let users = app.get(&format!("/api/v1/partners/{c}/users"), op).await;
        assert_eq!(users.total(), 1);
        let ann = app
            .post(
                "/api/v1/auth/login",
                None,
                &login_body(TENANT_SLUG, "ann@contoso.test", "a long passphrase!"),
            )
            .await
            .ok_json(200);
        assert_eq!(ann["partner_id"], c);
        let owner_a = app.partner_token(w.a.id, revshare_domain::partner::PartnerUserRole::Owner);
        let by_owner = app
        .post(
            &format!("/api/v1/partners/{}/users", w.a.id),
            Some(&owner_a),
            &json!({"email": "bo@a.partners.test", "name": "Bo", "role": "admin", "password": "another passphrase"}),
        )
        .await
        .ok_json(201);
        assert_eq!(by_owner["partner_id"], w.a.id.to_string());
        // Only owners add owners.
        let admin_a = app.partner_token(w.a.id, revshare_domain::partner::PartnerUserRole::Admin);
        app.post(
        &format!("/api/v1/partners/{}/users", w.a.id),
        Some(&admin_a),
        &json!({"email": "cy@a.partners.test", "name": "Cy", "role": "owner", "password": "another passphrase"}),
    )
    .await
    .problem(403);
        assert_eq!(
            app.get(
                &format!("/api/v1/partners/{}/users", w.a.id),
                Some(&owner_a)
            )
            .await
            .total(),
            2
        );
        app.post(
        &format!("/api/v1/partners/{c}/users"),
        op,
        &json!({"email": "ann@contoso.test", "name": "Ann again", "role": "admin", "password": "a long passphrase!"}),
    )
    .await
    .problem(409);

        // Attributions: create, overlap refused, list, end.
        let account = app
            .post(
                &format!("/api/v1/partners/{c}/accounts"),
                op,
                &json!({"customer_id": "cust-c", "start_date": "2026-01-01", "custom_rate": "0.2"}),
            )
            .await
            .ok_json(201);
        assert_eq!(account["start_date"], "2026-01-01T00:00:00Z");
        assert_eq!(account["custom_rate"], "0.2");
        let overlap = json!({"customer_id": "cust-c", "start_date": "2026-02-01T00:00:00Z"});
        app.post(
            &format!("/api/v1/partners/{}/accounts", w.b.id),
            op,
            &overlap,
        )
        .await
        .problem(409);
        let accounts = app.get(&format!("/api/v1/partners/{c}/accounts"), op).await;
        assert_eq!(accounts.total(), 1);
        assert_eq!(accounts.ok_json(200)[0]["id"], account["id"]);
        let ended = app
            .post(
                &format!("/api/v1/accounts/{}/end", account["id"].as_str().unwrap()),
                op,
                &json!({"end_date": "2026-12-31"}),
            )
            .await
            .ok_json(200);
        assert_eq!(ended["end_date"], "2026-12-31T00:00:00Z");

        // Rules: create, list, read, replace, simulate (writes nothing), deactivate.
        let rule_body = json!({
            "name": "Launch", "terms": {"model": "tiered", "tiers": [{"min_volume": "0", "rate": "0.1"}, {"min_volume": "1000", "rate": "0.2"}]},
            "customer_ids": ["cust-c"], "effective_from": "2026-01-01", "effective_to": "2027-01-01", "priority": 5,
            "max_duration_months": 12, "monthly_cap": "500.00", "monthly_cap_currency": "USD"
        });
        let rule = app
            .post(&format!("/api/v1/partners/{c}/rules"), op, &rule_body)
            .await
            .ok_json(201);
        assert_eq!(rule["terms"]["model"], "tiered");
        assert_eq!(rule["monthly_cap"], "500.00");
        assert!(rule["active"].as_bool().unwrap());
        let rule_path = format!("/api/v1/rules/{}", rule["id"].as_str().unwrap());
        assert_eq!(
            app.get(&format!("/api/v1/partners/{c}/rules"), op)
                .await
                .ok_json(200)[0]["id"],
            rule["id"]
        );
        assert_eq!(app.get(&rule_path, op).await.ok_json(200), rule);
        let mut replaced_body = rule_body.clone();
        replaced_body["name"] = json!("Launch v2");
        replaced_body["terms"] = json!({"model": "revenue_share", "rate": "0.3"});
        let replaced = app
            .call(reqwest::Method::PUT, &rule_path, op, Some(&replaced_body))
            .await
            .ok_json(200);
        assert_eq!(replaced["name"], "Launch v2");
        assert_eq!(replaced["id"], rule["id"]);

        // The custom rate of the attribution wins over the rule: 20 % of 80.00.
        let before = app.get("/api/v1/commissions", op).await.total();
        let sim = app
            .post(
                "/api/v1/rules/simulate",
                op,
                &payment("pay-sim", "cust-c", "80.00", "2026-03-05T00:00:00Z"),
            )
            .await
            .ok_json(200);
        assert_eq!(sim["outcome"], "created");
        assert_eq!(sim["partner_id"], c);
        assert_eq!(sim["amount"], "16.00");
        assert_eq!(sim["terms_source"], "custom_rate");
        assert_eq!(sim["capped"], false);
        let unattributed = app
            .post(
                "/api/v1/rules/simulate",
                Some(&app.auditor_token()),
                &payment("pay-sim", "cust-nobody", "80.00", "2026-03-05T00:00:00Z"),
            )
            .await
            .ok_json(200);
        assert_eq!(unattributed["outcome"], "unattributed");
        assert_eq!(
            app.get("/api/v1/commissions", op).await.total(),
            before,
            "simulation writes nothing"
        );

        let off = app
            .call(reqwest::Method::DELETE, &rule_path, op, None)
            .await
            .ok_json(200);
        assert_eq!(off["active"], false);
        assert_eq!(
            app.get(&rule_path, op).await.ok_json(200)["active"],
            false,
            "deactivated, kept"
        );

        // Every action above is in the audit log, newest first.
        let log = app
            .get("/api/v1/audit-log?limit=500", Some(&app.auditor_token()))
            .await;
        let entries = log.ok_json(200);
        let actions: Vec<&str> = entries
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        for a in [
            "partner.create",
            "partner.update",
            "partner.status",
            "partner.archive",
            "partner_user.create",
            "account.create",
            "account.end",
            "rule.create",
            "rule.update",
        ] {
            assert!(actions.contains(&a), "no {a} in {actions:?}");
        }
        assert_eq!(entries[0]["action"], "rule.update");
        assert!(
            !log.body.contains("argon2") && !log.body.contains("passphrase"),
            "the audit log shows a password or its hash"
        );
        assert!(
            entries[0]["actor"]
                .as_str()
                .unwrap()
                .contains(OPERATOR_EMAIL),
            "{}",
            entries[0]
        );
    }
);

http!(
    money_flows_from_ingestion_to_a_completed_payout_and_the_portal,
    |app| {
        let w = app.seed().await;
        let op_token = app.operator_token();
        let op = Some(op_token.as_str());
        let billing_token = app.billing_token();
        let billing = Some(billing_token.as_str());

        // The server runs on the real clock, so C's money is dated in the last days: d(-5) is the
        // date five days ago. Partner C: 10 %, 30 days on hold.
        let c = app
        .post("/api/v1/partners", op, &json!({"partner_number": "P-C", "name": "Contoso", "default_terms": {"model": "revenue_share", "rate": "0.10"}, "hold_days": 30}))
        .await
        .ok_json(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
        app.post(
            &format!("/api/v1/partners/{c}/status"),
            op,
            &json!({"status": "active"}),
        )
        .await
        .expect(200);
        app.post(
            &format!("/api/v1/partners/{c}/accounts"),
            op,
            &json!({"customer_id": "cust-c", "start_date": "2026-01-01"}),
        )
        .await
        .expect(201);

        // One payment: 10 % of 300.00 = 30.00, held for 30 days.
        let p1 = payment(
            "pay-c1",
            "cust-c",
            "300.00",
            &format!("{}T10:00:00Z", d(-5)),
        );
        let first = app
            .post("/api/v1/ingest/payments", billing, &p1)
            .await
            .ok_json(201);
        assert_eq!(first["outcome"], "created");
        assert_eq!(first["duplicate"], false);
        assert_eq!(first["amount"], "30.00");
        assert_eq!(first["status"], "pending");
        assert_eq!(first["partner_id"], c);
        let c1 = first["commission_id"].as_str().unwrap().to_owned();
        let replay = app
            .post("/api/v1/ingest/payments", billing, &p1)
            .await
            .ok_json(200);
        assert_eq!(replay["duplicate"], true);
        assert_eq!(replay["commission_id"], c1.as_str());

        // A batch: 10.00 and 5.00, and an invalid item that is reported, not recorded.
        let batch = app
            .post(
                "/api/v1/ingest/payments/batch",
                billing,
                &json!({"payments": [
                    payment("pay-c2", "cust-c", "100.00", &format!("{}T10:00:00Z", d(-4))),
                    payment("pay-c3", "cust-c", "50.00", &format!("{}T10:00:00Z", d(-3))),
                    payment("pay-c4", "cust-c", "1.005", &format!("{}T10:00:00Z", d(-3))),
                    payment("pay-c5", "cust-nobody", "10.00", &format!("{}T10:00:00Z", d(-3))),
                ]}),
            )
            .await
            .ok_json(200);
        let results = batch["results"].as_array().unwrap();
        let outcomes: Vec<&str> = results
            .iter()
            .map(|r| r["outcome"].as_str().unwrap())
            .collect();
        assert_eq!(outcomes, ["created", "created", "invalid", "unattributed"]);
        assert_eq!(results[2]["problem"]["status"], 422);
        assert_eq!(results[2]["problem"]["errors"][0]["field"], "amount");
        let c2 = results[0]["commission_id"].as_str().unwrap().to_owned();
        let c3 = results[1]["commission_id"].as_str().unwrap().to_owned();

        // Refunds: 30.00 of 300.00 takes back 3.00; the full refund of pay-c3 takes back all 5.00.
        let r1 = app
        .post("/api/v1/ingest/refunds", billing, &json!({"refund_id": "ref-c1", "payment_id": "pay-c1", "amount": "30.00", "currency": "USD", "refunded_at": format!("{}T00:00:00Z", d(-2))}))
        .await
        .ok_json(201);
        assert_eq!(
            (
                r1["amount"].as_str(),
                r1["event_type"].as_str(),
                r1["status"].as_str()
            ),
            (Some("-3.00"), Some("refund_adjustment"), Some("pending"))
        );
        let r1_id = r1["commission_id"].as_str().unwrap().to_owned();
        let refunds = app
        .post(
            "/api/v1/ingest/refunds/batch",
            billing,
            &json!({"refunds": [
                {"refund_id": "ref-c3", "payment_id": "pay-c3", "amount": "50.00", "refunded_at": format!("{}T00:00:00Z", d(-2))},
                {"refund_id": "ref-x", "payment_id": "pay-unknown", "amount": "1.00", "refunded_at": format!("{}T00:00:00Z", d(-2))},
            ]}),
        )
        .await
        .ok_json(200);
        assert_eq!(refunds["results"][0]["outcome"], "created");
        assert_eq!(refunds["results"][0]["amount"], "-5.00");
        assert_eq!(refunds["results"][1]["outcome"], "refused");
        assert_eq!(refunds["results"][1]["problem"]["status"], 404);
        app.post("/api/v1/ingest/refunds", billing, &json!({"refund_id": "ref-y", "payment_id": "pay-unknown", "amount": "1.00", "refunded_at": "2026-03-13T00:00:00Z"}))
        .await
        .problem(404);

        let pending = app
            .get(
                &format!("/api/v1/commissions?partner_id={c}&status=pending"),
                op,
            )
            .await;
        assert_eq!(pending.total(), 5);

        // Approve the first payment and its refund; reject the third (its open refund goes too);
        // nothing is due yet; approve the second by hand.
        let approved = app
            .post(
                "/api/v1/commissions/approve",
                op,
                &json!({"ids": [c1, r1_id]}),
            )
            .await
            .ok_json(200);
        assert!(
            approved
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["status"] == "approved"),
            "{approved}"
        );
        let rejected = app
            .post(
                "/api/v1/commissions/reject",
                op,
                &json!({"ids": [c3], "reason": "test order"}),
            )
            .await
            .ok_json(200);
        assert_eq!(find(&rejected, "id", &c3)["rejection_reason"], "test order");
        let due = app
            .post("/api/v1/commissions/approve-due", op, &json!({}))
            .await
            .ok_json(200);
        assert_eq!(due, json!({"approved": 0}));
        app.post("/api/v1/commissions/approve", op, &json!({"ids": [c2]}))
            .await
            .expect(200);
        let c2_view = app
            .get(
                &format!("/api/v1/partners/revenue/commissions/{c2}?partner_id={c}"),
                op,
            )
            .await
            .ok_json(200);
        assert_eq!(c2_view["status"], "approved");

        // A manual credit, dated now.
        let adj = app
            .post(
                "/api/v1/commissions/adjustments",
                op,
                &json!({"partner_id": c, "amount": "5.00", "currency": "USD", "note": "goodwill"}),
            )
            .await
            .ok_json(201);
        assert_eq!(
            (
                adj["event_type"].as_str(),
                adj["status"].as_str(),
                adj["amount"].as_str()
            ),
            (Some("manual_adjustment"), Some("approved"), Some("5.00"))
        );

        // A payout up to two days ago: 30.00 − 3.00 + 10.00 = 37.00 over three commissions.
        let cut_off = format!("{}T23:59:59Z", d(-2));
        let made = app
        .post("/api/v1/payouts", op, &json!({"partner_id": c, "currency": "USD", "period_end": cut_off, "payment_method": "wire"}))
        .await
        .ok_json(201);
        assert_eq!(made["outcome"], "created");
        let payout = made["payout"].clone();
        assert_eq!(
            (
                payout["total_amount"].as_str(),
                payout["commission_count"].as_u64()
            ),
            (Some("37.00"), Some(3))
        );
        assert_eq!(payout["status"], "pending");
        let pid = payout["id"].as_str().unwrap().to_owned();
        let again = app
            .post(
                "/api/v1/payouts",
                op,
                &json!({"partner_id": c, "currency": "USD", "period_end": cut_off}),
            )
            .await
            .ok_json(200);
        assert_eq!(again["outcome"], "refused");
        assert_eq!(again["refusal"]["reason"], "nothing_to_pay");
        let listed = app
            .get(&format!("/api/v1/payouts?partner_id={c}"), op)
            .await;
        assert_eq!(listed.total(), 1);
        assert_eq!(
            app.get(
                &format!("/api/v1/payouts/{pid}"),
                Some(&app.auditor_token())
            )
            .await
            .ok_json(200),
            payout
        );

        // pending → ready → processing → completed (a reference is required).
        let status = format!("/api/v1/payouts/{pid}/status");
        assert_eq!(
            app.post(&status, op, &json!({"status": "ready"}))
                .await
                .ok_json(200)["status"],
            "ready"
        );
        assert_eq!(
            app.post(&status, op, &json!({"status": "processing"}))
                .await
                .ok_json(200)["status"],
            "processing"
        );
        app.post(&status, op, &json!({"status": "completed"}))
            .await
            .invalid("payment_reference");
        let done = app
            .post(
                &status,
                op,
                &json!({"status": "completed", "payment_reference": "BANK-1"}),
            )
            .await
            .ok_json(200);
        assert_eq!(done["status"], "completed");
        assert_eq!(done["payment_reference"], "BANK-1");
        assert!(done["completed_at"].is_string());
        assert_eq!(
            app.get(
                &format!("/api/v1/commissions?partner_id={c}&status=paid"),
                op
            )
            .await
            .total(),
            3
        );

        // A payout run up to March pays A's and B's second commissions (20.00 and 40.00) only.
        let run = app
            .post(
                "/api/v1/payouts/run",
                op,
                &json!({"period_end": "2026-03-31T23:59:59Z"}),
            )
            .await
            .ok_json(200);
        let mut totals: Vec<(String, String)> = run["created"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["partner_id"].as_str().unwrap().to_owned(),
                    p["total_amount"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        totals.sort();
        let mut expected = vec![
            (w.a.id.to_string(), "20.00".to_owned()),
            (w.b.id.to_string(), "40.00".to_owned()),
        ];
        expected.sort();
        assert_eq!(totals, expected);
        assert_eq!(run["refused"], json!([]));

        // The portal, as C's finance user.
        let user = app.partner_token(
            uuid::Uuid::parse_str(&c).unwrap(),
            revshare_domain::partner::PartnerUserRole::Finance,
        );
        let user = Some(user.as_str());
        let m = app
            .get(
                &format!(
                    "/api/v1/partners/revenue/metrics?period_start={}&period_end={}",
                    d(-5),
                    d(-1)
                ),
                user,
            )
            .await
            .ok_json(200);
        // Up to yesterday: 30.00 − 3.00 + 10.00 (the rejected 5.00 and its refund do not count);
        // the payout was completed today; 5.00 of credit is approved and unpaid.
        assert_eq!(
            m["currencies"],
            json!([{"currency": "USD", "total_commissions": "37.00", "total_commission_count": 3, "total_payouts": "0.00", "pending_amount": "5.00", "on_hold_amount": "0.00"}])
        );
        assert_eq!(m["period_start"], format!("{}T00:00:00Z", d(-5)));
        let m = app
            .get(
                &format!(
                    "/api/v1/partners/revenue/metrics?partner_id={c}&period_start={}&period_end={}",
                    d(-5),
                    d(1)
                ),
                user,
            )
            .await
            .ok_json(200);
        assert_eq!(m["currencies"][0]["total_commissions"], "42.00");
        assert_eq!(m["currencies"][0]["total_payouts"], "37.00");
        let series = app
            .get(
                &format!(
                    "/api/v1/partners/revenue/series?granularity=day&period_start={}&period_end={}",
                    d(-5),
                    d(1)
                ),
                user,
            )
            .await
            .ok_json(200);
        let first_day = find(&series, "bucket_start", &format!("{}T00:00:00Z", d(-5)));
        assert_eq!(
            (
                first_day["commissions"].as_str(),
                first_day["commission_count"].as_u64()
            ),
            (Some("30.00"), Some(1))
        );
        let refund_day = find(&series, "bucket_start", &format!("{}T00:00:00Z", d(-2)));
        assert_eq!(refund_day["commissions"], "-3.00");
        let today = find(&series, "bucket_start", &format!("{}T00:00:00Z", d(0)));
        assert_eq!(
            (today["commissions"].as_str(), today["payouts"].as_str()),
            (Some("5.00"), Some("37.00"))
        );

        let list = app.get("/api/v1/partners/revenue/commissions", user).await;
        assert_eq!(list.total(), 6, "three payments, two refunds, one credit");
        let page = app
            .get(
                "/api/v1/partners/revenue/commissions?limit=2&offset=5",
                user,
            )
            .await;
        assert_eq!(
            (page.total(), page.ok_json(200).as_array().unwrap().len()),
            (6, 1)
        );
        assert_eq!(
            app.get(
                "/api/v1/partners/revenue/commissions?status_filter=rejected",
                user
            )
            .await
            .total(),
            2
        );
        assert_eq!(
            app.get(
                "/api/v1/partners/revenue/commissions?search=INV-pay-c2",
                user
            )
            .await
            .total(),
            1
        );
        let one = app
            .get(&format!("/api/v1/partners/revenue/commissions/{c1}"), user)
            .await
            .ok_json(200);
        assert_eq!(
            (one["status"].as_str(), one["payout_id"].as_str()),
            (Some("paid"), Some(pid.as_str()))
        );
        assert_eq!(
            (
                one["base_amount"].as_str(),
                one["rate"].as_str(),
                one["terms_source"].as_str()
            ),
            (Some("300.00"), Some("0.1"), Some("partner_default"))
        );

        let csv = app
            .get("/api/v1/partners/revenue/commissions/export.csv", user)
            .await;
        csv.expect(200);
        assert_eq!(csv.content_type(), "text/csv");
        assert!(
            csv.header("content-disposition")
                .unwrap()
                .starts_with("attachment"),
            "{:?}",
            csv.headers
        );
        let lines: Vec<&str> = csv.body.lines().collect();
        assert_eq!(
            lines[0],
            "date,type,invoice,customer,base,rate,commission,currency,status,payout,id"
        );
        assert_eq!(lines.len(), 7);

        let payouts = app.get("/api/v1/partners/revenue/payouts", user).await;
        assert_eq!(payouts.total(), 1);
        assert_eq!(payouts.ok_json(200)[0]["id"], pid.as_str());
        assert_eq!(
            app.get(&format!("/api/v1/partners/revenue/payouts/{pid}"), user)
                .await
                .ok_json(200)["status"],
            "completed"
        );
        let statement = app
            .get(
                &format!("/api/v1/partners/revenue/payouts/{pid}/statement.csv"),
                user,
            )
            .await;
        statement.expect(200);
        assert_eq!(statement.content_type(), "text/csv");
        assert_eq!(
            statement.body.lines().count(),
            4,
            "a header and three lines: {}",
            statement.body
        );
        assert!(
            statement.body.contains("-3.00")
                && statement.body.contains("30.00")
                && statement.body.contains("10.00")
        );

        // Without a period, metrics cover the current month from midnight UTC on the 1st to now.
        let m = app
            .get("/api/v1/partners/revenue/metrics", user)
            .await
            .ok_json(200);
        let today = d(0);
        assert_eq!(
            m["period_start"],
            format!("{}-01T00:00:00Z", &today[..7]),
            "{m}"
        );
        assert!(m["period_end"].as_str().unwrap().starts_with(&today), "{m}");

        // Exports neutralise spreadsheet formulas in text that came from outside.
        let mut evil = payment("pay-c6", "cust-c", "10.00", &format!("{}T10:00:00Z", d(-1)));
        evil["invoice_number"] = json!("=HYPERLINK(\"http://evil.test\",\"x\")");
        app.post("/api/v1/ingest/payments", billing, &evil)
            .await
            .expect(201);
        let csv = app
            .get(
                "/api/v1/partners/revenue/commissions/export.csv?search=inv-pay-c6",
                user,
            )
            .await;
        csv.expect(200);
        assert!(csv.body.contains("'=HYPERLINK"), "{}", csv.body);
        assert!(
            !csv.body
                .lines()
                .any(|l| l.starts_with('=') || l.contains(",=")),
            "{}",
            csv.body
        );

        // The ledger reconciles; the money moves are audited.
        let rec = app
            .get("/api/v1/reconciliation", Some(&app.auditor_token()))
            .await
            .ok_json(200);
        assert_eq!(rec["clean"], true, "{rec}");
        assert_eq!(rec["breaches"], json!([]));
        let log = app
            .get("/api/v1/audit-log?limit=500", op)
            .await
            .ok_json(200);
        let actions: Vec<&str> = log
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        for a in [
            "commission.approve",
            "commission.reject",
            "commission.adjust",
            "payout.create",
            "payout.ready",
            "payout.processing",
            "payout.complete",
        ] {
            assert!(actions.contains(&a), "no {a} in {actions:?}");
        }
    }
);
