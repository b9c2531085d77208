//! The end-to-end suite: the dashboard in a real headless Chromium, driven through WebDriver
//! (Debian's `chromium` and `chromedriver`, nothing downloaded), against the real application
//! over a fresh database — SQLite always, PostgreSQL when `TEST_DATABASE_URL` is set.
//!
//! - `partner_journey`: a partner user logs in through the form; the revenue cards equal the
//!   API over every period preset and a custom range, with the chart; the commissions page
//!   filters, searches, pages and downloads the filtered CSV; a payout's page and its
//!   statement; the operator pages are refused; the page at phone width; logging out.
//! - `operator_journey`: an operator approves held commissions, runs payouts and moves one to
//!   completed with a reference; the partner's figures follow.
//! - `empty_partner`: a partner without commissions sees the empty states.
//!
//! Every page visited is saved to `target/e2e-screenshots/<test>-<backend>-<page>.png`.
//! `REVSHARE_UPDATE_SCREENSHOTS=1` also writes `docs/screenshots/revenue.png`.
//! `REVSHARE_REQUIRE_BROWSER=1` turns a missing browser into a failure instead of a skip.

mod browser;
mod world;

/// Declares an end-to-end test run on SQLite and on PostgreSQL, each with its own server,
/// database, chromedriver and browser.
macro_rules! e2e {
    ($name:ident, |$app:ident, $b:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($app: &revshare_tests::http::TestApp, $b: &crate::browser::Browser) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(e) = crate::browser::E2e::start(revshare_tests::Backend::Sqlite, stringify!($name)).await {
                    body(&e.app, &e.browser).await;
                    e.finish().await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(e) = crate::browser::E2e::start(revshare_tests::Backend::Postgres, stringify!($name)).await {
                    body(&e.app, &e.browser).await;
                    e.finish().await;
                }
            }
        }
    };
}

mod empty;
mod operator;
mod partner;
