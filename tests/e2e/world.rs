//! The worlds the browser looks at, seeded through the engine on the wall clock (the server's
//! pages read the real clock, so "this month" and "last 90 days" must hold real dates), and the
//! API answers the pages are compared with.

use std::sync::OnceLock;

use revshare_domain::partner::PartnerUserRole;
use revshare_domain::usecase::{NewPartnerUser, PayoutBatchOutcome, PayoutMove, PayoutRequest};
use revshare_domain::value::{Currency, EventId, PartnerId, PayoutId};
use revshare_tests::fixtures::{operator, share, usd};
use revshare_tests::http::{TestApp, password_hash};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::browser::Browser;

/// The four metric cards of the revenue page, by `data-metric`.
pub const METRICS: [&str; 4] = [
    "total_commissions",
    "total_payouts",
    "pending_amount",
    "on_hold_amount",
];

/// Now, to the second, as of the first call in this test process: seeds "N days ago" and the
/// dates a test then asks about agree even when a run crosses midnight (one did: the seeds were
/// dated before it, the custom range after, and the range held one payment too many).
pub fn now() -> OffsetDateTime {
    static FIRST: OnceLock<OffsetDateTime> = OnceLock::new();
    *FIRST.get_or_init(|| {
        OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .expect("whole seconds")
    })
}

/// RFC 3339 text of an instant.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("RFC 3339")
}

/// How the pages show an amount: `12,500.50 USD` (written here independently of the pages).
pub fn shown(plain: &str, currency: &str) -> String {
    let (sign, digits) = plain.strip_prefix('-').map_or(("", plain), |d| ("-", d));
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if frac.is_empty() {
        format!("{sign}{grouped} {currency}")
    } else {
        format!("{sign}{grouped}.{frac} {currency}")
    }
}

#[test]
fn amounts_are_shown_grouped_with_their_currency() {
    assert_eq!(shown("12500.50", "USD"), "12,500.50 USD");
    assert_eq!(shown("100.00", "USD"), "100.00 USD");
    assert_eq!(shown("-1234567.5", "USD"), "-1,234,567.5 USD");
    assert_eq!(shown("0.00", "USD"), "0.00 USD");
}

/// A partner whose owner can log in with the seeded password.
#[derive(Debug, Clone)]
pub struct Member {
    /// The partner.
    pub partner: PartnerId,
    /// The owner's e-mail.
    pub email: String,
}

impl Member {
    /// An API token of the partner's owner.
    pub fn token(&self, app: &TestApp) -> String {
        app.partner_token(self.partner.uuid(), PartnerUserRole::Owner)
    }
}

/// An active partner `number` with `rate` and `hold_days`, its owner, and (unless `customer`
/// is `None`) an attributed customer since long ago.
pub async fn member(
    app: &TestApp,
    number: &str,
    rate: &str,
    hold_days: u32,
    customer: Option<&str>,
) -> Member {
    let ctx = &app.ctx;
    ctx.clock.set(now());
    let p = ctx
        .active_partner(app.tenant, number, Some(share(rate)), hold_days)
        .await;
    let email = format!("owner@{}.partners.test", number.to_lowercase());
    ctx.engine
        .add_partner_user(
            app.tenant,
            &operator(),
            p.id,
            NewPartnerUser {
                email: email.clone(),
                name: format!("Owner of {number}"),
                role: PartnerUserRole::Owner,
            },
            password_hash(),
        )
        .await
        .expect("add the owner");
    if let Some(c) = customer {
        ctx.attribute(
            app.tenant,
            p.id,
            c,
            &rfc3339(now() - Duration::days(400)),
            None,
        )
        .await;
    }
    Member {
        partner: p.id,
        email,
    }
}

/// Records a payment of `amount` USD by `customer` `days_ago` days ago (its invoice number is
/// `INV-<payment_id>`) and returns the commission.
pub async fn pay(
    app: &TestApp,
    payment_id: &str,
    customer: &str,
    amount: &str,
    days_ago: i64,
) -> EventId {
    app.ctx.clock.set(now());
    app.ctx
        .pay(
            app.tenant,
            payment_id,
            customer,
            usd(amount),
            &rfc3339(now() - Duration::days(days_ago)),
        )
        .await
        .commission_id
        .unwrap_or_else(|| panic!("{payment_id} earned no commission"))
}

/// Makes a payout of the partner's approved commissions dated up to `days_ago` days ago.
pub async fn payout(app: &TestApp, partner: PartnerId, days_ago: i64) -> PayoutId {
    app.ctx.clock.set(now());
    let outcome = app
        .ctx
        .engine
        .create_payout(
            app.tenant,
            &operator(),
            PayoutRequest {
                partner_id: partner,
                currency: Currency::USD,
                period_start: None,
                period_end: now() - Duration::days(days_ago),
                payment_method: "bank_transfer".into(),
            },
        )
        .await
        .expect("payout");
    match outcome {
        PayoutBatchOutcome::Created(p) => p.id,
        other => panic!("payout refused: {other:?}"),
    }
}

/// Moves a payout to completed now, with `reference`.
pub async fn complete(app: &TestApp, id: PayoutId, reference: &str) {
    app.ctx.clock.set(now());
    for mv in [
        PayoutMove::Ready,
        PayoutMove::Processing,
        PayoutMove::Complete {
            payment_reference: reference.into(),
        },
    ] {
        app.ctx
            .engine
            .move_payout(app.tenant, &operator(), id, mv)
            .await
            .expect("move the payout");
    }
}

/// The revenue world of one partner (`P-R`, 10 %, no hold):
/// - four payments of 5,000.00 120–150 days ago, paid out in a payout completed today
///   (reference `WIRE-0001`);
/// - 28 payments 1, 3, …, 55 days ago (invoices `INV-pay-01` … `INV-pay-28`, amounts
///   1,000.00 + k × 125.50), the one of `INV-pay-03` rejected, those 41 days old and older in
///   a pending payout.
///
/// So 32 commissions: 4 paid, 27 approved (two pages of 25), 1 rejected.
#[derive(Debug, Clone)]
pub struct RevenueWorld {
    /// The partner and its owner.
    pub member: Member,
    /// The completed payout.
    pub completed: PayoutId,
    /// Its commissions.
    pub completed_lines: Vec<EventId>,
    /// The pending payout.
    pub pending: PayoutId,
}

/// Seeds [`RevenueWorld`].
pub async fn revenue_world(app: &TestApp) -> RevenueWorld {
    let m = member(app, "P-R", "0.10", 0, Some("cust-r")).await;
    let mut completed_lines = Vec::new();
    for (i, days) in [150, 140, 130, 120].into_iter().enumerate() {
        completed_lines.push(pay(app, &format!("old-{i}"), "cust-r", "5000.00", days).await);
    }
    let completed = payout(app, m.partner, 100).await;
    complete(app, completed, "WIRE-0001").await;
    let mut recent = Vec::new();
    for k in 1..=28i64 {
        let amount = format!("{}.{:02}", 1000 + k * 125 + k / 2, (k % 2) * 50);
        recent.push(pay(app, &format!("pay-{k:02}"), "cust-r", &amount, 2 * k - 1).await);
    }
    app.ctx
        .engine
        .reject(app.tenant, &operator(), &[recent[2]], "duplicate invoice")
        .await
        .expect("reject");
    let pending = payout(app, m.partner, 40).await;
    RevenueWorld {
        member: m,
        completed,
        completed_lines,
        pending,
    }
}

/// The API's USD figures for the partner over `query` (`period_start=…&period_end=…`, or
/// empty for this month).
pub async fn api_metrics(app: &TestApp, token: &str, query: &str) -> Value {
    let m = app
        .get(
            &format!("/api/v1/partners/revenue/metrics?{query}"),
            Some(token),
        )
        .await
        .ok_json(200);
    let currencies = m["currencies"].as_array().expect("currencies");
    assert_eq!(currencies.len(), 1, "one currency: {m}");
    assert_eq!(currencies[0]["currency"], "USD");
    currencies[0].clone()
}

/// Asserts that the revenue page's cards show the API's figures over `query`; returns them.
pub async fn assert_cards(b: &Browser, app: &TestApp, token: &str, query: &str) -> Value {
    let api = api_metrics(app, token, query).await;
    assert_eq!(
        b.count("section [data-metric='total_commissions']").await,
        1,
        "{}: one currency section",
        b.path().await
    );
    for key in METRICS {
        let card = b.text(&format!("[data-metric='{key}'] .value")).await;
        let want = shown(api[key].as_str().expect("an amount"), "USD");
        assert_eq!(
            card,
            want,
            "{}: card {key} (API over {query:?}: {api})",
            b.path().await
        );
    }
    assert_eq!(
        b.text("[data-metric='total_commissions'] .sub").await,
        format!(
            "{} commissions in the period",
            api["total_commission_count"]
        ),
        "{}: commission count",
        b.path().await
    );
    api
}

/// The API's commissions of the partner (`status=…` or `search=…`), ids in order, and the total.
pub async fn api_commissions(app: &TestApp, token: &str, query: &str) -> (Vec<String>, u64) {
    let r = app
        .get(
            &format!("/api/v1/partners/revenue/commissions?limit=500&{query}"),
            Some(token),
        )
        .await;
    let total = r.total();
    let ids = r
        .ok_json(200)
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .collect();
    (ids, total)
}

/// A CSV document as rows of cells (no quoted cells are expected in these worlds).
pub fn csv_rows(body: &str) -> Vec<Vec<String>> {
    body.lines()
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

/// The index of `name` in a CSV header.
pub fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

/// Ids of the given commissions, as text.
pub fn ids(events: &[EventId]) -> Vec<String> {
    events.iter().map(|e| e.uuid().to_string()).collect()
}
