//! The route table: the OpenAPI document lists exactly the routes the API must serve, and every
//! documented route is reachable with real ids — no fixed path (`/partners/revenue/…`,
//! `export.csv`, `statement.csv`, `simulate`, `run`) is shadowed by a `{id}` route.

use std::collections::BTreeSet;

use reqwest::Method;
use revshare_tests::http;
use revshare_tests::http::{Reply, TestApp};
use serde_json::Value;

use crate::catalogue::{EXPECTED_ROUTES, catalogue};

const METHODS: [&str; 7] = ["get", "put", "post", "delete", "options", "head", "patch"];

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"]
        .as_object()
        .expect("paths in the OpenAPI document");
    let mut out = BTreeSet::new();
    for (path, item) in paths {
        for m in METHODS {
            if item.get(m).is_some() {
                out.insert((m.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

fn is_no_such_route(r: &Reply) -> bool {
    r.status == 404 && r.body.contains("no such route")
}

http!(
    the_openapi_document_lists_exactly_the_routes_the_api_must_serve,
    |app| {
        let doc = app.get("/api-docs/openapi.json", None).await.ok_json(200);
        let documented = documented(&doc);
        let expected: BTreeSet<(String, String)> = EXPECTED_ROUTES
            .iter()
            .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
            .collect();
        let missing: Vec<_> = expected.difference(&documented).collect();
        let unlisted: Vec<_> = documented.difference(&expected).collect();
        assert!(
            missing.is_empty(),
            "routes the API must serve but the OpenAPI document lacks: {missing:?}"
        );
        assert!(
            unlisted.is_empty(),
            "documented routes this test does not know (add them to EXPECTED_ROUTES and the catalogue): {unlisted:?}"
        );
        assert_eq!(
            EXPECTED_ROUTES.len(),
            expected.len(),
            "EXPECTED_ROUTES holds a duplicate"
        );

        // Every operation but health and login requires the bearer token, and documents its errors
        // as problem+json.
        for (method, path) in &documented {
            let op = &doc["paths"][path][method.to_lowercase()];
            let public = path == "/healthz" || path == "/readyz" || path == "/api/v1/auth/login";
            let secured = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|x| x.get("bearer").is_some()));
            assert_eq!(
                secured, !public,
                "{method} {path}: security {}",
                op["security"]
            );
            if let Some(responses) = op["responses"].as_object() {
                for (status, resp) in responses
                    .iter()
                    .filter(|(s, _)| s.starts_with('4') || s.starts_with('5'))
                {
                    let content = resp["content"]
                        .as_object()
                        .map(|c| c.keys().cloned().collect::<Vec<_>>())
                        .unwrap_or_default();
                    assert_eq!(
                        content,
                        vec!["application/problem+json".to_owned()],
                        "{method} {path} {status}: error content"
                    );
                }
            }
        }
        unknown_routes_and_methods_answer_problems(app).await;
    }
);

http!(every_documented_route_is_reachable_with_real_ids, |app| {
    let w = app.seed().await;
    let doc = app.get("/api-docs/openapi.json", None).await.ok_json(200);
    let endpoints = catalogue(&w);
    let mut routes: Vec<(String, String)> = documented(&doc).into_iter().collect();
    // Reads first, so the writes below cannot hide anything from them; deletions last.
    routes.sort_by_key(|(m, _)| match m.as_str() {
        "GET" => 0,
        "DELETE" => 2,
        _ => 1,
    });
    for (method, template) in &routes {
        let e = endpoints
            .iter()
            .find(|e| e.method.as_str() == method && e.template == template)
            .unwrap_or_else(|| {
                panic!("{method} {template} is documented but not in the catalogue")
            });
        // Ids substituted from the seeded world, as the catalogue's concrete path shows.
        assert!(
            !e.path.contains('{'),
            "{}: unsubstituted path {}",
            e.name(),
            e.path
        );
        let token = e
            .allowed
            .first()
            .map(|who| app.token(&who.principal(app.tenant, w.a.id)));
        let r = app
            .call(
                Method::from_bytes(method.as_bytes()).unwrap(),
                &e.path,
                token.as_deref(),
                e.body.as_ref(),
            )
            .await;
        assert!(
            !is_no_such_route(&r),
            "{}: {} answers the generic 404: {}",
            e.name(),
            e.path,
            r.body
        );
        assert!(r.status != 405, "{}: method not allowed", e.name());
        assert!(r.status < 500, "{}: {} {}", e.name(), r.status, r.body);
        if method == "GET" {
            // A read of an existing object through the right route always succeeds; a shadowing
            // `{id}` route would have answered 404 or 422 instead.
            r.expect(200);
        } else {
            assert!(
                r.status != 404,
                "{}: {} answered 404 for existing ids: {}",
                e.name(),
                e.path,
                r.body
            );
        }
    }

    // The fixed paths reach their own handlers, not `{id}`: they answer what only they answer.
    let op = app.operator_token();
    let op = Some(op.as_str());
    let csv = app
        .get(
            &format!(
                "/api/v1/partners/revenue/commissions/export.csv?partner_id={}",
                w.a.id
            ),
            op,
        )
        .await;
    assert_eq!(csv.content_type(), "text/csv", "export.csv");
    let st = app
        .get(
            &format!(
                "/api/v1/partners/revenue/payouts/{}/statement.csv?partner_id={}",
                w.b.payout, w.b.id
            ),
            op,
        )
        .await;
    assert_eq!(st.content_type(), "text/csv", "statement.csv");
    let metrics = app
        .get(
            &format!("/api/v1/partners/revenue/metrics?partner_id={}", w.b.id),
            op,
        )
        .await
        .ok_json(200);
    assert!(metrics["currencies"].is_array(), "metrics: {metrics}");
    let sim = app
        .post(
            "/api/v1/rules/simulate",
            op,
            &crate::catalogue::payment("p", &w.b.customer, "10.00", "2026-03-03T00:00:00Z"),
        )
        .await
        .ok_json(200);
    assert_eq!(sim["outcome"], "created");
    let run = app
        .post(
            "/api/v1/payouts/run",
            op,
            &serde_json::json!({"period_end": "2026-03-31T23:59:59Z"}),
        )
        .await
        .ok_json(200);
    assert!(run["created"].is_array());
    // `/partners/revenue` itself is nothing (and not partner "revenue").
    let r = app.get("/api/v1/partners/revenue", op).await;
    r.problem(404);
});

/// Unknown paths answer the generic 404 problem; known paths with another method a 404/405 problem.
async fn unknown_routes_and_methods_answer_problems(app: &TestApp) {
    let op = app.operator_token();
    for path in [
        "/api/v1",
        "/api/v1/nope",
        "/api/v2/partners",
        "/api/v1/partners/revenue/nope",
        "/api/v1/partners/revenue/commissions/export.json",
    ] {
        let r = app.get(path, Some(&op)).await;
        let status = r.status;
        assert!(status == 404, "{path}: {status} {}", r.body);
        r.problem(404);
    }
    let r = app.get("/api/v1/nope", Some(&op)).await;
    assert!(is_no_such_route(&r), "{}", r.body);
    // A known path with a method it does not serve is refused as a problem, never a 5xx.
    for (method, path) in [
        (Method::PUT, "/api/v1/partners"),
        (Method::DELETE, "/api/v1/commissions"),
        (Method::PATCH, "/api/v1/payouts/run"),
    ] {
        let r = app
            .call(
                method.clone(),
                path,
                Some(&op),
                Some(&serde_json::json!({})),
            )
            .await;
        assert!(
            r.status == 404 || r.status == 405,
            "{method} {path}: {} {}",
            r.status,
            r.body
        );
        revshare_tests::http::assert_problem_shape(&r);
    }
}

http!(
    a_documented_path_asked_with_another_method_answers_405_with_allow,
    |app| {
        let w = app.seed().await;
        let op = app.operator_token();
        let partner = format!("/api/v1/partners/{}", w.a.id);
        for (method, path, allow) in [
            (Method::PUT, "/api/v1/partners", "GET, POST"),
            (Method::DELETE, "/api/v1/commissions", "GET"),
            (Method::PATCH, "/api/v1/payouts/run", "POST"),
            // Fixed paths are not the `{id}` beside them.
            (Method::GET, "/api/v1/payouts/run", "POST"),
            (Method::PUT, "/api/v1/rules/simulate", "POST"),
            (
                Method::POST,
                "/api/v1/partners/revenue/commissions/export.csv",
                "GET",
            ),
            (Method::PUT, partner.as_str(), "GET, DELETE, PATCH"),
            (Method::POST, "/healthz", "GET"),
        ] {
            let r = app
                .call(
                    method.clone(),
                    path,
                    Some(&op),
                    Some(&serde_json::json!({})),
                )
                .await;
            let p = r.problem(405);
            assert_eq!(
                p["type"], "urn:revshare:problem:method-not-allowed",
                "{method} {path}"
            );
            assert_eq!(r.header("allow"), Some(allow), "{method} {path}: Allow");
        }
        // A malformed id is still nothing (404), and an unknown path is no route (404).
        app.get("/api/v1/payouts/zzz", Some(&op)).await.problem(404);
        assert!(is_no_such_route(&app.get("/api/v1/nope", Some(&op)).await));
        assert!(is_no_such_route(
            &app.call(Method::PUT, "/api/v1/nope", Some(&op), None).await
        ));
    }
);
