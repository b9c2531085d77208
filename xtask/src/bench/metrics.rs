//! Metrics of one partner for one month and one year, for the reference partner and the big
//! one: sequential `GET /api/v1/partners/revenue/metrics` latencies beside the raw SQL the
//! endpoint effectively runs.

use anyhow::{Context, bail};
use revshare_domain::access::Role;
use revshare_domain::value::PartnerId;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::Bench;
use super::dataset::{MONTH, YEAR};
use super::db::{MICROS_PER_DAY, raw};
use super::http_load::{self, get_beside_floor};
use super::report::{Figure, Target};
use super::server::Server;

fn micros(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000) as i64
}

/// The raw SQL the metrics endpoint runs for a partner and a period aligned to UTC midnight
/// (`crates/infra/src/ledger/reports.rs`), as one statement: approved and paid commissions of
/// the period's days and the approved (pending payout) and held balances of all time, from
/// the per-partner daily totals; completed payouts in the period, from the payouts. Each part
/// summed per currency and tagged.
pub fn floor_statement(
    backend: DbBackend,
    tenant: uuid::Uuid,
    partner: uuid::Uuid,
    period: (OffsetDateTime, OffsetDateTime),
) -> Statement {
    let (start, end) = (micros(period.0), micros(period.1));
    let totals = |part: &str, days: bool| {
        format!(
            "SELECT '{part}' AS \"part\", \"currency\", \
               CAST(SUM(\"amount_minor\") AS BIGINT) AS \"total\", \
               CAST(SUM(\"event_count\") AS BIGINT) AS \"n\" \
             FROM \"partner_daily_totals\" WHERE \"tenant_id\" = ? AND \"partner_id\" = ? \
               AND \"status\" IN (?, ?) AND \"event_count\" <> 0 {} GROUP BY \"currency\"",
            if days {
                "AND \"day\" >= ? AND \"day\" < ?"
            } else {
                ""
            }
        )
    };
    let sql = format!(
        "{} UNION ALL {} UNION ALL {} UNION ALL \
         SELECT 'payouts', \"currency\", CAST(SUM(\"total_minor\") AS BIGINT), \
           CAST(COUNT(*) AS BIGINT) \
         FROM \"payouts\" WHERE \"tenant_id\" = ? AND \"partner_id\" = ? \
           AND \"status\" = ? AND \"completed_at\" >= ? AND \"completed_at\" < ? \
         GROUP BY \"currency\"",
        totals("earned", true),
        totals("pending", false),
        totals("on_hold", false),
    );
    let mut values: Vec<Value> = Vec::new();
    let ids = |v: &mut Vec<Value>| v.extend([tenant.into(), partner.into()]);
    ids(&mut values);
    values.extend([
        "approved".into(),
        "paid".into(),
        (start / MICROS_PER_DAY).into(),
        (end / MICROS_PER_DAY).into(),
    ]);
    for status in ["approved", "pending"] {
        ids(&mut values);
        values.extend([status.into(), status.into()]);
    }
    ids(&mut values);
    values.extend(["completed".into(), start.into(), end.into()]);
    raw(backend, &sql, values)
}

/// Runs the floor once; answers the number of commissions counted in the period.
async fn floor_once(db: &DatabaseConnection, stmt: &Statement) -> anyhow::Result<i64> {
    let mut counted = 0;
    for r in db.query_all_raw(stmt.clone()).await? {
        if r.try_get::<String>("", "part")? == "earned" {
            counted += r.try_get::<Option<i64>>("", "n")?.unwrap_or(0);
        }
    }
    Ok(counted)
}

fn instant(at: OffsetDateTime) -> anyhow::Result<String> {
    Ok(at.format(&Rfc3339)?)
}

/// The portal's metrics of `partner` over `period`.
pub fn metrics_url(
    base: &str,
    partner: revshare_domain::value::PartnerId,
    period: (OffsetDateTime, OffsetDateTime),
) -> anyhow::Result<String> {
    Ok(format!(
        "{base}/api/v1/partners/revenue/metrics?partner_id={partner}&period_start={}&period_end={}",
        instant(period.0)?,
        instant(period.1)?
    ))
}

/// "10k", "100k", "1M".
pub fn events_label(n: u64) -> String {
    if n >= 1_000_000 && n.is_multiple_of(1_000_000) {
        format!("{}M", n / 1_000_000)
    } else if n >= 1_000 && n.is_multiple_of(1_000) {
        format!("{}k", n / 1_000)
    } else {
        n.to_string()
    }
}

struct Case {
    partner: PartnerId,
    events: u64,
    period_name: &'static str,
    period: (OffsetDateTime, OffsetDateTime),
    p50: Vec<f64>,
    p99: Vec<f64>,
    floor_p50: Vec<f64>,
    floor_p99: Vec<f64>,
}

/// The metrics figures.
pub async fn measure(bench: &Bench, server: &Server) -> anyhow::Result<Vec<Figure>> {
    let p = &bench.profile;
    let token = server.token(bench.data.main.id, Role::Operator, None)?;
    let client = http_load::client(1)?;
    let tenant = bench.data.main.id.uuid();
    let backend = bench.db.get_database_backend();
    let mut cases = Vec::new();
    for (partner, events) in [
        (bench.loaded.reference(), p.reference_events),
        (bench.loaded.big(), p.big_events),
    ] {
        for (period_name, period) in [("month", MONTH), ("year", YEAR)] {
            cases.push(Case {
                partner,
                events,
                period_name,
                period,
                p50: Vec::new(),
                p99: Vec::new(),
                floor_p50: Vec::new(),
                floor_p99: Vec::new(),
            });
        }
    }
    for run in 0..bench.runs {
        for c in &mut cases {
            let url = metrics_url(&server.base, c.partner, c.period)?;
            let stmt = floor_statement(backend, tenant, c.partner.uuid(), c.period);
            // Warm up both, and check they count the same commissions.
            let (_, body) = http_load::get(&client, &url, Some(&token)).await?;
            let floor_count = floor_once(&bench.db, &stmt).await?;
            if run == 0 {
                let answer: serde_json::Value =
                    serde_json::from_str(&body).context("reading the metrics answer")?;
                let http_count: i64 = answer["currencies"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(|c| c["total_commission_count"].as_i64())
                    .sum();
                if http_count != floor_count || http_count == 0 {
                    bail!(
                        "metrics of a {} partner ({}) count {http_count} commissions, the raw \
                         SQL {floor_count}",
                        events_label(c.events),
                        c.period_name
                    );
                }
            }
            let m = get_beside_floor(p, &client, &url, &token, || {
                let (db, stmt) = (&bench.db, &stmt);
                async move { floor_once(db, stmt).await.map(|_| ()) }
            })
            .await?;
            c.p50.push(m.p50);
            c.p99.push(m.p99);
            c.floor_p50.push(m.floor_p50);
            c.floor_p99.push(m.floor_p99);
        }
    }
    let mut figures = Vec::new();
    for c in &cases {
        let name = format!(
            "{}, {}-event partner",
            c.period_name,
            events_label(c.events)
        );
        figures.push(
            Figure::new(
                "metrics (HTTP, sequential)",
                format!("{name}, p50"),
                "ms",
                c.p50.clone(),
            )
            .floor("raw SQL p50", c.floor_p50.clone()),
        );
        figures.push(
            Figure::new(
                "metrics (HTTP, sequential)",
                format!("{name}, p99"),
                "ms",
                c.p99.clone(),
            )
            .floor("raw SQL p99", c.floor_p99.clone())
            .target(Target::AtMost(20.0)),
        );
    }
    let growth = p.growth();
    for period_name in ["month", "year"] {
        let of = |events: u64| {
            cases
                .iter()
                .find(|c| c.period_name == period_name && c.events == events)
        };
        if let (Some(small), Some(big)) = (of(p.reference_events), of(p.big_events)) {
            let ratios: Vec<f64> = big.p99.iter().zip(&small.p99).map(|(b, s)| b / s).collect();
            let floor_ratios: Vec<f64> = big
                .floor_p99
                .iter()
                .zip(&small.floor_p99)
                .map(|(b, s)| b / s)
                .collect();
            let mut f = Figure::new(
                "metrics (HTTP, sequential)",
                format!(
                    "{period_name}: p99 at {} ÷ p99 at {} events",
                    events_label(p.big_events),
                    events_label(p.reference_events)
                ),
                "×",
                ratios,
            )
            .floor("raw SQL, same ratio", floor_ratios)
            .target(Target::AtMost(2.0));
            if growth < 100.0 {
                f = f.note(format!(
                    "events grow {growth:.0}× in this profile; the target is stated for 100×"
                ));
            }
            figures.push(f);
        }
    }
    Ok(figures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(events_label(10_000), "10k");
        assert_eq!(events_label(1_000_000), "1M");
        assert_eq!(events_label(100_000), "100k");
        assert_eq!(events_label(1_234), "1234");
    }

    #[test]
    fn the_floor_binds_every_placeholder() {
        let s = floor_statement(
            DbBackend::Postgres,
            uuid::Uuid::nil(),
            uuid::Uuid::nil(),
            MONTH,
        );
        let n = s.values.as_ref().map_or(0, |v| v.0.len());
        assert_eq!(n, 19);
        assert!(s.sql.contains(&format!("${n}")) && !s.sql.contains(&format!("${}", n + 1)));
    }
}
