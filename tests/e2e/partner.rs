//! A partner user's journey through the dashboard.

use revshare_domain::value::start_of_month;
use revshare_tests::http::{PASSWORD, TENANT_SLUG};
use time::Duration;

use crate::browser::{Browser, DESKTOP, PHONE};
use crate::world::{
    api_commissions, assert_cards, column, csv_rows, ids, now, revenue_world, rfc3339,
};

/// The period presets: link text, `preset` value, and the API query of the same period.
fn presets() -> Vec<(&'static str, &'static str, String)> {
    let now = now();
    let this_month = start_of_month(now);
    let last_month = start_of_month(this_month - Duration::days(1));
    vec![
        (
            "Last month",
            "last_month",
            format!(
                "period_start={}&period_end={}",
                last_month.date(),
                this_month.date()
            ),
        ),
        (
            "Last 90 days",
            "last_90_days",
            format!("period_start={}", rfc3339(now - Duration::days(90))),
        ),
        (
            "Year to date",
            "year_to_date",
            format!("period_start={}-01-01", now.year()),
        ),
        ("This month", "this_month", String::new()),
    ]
}

/// Writes `docs/screenshots/revenue.png` when asked to.
fn update_docs_screenshot(png: &[u8]) {
    if std::env::var("REVSHARE_UPDATE_SCREENSHOTS").as_deref() != Ok("1") {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
    std::fs::create_dir_all(&dir).expect("docs/screenshots");
    std::fs::write(dir.join("revenue.png"), png).expect("write docs/screenshots/revenue.png");
}

async fn commission_rows(b: &Browser) -> usize {
    b.count("main table tbody tr").await
}

e2e!(partner_journey, |app, b| {
    let w = revenue_world(app).await;
    let token = w.member.token(app);

    // Logged out, the dashboard leads to the login form.
    b.open("/app/revenue").await;
    assert_eq!(b.path().await, "/login");
    b.screenshot("login").await;

    // A wrong password is refused with one message, and the organisation is kept.
    b.login(TENANT_SLUG, &w.member.email, "not the password")
        .await;
    assert!(
        b.path().await.starts_with("/login?error=invalid"),
        "{}",
        b.path().await
    );
    assert_eq!(
        b.text("p.error[role=alert]").await,
        "Unknown account or wrong password."
    );
    assert_eq!(b.attr("input[name=tenant]", "value").await, TENANT_SLUG);
    b.screenshot("login-refused").await;

    // The right one opens the revenue page on this month.
    b.login(TENANT_SLUG, &w.member.email, PASSWORD).await;
    assert_eq!(b.path().await, "/app/revenue");
    assert_eq!(b.text("main h1").await, "Revenue");
    assert_eq!(b.text("header .who").await, "partner");
    assert_eq!(
        b.text("nav.presets a[aria-current='true']").await,
        "This month"
    );
    assert_cards(b, app, &token, "").await;
    // A partner user sees no partner picker and no operator links.
    assert_eq!(b.count("select[name=partner_id]").await, 0);
    assert_eq!(b.count("header nav a[href^='/app/operator']").await, 0);
    b.screenshot("revenue-this-month").await;

    // Every preset: the cards follow the API over the same period.
    for (label, key, query) in presets() {
        b.click(&format!("nav.presets a[href*='preset={key}']"))
            .await;
        assert_eq!(b.path().await, format!("/app/revenue?preset={key}"));
        assert_eq!(b.text("nav.presets a[aria-current='true']").await, label);
        let api = assert_cards(b, app, &token, &query).await;
        if key == "last_90_days" {
            // 28 commissions in the last 55 days, 27 of them earned (one was rejected).
            assert_eq!(api["total_commission_count"], 27, "{api}");
            assert_eq!(api["total_payouts"], "2000.00", "{api}");
            assert!(
                b.count("svg.chart").await == 1,
                "a chart when there is data"
            );
            assert!(
                b.count("svg.chart rect.bar-commissions").await >= 2,
                "bars per month"
            );
            assert!(b.count("svg.chart rect.bar-payouts").await >= 2);
            assert_eq!(b.count("p.legend .swatch").await, 2);
            let png = b.screenshot("revenue-last-90-days").await;
            if app.ctx.backend == revshare_tests::Backend::Sqlite {
                update_docs_screenshot(&png);
            }
        } else {
            b.screenshot(&format!("revenue-{}", key.replace('_', "-")))
                .await;
        }
    }

    // A custom range through the form: from 60 days ago to 10 days ago, both inclusive.
    let today = now().date();
    let (from, to) = (today - Duration::days(60), today - Duration::days(10));
    b.set_value("form.filters input[name=from]", &from.to_string())
        .await;
    b.set_value("form.filters input[name=to]", &to.to_string())
        .await;
    b.click("form.filters button[type=submit]").await;
    let path = b.path().await;
    assert!(
        path.starts_with("/app/revenue?preset=custom&")
            && path.contains(&format!("&from={from}&to={to}")),
        "{path}"
    );
    assert_eq!(b.count("nav.presets a[aria-current='true']").await, 0);
    assert_eq!(b.attr("input[name=from]", "value").await, from.to_string());
    assert_eq!(b.attr("input[name=to]", "value").await, to.to_string());
    let api = assert_cards(
        b,
        app,
        &token,
        &format!("period_start={from}&period_end={}", to + Duration::days(1)),
    )
    .await;
    // Payments 11, 13, …, 55 days ago: 23, less the rejected one (5 days ago is outside).
    assert_eq!(api["total_commission_count"], 23, "{api}");
    assert_eq!(b.count("svg.chart").await, 1);
    b.screenshot("revenue-custom").await;

    // The same page at phone width.
    b.resize(PHONE).await;
    b.open("/app/revenue?preset=last_90_days").await;
    let overflow = b
        .eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
        .await;
    b.screenshot("revenue-phone").await;
    assert_eq!(
        overflow, 0,
        "the revenue page scrolls sideways at {PHONE:?}"
    );
    b.resize(DESKTOP).await;

    // Commissions: 32 in all, two pages.
    b.click("header nav a[href='/app/commissions']").await;
    assert_eq!(b.text("main h1").await, "Commissions");
    assert_eq!(b.text("form.filters + p").await, "32 commissions");
    assert_eq!(commission_rows(b).await, 25);
    assert_eq!(b.text("nav.pager span").await, "Page 1 of 2");
    assert_eq!(b.count("nav.pager a[rel=prev]").await, 0);
    b.screenshot("commissions").await;
    b.click("nav.pager a[rel=next]").await;
    assert_eq!(b.text("nav.pager span").await, "Page 2 of 2");
    assert_eq!(commission_rows(b).await, 7);
    assert_eq!(b.count("nav.pager a[rel=next]").await, 0);
    b.screenshot("commissions-page-2").await;
    b.click("nav.pager a[rel=prev]").await;
    assert_eq!(b.text("nav.pager span").await, "Page 1 of 2");
    assert_eq!(commission_rows(b).await, 25);

    // Filtered by status: the API's count, every row approved, on both pages.
    let (approved, total) = api_commissions(app, &token, "status=approved").await;
    assert_eq!(total, 27);
    b.choose("select[name=status]", "approved").await;
    b.click("form.filters button[type=submit]").await;
    assert!(
        b.path().await.contains("status=approved"),
        "{}",
        b.path().await
    );
    assert_eq!(b.text("form.filters + p").await, "27 commissions");
    assert_eq!(
        b.texts("main table tbody .badge").await,
        vec!["approved"; 25]
    );
    b.screenshot("commissions-approved").await;
    b.click("nav.pager a[rel=next]").await;
    assert!(
        b.path().await.contains("status=approved"),
        "the pager keeps the filter"
    );
    assert_eq!(b.text("nav.pager span").await, "Page 2 of 2");
    assert_eq!(
        b.texts("main table tbody .badge").await,
        vec!["approved"; 2]
    );
    b.click("nav.pager a[rel=prev]").await;
    assert_eq!(commission_rows(b).await, 25);

    // The CSV link downloads the filtered rows, all of them.
    let href = b
        .attr("form.filters a[href*='commissions.csv']", "href")
        .await;
    assert!(href.contains("status=approved"), "{href}");
    let csv = b.fetch(&href).await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    assert!(
        csv.content_type.starts_with("text/csv"),
        "{}",
        csv.content_type
    );
    assert!(
        csv.disposition.starts_with("attachment"),
        "{}",
        csv.disposition
    );
    let rows = csv_rows(&csv.body);
    let (status, id) = (column(&rows[0], "status"), column(&rows[0], "id"));
    assert_eq!(rows.len(), 1 + 27, "{}", csv.body);
    assert!(
        rows[1..].iter().all(|r| r[status] == "approved"),
        "{}",
        csv.body
    );
    let mut got: Vec<String> = rows[1..].iter().map(|r| r[id].clone()).collect();
    let mut want = approved;
    got.sort();
    want.sort();
    assert_eq!(got, want, "the CSV holds the filtered commissions");

    // Searching by invoice number finds the one commission.
    b.choose("select[name=status]", "").await;
    b.fill("input[name=q]", "INV-pay-27").await;
    b.click("form.filters button[type=submit]").await;
    // (The page says "1 commissions": no singular.)
    assert!(b.text("form.filters + p").await.starts_with("1 commission"));
    assert_eq!(commission_rows(b).await, 1);
    assert_eq!(
        b.text("main table tbody tr td:nth-child(3)").await,
        "INV-pay-27"
    );
    // 10 % of 1,000.00 + 27 × 125.50 = 4,388.50.
    assert_eq!(
        b.text("main table tbody tr td:nth-child(7)").await,
        "438.85 USD"
    );
    assert_eq!(b.text("main table tbody tr td:nth-child(6)").await, "10 %");
    b.screenshot("commissions-search").await;
    let csv = b
        .fetch(
            &b.attr("form.filters a[href*='commissions.csv']", "href")
                .await,
        )
        .await;
    let rows = csv_rows(&csv.body);
    assert_eq!(rows.len(), 2, "{}", csv.body);
    assert_eq!(rows[1][column(&rows[0], "invoice")], "INV-pay-27");
    let (found, n) = api_commissions(app, &token, "search=INV-pay-27").await;
    assert_eq!(
        (n, rows[1][column(&rows[0], "id")].clone()),
        (1, found[0].clone())
    );

    // Payouts: the completed one's page and its statement.
    b.click("header nav a[href='/app/payouts']").await;
    assert_eq!(b.text("main h1").await, "Payouts");
    assert_eq!(commission_rows(b).await, 2);
    let mut badges = b.texts("main table tbody .badge").await;
    badges.sort();
    assert_eq!(badges, vec!["completed", "pending"]);
    b.screenshot("payouts").await;
    let details = b
        .find_xpath(
            "//tbody/tr[.//span[normalize-space()='completed']]//a[normalize-space()='Details']",
        )
        .await;
    b.click_element(details).await;
    assert!(
        b.path()
            .await
            .starts_with(&format!("/app/payouts/{}", w.completed.uuid())),
        "{}",
        b.path().await
    );
    assert!(b.text("main h1").await.starts_with("Payout of "));
    assert_eq!(
        b.text("main .cards .card:first-child .value").await,
        "2,000.00 USD"
    );
    assert!(b.text("main .cards").await.contains("WIRE-0001"));
    assert_eq!(b.texts("main table tbody .badge").await, vec!["paid"; 4]);
    b.screenshot("payout").await;
    let href = b.attr("a[href$='statement.csv']", "href").await;
    let statement = b.fetch(&href).await;
    assert_eq!(statement.status, 200, "{}", statement.body);
    assert!(statement.content_type.starts_with("text/csv"));
    assert!(
        statement
            .disposition
            .contains(&format!("payout-{}.csv", w.completed.uuid())),
        "{}",
        statement.disposition
    );
    let rows = csv_rows(&statement.body);
    assert_eq!(rows.len(), 1 + 4, "{}", statement.body);
    let (id, payout, status, amount) = (
        column(&rows[0], "id"),
        column(&rows[0], "payout"),
        column(&rows[0], "status"),
        column(&rows[0], "commission"),
    );
    let mut got: Vec<String> = rows[1..].iter().map(|r| r[id].clone()).collect();
    let mut want = ids(&w.completed_lines);
    got.sort();
    want.sort();
    assert_eq!(got, want);
    for r in &rows[1..] {
        assert_eq!(
            (r[payout].as_str(), r[status].as_str(), r[amount].as_str()),
            (w.completed.uuid().to_string().as_str(), "paid", "500.00")
        );
    }
    // The pending payout's page too.
    b.open(&format!("/app/payouts/{}", w.pending.uuid())).await;
    assert_eq!(
        b.texts("main table tbody .badge").await,
        vec!["approved"; 8]
    );

    // Operator pages are refused, in the browser and to a download.
    for path in [
        "/app/operator/partners",
        "/app/operator/approvals",
        "/app/operator/payouts",
    ] {
        b.open(path).await;
        assert_eq!(b.text("main h1").await, "Not allowed", "{path}");
        assert_eq!(b.fetch(path).await.status, 403, "{path}");
    }
    b.screenshot("operator-refused").await;

    // Logging out ends the session.
    b.open("/app/revenue").await;
    b.logout().await;
    b.open("/app/commissions").await;
    assert_eq!(b.path().await, "/login");
});
