//! Portal reads shared by identical requests in flight (`revshare_api::coalesce`): with many
//! identical requests and a stream of writes at once, every answer includes each write that
//! was acknowledged before its request was sent, requests that differ (another partner, another
//! page size) never share an answer, and once the writes stop every answer is the same exact
//! one.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use futures_util::future::join_all;
use revshare_tests::dec;
use revshare_tests::http;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::catalogue::payment;

const WRITES: u64 = 30;
const READERS: usize = 12;

/// Pending plus on-hold commissions of the only currency: grows with every payment.
fn owed(metrics: &Value) -> Decimal {
    let c = &metrics["currencies"][0];
    assert_eq!(c["currency"], "USD", "{metrics}");
    dec(c["pending_amount"].as_str().expect("an amount"))
        + dec(c["on_hold_amount"].as_str().expect("an amount"))
}

http!(
    identical_reads_in_flight_see_every_write_acknowledged_before_them,
    |app| {
        let w = app.seed().await;
        let op = app.operator_token();
        let billing = app.billing_token();
        let metrics_of = |partner| {
            format!(
                "/api/v1/partners/revenue/metrics?partner_id={partner}&period_start=2026-01-01&period_end=2027-01-01"
            )
        };
        let (metrics, metrics_b) = (metrics_of(w.a.id), metrics_of(w.b.id));
        let list_of = |limit: usize| {
            format!(
                "/api/v1/partners/revenue/commissions?partner_id={}&limit={limit}",
                w.a.id
            )
        };
        let pay = |id: String| {
            let body = payment(&id, &w.a.customer, "10.00", "2026-03-10T00:00:00Z");
            let billing = &billing;
            async move {
                app.post("/api/v1/ingest/payments", Some(billing), &body)
                    .await
                    .expect(201);
            }
        };
        // Enough rows for both page sizes before the readers start.
        for i in 0..5 {
            pay(format!("before-{i}")).await;
        }
        let owed_before = owed(&app.get(&metrics, Some(&op)).await.ok_json(200));
        let owed_b = owed(&app.get(&metrics_b, Some(&op)).await.ok_json(200));
        let list = list_of(5);
        let listed_before = app.get(&list, Some(&op)).await.total();
        assert!(
            listed_before >= 3,
            "the seeded partner has commissions to page"
        );

        let acknowledged = AtomicU64::new(0);
        let done = AtomicBool::new(false);
        let writer = async {
            for i in 0..WRITES {
                // 10 % of 10.00: one more commission of 1.00 each.
                pay(format!("shared-{i}")).await;
                acknowledged.fetch_add(1, Ordering::SeqCst);
            }
            done.store(true, Ordering::SeqCst);
        };
        let reader = |n: usize| {
            let (acknowledged, done, op) = (&acknowledged, &done, &op);
            let (metrics, metrics_b, list_of) = (&metrics, &metrics_b, &list_of);
            async move {
                let mut answers = 0;
                while !done.load(Ordering::SeqCst) {
                    let before = acknowledged.load(Ordering::SeqCst);
                    match (n + answers) % 4 {
                        0 => {
                            let m = app.get(metrics, Some(op)).await.ok_json(200);
                            assert_eq!(m["partner_id"], w.a.id.to_string());
                            assert!(
                                owed(&m) >= owed_before + Decimal::from(before),
                                "a metrics answer misses a write acknowledged before it was asked: \
                             {before} acknowledged, {m}"
                            );
                        }
                        1 => {
                            // Another partner at the same time: its own answer, unchanged.
                            let m = app.get(metrics_b, Some(op)).await.ok_json(200);
                            assert_eq!(m["partner_id"], w.b.id.to_string());
                            assert_eq!(owed(&m), owed_b);
                        }
                        page => {
                            let limit = if page == 2 { 5 } else { 3 };
                            let r = app.get(&list_of(limit), Some(op)).await;
                            let rows = r.ok_json(200).as_array().expect("a list").len();
                            assert_eq!(rows, limit, "limit {limit} answered {rows} rows");
                            assert!(
                                r.total() >= listed_before + before,
                                "a list answer misses a write acknowledged before it was asked: \
                             {before} acknowledged, {} listed",
                                r.total()
                            );
                        }
                    }
                    answers += 1;
                }
                answers
            }
        };
        let readers = join_all((0..READERS).map(reader));
        let ((), answered) = tokio::join!(writer, readers);
        assert!(
            answered.iter().all(|&n| n > 0),
            "every reader was answered while the writes ran: {answered:?}"
        );

        // Quiet now: identical requests at once all get the one exact answer.
        let last = join_all((0..READERS).map(|_| app.get(&metrics, Some(&op)))).await;
        for r in &last {
            assert_eq!(
                owed(&r.ok_json(200)),
                owed_before + Decimal::from(WRITES),
                "10 % of {WRITES} payments of 10.00 more"
            );
        }
        let pages = join_all((0..READERS).map(|_| app.get(&list, Some(&op)))).await;
        let first = pages[0].ok_json(200);
        for p in &pages {
            assert_eq!(p.total(), listed_before + WRITES);
            assert_eq!(p.ok_json(200), first, "identical requests, identical pages");
        }
    }
);
