//! The payout run: `Engine::run_payouts` over the payout tenant (every partner's approved
//! commissions into one payout each), timed and with its SQL statements counted; the floor
//! inserts the same payouts and claims the same rows with one raw `UPDATE … SET payout_id`
//! per payout, one transaction per payout. Between runs everything is released again.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::bail;
use revshare_domain::port::{SystemClock, UuidV7Source};
use revshare_domain::{Actor, Engine};
use revshare_infra::SeaLedger;
use revshare_infra::entity::payout;
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};

use super::Bench;
use super::dataset::NOW;
use super::db::{insert_rows, raw};
use super::metrics::events_label;
use super::report::{Figure, Target};

fn micros(at: time::OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000) as i64
}

/// `db` with every statement counted (`BEGIN` and `COMMIT` are not statements here).
fn counted(db: &DatabaseConnection) -> (DatabaseConnection, Arc<AtomicU64>) {
    let n = Arc::new(AtomicU64::new(0));
    let mut db = db.clone();
    let counter = n.clone();
    db.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::Relaxed);
    });
    (db, n)
}

/// Releases every claimed commission of the payout tenant and deletes its payouts.
async fn release(bench: &Bench) -> anyhow::Result<()> {
    let db = &bench.db;
    let b = db.get_database_backend();
    let tenant = bench.data.payouts.id.uuid();
    db.execute_raw(raw(
        b,
        "UPDATE \"commission_events\" SET \"payout_id\" = NULL WHERE \"tenant_id\" = ? \
         AND \"payout_id\" IS NOT NULL",
        vec![tenant.into()],
    ))
    .await?;
    db.execute_raw(raw(
        b,
        "DELETE FROM \"payouts\" WHERE \"tenant_id\" = ?",
        vec![tenant.into()],
    ))
    .await?;
    Ok(())
}

/// Commissions claimed by some payout of the payout tenant.
async fn claimed(bench: &Bench) -> anyhow::Result<i64> {
    let db = &bench.db;
    let row = db
        .query_one_raw(raw(
            db.get_database_backend(),
            "SELECT CAST(COUNT(*) AS BIGINT) AS \"n\" FROM \"commission_events\" \
             WHERE \"tenant_id\" = ? AND \"payout_id\" IS NOT NULL",
            vec![bench.data.payouts.id.uuid().into()],
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0))
}

/// One engine run: seconds and statements.
async fn engine_run(bench: &Bench) -> anyhow::Result<(f64, u64)> {
    let (db, statements) = counted(&bench.db);
    let engine = Engine::new(
        Arc::new(SeaLedger::new(db)),
        Arc::new(SystemClock),
        Arc::new(UuidV7Source),
    );
    let operator = Actor("bench-operator".to_owned());
    let t0 = Instant::now();
    let report = engine
        .run_payouts(bench.data.payouts.id, &operator, None, NOW, "bank_transfer")
        .await?;
    let secs = t0.elapsed().as_secs_f64();
    let n = statements.load(Ordering::Relaxed);
    let expected = bench.profile.payout_partners;
    if report.created.len() != expected || !report.refused.is_empty() {
        bail!(
            "the payout run made {} payouts ({} refused) for {expected} partners",
            report.created.len(),
            report.refused.len()
        );
    }
    Ok((secs, n))
}

/// One floor run: seconds and statements.
async fn floor_run(bench: &Bench, totals: &[(uuid::Uuid, i64, i64)]) -> anyhow::Result<(f64, u64)> {
    let (db, statements) = counted(&bench.db);
    let b = db.get_database_backend();
    let tenant = bench.data.payouts.id.uuid();
    let now = micros(time::OffsetDateTime::now_utc());
    let t0 = Instant::now();
    for &(partner, total, count) in totals {
        let row = payout::Model {
            id: uuid::Uuid::now_v7(),
            tenant_id: tenant,
            partner_id: partner,
            currency: "USD".to_owned(),
            total_minor: total,
            commission_count: count,
            status: "pending".to_owned(),
            period_start: None,
            period_end: micros(NOW),
            payment_method: "bank_transfer".to_owned(),
            payment_reference: None,
            failure_reason: None,
            created_by: "bench-operator".to_owned(),
            created_at: now,
            updated_at: now,
            completed_at: None,
        };
        let tx = db.begin().await?;
        tx.execute_raw(insert_rows::<payout::Entity>(b, std::slice::from_ref(&row)))
            .await?;
        tx.execute_raw(raw(
            b,
            "UPDATE \"commission_events\" SET \"payout_id\" = ? WHERE \"tenant_id\" = ? \
             AND \"partner_id\" = ? AND \"currency\" = ? AND \"status\" = ? \
             AND \"payout_id\" IS NULL AND \"event_date\" <= ?",
            vec![
                row.id.into(),
                tenant.into(),
                partner.into(),
                "USD".into(),
                "approved".into(),
                micros(NOW).into(),
            ],
        ))
        .await?;
        tx.commit().await?;
    }
    Ok((
        t0.elapsed().as_secs_f64(),
        statements.load(Ordering::Relaxed),
    ))
}

/// Σ and count of each payout partner's approved commissions (read once, not timed).
async fn totals(bench: &Bench) -> anyhow::Result<Vec<(uuid::Uuid, i64, i64)>> {
    let db = &bench.db;
    let rows = db
        .query_all_raw(raw(
            db.get_database_backend(),
            "SELECT \"partner_id\", CAST(SUM(\"amount_minor\") AS BIGINT) AS \"total\", \
             CAST(COUNT(*) AS BIGINT) AS \"n\" FROM \"commission_events\" \
             WHERE \"tenant_id\" = ? AND \"status\" = ? GROUP BY \"partner_id\"",
            vec![bench.data.payouts.id.uuid().into(), "approved".into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<uuid::Uuid>("", "partner_id")?,
                r.try_get::<i64>("", "total")?,
                r.try_get::<i64>("", "n")?,
            ))
        })
        .collect()
}

/// The payout-run figures.
pub async fn measure(bench: &Bench) -> anyhow::Result<Vec<Figure>> {
    let p = &bench.profile;
    let expected = p.payout_events() as i64;
    let totals = totals(bench).await?;
    let (mut secs, mut stmts, mut floor_secs, mut floor_stmts) = (vec![], vec![], vec![], vec![]);
    for _ in 0..bench.runs {
        release(bench).await?;
        let (s, n) = engine_run(bench).await?;
        if claimed(bench).await? != expected {
            bail!("the payout run did not claim all {expected} commissions");
        }
        secs.push(s);
        stmts.push(n as f64);
        release(bench).await?;
        let (s, n) = floor_run(bench, &totals).await?;
        if claimed(bench).await? != expected {
            bail!("the payout floor did not claim all {expected} commissions");
        }
        floor_secs.push(s);
        floor_stmts.push(n as f64);
    }
    release(bench).await?;
    let what = format!(
        "{} commissions of {} partners",
        events_label(p.payout_events()),
        p.payout_partners
    );
    let mut time = Figure::new("payout run (use case)", format!("{what}, time"), "s", secs)
        .floor("raw INSERT + UPDATE per payout", floor_secs)
        .target(Target::AtMost(2.0));
    if p.payout_events() < 100_000 {
        time = time.note("the target is stated for 100,000 commissions of 1,000 partners");
    }
    Ok(vec![
        time,
        Figure::new(
            "payout run (use case)",
            format!("{what}, SQL statements"),
            "statements",
            stmts,
        )
        .floor("raw: 2 per payout", floor_stmts),
    ])
}
