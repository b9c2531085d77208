//! The big partner's commission list: page 1 and a page `deep_offset` rows deep, through
//! `GET /api/v1/partners/revenue/commissions` by offset, and the deep page by cursor, beside
//! the raw page queries.

use anyhow::{Context, bail};
use revshare_domain::access::Role;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use super::Bench;
use super::db::{MICROS_PER_DAY, raw};
use super::http_load::{self, get_beside_floor};
use super::metrics::events_label;
use super::profile::PAGE;
use super::report::{Figure, Target};
use super::server::Server;

/// Plain raw statements reading the rows of an offset page of a partner's list the way the
/// engine reads them (`read::list_commissions`): page 1 is `SELECT … ORDER BY event_date DESC,
/// id DESC LIMIT 100`; a deeper page first reads the partner's per-day counts from
/// `partner_daily_totals` (newest day first), then the page from the day holding row `offset`
/// on, skipping only that day's newer rows. The day is found here once, from the same counts.
/// The engine sends page 1 as one statement that also carries the list's count; the floor
/// leaves the count out.
pub async fn floor_statements(
    db: &DatabaseConnection,
    tenant: uuid::Uuid,
    partner: uuid::Uuid,
    offset: u64,
) -> anyhow::Result<Vec<Statement>> {
    let backend = db.get_database_backend();
    let page = |bound: Option<i64>, skip: u64| {
        let mut sql =
            "SELECT * FROM \"commission_events\" WHERE \"tenant_id\" = ? AND \"partner_id\" = ?"
                .to_owned();
        let mut values = vec![tenant.into(), partner.into()];
        if let Some(end) = bound {
            sql.push_str(" AND \"event_date\" < ?");
            values.push(end.into());
        }
        sql.push_str(" ORDER BY \"event_date\" DESC, \"id\" DESC LIMIT ? OFFSET ?");
        values.push((PAGE as i64).into());
        values.push((skip as i64).into());
        raw(backend, &sql, values)
    };
    if offset == 0 {
        return Ok(vec![page(None, 0)]);
    }
    let days = raw(
        backend,
        "SELECT \"day\", CAST(SUM(\"event_count\") AS BIGINT) AS \"n\" FROM \"partner_daily_totals\" \
         WHERE \"tenant_id\" = ? AND \"partner_id\" = ? GROUP BY \"day\" ORDER BY \"day\" DESC",
        vec![tenant.into(), partner.into()],
    );
    let mut before = 0u64;
    for row in db.query_all_raw(days.clone()).await? {
        let day: i64 = row.try_get("", "day")?;
        let n = u64::try_from(row.try_get::<i64>("", "n")?)?;
        if offset < before + n {
            return Ok(vec![
                days,
                page(Some((day + 1) * MICROS_PER_DAY), offset - before),
            ]);
        }
        before += n;
    }
    bail!("offset {offset} is past the end of the list ({before} rows)")
}

/// What the floor of a list figure sends.
fn floor_label(by_cursor: bool, offset: u64, quantile: &str) -> String {
    let what = match (by_cursor, offset) {
        (true, _) => "raw keyset SELECT",
        (false, 0) => "raw SELECT",
        (false, _) => "raw day counts + SELECT",
    };
    format!("{what} {quantile}")
}

/// The raw keyset page after a row: `… WHERE (event_date, id) < (?, ?) ORDER BY … LIMIT 100`.
fn keyset_statement(
    db: &DatabaseConnection,
    tenant: uuid::Uuid,
    partner: uuid::Uuid,
    (date, id): (i64, uuid::Uuid),
) -> Statement {
    raw(
        db.get_database_backend(),
        "SELECT * FROM \"commission_events\" WHERE \"tenant_id\" = ? AND \"partner_id\" = ? \
         AND \"event_date\" <= ? AND (\"event_date\" < ? OR (\"event_date\" = ? AND \"id\" < ?)) \
         ORDER BY \"event_date\" DESC, \"id\" DESC LIMIT ?",
        vec![
            tenant.into(),
            partner.into(),
            date.into(),
            date.into(),
            date.into(),
            id.into(),
            (PAGE as i64).into(),
        ],
    )
}

/// The URL and raw statement of the page `offset` rows deep read by cursor: the cursor comes
/// from the `X-Next-Cursor` of the offset page just before it.
async fn cursor_case(
    bench: &Bench,
    server: &Server,
    client: &reqwest::Client,
    token: &str,
    offset: u64,
) -> anyhow::Result<(String, Statement)> {
    let big = bench.loaded.big();
    let before = list_url(&server.base, big, offset - PAGE);
    let (headers, _) = http_load::get(client, &before, Some(token)).await?;
    let cursor = headers
        .get("x-next-cursor")
        .and_then(|v| v.to_str().ok())
        .context("the page before the deep page has no X-Next-Cursor")?
        .to_owned();
    let last = raw(
        bench.db.get_database_backend(),
        "SELECT \"event_date\", \"id\" FROM \"commission_events\" WHERE \"tenant_id\" = ? \
         AND \"partner_id\" = ? ORDER BY \"event_date\" DESC, \"id\" DESC LIMIT 1 OFFSET ?",
        vec![
            bench.data.main.id.uuid().into(),
            big.uuid().into(),
            ((offset - 1) as i64).into(),
        ],
    );
    let row = bench
        .db
        .query_one_raw(last)
        .await?
        .context("no row before the deep page")?;
    let key: (i64, uuid::Uuid) = (row.try_get("", "event_date")?, row.try_get("", "id")?);
    Ok((
        format!(
            "{}/api/v1/partners/revenue/commissions?partner_id={big}&limit={PAGE}&cursor={cursor}",
            server.base
        ),
        keyset_statement(&bench.db, bench.data.main.id.uuid(), big.uuid(), key),
    ))
}

/// The list figures.
pub async fn measure(bench: &Bench, server: &Server) -> anyhow::Result<Vec<Figure>> {
    let p = &bench.profile;
    let token = server.token(bench.data.main.id, Role::Operator, None)?;
    let client = http_load::client(1)?;
    let big = bench.loaded.big();
    let mut figures = Vec::new();
    for (label, offset, by_cursor) in [
        ("page 1", 0, false),
        ("deep page", p.deep_offset, false),
        ("deep page by cursor", p.deep_offset, true),
    ] {
        let (url, stmts) = if by_cursor {
            let (url, stmt) = cursor_case(bench, server, &client, &token, offset).await?;
            (url, vec![stmt])
        } else {
            (
                list_url(&server.base, big, offset),
                floor_statements(&bench.db, bench.data.main.id.uuid(), big.uuid(), offset).await?,
            )
        };
        let page_stmt = stmts.last().context("no statement")?.clone();
        // Warm up, and check both answer a full page.
        let (headers, body) = http_load::get(&client, &url, Some(&token)).await?;
        let items: Vec<serde_json::Value> =
            serde_json::from_str(&body).context("reading the list")?;
        let rows = bench.db.query_all_raw(page_stmt).await?;
        // Cursor pages are not counted: the total comes from the offset page 1.
        let total = headers
            .get("x-total-count")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(p.big_events);
        if items.len() != PAGE as usize || rows.len() != PAGE as usize {
            bail!(
                "{label} (offset {offset}) answered {} items over HTTP and {} rows raw \
                 ({total} in all)",
                items.len(),
                rows.len()
            );
        }
        let (mut p50, mut p99, mut f50, mut f99) = (vec![], vec![], vec![], vec![]);
        for _ in 0..bench.runs {
            let m = get_beside_floor(p, &client, &url, &token, || {
                let (db, stmts) = (&bench.db, &stmts);
                async move {
                    for stmt in stmts {
                        db.query_all_raw(stmt.clone()).await?;
                    }
                    Ok(())
                }
            })
            .await?;
            p50.push(m.p50);
            p99.push(m.p99);
            f50.push(m.floor_p50);
            f99.push(m.floor_p99);
        }
        let position = if by_cursor { "row" } else { "offset" };
        let name = format!(
            "{label}, {position} {} of {} (partner with {} events)",
            super::report::num(offset as f64),
            super::report::num(total as f64),
            events_label(p.big_events)
        );
        figures.push(
            Figure::new(
                "commission list (HTTP, sequential)",
                format!("{name}, p50"),
                "ms",
                p50,
            )
            .floor(floor_label(by_cursor, offset, "p50"), f50),
        );
        figures.push(
            Figure::new(
                "commission list (HTTP, sequential)",
                format!("{name}, p99"),
                "ms",
                p99,
            )
            .floor(floor_label(by_cursor, offset, "p99"), f99)
            .target(Target::AtMost(10.0)),
        );
    }
    Ok(figures)
}

/// The commission list of `partner`, `PAGE` rows from `offset`.
pub fn list_url(base: &str, partner: revshare_domain::value::PartnerId, offset: u64) -> String {
    format!(
        "{base}/api/v1/partners/revenue/commissions?partner_id={partner}&limit={PAGE}&offset={offset}"
    )
}
