//! Input the API must refuse, and how: malformed JSON 400, a wrong content type 415, a body over
//! 2 MiB 413, bad queries and bad fields 422 — always `application/problem+json` with `type`,
//! `title`, `status`, `detail` (and `errors` for fields), never a 500, and nothing written.

use reqwest::Method;
use revshare_tests::http;
use revshare_tests::http::{Reply, TestApp, World, assert_problem_shape};
use serde_json::{Value, json};

use crate::catalogue::{Who, catalogue, payment};

/// A token that may call an endpoint allowing `allowed` (the first such caller).
fn token_for(app: &TestApp, allowed: &[Who], partner: uuid::Uuid) -> Option<String> {
    allowed
        .first()
        .map(|who| app.token(&who.principal(app.tenant, partner)))
}

async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
    what: &str,
) -> Reply {
    let mut b = app.request(method.clone(), path, token).body(body);
    if let Some(ct) = content_type {
        b = b.header("Content-Type", ct);
    }
    app.send(format!("{method} {path} ({what})"), b).await
}

async fn ledger_rows(app: &TestApp) -> (u64, u64, u64) {
    let op = app.operator_token();
    (
        app.get("/api/v1/commissions", Some(&op)).await.total(),
        app.get("/api/v1/payouts", Some(&op)).await.total(),
        app.get("/api/v1/audit-log", Some(&op)).await.total(),
    )
}

http!(
    unreadable_bodies_are_400_415_413_or_422_problems_on_every_endpoint,
    |app| {
        let w = app.seed().await;
        let before = ledger_rows(app).await;
        let oversize = {
            // Valid JSON that is 2 MiB + 1 byte long.
            let mut s = String::from("{\"name\":\"");
            s.push_str(&"x".repeat(2 * 1024 * 1024 + 1 - s.len() - 2));
            s.push_str("\"}");
            assert_eq!(s.len(), 2 * 1024 * 1024 + 1);
            s.into_bytes()
        };
        for e in catalogue(&w).iter().filter(|e| e.body.is_some()) {
            let token = token_for(app, e.allowed, w.a.id);
            let token = token.as_deref();
            let json_ct = Some("application/json");
            let valid = serde_json::to_vec(e.body.as_ref().unwrap()).unwrap();

            let r = raw(
                app,
                e.method.clone(),
                &e.path,
                token,
                json_ct,
                b"{\"".to_vec(),
                "truncated JSON",
            )
            .await;
            assert_eq!(
                r.problem(400)["type"],
                "urn:revshare:problem:bad-request",
                "{}",
                r.request
            );
            raw(
                app,
                e.method.clone(),
                &e.path,
                token,
                json_ct,
                b"{'single': 'quotes'}".to_vec(),
                "not JSON",
            )
            .await
            .problem(400);
            raw(
                app,
                e.method.clone(),
                &e.path,
                token,
                json_ct,
                Vec::new(),
                "empty body",
            )
            .await
            .problem(400);

            let r = raw(
                app,
                e.method.clone(),
                &e.path,
                token,
                Some("text/plain"),
                valid.clone(),
                "text/plain",
            )
            .await;
            assert_eq!(
                r.problem(415)["type"],
                "urn:revshare:problem:unsupported-media-type",
                "{}",
                r.request
            );
            raw(
                app,
                e.method.clone(),
                &e.path,
                token,
                Some("application/x-www-form-urlencoded"),
                b"a=1".to_vec(),
                "form",
            )
            .await
            .problem(415);
            raw(
                app,
                e.method.clone(),
                &e.path,
                token,
                None,
                valid.clone(),
                "no content type",
            )
            .await
            .problem(415);

            let r = raw(
                app,
                e.method.clone(),
                &e.path,
                token,
                json_ct,
                oversize.clone(),
                "over 2 MiB",
            )
            .await;
            assert_eq!(
                r.problem(413)["type"],
                "urn:revshare:problem:payload-too-large",
                "{}",
                r.request
            );

            // Well-formed JSON of the wrong shape is invalid input about the body.
            raw(
                app,
                e.method.clone(),
                &e.path,
                token,
                json_ct,
                b"[1, 2]".to_vec(),
                "a list",
            )
            .await
            .invalid("body");
            let mut extra = e.body.clone().unwrap();
            extra["unexpected_field"] = json!(1);
            raw(
                app,
                e.method.clone(),
                &e.path,
                token,
                json_ct,
                serde_json::to_vec(&extra).unwrap(),
                "unknown field",
            )
            .await
            .invalid("body");
        }
        // Bodies built to hurt a parser: deep nesting, bytes that are not UTF-8, a NUL.
        let ingest = "/api/v1/ingest/payments";
        let billing = app.billing_token();
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes();
        for (what, body) in [
            ("deeply nested", deep),
            ("not UTF-8", b"{\"payment_id\": \"\xff\xfe\"}".to_vec()),
            ("NUL", b"{\"payment_id\": \"a\x00b\"}".to_vec()),
        ] {
            let r = raw(
                app,
                Method::POST,
                ingest,
                Some(&billing),
                Some("application/json"),
                body,
                what,
            )
            .await;
            assert!(
                r.status == 400 || r.status == 422,
                "{what}: {} {}",
                r.status,
                r.body
            );
            assert_problem_shape(&r);
        }
        assert_eq!(
            ledger_rows(app).await,
            before,
            "refused bodies wrote something"
        );
    }
);

http!(
    amounts_are_exact_decimal_strings_in_known_currencies,
    |app| {
        let w = app.seed().await;
        let before = ledger_rows(app).await;
        let billing = app.billing_token();
        let op = app.operator_token();
        let pay = |amount: Value, currency: &str| {
            let mut p = payment("pay-v", &w.a.customer, "1.00", "2026-03-05T00:00:00Z");
            p["amount"] = amount;
            p["currency"] = json!(currency);
            p
        };
        let ingest = "/api/v1/ingest/payments";
        // JSON numbers would pass through a float: refused.
        app.post(ingest, Some(&billing), &pay(json!(100.5), "USD"))
            .await
            .invalid("body");
        app.post(ingest, Some(&billing), &pay(json!(100), "USD"))
            .await
            .invalid("body");
        // Too many decimals for the currency.
        app.post(ingest, Some(&billing), &pay(json!("10.005"), "USD"))
            .await
            .invalid("amount");
        app.post(ingest, Some(&billing), &pay(json!("100.5"), "JPY"))
            .await
            .invalid("amount");
        app.post(ingest, Some(&billing), &pay(json!("1.0001"), "KWD"))
            .await
            .invalid("amount");
        // Unknown or badly written currencies.
        for code in ["ZZZ", "usd", "US", "USDX", ""] {
            app.post(ingest, Some(&billing), &pay(json!("10.00"), code))
                .await
                .invalid("currency");
        }
        // Not a number, not positive, out of range.
        for amount in ["1e3", "+5.00", "1_000.00", "abc", "", " "] {
            app.post(ingest, Some(&billing), &pay(json!(amount), "USD"))
                .await
                .invalid("body");
        }
        for amount in ["0.00", "-5.00"] {
            app.post(ingest, Some(&billing), &pay(json!(amount), "USD"))
                .await
                .invalid("amount");
        }
        let huge = app
            .post(
                ingest,
                Some(&billing),
                &pay(json!("99999999999999999999999999.99"), "USD"),
            )
            .await;
        assert_eq!(huge.status, 422, "{}", huge.body);
        assert_problem_shape(&huge);
        // Every problem of a payment at once.
        let mut bad = pay(json!("10.005"), "ZZZ");
        bad["paid_at"] = json!("1999-12-31T00:00:00Z");
        let p = app
            .post(ingest, Some(&billing), &bad)
            .await
            .invalid("currency");
        assert!(
            p["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == "paid_at"),
            "{p}"
        );
        let mut bad_date = pay(json!("10.00"), "USD");
        bad_date["paid_at"] = json!("yesterday");
        app.post(ingest, Some(&billing), &bad_date)
            .await
            .invalid("body");

        // Refunds, adjustments, payouts, partners and rules check money the same way.
        let refund = json!({"refund_id": "ref-v", "payment_id": w.a.payments[1], "amount": 5, "refunded_at": "2026-03-06T00:00:00Z"});
        app.post("/api/v1/ingest/refunds", Some(&billing), &refund)
            .await
            .invalid("body");
        let refund = json!({"refund_id": "ref-v", "payment_id": w.a.payments[1], "amount": "5.001", "refunded_at": "2026-03-06T00:00:00Z"});
        let r = app
            .post("/api/v1/ingest/refunds", Some(&billing), &refund)
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        let adj = |amount: Value, currency: &str| json!({"partner_id": w.a.id, "amount": amount, "currency": currency, "note": "n"});
        let adj_path = "/api/v1/commissions/adjustments";
        app.post(adj_path, Some(&op), &adj(json!(5.0), "USD"))
            .await
            .invalid("body");
        app.post(adj_path, Some(&op), &adj(json!("5.001"), "USD"))
            .await
            .invalid("amount");
        app.post(adj_path, Some(&op), &adj(json!("5.00"), "ABC"))
            .await
            .invalid("currency");
        app.post(adj_path, Some(&op), &adj(json!("0"), "USD"))
            .await
            .invalid("amount");
        let batch = |currency: &str| json!({"partner_id": w.a.id, "currency": currency, "period_end": "2026-03-31"});
        app.post("/api/v1/payouts", Some(&op), &batch("ABC"))
            .await
            .invalid("currency");
        let partner = |extra: Value| {
            let mut p = json!({"partner_number": "P-V", "name": "V"});
            p.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            p
        };
        app.post(
            "/api/v1/partners",
            Some(&op),
            &partner(json!({"minimum_payouts": {"USD": "1.001"}})),
        )
        .await
        .invalid("minimum_payouts");
        app.post(
            "/api/v1/partners",
            Some(&op),
            &partner(json!({"minimum_payouts": {"ZZZ": "1"}})),
        )
        .await
        .invalid("minimum_payouts");
        app.post(
            "/api/v1/partners",
            Some(&op),
            &partner(json!({"minimum_payouts": {"USD": 1}})),
        )
        .await
        .invalid("body");
        app.post(
            "/api/v1/partners",
            Some(&op),
            &partner(json!({"default_terms": {"model": "revenue_share", "rate": "1.5"}})),
        )
        .await
        .invalid("rate");
        app.post(
            "/api/v1/partners",
            Some(&op),
            &partner(json!({"default_terms": {"model": "revenue_share", "rate": "0.1234567"}})),
        )
        .await
        .invalid("rate");
        app.post(
            "/api/v1/partners",
            Some(&op),
            &partner(json!({"default_terms": {"model": "revenue_share", "rate": 0.1}})),
        )
        .await
        .invalid("body");
        app.post(
            "/api/v1/partners",
            Some(&op),
            &partner(
                json!({"default_terms": {"model": "flat_fee", "fee": "1.001", "currency": "USD"}}),
            ),
        )
        .await
        .invalid("fee");
        app.post(
            "/api/v1/partners",
            Some(&op),
            &partner(
                json!({"default_terms": {"model": "flat_fee", "fee": "1.00", "currency": "ZZZ"}}),
            ),
        )
        .await
        .invalid("currency");
        app.post(
            "/api/v1/partners",
            Some(&op),
            &partner(json!({"default_terms": {"model": "pyramid"}})),
        )
        .await
        .invalid("model");
        app.post(
            "/api/v1/partners",
            Some(&op),
            &partner(json!({"tier": "diamond"})),
        )
        .await
        .invalid("tier");
        let rule = |extra: Value| {
            let mut r = json!({"name": "R", "terms": {"model": "revenue_share", "rate": "0.1"}, "effective_from": "2026-01-01"});
            r.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            r
        };
        let rules = format!("/api/v1/partners/{}/rules", w.a.id);
        app.post(
            &rules,
            Some(&op),
            &rule(json!({"monthly_cap": "10.001", "monthly_cap_currency": "USD"})),
        )
        .await
        .invalid("monthly_cap");
        app.post(
            &rules,
            Some(&op),
            &rule(json!({"monthly_cap": "10.00", "monthly_cap_currency": "ZZZ"})),
        )
        .await
        .invalid("monthly_cap_currency");
        app.post(&rules, Some(&op), &rule(json!({"monthly_cap": "10.00"})))
            .await
            .invalid("monthly_cap");
        app.post(&rules, Some(&op), &rule(json!({"terms": {"model": "tiered", "tiers": [{"min_volume": "1e3", "rate": "0.1"}]}}))).await.invalid("tiers");

        // Batches report invalid items one by one and record the rest.
        let items = json!({"payments": [pay(json!("10.005"), "USD"), pay(json!("10.00"), "ZZZ")]});
        let res = app
            .post("/api/v1/ingest/payments/batch", Some(&billing), &items)
            .await
            .ok_json(200);
        for item in res["results"].as_array().unwrap() {
            assert_eq!(item["outcome"], "invalid", "{item}");
            assert_eq!(item["problem"]["status"], 422);
            assert!(
                item["problem"]["errors"]
                    .as_array()
                    .is_some_and(|e| !e.is_empty()),
                "{item}"
            );
        }
        app.post(
            "/api/v1/ingest/payments/batch",
            Some(&billing),
            &json!({"payments": []}),
        )
        .await
        .invalid("payments");
        let too_many: Vec<Value> = (0..1001)
            .map(|i| payment(&format!("p{i}"), "c", "1.00", "2026-03-05T00:00:00Z"))
            .collect();
        app.post(
            "/api/v1/ingest/payments/batch",
            Some(&billing),
            &json!({"payments": too_many}),
        )
        .await
        .invalid("payments");
        assert_eq!(
            ledger_rows(app).await,
            before,
            "refused money wrote something"
        );

        // A corrected retry of a refused payment is evaluated afresh (invalid input is not remembered).
        let ok = app
            .post(ingest, Some(&billing), &pay(json!("10.00"), "USD"))
            .await
            .ok_json(201);
        assert_eq!(
            (ok["amount"].as_str(), ok["duplicate"].as_bool()),
            (Some("1.00"), Some(false))
        );
    }
);

http!(hostile_input_never_answers_500, |app| {
    let w = app.seed().await;
    let op = app.operator_token();
    let billing = app.billing_token();
    let a = w.a.id;
    let long = "x".repeat(10_000);
    let mut cases: Vec<(Method, String, &str, Value)> = vec![
        (
            Method::POST,
            "/api/v1/partners".into(),
            &op,
            json!({"partner_number": long, "name": "n"}),
        ),
        (
            Method::POST,
            "/api/v1/partners".into(),
            &op,
            json!({"partner_number": "", "name": ""}),
        ),
        (
            Method::POST,
            "/api/v1/partners".into(),
            &op,
            json!({"partner_number": "P\u{0}1", "name": "n\u{7}"}),
        ),
        (
            Method::POST,
            "/api/v1/partners".into(),
            &op,
            json!({"partner_number": "P-H", "name": "n", "hold_days": -1}),
        ),
        (
            Method::POST,
            "/api/v1/partners".into(),
            &op,
            json!({"partner_number": "P-H", "name": "n", "hold_days": 4_294_967_296_u64}),
        ),
        (
            Method::POST,
            "/api/v1/partners".into(),
            &op,
            json!({"partner_number": "P-H", "name": "n", "hold_days": 100_000}),
        ),
        (
            Method::POST,
            "/api/v1/partners".into(),
            &op,
            json!({"partner_number": "P-H", "name": "n", "contact_email": "nope"}),
        ),
        (
            Method::POST,
            "/api/v1/partners".into(),
            &op,
            json!({"partner_number": "P-H", "name": "n", "default_terms": {"model": "tiered", "tiers": []}}),
        ),
        (Method::POST, "/api/v1/partners".into(), &op, json!(null)),
        (
            Method::PATCH,
            format!("/api/v1/partners/{a}"),
            &op,
            json!({"name": long}),
        ),
        (
            Method::POST,
            format!("/api/v1/partners/{a}/status"),
            &op,
            json!({"status": "deleted"}),
        ),
        (
            Method::POST,
            format!("/api/v1/partners/{a}/users"),
            &op,
            json!({"email": "x@y.test", "name": "n", "role": "god", "password": "a long passphrase!"}),
        ),
        (
            Method::POST,
            format!("/api/v1/partners/{a}/users"),
            &op,
            json!({"email": "x@y.test", "name": "n", "role": "admin", "password": "short"}),
        ),
        (
            Method::POST,
            format!("/api/v1/partners/{a}/users"),
            &op,
            json!({"email": "x@y.test", "name": "n", "role": "admin", "password": "p".repeat(300)}),
        ),
        (
            Method::POST,
            format!("/api/v1/partners/{a}/accounts"),
            &op,
            json!({"customer_id": "", "start_date": "2026-01-01"}),
        ),
        (
            Method::POST,
            format!("/api/v1/partners/{a}/accounts"),
            &op,
            json!({"customer_id": "c", "start_date": "0001-01-01"}),
        ),
        (
            Method::POST,
            format!("/api/v1/partners/{a}/accounts"),
            &op,
            json!({"customer_id": "c", "start_date": "2026-02-01", "end_date": "2026-01-01"}),
        ),
        (
            Method::POST,
            format!("/api/v1/partners/{a}/accounts"),
            &op,
            json!({"customer_id": "c", "start_date": "2026-01-01", "custom_rate": "-0.1"}),
        ),
        (
            Method::POST,
            format!("/api/v1/accounts/{}/end", w.a.account),
            &op,
            json!({"end_date": "1970-01-01"}),
        ),
        (
            Method::POST,
            format!("/api/v1/partners/{a}/rules"),
            &op,
            json!({"name": "r", "terms": {"model": "revenue_share", "rate": "0.1"}, "effective_from": "2026-01-01", "priority": 9_999_999_999_i64}),
        ),
        (
            Method::POST,
            format!("/api/v1/partners/{a}/rules"),
            &op,
            json!({"name": "r", "terms": {"model": "revenue_share", "rate": "0.1"}, "effective_from": "2026-02-01", "effective_to": "2026-01-01"}),
        ),
        (
            Method::POST,
            format!("/api/v1/partners/{a}/rules"),
            &op,
            json!({"name": "r", "terms": {"model": "revenue_share", "rate": "0.1"}, "effective_from": "2026-01-01", "product_ids": vec!["p"; 1001]}),
        ),
        (
            Method::POST,
            format!("/api/v1/partners/{a}/rules"),
            &op,
            json!({"name": "r", "terms": {"model": "hybrid", "rate": "0.1"}, "effective_from": "2026-01-01"}),
        ),
        (
            Method::POST,
            "/api/v1/commissions/approve".into(),
            &op,
            json!({"ids": []}),
        ),
        (
            Method::POST,
            "/api/v1/commissions/approve".into(),
            &op,
            json!({"ids": vec![uuid::Uuid::nil(); 501]}),
        ),
        (
            Method::POST,
            "/api/v1/commissions/approve".into(),
            &op,
            json!({"ids": ["not-a-uuid"]}),
        ),
        (
            Method::POST,
            "/api/v1/commissions/approve".into(),
            &op,
            json!({"ids": [w.a.commissions[1], w.a.commissions[1]]}),
        ),
        (
            Method::POST,
            "/api/v1/commissions/reject".into(),
            &op,
            json!({"ids": [w.a.commissions[1]], "reason": ""}),
        ),
        (
            Method::POST,
            "/api/v1/commissions/reject".into(),
            &op,
            json!({"ids": [w.a.commissions[0]], "reason": "held by a payout"}),
        ),
        (
            Method::POST,
            "/api/v1/commissions/adjustments".into(),
            &op,
            json!({"partner_id": a, "amount": "5.00", "currency": "USD", "note": ""}),
        ),
        (
            Method::POST,
            "/api/v1/commissions/adjustments".into(),
            &op,
            json!({"partner_id": a, "amount": "92233720368547758.07", "currency": "USD", "note": "max"}),
        ),
        (
            Method::POST,
            "/api/v1/payouts".into(),
            &op,
            json!({"partner_id": a, "currency": "USD", "period_end": "2026-01-01", "period_start": "2026-02-01"}),
        ),
        (
            Method::POST,
            "/api/v1/payouts".into(),
            &op,
            json!({"partner_id": a, "currency": "USD", "period_end": "2150-01-01"}),
        ),
        (
            Method::POST,
            "/api/v1/payouts".into(),
            &op,
            json!({"partner_id": a, "currency": "USD", "period_end": "2026-03-31", "payment_method": ""}),
        ),
        (
            Method::POST,
            "/api/v1/payouts/run".into(),
            &op,
            json!({"period_end": "2026-01-01", "period_start": "2026-02-01"}),
        ),
        (
            Method::POST,
            format!("/api/v1/payouts/{}/status", w.a.payout),
            &op,
            json!({"status": "paid"}),
        ),
        (
            Method::POST,
            format!("/api/v1/payouts/{}/status", w.a.payout),
            &op,
            json!({"status": "cancelled"}),
        ),
        (
            Method::POST,
            format!("/api/v1/payouts/{}/status", w.a.payout),
            &op,
            json!({"status": "completed", "payment_reference": "R"}),
        ),
        (
            Method::POST,
            "/api/v1/ingest/payments".into(),
            &billing,
            json!({"payment_id": long, "invoice_id": "i", "customer_id": "c", "amount": "1.00", "currency": "USD", "paid_at": "2026-03-01"}),
        ),
        (
            Method::POST,
            "/api/v1/ingest/payments".into(),
            &billing,
            json!({"payment_id": "p\n1", "invoice_id": "i", "customer_id": "c", "amount": "1.00", "currency": "USD", "paid_at": "2026-03-01"}),
        ),
        (
            Method::POST,
            "/api/v1/ingest/payments".into(),
            &billing,
            json!({"payment_id": "p", "invoice_id": "i", "customer_id": "c", "amount": "1.00", "currency": "USD", "paid_at": "2100-01-01"}),
        ),
        (
            Method::POST,
            "/api/v1/ingest/payments".into(),
            &billing,
            json!({"payment_id": "p", "invoice_id": "i", "customer_id": "c", "amount": "1.00", "currency": "USD", "paid_at": "2026-03-01", "product_ids": vec!["x"; 101]}),
        ),
        (
            Method::POST,
            "/api/v1/ingest/payments".into(),
            &billing,
            json!({"payment_id": "p", "invoice_id": "i", "invoice_number": long, "customer_id": "c", "amount": "1.00", "currency": "USD", "paid_at": "2026-03-01"}),
        ),
        (
            Method::POST,
            "/api/v1/ingest/refunds".into(),
            &billing,
            json!({"refund_id": "r", "payment_id": w.a.payments[0], "amount": "100.01", "refunded_at": "2026-03-02"}),
        ),
        (
            Method::POST,
            "/api/v1/ingest/refunds".into(),
            &billing,
            json!({"refund_id": "r", "payment_id": w.a.payments[0], "amount": "1.00", "currency": "EUR", "refunded_at": "2026-03-02"}),
        ),
        (
            Method::POST,
            "/api/v1/auth/login".into(),
            "",
            json!({"tenant": "acme", "email": "ops@acme.test", "password": ""}),
        ),
        (
            Method::POST,
            "/api/v1/auth/login".into(),
            "",
            json!({"tenant": "acme", "email": "ops@acme.test", "password": long}),
        ),
        (
            Method::POST,
            "/api/v1/auth/login".into(),
            "",
            json!({"tenant": long, "email": "ops@acme.test", "password": "x"}),
        ),
    ];
    cases.push((Method::POST, "/api/v1/rules/simulate".into(), &op, json!({"payment_id": "p", "invoice_id": "i", "customer_id": "c", "amount": "-1", "currency": "USD", "paid_at": "2026-03-01"})));
    let before = ledger_rows(app).await;
    for (method, path, token, body) in &cases {
        let token = (!token.is_empty()).then_some(*token);
        let r = app.call(method.clone(), path, token, Some(body)).await;
        assert!(
            (400..500).contains(&r.status),
            "{} with {}: {} {}",
            r.request,
            &body.to_string()[..body.to_string().len().min(200)],
            r.status,
            r.body
        );
        assert_problem_shape(&r);
        if r.status == 422 {
            assert!(
                r.json()["errors"].as_array().is_some_and(|e| !e.is_empty()),
                "{}: 422 without errors: {}",
                r.request,
                r.body
            );
        }
    }
    assert_eq!(
        ledger_rows(app).await,
        before,
        "refused input wrote something"
    );
    bad_queries_and_paths_are_problems(app, &w).await;
});

/// Bad query strings are 422 (or 400) problems; malformed ids in paths are 404 problems.
async fn bad_queries_and_paths_are_problems(app: &TestApp, w: &World) {
    let op = app.operator_token();
    let op = Some(op.as_str());
    for q in [
        "limit=0",
        "limit=501",
        "limit=abc",
        "limit=-1",
        "offset=-1",
        "offset=x",
        "status=bogus",
        "currency=ZZZ",
        "event_type=bogus",
        "from=yesterday",
        "to=2026-13-01",
        "partner_id=not-a-uuid",
        "payout_id=42",
    ] {
        let r = app.get(&format!("/api/v1/commissions?{q}"), op).await;
        assert!(
            r.status == 422 || r.status == 400,
            "{q}: {} {}",
            r.status,
            r.body
        );
        assert_problem_shape(&r);
        if r.status == 422 {
            assert!(
                r.json()["errors"].as_array().is_some_and(|e| !e.is_empty()),
                "{q}: {}",
                r.body
            );
        }
    }
    for q in ["status=bogus", "currency=ZZZ", "limit=1000", "partner_id=1"] {
        let r = app.get(&format!("/api/v1/payouts?{q}"), op).await;
        assert_eq!(r.status, 422, "{q}: {}", r.body);
        assert_problem_shape(&r);
    }
    let a = w.a.id;
    let metrics = "/api/v1/partners/revenue/metrics";
    // Operators must name the partner; the period must be a period.
    app.get(metrics, op).await.invalid("partner_id");
    app.get(
        &format!("{metrics}?partner_id={a}&period_start=2026-04-01&period_end=2026-03-01"),
        op,
    )
    .await
    .invalid("period_start");
    let r = app
        .get(
            &format!("{metrics}?partner_id={a}&period_start=garbage"),
            op,
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_problem_shape(&r);
    let series = "/api/v1/partners/revenue/series";
    app.get(&format!("{series}?partner_id={a}&granularity=week"), op)
        .await
        .invalid("granularity");
    let r = app.get(&format!("{series}?partner_id={a}&granularity=day&period_start=2020-01-01&period_end=2026-01-01"), op).await;
    assert_eq!(r.status, 422, "a six-year daily series: {}", r.body);
    assert_problem_shape(&r);
    for q in ["limit=0", "status=bogus", "event_type=x", "currency=usd"] {
        let r = app
            .get(
                &format!("/api/v1/partners/revenue/commissions?partner_id={a}&{q}"),
                op,
            )
            .await;
        assert_eq!(r.status, 422, "{q}: {}", r.body);
        assert_problem_shape(&r);
    }
    app.get("/api/v1/audit-log?limit=0", op)
        .await
        .invalid("limit");
    app.get("/api/v1/partners?offset=-5", op)
        .await
        .invalid("offset");
    // A malformed id names nothing: 404, as for an unknown one.
    for path in [
        "/api/v1/partners/not-a-uuid".to_owned(),
        "/api/v1/rules/42".to_owned(),
        "/api/v1/payouts/zzz".to_owned(),
        format!("/api/v1/partners/revenue/commissions/xyz?partner_id={a}"),
    ] {
        let r = app.get(&path, op).await;
        r.problem(404);
    }
}

http!(
    out_of_range_instants_overlong_amounts_and_extreme_pages_are_problems,
    |app| {
        let w = app.seed().await;
        let before = ledger_rows(app).await;
        let (op, billing) = (app.operator_token(), app.billing_token());
        let (op, billing) = (op.as_str(), billing.as_str());
        let (a, customer) = (w.a.id, w.a.customer.clone());
        // 30 decimals: a Decimal holds 28, so a lenient parser would round this to 1.00.
        let thirty = "1.000000000000000000000000000001";
        // Valid RFC 3339 whose UTC form is past 9999-12-31 (once a panic in the parser).
        let beyond = "9999-12-31T23:59:59-23:59";
        let pay = |amount: &str, currency: &str, paid_at: &str| {
            let mut p = payment("pay-hostile", &customer, amount, paid_at);
            p["currency"] = json!(currency);
            p
        };
        let rule = |extra: Value| {
            let mut r = json!({"name": "r", "terms": {"model": "revenue_share", "rate": "0.1"}, "effective_from": "2026-01-01"});
            for (k, v) in extra.as_object().unwrap() {
                r[k] = v.clone();
            }
            r
        };
        // (path, token, body, the field named in `errors`, or "" for any 422)
        let cases: Vec<(String, &str, Value, &str)> = vec![
            (
                "/api/v1/ingest/payments".into(),
                billing,
                pay(thirty, "USD", "2026-03-01"),
                "",
            ),
            (
                "/api/v1/ingest/payments".into(),
                billing,
                pay("0.000000000000000000000000000001", "USD", "2026-03-01"),
                "",
            ),
            (
                "/api/v1/ingest/payments".into(),
                billing,
                pay("1.00", "USD", beyond),
                "",
            ),
            (
                "/api/v1/ingest/payments".into(),
                billing,
                pay("1.00", "USD", "0001-01-01"),
                "paid_at",
            ),
            (
                "/api/v1/ingest/payments".into(),
                billing,
                pay("1.00", "USD", "9999-12-31"),
                "paid_at",
            ),
            (
                "/api/v1/ingest/payments".into(),
                billing,
                pay("1.00", "XXX", "2026-03-01"),
                "currency",
            ),
            (
                "/api/v1/ingest/payments".into(),
                billing,
                pay("1.00", "ABC", "2026-03-01"),
                "currency",
            ),
            (
                "/api/v1/ingest/payments/batch".into(),
                billing,
                json!({"payments": [pay("1.00", "USD", beyond)]}),
                "",
            ),
            (
                "/api/v1/ingest/refunds".into(),
                billing,
                json!({"refund_id": "r-hostile", "payment_id": w.a.payments[0], "amount": thirty, "refunded_at": "2026-03-02"}),
                "",
            ),
            (
                "/api/v1/ingest/refunds".into(),
                billing,
                json!({"refund_id": "r-hostile", "payment_id": w.a.payments[0], "amount": "1.00", "refunded_at": "0001-01-01T00:00:00Z"}),
                "refunded_at",
            ),
            (
                "/api/v1/ingest/refunds".into(),
                billing,
                json!({"refund_id": "r-hostile", "payment_id": w.a.payments[0], "amount": "1.00", "refunded_at": beyond}),
                "",
            ),
            (
                "/api/v1/rules/simulate".into(),
                op,
                pay(thirty, "USD", beyond),
                "",
            ),
            (
                "/api/v1/commissions/adjustments".into(),
                op,
                json!({"partner_id": a, "amount": thirty, "currency": "USD", "note": "n"}),
                "",
            ),
            (
                "/api/v1/commissions/adjustments".into(),
                op,
                json!({"partner_id": a, "amount": "1.00", "currency": "QQQ", "note": "n"}),
                "currency",
            ),
            (
                "/api/v1/partners".into(),
                op,
                json!({"partner_number": "P-H1", "name": "n", "minimum_payouts": {"USD": thirty}}),
                "minimum_payouts",
            ),
            (
                "/api/v1/partners".into(),
                op,
                json!({"partner_number": "P-H2", "name": "n", "minimum_payouts": {"ABC": "1.00"}}),
                "minimum_payouts",
            ),
            (
                "/api/v1/partners".into(),
                op,
                json!({"partner_number": "P-H3", "name": "n", "default_terms": {"model": "flat_fee", "fee": thirty, "currency": "USD"}}),
                "fee",
            ),
            (
                format!("/api/v1/partners/{a}/rules"),
                op,
                rule(json!({"monthly_cap": thirty, "monthly_cap_currency": "USD"})),
                "monthly_cap",
            ),
            (
                format!("/api/v1/partners/{a}/rules"),
                op,
                rule(json!({"effective_from": beyond})),
                "",
            ),
            (
                format!("/api/v1/partners/{a}/rules"),
                op,
                rule(json!({"priority": 2_147_483_648_i64})),
                "",
            ),
            (
                format!("/api/v1/partners/{a}/rules"),
                op,
                rule(json!({"max_duration_months": -1})),
                "",
            ),
            (
                format!("/api/v1/partners/{a}/accounts"),
                op,
                json!({"customer_id": "c-hostile", "start_date": beyond}),
                "",
            ),
            (
                format!("/api/v1/accounts/{}/end", w.a.account),
                op,
                json!({"end_date": beyond}),
                "",
            ),
            (
                "/api/v1/payouts".into(),
                op,
                json!({"partner_id": a, "currency": "USD", "period_end": beyond}),
                "",
            ),
            (
                "/api/v1/payouts".into(),
                op,
                json!({"partner_id": a, "currency": "XYZ", "period_end": "2026-03-31"}),
                "currency",
            ),
            (
                "/api/v1/payouts/run".into(),
                op,
                json!({"period_end": beyond}),
                "",
            ),
            // Year -1 (in UTC, or written so) has no RFC 3339 form to answer with.
            (
                "/api/v1/payouts/run".into(),
                op,
                json!({"period_end": "2026-03-31", "period_start": "0000-01-01T00:00:00+23:59"}),
                "",
            ),
            (
                "/api/v1/payouts".into(),
                op,
                json!({"partner_id": a, "currency": "USD", "period_end": "2026-03-31", "period_start": "-0001-01-01"}),
                "",
            ),
            // Cut-offs are instants revshare accepts, at both ends.
            (
                "/api/v1/payouts".into(),
                op,
                json!({"partner_id": a, "currency": "USD", "period_end": "2026-03-31", "period_start": "0001-01-01"}),
                "period_start",
            ),
            (
                "/api/v1/payouts/run".into(),
                op,
                json!({"period_end": "9999-12-31"}),
                "period_end",
            ),
        ];
        for (path, token, body, field) in &cases {
            let r = app.post(path, Some(token), body).await;
            if field.is_empty() {
                r.problem(422);
            } else {
                r.invalid(field);
            }
        }
        // Deep nesting of objects, and inside a field, is refused before it can hurt a parser.
        let deep_object = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
        let deep_field = format!(
            "{{\"payment_id\": {}\"p\"{}}}",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        for (what, body) in [
            ("nested objects", deep_object),
            ("nested field", deep_field),
        ] {
            let r = raw(
                app,
                Method::POST,
                "/api/v1/ingest/payments",
                Some(billing),
                Some("application/json"),
                body.into_bytes(),
                what,
            )
            .await;
            assert!(
                r.status == 400 || r.status == 422,
                "{what}: {} {}",
                r.status,
                r.body
            );
            assert_problem_shape(&r);
        }
        // Pages far out, negative or past i64, and instants past the calendar in queries.
        let b = beyond;
        let m = format!("/api/v1/partners/revenue/metrics?partner_id={a}");
        let s = format!("/api/v1/partners/revenue/series?partner_id={a}");
        let queries = [
            "/api/v1/commissions?limit=9223372036854775807".to_owned(),
            "/api/v1/commissions?limit=-9223372036854775808".to_owned(),
            "/api/v1/commissions?limit=9223372036854775808".to_owned(),
            "/api/v1/commissions?offset=10000001".to_owned(),
            "/api/v1/commissions?offset=9223372036854775807".to_owned(),
            "/api/v1/commissions?offset=-9223372036854775808".to_owned(),
            "/api/v1/commissions?offset=99999999999999999999999".to_owned(),
            "/api/v1/payouts?limit=1e3".to_owned(),
            "/api/v1/audit-log?offset=1.5".to_owned(),
            format!("/api/v1/commissions?from={b}"),
            format!("/api/v1/commissions?to={b}"),
            format!("/api/v1/partners/revenue/commissions?partner_id={a}&from={b}"),
            format!("/api/v1/partners/revenue/commissions/export.csv?partner_id={a}&to={b}"),
            format!("{m}&period_end={b}"),
            format!("{m}&period_start={b}"),
            format!("{s}&period_end={b}"),
            format!("{m}&period_start=-0001-01-01"),
            format!("/api/v1/partners/revenue/commissions?partner_id={a}&currency=XAU"),
        ];
        for q in &queries {
            let r = app.get(q, Some(op)).await;
            assert_eq!(r.status, 422, "{q}: {}", r.body);
            assert_problem_shape(&r);
        }
        assert_eq!(
            ledger_rows(app).await,
            before,
            "refused input wrote something"
        );
    }
);
