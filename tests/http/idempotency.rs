//! `Idempotency-Key` on POSTs that move money: the same key and body answer the first response
//! again (`Idempotent-Replayed: true`) without a second effect; the same key with another body
//! is refused with 422. Ingestion is idempotent by payment and refund id instead.

use revshare_domain::access::Role;
use revshare_tests::http;
use revshare_tests::http::{Reply, TestApp, World, staff};
use serde_json::json;

use crate::catalogue::payment;

#[track_caller]
fn assert_replay(first: &Reply, again: &Reply) {
    assert_eq!(
        again.status, first.status,
        "{}: replay status: {}",
        again.request, again.body
    );
    assert_eq!(
        again.header("idempotent-replayed"),
        Some("true"),
        "{}: not marked as a replay",
        again.request
    );
    assert_eq!(again.json(), first.json(), "{}: replay body", again.request);
    assert_eq!(
        again.content_type(),
        first.content_type(),
        "{}: replay content type",
        again.request
    );
    assert!(
        first.header("idempotent-replayed").is_none(),
        "{}: the first answer is not a replay",
        first.request
    );
}

http!(
    a_replayed_payout_batch_answers_the_same_and_pays_once,
    |app| {
        let w = app.seed().await;
        let op = app.operator_token();
        let body =
            json!({"partner_id": w.a.id, "currency": "USD", "period_end": "2026-03-31T23:59:59Z"});
        let first = app
            .post_idempotent("/api/v1/payouts", &op, "batch-1", &body)
            .await;
        let made = first.ok_json(201);
        assert_eq!(made["payout"]["total_amount"], "20.00");
        let again = app
            .post_idempotent("/api/v1/payouts", &op, "batch-1", &body)
            .await;
        assert_replay(&first, &again);
        // One new payout only: the seeded one and this one.
        let list = app
            .get(&format!("/api/v1/payouts?partner_id={}", w.a.id), Some(&op))
            .await;
        assert_eq!(list.total(), 2);
        let audit = app
            .get("/api/v1/audit-log?limit=500", Some(&op))
            .await
            .ok_json(200);
        let creations = audit
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "payout.create")
            .count();
        assert_eq!(creations, 3, "two seeded payouts and one batch");

        // The same key with another body is refused, and changes nothing.
        let mut other = body.clone();
        other["payment_method"] = json!("check");
        let r = app
            .post_idempotent("/api/v1/payouts", &op, "batch-1", &other)
            .await;
        r.invalid("Idempotency-Key");
        let other_partner =
            json!({"partner_id": w.b.id, "currency": "USD", "period_end": "2026-03-31T23:59:59Z"});
        app.post_idempotent("/api/v1/payouts", &op, "batch-1", &other_partner)
            .await
            .invalid("Idempotency-Key");
        assert_eq!(
            app.get(&format!("/api/v1/payouts?partner_id={}", w.b.id), Some(&op))
                .await
                .total(),
            1,
            "B was not paid"
        );

        // Five identical requests at once: one payout for B, every answer the payout or "still
        // running", never a second claim.
        let race =
            json!({"partner_id": w.b.id, "currency": "USD", "period_end": "2026-03-31T23:59:59Z"});
        let tasks: Vec<_> = (0..5)
            .map(|_| {
                let req = app
                    .request(reqwest::Method::POST, "/api/v1/payouts", Some(&op))
                    .header("Idempotency-Key", "race-1")
                    .json(&race);
                tokio::spawn(async move {
                    let r = req.send().await.expect("send");
                    let status = r.status().as_u16();
                    (status, r.text().await.expect("body"))
                })
            })
            .collect();
        let mut payout_ids = std::collections::BTreeSet::new();
        for t in tasks {
            let (status, body) = t.await.expect("task");
            match status {
                201 => {
                    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                    payout_ids.insert(v["payout"]["id"].as_str().unwrap().to_owned());
                }
                409 => assert!(body.contains("still running"), "{body}"),
                other => panic!("a concurrent replay answered {other}: {body}"),
            }
        }
        assert_eq!(
            payout_ids.len(),
            1,
            "concurrent replays made several payouts: {payout_ids:?}"
        );
        assert_eq!(
            app.get(&format!("/api/v1/payouts?partner_id={}", w.b.id), Some(&op))
                .await
                .total(),
            2,
            "the seeded payout and one more"
        );

        // A new key runs again: nothing is left to pay.
        let fresh = app
            .post_idempotent("/api/v1/payouts", &op, "batch-2", &body)
            .await
            .ok_json(200);
        assert_eq!(fresh["refusal"]["reason"], "nothing_to_pay");
        // Keys belong to their principal: another operator's "batch-1" is a new request.
        let other_op =
            app.token(&staff(app.tenant, Role::Operator).tap_subject("second-operator@acme.test"));
        let theirs = app
            .post_idempotent("/api/v1/payouts", &other_op, "batch-1", &body)
            .await;
        assert!(theirs.header("idempotent-replayed").is_none());
        assert_eq!(theirs.ok_json(200)["outcome"], "refused");
        // And to their tenant.
        let globex = app.other_operator_token();
        let g_body =
            json!({"partner_id": w.g.id, "currency": "USD", "period_end": "2026-03-31T23:59:59Z"});
        let g = app
            .post_idempotent("/api/v1/payouts", &globex, "batch-1", &g_body)
            .await;
        assert!(g.header("idempotent-replayed").is_none());
        assert_eq!(g.ok_json(201)["payout"]["total_amount"], "20.00");
    }
);

trait TapSubject {
    fn tap_subject(self, s: &str) -> Self;
}

impl TapSubject for revshare_domain::access::Principal {
    fn tap_subject(mut self, s: &str) -> Self {
        self.subject = s.into();
        self
    }
}

http!(
    replayed_adjustments_approvals_runs_and_status_moves_act_once,
    |app| {
        let w = app.seed().await;
        let op = app.operator_token();

        // A manual adjustment.
        let adj =
            json!({"partner_id": w.a.id, "amount": "-2.50", "currency": "USD", "note": "fee"});
        let first = app
            .post_idempotent("/api/v1/commissions/adjustments", &op, "adj-1", &adj)
            .await;
        assert_eq!(first.ok_json(201)["amount"], "-2.50");
        assert_replay(
            &first,
            &app.post_idempotent("/api/v1/commissions/adjustments", &op, "adj-1", &adj)
                .await,
        );
        let adjustments = format!(
            "/api/v1/commissions?partner_id={}&event_type=manual_adjustment",
            w.a.id
        );
        assert_eq!(app.get(&adjustments, Some(&op)).await.total(), 1);
        let mut changed = adj.clone();
        changed["amount"] = json!("-2.51");
        app.post_idempotent("/api/v1/commissions/adjustments", &op, "adj-1", &changed)
            .await
            .invalid("Idempotency-Key");
        assert_eq!(app.get(&adjustments, Some(&op)).await.total(), 1);

        // A payout run.
        let run = json!({"period_end": "2026-03-31T23:59:59Z"});
        let first = app
            .post_idempotent("/api/v1/payouts/run", &op, "run-1", &run)
            .await;
        assert_eq!(first.ok_json(200)["created"].as_array().unwrap().len(), 2);
        assert_replay(
            &first,
            &app.post_idempotent("/api/v1/payouts/run", &op, "run-1", &run)
                .await,
        );
        assert_eq!(
            app.get("/api/v1/payouts", Some(&op)).await.total(),
            4,
            "two seeded payouts, two from one run"
        );

        // A status move; a new key for the same move is a new request, refused by the state machine.
        let path = format!("/api/v1/payouts/{}/status", w.a.payout);
        let ready = json!({"status": "ready"});
        let first = app.post_idempotent(&path, &op, "move-1", &ready).await;
        assert_eq!(first.ok_json(200)["status"], "ready");
        assert_replay(
            &first,
            &app.post_idempotent(&path, &op, "move-1", &ready).await,
        );
        app.post_idempotent(&path, &op, "move-2", &ready)
            .await
            .problem(409);
        let audit = app
            .get("/api/v1/audit-log?limit=500", Some(&op))
            .await
            .ok_json(200);
        assert_eq!(
            audit
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["action"] == "payout.ready")
                .count(),
            1
        );

        // A refused request is remembered too: its replay is the same problem.
        let approve = json!({"ids": [w.a.commissions[1]]});
        let first = app
            .post_idempotent("/api/v1/commissions/approve", &op, "approve-1", &approve)
            .await;
        first.problem(409);
        let again = app
            .post_idempotent("/api/v1/commissions/approve", &op, "approve-1", &approve)
            .await;
        assert_replay(&first, &again);
        again.problem(409);

        // Rejections, approvals of held commissions.
        let held = app
            .ctx
            .active_partner(
                app.tenant,
                "P-H",
                Some(revshare_tests::fixtures::share("0.10")),
                30,
            )
            .await;
        app.ctx
            .attribute(app.tenant, held.id, "cust-h", "2026-01-01T00:00:00Z", None)
            .await;
        // Recorded on the test clock (15 March): held until mid-April.
        let e1 = app
            .ctx
            .pay(
                app.tenant,
                "pay-h1",
                "cust-h",
                revshare_tests::fixtures::usd("10.00"),
                "2026-03-14T00:00:00Z",
            )
            .await;
        let e2 = app
            .ctx
            .pay(
                app.tenant,
                "pay-h2",
                "cust-h",
                revshare_tests::fixtures::usd("20.00"),
                "2026-03-14T00:00:00Z",
            )
            .await;
        assert_eq!(e1.status.map(|s| s.name()), Some("pending"));
        let (e1, e2) = (
            e1.commission_id.unwrap().uuid(),
            e2.commission_id.unwrap().uuid(),
        );
        let ok = json!({"ids": [e1]});
        let first = app
            .post_idempotent("/api/v1/commissions/approve", &op, "approve-2", &ok)
            .await;
        assert_eq!(first.ok_json(200)[0]["status"], "approved");
        assert_replay(
            &first,
            &app.post_idempotent("/api/v1/commissions/approve", &op, "approve-2", &ok)
                .await,
        );
        let rej = json!({"ids": [e2], "reason": "duplicate"});
        let first = app
            .post_idempotent("/api/v1/commissions/reject", &op, "reject-1", &rej)
            .await;
        assert_eq!(first.ok_json(200)[0]["status"], "rejected");
        assert_replay(
            &first,
            &app.post_idempotent("/api/v1/commissions/reject", &op, "reject-1", &rej)
                .await,
        );
        let audit = app
            .get("/api/v1/audit-log?limit=500", Some(&op))
            .await
            .ok_json(200);
        assert_eq!(
            audit
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["action"] == "commission.reject")
                .count(),
            1
        );
        malformed_idempotency_keys_are_refused_before_anything_runs(app, &w).await;
    }
);

http!(ingestion_is_idempotent_by_payment_and_refund_id, |app| {
    let w = app.seed().await;
    let billing = app.billing_token();
    let op = app.operator_token();
    let path = format!("/api/v1/commissions?partner_id={}", w.a.id);
    let before = app.get(&path, Some(&op)).await.total();
    let p = payment("pay-a-9", &w.a.customer, "40.00", "2026-03-08T00:00:00Z");
    let first = app
        .post("/api/v1/ingest/payments", Some(&billing), &p)
        .await
        .ok_json(201);
    // A replay, even with another body, answers the first outcome and writes nothing.
    let mut changed = p.clone();
    changed["amount"] = json!("4000.00");
    for body in [&p, &changed] {
        let again = app
            .post("/api/v1/ingest/payments", Some(&billing), body)
            .await
            .ok_json(200);
        assert_eq!(again["duplicate"], true);
        assert_eq!(again["commission_id"], first["commission_id"]);
        assert_eq!(again["amount"], "4.00");
    }
    let batch = app
        .post(
            "/api/v1/ingest/payments/batch",
            Some(&billing),
            &json!({"payments": [p, p]}),
        )
        .await
        .ok_json(200);
    assert!(
        batch["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["duplicate"] == true),
        "{batch}"
    );
    let refund = json!({"refund_id": "ref-a-9", "payment_id": "pay-a-9", "amount": "40.00", "refunded_at": "2026-03-09T00:00:00Z"});
    let r1 = app
        .post("/api/v1/ingest/refunds", Some(&billing), &refund)
        .await
        .ok_json(201);
    assert_eq!(r1["amount"], "-4.00");
    let r2 = app
        .post("/api/v1/ingest/refunds", Some(&billing), &refund)
        .await
        .ok_json(200);
    assert_eq!(
        (r2["duplicate"].as_bool(), r2["commission_id"].clone()),
        (Some(true), r1["commission_id"].clone())
    );
    assert_eq!(
        app.get(&path, Some(&op)).await.total(),
        before + 2,
        "one payment and one refund"
    );
});

http!(ingestion_honours_idempotency_keys, |app| {
    let w = app.seed().await;
    let billing = app.billing_token();
    let first_body = payment("pay-k1", &w.a.customer, "10.00", "2026-03-08T00:00:00Z");
    let first = app
        .post_idempotent("/api/v1/ingest/payments", &billing, "ing-1", &first_body)
        .await;
    first.expect(201);
    assert_replay(
        &first,
        &app.post_idempotent("/api/v1/ingest/payments", &billing, "ing-1", &first_body)
            .await,
    );
    let other = payment("pay-k2", &w.a.customer, "10.00", "2026-03-08T00:00:00Z");
    app.post_idempotent("/api/v1/ingest/payments", &billing, "ing-1", &other)
        .await
        .invalid("Idempotency-Key");
    let op = app.operator_token();
    let listed = app
        .get(
            &format!(
                "/api/v1/commissions?partner_id={}&search=inv-pay-k2",
                w.a.id
            ),
            Some(&op),
        )
        .await;
    assert_eq!(listed.total(), 0, "a reused key recorded another payment");
});

/// Keys that are empty, too long or not printable ASCII are refused before anything runs.
async fn malformed_idempotency_keys_are_refused_before_anything_runs(app: &TestApp, w: &World) {
    let op = app.operator_token();
    let adjustments = format!(
        "/api/v1/commissions?partner_id={}&event_type=manual_adjustment",
        w.a.id
    );
    let before = app.get(&adjustments, Some(&op)).await.total();
    let body = json!({"partner_id": w.a.id, "amount": "1.00", "currency": "USD", "note": "n"});
    for key in ["", "   ", "has space", &"k".repeat(256), "tab\there"] {
        let b = app
            .request(
                reqwest::Method::POST,
                "/api/v1/commissions/adjustments",
                Some(&op),
            )
            .header("Idempotency-Key", key)
            .json(&body);
        let r = app.send(format!("adjustment with key {key:?}"), b).await;
        r.invalid("Idempotency-Key");
    }
    let non_ascii = app
        .request(
            reqwest::Method::POST,
            "/api/v1/commissions/adjustments",
            Some(&op),
        )
        .header(
            "Idempotency-Key",
            reqwest::header::HeaderValue::from_bytes("clé".as_bytes()).unwrap(),
        )
        .json(&body);
    app.send("non-ASCII key".into(), non_ascii)
        .await
        .invalid("Idempotency-Key");
    assert_eq!(
        app.get(&adjustments, Some(&op)).await.total(),
        before,
        "a refused key ran the request"
    );
}
