//! The audit log through HTTP: every operator action appears with who, what, when and the
//! state before and after; the log is read-only (no route writes, edits or deletes it), and
//! only staff of the tenant read it.

use reqwest::Method;
use revshare_domain::partner::PartnerUserRole;
use revshare_tests::http;
use serde_json::json;

http!(
    operator_actions_are_audited_and_the_log_is_read_only,
    |app| {
        let w = app.seed().await;
        let op = app.operator_token();
        let before = app.get("/api/v1/audit-log?limit=500", Some(&op)).await;
        let count = before.total();
        app.post(
            &format!("/api/v1/partners/{}/status", w.a.id),
            Some(&op),
            &json!({"status": "suspended"}),
        )
        .await
        .expect(200);
        let log = app.get("/api/v1/audit-log?limit=1", Some(&op)).await;
        assert_eq!(log.total(), count + 1);
        let entry = &log.json()[0];
        assert_eq!(entry["action"], "partner.status");
        assert_eq!(entry["target_id"], w.a.id.to_string());
        assert!(entry["actor"].as_str().unwrap().starts_with("operator:"));
        assert_eq!(entry["before"]["state"]["status"], "active");
        assert_eq!(entry["after"]["state"]["status"], "suspended");
        assert!(entry["at"].as_str().is_some());
        // A refused action writes no entry.
        app.post(
            &format!("/api/v1/partners/{}/status", w.a.id),
            Some(&op),
            &json!({"status": "pending"}),
        )
        .await
        .expect(409);
        assert_eq!(
            app.get("/api/v1/audit-log?limit=1", Some(&op))
                .await
                .total(),
            count + 1
        );
        // No method other than GET reaches the log, for anyone.
        let id = entry["id"].as_str().unwrap().to_owned();
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            for path in [
                "/api/v1/audit-log".to_owned(),
                format!("/api/v1/audit-log/{id}"),
            ] {
                let r = app
                    .call(
                        method.clone(),
                        &path,
                        Some(&op),
                        Some(&json!({"action": "forged"})),
                    )
                    .await;
                assert!(
                    matches!(r.status, 404 | 405),
                    "{method} {path} answered {}",
                    r.status
                );
            }
        }
        let after = app.get("/api/v1/audit-log?limit=500", Some(&op)).await;
        assert_eq!(after.total(), count + 1);
        assert!(!after.body.contains("forged"));
        // Partners, the billing system and other tenants' staff cannot read it.
        app.get(
            "/api/v1/audit-log",
            Some(&app.partner_token(w.a.id, PartnerUserRole::Owner)),
        )
        .await
        .expect(403);
        app.get("/api/v1/audit-log", Some(&app.billing_token()))
            .await
            .expect(403);
        let other = app
            .get(
                "/api/v1/audit-log?limit=500",
                Some(&app.other_operator_token()),
            )
            .await;
        assert!(!other.body.contains(&w.a.id.to_string()));
    }
);
