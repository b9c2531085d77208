//! A partner without a single commission sees the empty states, not zeros and broken charts.

use revshare_tests::http::{PASSWORD, TENANT_SLUG};

use crate::world::{api_commissions, member};

e2e!(empty_partner, |app, b| {
    let m = member(app, "P-E", "0.10", 0, None).await;
    let token = m.token(app);
    let api = app
        .get("/api/v1/partners/revenue/metrics", Some(&token))
        .await
        .ok_json(200);
    assert_eq!(api["currencies"], serde_json::json!([]), "{api}");

    b.login(TENANT_SLUG, &m.email, PASSWORD).await;
    assert_eq!(b.path().await, "/app/revenue");
    assert_eq!(b.text("main .empty h2").await, "Nothing here yet");
    assert!(
        b.text("main .empty p")
            .await
            .starts_with("Commissions appear here when the customers you brought pay"),
        "the partner's empty state, not the operator's"
    );
    assert_eq!(b.count("[data-metric]").await, 0, "no cards");
    assert_eq!(b.count("svg.chart").await, 0, "no chart");
    // The period controls stay, so another period can be tried.
    assert_eq!(b.count("nav.presets a").await, 4);
    b.screenshot("revenue").await;
    b.click("nav.presets a[href*='preset=year_to_date']").await;
    assert_eq!(b.text("main .empty h2").await, "Nothing here yet");

    b.click("header nav a[href='/app/commissions']").await;
    assert_eq!(b.text("form.filters + p").await, "0 commissions");
    assert!(
        b.text("main div.empty")
            .await
            .starts_with("No commissions match.")
    );
    assert_eq!(b.count("main table").await, 0);
    assert_eq!(api_commissions(app, &token, "").await.1, 0);
    b.screenshot("commissions").await;

    b.click("header nav a[href='/app/payouts']").await;
    assert!(
        b.text("main div.empty")
            .await
            .starts_with("No payouts yet.")
    );
    assert_eq!(b.count("main table").await, 0);
    b.screenshot("payouts").await;
});
