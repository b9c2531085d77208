//! An operator approves held commissions, runs payouts and completes one; the partner's
//! figures follow.

use revshare_tests::http::{OPERATOR_EMAIL, PASSWORD, TENANT_SLUG};

use crate::browser::Browser;
use crate::world::{assert_cards, member, pay};

/// The checkbox of the pending commission with invoice `invoice` on the approvals page.
async fn checkbox(b: &Browser, invoice: &str) -> fantoccini::elements::Element {
    b.find_xpath(&format!(
        "//tbody/tr[td[4][normalize-space()='{invoice}']]//input[@type='checkbox']"
    ))
    .await
}

/// The partner's own figures, on the revenue page after logging in as its owner.
async fn partner_sees(
    b: &Browser,
    app: &revshare_tests::http::TestApp,
    email: &str,
    token: &str,
    shot: &str,
) -> serde_json::Value {
    b.login(TENANT_SLUG, email, PASSWORD).await;
    assert_eq!(b.path().await, "/app/revenue");
    let api = assert_cards(b, app, token, "").await;
    b.screenshot(shot).await;
    b.logout().await;
    api
}

e2e!(operator_journey, |app, b| {
    // Partner A earns 50.00 at once; partner H holds its commissions for 30 days.
    let a = member(app, "P-A", "0.10", 0, Some("cust-a")).await;
    pay(app, "pay-a-1", "cust-a", "500.00", 3).await;
    let h = member(app, "P-H", "0.10", 30, Some("cust-h")).await;
    for (i, (amount, days)) in [("1000.00", 6), ("2000.00", 4), ("3000.00", 2)]
        .into_iter()
        .enumerate()
    {
        pay(app, &format!("pay-h-{}", i + 1), "cust-h", amount, days).await;
    }
    let h_token = h.token(app);
    let op = app.operator_token();

    // Before: everything of H's is on hold.
    let before = partner_sees(b, app, &h.email, &h_token, "partner-before").await;
    assert_eq!(
        (
            before["total_payouts"].as_str(),
            before["pending_amount"].as_str(),
            before["on_hold_amount"].as_str()
        ),
        (Some("0.00"), Some("0.00"), Some("600.00"))
    );

    // The operator logs in and sees the operator pages.
    b.login(TENANT_SLUG, OPERATOR_EMAIL, PASSWORD).await;
    assert_eq!(b.path().await, "/app/revenue");
    assert_eq!(b.text("header .who").await, "operator");
    assert_eq!(b.count("header nav a[href^='/app/operator']").await, 3);
    b.screenshot("revenue").await;
    b.click("header nav a[href='/app/operator/partners']").await;
    assert_eq!(b.text("main h1").await, "Partners");
    assert_eq!(b.count("main table tbody tr").await, 2);
    b.screenshot("partners").await;
    // From a partner's row to its revenue page: the operator sees what the partner sees.
    b.click(&format!(
        "a[href='/app/revenue?partner_id={}']",
        h.partner.uuid()
    ))
    .await;
    assert_cards(b, app, &op, &format!("partner_id={}", h.partner.uuid())).await;
    assert_eq!(
        b.attr("select[name=partner_id] option[selected]", "value")
            .await,
        h.partner.uuid().to_string()
    );
    b.screenshot("revenue-of-partner").await;

    // Approvals: the three held commissions; nothing selected is refused.
    b.click("header nav a[href='/app/operator/approvals']")
        .await;
    assert_eq!(b.count("main table tbody tr").await, 3);
    b.screenshot("approvals").await;
    b.click("button[name=action][value=approve]").await;
    assert_eq!(
        b.text("p.error[role=alert]").await,
        "Select at least one commission."
    );
    assert_eq!(b.count("main table tbody tr").await, 3);
    // Approve the 200.00 and 300.00 ones.
    for invoice in ["INV-pay-h-2", "INV-pay-h-3"] {
        let c = checkbox(b, invoice).await;
        b.tick(&c).await;
        assert!(
            c.is_selected().await.expect("checkbox state"),
            "{invoice} ticked"
        );
    }
    b.click("button[name=action][value=approve]").await;
    assert_eq!(
        b.text("p.notice[role=status]").await,
        "Approved 2 commissions."
    );
    assert_eq!(
        b.texts("main table tbody tr td:nth-child(4)").await,
        vec!["INV-pay-h-1"]
    );
    b.screenshot("approvals-done").await;

    // Payout runs: today's cut-off pays A and H.
    b.click("header nav a[href='/app/operator/payouts']").await;
    assert_eq!(b.text("main h1").await, "Payout runs");
    assert_eq!(
        b.attr("input[name=cutoff]", "value").await,
        crate::world::now().date().to_string()
    );
    b.screenshot("payout-runs").await;
    b.click("form[action='/app/operator/payouts/run'] button[type=submit]")
        .await;
    let notice = b.text("p.notice[role=status]").await;
    assert!(notice.starts_with("Made 2 payouts; 0 refused"), "{notice}");
    assert_eq!(b.count("main table tbody tr").await, 2);
    let payouts = app
        .get(
            &format!("/api/v1/payouts?partner_id={}", h.partner.uuid()),
            Some(&op),
        )
        .await
        .ok_json(200);
    let payout = &payouts.as_array().expect("payouts")[0];
    assert_eq!(
        (payout["status"].as_str(), payout["total_amount"].as_str()),
        (Some("pending"), Some("500.00"))
    );
    let id = payout["id"].as_str().expect("id").to_owned();
    let form = format!("form[action='/app/operator/payouts/{id}/move']");
    b.screenshot("payout-runs-made").await;

    // Meanwhile the partner sees 500.00 pending and 100.00 on hold.
    b.logout().await;
    let mid = partner_sees(b, app, &h.email, &h_token, "partner-after-run").await;
    assert_eq!(
        (
            mid["total_payouts"].as_str(),
            mid["pending_amount"].as_str(),
            mid["on_hold_amount"].as_str()
        ),
        (Some("0.00"), Some("500.00"), Some("100.00"))
    );

    // ready → processing → completed with a reference.
    b.login(TENANT_SLUG, OPERATOR_EMAIL, PASSWORD).await;
    b.open("/app/operator/payouts").await;
    b.click(&format!("{form} button[value=ready]")).await;
    assert_eq!(
        b.text("p.notice[role=status]").await,
        "Payout is now ready."
    );
    b.click(&format!("{form} button[value=processing]")).await;
    assert_eq!(
        b.text("p.notice[role=status]").await,
        "Payout is now processing."
    );
    b.screenshot("payout-processing").await;
    // Completing has its own form (with its own reference field) beside the failure form.
    let complete = format!("{form}:has(input[name=status][value=completed])");
    b.fill(&format!("{complete} input[name=text]"), "WIRE-2026-0042")
        .await;
    b.click(&format!("{complete} button[type=submit]")).await;
    assert_eq!(
        b.text("p.notice[role=status]").await,
        "Payout is now completed."
    );
    assert_eq!(
        b.count(&form).await,
        0,
        "a completed payout has no next step"
    );
    b.screenshot("payout-completed").await;
    let done = app
        .get(&format!("/api/v1/payouts/{id}"), Some(&op))
        .await
        .ok_json(200);
    assert_eq!(
        (done["status"].as_str(), done["payment_reference"].as_str()),
        (Some("completed"), Some("WIRE-2026-0042"))
    );
    // A's payout was left alone.
    let a_payouts = app
        .get(
            &format!("/api/v1/payouts?partner_id={}", a.partner.uuid()),
            Some(&op),
        )
        .await
        .ok_json(200);
    assert_eq!(a_payouts[0]["status"], "pending");
    b.logout().await;

    // After: 500.00 paid out this month, nothing pending, 100.00 still on hold.
    let after = partner_sees(b, app, &h.email, &h_token, "partner-after-completion").await;
    assert_eq!(
        (
            after["total_payouts"].as_str(),
            after["pending_amount"].as_str(),
            after["on_hold_amount"].as_str()
        ),
        (Some("500.00"), Some("0.00"), Some("100.00"))
    );
    // The partner's payouts page shows the reference.
    b.login(TENANT_SLUG, &h.email, PASSWORD).await;
    b.click("header nav a[href='/app/payouts']").await;
    assert_eq!(
        b.texts("main table tbody tr td:nth-child(7)").await,
        vec!["WIRE-2026-0042"]
    );
    assert_eq!(b.texts("main table tbody .badge").await, vec!["completed"]);
    b.screenshot("partner-payouts").await;
});
