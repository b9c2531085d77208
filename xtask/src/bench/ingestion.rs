//! Ingestion: invoice payments per second through the use case and through
//! `POST /api/v1/ingest/payments/batch`, in batches of [`BATCH`], replays included; the floor
//! is a raw multi-row `INSERT` of copies of the same `commission_events` and `payments` rows,
//! batch by batch, into the same tables.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use futures_util::{StreamExt, TryStreamExt, stream};
use revshare_domain::access::Role;
use revshare_domain::ingestion::{IngestionResult, InvoicePayment};
use revshare_domain::port::{SystemClock, UuidV7Source};
use revshare_domain::value::TenantId;
use revshare_domain::{Actor, DomainError, Engine};
use revshare_infra::SeaLedger;
use revshare_infra::entity::{commission_event as ev, payment};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::json;
use time::format_description::well_known::Rfc3339;

use super::Bench;
use super::db::insert_rows;
use super::profile::BATCH;
use super::server::Server;

/// Records one batch of payments through the domain's batch use case (one transaction),
/// answering each payment's outcome (or why it was refused); a store failure fails the whole
/// batch. The one place the bench calls the ingestion use case.
pub async fn ingest_batch(
    engine: &Engine,
    tenant: TenantId,
    actor: &Actor,
    payments: Vec<InvoicePayment>,
) -> Result<Vec<Result<IngestionResult, DomainError>>, DomainError> {
    engine.record_payments(tenant, actor, payments).await
}

/// One ingestion run: payments per second, and the floor's.
#[derive(Debug, Clone)]
pub struct IngestRun {
    pub rate: f64,
    pub floor_rate: f64,
    pub outcomes: BTreeMap<String, u64>,
}

fn tally(outcomes: &mut BTreeMap<String, u64>, outcome: &str, duplicate: bool) {
    let key = if duplicate {
        "duplicate".to_owned()
    } else {
        outcome.to_owned()
    };
    *outcomes.entry(key).or_default() += 1;
}

/// Run `run` through the use case: `ingest_sample` new payments, `concurrency` batches in
/// flight, on an engine wired like the server's (system clock, UUIDv7 ids).
pub async fn domain_run(bench: &Bench, run: usize) -> anyhow::Result<IngestRun> {
    let sample = bench.data.sample(run, "dom", bench.profile.ingest_sample);
    let engine = Engine::new(
        Arc::new(SeaLedger::new(bench.db.clone())),
        Arc::new(SystemClock),
        Arc::new(UuidV7Source),
    );
    let billing = Actor("bench-billing".to_owned());
    let tenant = bench.data.main.id;
    let batches: Vec<Vec<InvoicePayment>> = sample.chunks(BATCH).map(<[_]>::to_vec).collect();
    let t0 = Instant::now();
    let answers: Vec<Vec<Result<IngestionResult, DomainError>>> = stream::iter(batches)
        .map(|b| ingest_batch(&engine, tenant, &billing, b))
        .buffer_unordered(bench.concurrency)
        .try_collect()
        .await
        .context("ingesting through the use case")?;
    let secs = t0.elapsed().as_secs_f64();
    let mut outcomes = BTreeMap::new();
    for r in answers.into_iter().flatten() {
        match r {
            Ok(r) => tally(&mut outcomes, &r.outcome, r.duplicate),
            Err(e) => tally(&mut outcomes, &format!("refused: {e}"), false),
        }
    }
    let floor_rate = floor(bench, &sample).await?;
    Ok(IngestRun {
        rate: sample.len() as f64 / secs,
        floor_rate,
        outcomes,
    })
}

/// The JSON body of a batch, as the billing system sends it.
fn batch_body(payments: &[InvoicePayment]) -> anyhow::Result<String> {
    let items = payments
        .iter()
        .map(|p| {
            Ok(json!({
                "payment_id": p.payment_id.as_str(),
                "invoice_id": p.invoice_id.as_str(),
                "invoice_number": p.invoice_number,
                "customer_id": p.customer_id.as_str(),
                "amount": p.amount.amount().to_string(),
                "currency": p.amount.currency().code(),
                "paid_at": p.paid_at.format(&Rfc3339)?,
                "product_ids": p.product_ids.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
            }))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(serde_json::to_string(&json!({ "payments": items }))?)
}

/// Run `run` through HTTP: the same number of new payments, `concurrency` batches in flight,
/// with a billing token. Bodies are serialised before the clock starts.
pub async fn http_run(bench: &Bench, server: &Server, run: usize) -> anyhow::Result<IngestRun> {
    let sample = bench.data.sample(run, "http", bench.profile.ingest_sample);
    let bodies: Vec<String> = sample
        .chunks(BATCH)
        .map(batch_body)
        .collect::<anyhow::Result<_>>()?;
    let token = server.token(bench.data.main.id, Role::Billing, None)?;
    let url = format!("{}/api/v1/ingest/payments/batch", server.base);
    let client = super::http_load::client(bench.concurrency)?;
    let t0 = Instant::now();
    let answers: Vec<serde_json::Value> = stream::iter(bodies)
        .map(|body| {
            let req = client
                .post(&url)
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(body);
            async move {
                let res = req.send().await?;
                let status = res.status();
                let text = res.text().await?;
                if !status.is_success() {
                    bail!("the batch answered {status}: {text}");
                }
                Ok(serde_json::from_str::<serde_json::Value>(&text)?)
            }
        })
        .buffer_unordered(bench.concurrency)
        .try_collect()
        .await
        .context("ingesting through HTTP")?;
    let secs = t0.elapsed().as_secs_f64();
    let mut outcomes = BTreeMap::new();
    for a in &answers {
        for r in a["results"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
            tally(
                &mut outcomes,
                r["outcome"].as_str().unwrap_or("?"),
                r["duplicate"].as_bool().unwrap_or(false),
            );
        }
    }
    let answered: u64 = outcomes.values().sum();
    if answered != sample.len() as u64 {
        bail!(
            "HTTP answered {answered} outcomes for {} payments",
            sample.len()
        );
    }
    let floor_rate = floor(bench, &sample).await?;
    Ok(IngestRun {
        rate: sample.len() as f64 / secs,
        floor_rate,
        outcomes,
    })
}

/// The rows one batch wrote.
struct Rows {
    events: Vec<ev::Model>,
    payments: Vec<payment::Model>,
}

/// Appended to the payment ids of the floor's copies, so they collide with no real payment.
const FLOOR_COPY: &str = "~floor";

/// The floor: reads back the rows the sample wrote (not timed), then inserts copies of them
/// (new event ids, payment ids marked [`FLOOR_COPY`]) into the same tables of the same
/// database — the same size, indexes and triggers as the measured run met — with one
/// multi-row `INSERT` per table and batch, one transaction per batch, as many batches in
/// flight as the measured run; then deletes the copies (not timed). Answers payments per
/// second, counting replays like the measured run does.
///
/// An empty copy of the schema would be no floor at scale: inserting into empty indexes is
/// several times faster than into a table of 10 million events, whoever does it.
async fn floor(bench: &Bench, sample: &[InvoicePayment]) -> anyhow::Result<f64> {
    let tenant = bench.data.main.id.uuid();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut batches = Vec::new();
    for chunk in sample.chunks(BATCH) {
        // A replay names a payment of an earlier batch: its rows belong to that batch.
        let ids: Vec<String> = chunk
            .iter()
            .map(|p| p.payment_id.to_string())
            .filter(|id| seen.insert(id.clone()))
            .collect();
        let payments = payment::Entity::find()
            .filter(payment::Column::TenantId.eq(tenant))
            .filter(payment::Column::PaymentId.is_in(ids.clone()))
            .all(&bench.db)
            .await?;
        // Through `payments.event_id`: events keep no index on the payment id.
        let events = ev::Entity::find()
            .filter(ev::Column::Id.is_in(payments.iter().filter_map(|p| p.event_id)))
            .all(&bench.db)
            .await?;
        if payments.len() != ids.len() {
            bail!(
                "{} of {} payments of a batch are stored",
                payments.len(),
                ids.len()
            );
        }
        batches.push(copies(Rows { events, payments }));
    }
    let copied_events: Vec<uuid::Uuid> = batches
        .iter()
        .flat_map(|b| b.events.iter().map(|e| e.id))
        .collect();
    let copied_payments: Vec<String> = batches
        .iter()
        .flat_map(|b| b.payments.iter().map(|p| p.payment_id.clone()))
        .collect();
    let db = &bench.db;
    let backend = db.get_database_backend();
    let t0 = Instant::now();
    stream::iter(batches)
        .map(|rows| async move {
            let tx = db.begin().await?;
            if !rows.events.is_empty() {
                tx.execute_raw(insert_rows::<ev::Entity>(backend, &rows.events))
                    .await?;
            }
            tx.execute_raw(insert_rows::<payment::Entity>(backend, &rows.payments))
                .await?;
            tx.commit().await?;
            anyhow::Ok(())
        })
        .buffer_unordered(bench.concurrency)
        .try_collect::<Vec<()>>()
        .await
        .context("the raw-insert floor")?;
    let rate = sample.len() as f64 / t0.elapsed().as_secs_f64();
    remove_copies(bench, &copied_events, &copied_payments).await?;
    Ok(rate)
}

/// Copies of a batch's rows that collide with nothing: new event ids, marked payment ids.
fn copies(rows: Rows) -> Rows {
    let mut new_ids = std::collections::HashMap::new();
    let events = rows
        .events
        .into_iter()
        .map(|mut e| {
            let id = uuid::Uuid::now_v7();
            new_ids.insert(e.id, id);
            e.id = id;
            e.payment_id = e.payment_id.map(|p| format!("{p}{FLOOR_COPY}"));
            e
        })
        .collect();
    let payments = rows
        .payments
        .into_iter()
        .map(|mut p| {
            p.payment_id = format!("{}{FLOOR_COPY}", p.payment_id);
            p.event_id = p.event_id.map(|id| new_ids.get(&id).copied().unwrap_or(id));
            p
        })
        .collect();
    Rows { events, payments }
}

/// Deletes the floor's copies (payments first: they reference the events), by key.
async fn remove_copies(
    bench: &Bench,
    events: &[uuid::Uuid],
    payments: &[String],
) -> anyhow::Result<()> {
    let tenant = bench.data.main.id.uuid();
    let tx = bench.db.begin().await?;
    for chunk in payments.chunks(BATCH) {
        payment::Entity::delete_many()
            .filter(payment::Column::TenantId.eq(tenant))
            .filter(payment::Column::PaymentId.is_in(chunk.iter().cloned()))
            .exec(&tx)
            .await?;
    }
    for chunk in events.chunks(BATCH) {
        ev::Entity::delete_many()
            .filter(ev::Column::Id.is_in(chunk.iter().copied()))
            .exec(&tx)
            .await?;
    }
    tx.commit().await.context("removing the floor's copies")
}

#[cfg(test)]
mod tests {
    use super::*;
    use revshare_domain::value::{Currency, CustomerId, InvoiceId, Money, PaymentId};
    use time::macros::datetime;

    #[test]
    fn batch_bodies_speak_the_api() {
        let p = InvoicePayment {
            payment_id: PaymentId::parse("pay-1").unwrap(),
            invoice_id: InvoiceId::parse("inv-1").unwrap(),
            invoice_number: None,
            customer_id: CustomerId::parse("cus-1").unwrap(),
            amount: Money::from_minor(12_345, Currency::USD).unwrap(),
            paid_at: datetime!(2026-10-02 03:04:05 UTC),
            product_ids: Vec::new(),
        };
        let v: serde_json::Value = serde_json::from_str(&batch_body(&[p]).unwrap()).unwrap();
        let item = &v["payments"][0];
        assert_eq!(item["amount"], "123.45");
        assert_eq!(item["currency"], "USD");
        assert_eq!(item["paid_at"], "2026-10-02T03:04:05Z");
        assert_eq!(item["invoice_number"], serde_json::Value::Null);
    }
}
