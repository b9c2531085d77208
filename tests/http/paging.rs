//! Lists paged by cursor: `cursor` in, `X-Next-Cursor` and `Link: rel="next"` out, no
//! `X-Total-Count` on cursor pages; bad cursors and cursor with offset are 422 problems about
//! `cursor`; a cursor is a position only, so another partner's or tenant's cursor shows nothing
//! beyond the caller's own list.

use revshare_domain::partner::PartnerUserRole;
use revshare_tests::http;
use revshare_tests::http::{Reply, TestApp};
use serde_json::Value;

use crate::catalogue::payment;

const PORTAL: &str = "/api/v1/partners/revenue/commissions";

fn ids(r: &Reply) -> Vec<String> {
    r.ok_json(200)
        .as_array()
        .expect("a JSON list")
        .iter()
        .map(|x| x["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// Follows `Link: rel="next"` from `first` to the end; checks every page's headers.
async fn walk(app: &TestApp, first: &str, token: &str, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut path = first.to_owned();
    let mut pages = 0;
    loop {
        let r = app.get(&path, Some(token)).await;
        let page = ids(&r);
        assert!(page.len() <= limit, "{path}: {} rows", page.len());
        out.extend(page.iter().cloned());
        let counted = r.header("x-total-count").is_some();
        assert_eq!(
            counted,
            !path.contains("cursor="),
            "{path}: X-Total-Count on offset pages only"
        );
        pages += 1;
        assert!(pages <= 100, "{first}: the walk does not end");
        let (Some(cursor), Some(link)) = (r.header("x-next-cursor"), r.header("link")) else {
            assert!(r.header("x-next-cursor").is_none() && r.header("link").is_none());
            break;
        };
        assert_eq!(page.len(), limit, "{path}: a short page with a next one");
        assert_eq!(cursor.len(), 34, "{cursor}");
        let expose = r.header("access-control-expose-headers").unwrap_or("");
        assert!(expose.contains("X-Next-Cursor"), "{expose}");
        // `<path?…&cursor=…>; rel="next"`: the same query, offset dropped, the cursor added.
        let target = link
            .strip_prefix('<')
            .and_then(|l| l.strip_suffix(">; rel=\"next\""))
            .unwrap_or_else(|| panic!("{path}: Link {link}"));
        assert!(target.ends_with(&format!("cursor={cursor}")), "{link}");
        assert!(!target.contains("offset="), "{link}");
        assert_eq!(target.matches("cursor=").count(), 1, "{link}");
        path = target.to_owned();
    }
    out
}

/// Ten more commissions for partner A, all at one instant, so pages split ties.
async fn tie(app: &TestApp, customer: &str) {
    for i in 0..10 {
        app.post(
            "/api/v1/ingest/payments",
            Some(&app.billing_token()),
            &payment(
                &format!("tie-{i}"),
                customer,
                "10.00",
                "2026-03-03T12:00:00Z",
            ),
        )
        .await
        .expect(201);
    }
}

http!(lists_page_by_cursor_with_next_headers, |app| {
    let w = app.seed().await;
    tie(app, &w.a.customer).await;
    let owner = app.partner_token(w.a.id, PartnerUserRole::Owner);
    let op = app.operator_token();
    let everything = app.get(&format!("{PORTAL}?limit=500"), Some(&owner)).await;
    assert_eq!(everything.total(), 12);
    let want = ids(&everything);
    assert!(everything.header("x-next-cursor").is_none());
    for limit in [1, 5, 12] {
        // From an offset page into cursor pages, and cursor pages only.
        assert_eq!(
            walk(app, &format!("{PORTAL}?limit={limit}"), &owner, limit).await,
            want,
            "portal, limit {limit}"
        );
        assert_eq!(
            walk(
                app,
                &format!("{PORTAL}?limit={limit}&offset=0&partner_id={}", w.a.id),
                &op,
                limit
            )
            .await,
            want,
            "portal as operator, limit {limit}"
        );
        assert_eq!(
            walk(
                app,
                &format!("/api/v1/commissions?partner_id={}&limit={limit}", w.a.id),
                &op,
                limit
            )
            .await,
            want,
            "operator list, limit {limit}"
        );
    }
    // With a status filter (three of the tied rows rejected), the walk keeps the filter.
    app.post(
        "/api/v1/commissions/reject",
        Some(&op),
        &serde_json::json!({"ids": [want[0], want[4], want[7]], "reason": "test"}),
    )
    .await
    .expect(200);
    let approved = ids(&app
        .get(&format!("{PORTAL}?limit=500&status=approved"), Some(&owner))
        .await);
    assert!(approved.len() >= 8, "{approved:?}");
    assert!(!approved.contains(&want[4]));
    assert_eq!(
        walk(app, &format!("{PORTAL}?status=approved&limit=3"), &owner, 3).await,
        approved
    );
    // Payouts: the tenant's two, one per page; the portal's one.
    let payouts = ids(&app.get("/api/v1/payouts", Some(&op)).await);
    assert_eq!(payouts.len(), 2);
    assert_eq!(walk(app, "/api/v1/payouts?limit=1", &op, 1).await, payouts);
    assert_eq!(
        walk(app, "/api/v1/partners/revenue/payouts?limit=1", &owner, 1).await,
        vec![w.a.payout.to_string()]
    );
    // An empty `cursor` is no cursor: an offset page, counted.
    let r = app
        .get(&format!("{PORTAL}?cursor=&limit=2"), Some(&owner))
        .await;
    assert_eq!(r.total(), 12);
    assert_eq!(ids(&r), want[..2]);
});

http!(
    bad_cursors_and_cursor_with_offset_are_422_about_cursor,
    |app| {
        let w = app.seed().await;
        let op = app.operator_token();
        let op = Some(op.as_str());
        let a = w.a.id;
        let next = app
            .get(&format!("{PORTAL}?partner_id={a}&limit=1"), op)
            .await
            .header("x-next-cursor")
            .expect("a next cursor")
            .to_owned();
        let padded = format!("{next}==");
        let flipped = format!("B{}", &next[1..]);
        for path in [
            "/api/v1/commissions".to_owned(),
            "/api/v1/payouts".to_owned(),
            format!("{PORTAL}?partner_id={a}"),
            format!("/api/v1/partners/revenue/payouts?partner_id={a}"),
        ] {
            let sep = if path.contains('?') { '&' } else { '?' };
            for q in [
                "cursor=garbage".to_owned(),
                "cursor=%00%FF".to_owned(),
                format!("cursor={}", "A".repeat(5000)),
                format!("cursor={padded}"),
                format!("cursor={flipped}"),
                format!("cursor={}", &next[..33]),
                format!("cursor={next}&offset=0"),
                format!("offset=5&cursor={next}"),
            ] {
                let r = app.get(&format!("{path}{sep}{q}"), op).await;
                let p = r.invalid("cursor");
                assert!(
                    !r.body.contains(&"A".repeat(100)),
                    "the cursor is not echoed: {p}"
                );
            }
            // The limit still applies to cursor pages.
            app.get(&format!("{path}{sep}cursor={next}&limit=501"), op)
                .await
                .invalid("limit");
            app.get(&format!("{path}{sep}cursor={next}&limit=1"), op)
                .await
                .expect(200);
        }
    }
);

http!(a_cursor_is_a_position_not_a_way_into_other_lists, |app| {
    let w = app.seed().await;
    let op = app.operator_token();
    // B's newest commission as the position (a later day than A's newest).
    app.post(
        "/api/v1/ingest/payments",
        Some(&app.billing_token()),
        &payment("b-late", &w.b.customer, "10.00", "2026-03-09T00:00:00Z"),
    )
    .await
    .expect(201);
    let b_page = app
        .get(
            &format!("{PORTAL}?partner_id={}&limit=1", w.b.id),
            Some(&op),
        )
        .await;
    let b_cursor = b_page
        .header("x-next-cursor")
        .expect("B has more")
        .to_owned();
    let a_owner = app.partner_token(w.a.id, PartnerUserRole::Owner);
    let a_all = ids(&app.get(PORTAL, Some(&a_owner)).await);
    // A's user with B's cursor: A's rows after that position (all of A's), nothing of B's.
    let r = app
        .get(&format!("{PORTAL}?cursor={b_cursor}"), Some(&a_owner))
        .await;
    assert_eq!(ids(&r), a_all);
    for hidden in w.b.commissions.iter().map(ToString::to_string) {
        assert!(!r.body.contains(&hidden), "B's {hidden} leaked");
    }
    assert!(r.header("x-total-count").is_none());
    // Naming B is refused as without a cursor.
    let named = app
        .get(
            &format!("{PORTAL}?partner_id={}&cursor={b_cursor}", w.b.id),
            Some(&a_owner),
        )
        .await;
    let plain = app
        .get(&format!("{PORTAL}?partner_id={}", w.b.id), Some(&a_owner))
        .await;
    assert_eq!(named.status, plain.status);
    assert!(named.status == 403 || named.status == 404, "{}", named.body);
    // Another tenant's operator with this tenant's cursor sees its own (empty) lists.
    let other = app.other_operator_token();
    for path in ["/api/v1/commissions", "/api/v1/payouts"] {
        let r = app
            .get(&format!("{path}?cursor={b_cursor}"), Some(&other))
            .await;
        let rows: Value = r.ok_json(200);
        for hidden in w.secrets() {
            assert!(!r.body.contains(&hidden), "{path}: {hidden} leaked: {rows}");
        }
    }
});

http!(the_document_describes_cursor_paging, |app| {
    let doc = app.get("/api-docs/openapi.json", None).await.ok_json(200);
    for path in [
        "/api/v1/commissions",
        "/api/v1/payouts",
        PORTAL,
        "/api/v1/partners/revenue/payouts",
    ] {
        let op = &doc["paths"][path]["get"];
        let params = op["parameters"].as_array().expect("parameters");
        assert!(
            params
                .iter()
                .any(|p| p["name"] == "cursor" && p["in"] == "query"),
            "{path}: no cursor parameter"
        );
        let headers = op["responses"]["200"]["headers"]
            .as_object()
            .unwrap_or_else(|| panic!("{path}: no headers"));
        for h in ["X-Total-Count", "X-Next-Cursor", "Link"] {
            assert!(headers.contains_key(h), "{path}: {h} undocumented");
        }
    }
});
