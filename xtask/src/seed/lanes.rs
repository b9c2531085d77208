//! Concurrent, yet deterministic, ingestion.
//!
//! Jobs are grouped into lanes by the partner they will credit (or, for unattributed
//! customers, by customer). Each lane runs its jobs in order, with its own engine and id
//! stream; up to `concurrency` lanes are in flight at once. A partner's payments therefore
//! always meet its caps and tier volumes in the same order, and every id is the same from one
//! run to the next, however the lanes interleave. On SQLite the pool has one connection, so
//! the lanes simply take turns.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::Context;
use futures_util::{StreamExt, TryStreamExt, stream};
use revshare_domain::ingestion::{IngestionResult, InvoicePayment, Refund};
use revshare_domain::port::Ledger;
use revshare_domain::value::TenantId;
use revshare_domain::{Actor, DomainError, Engine};

use crate::deterministic::{SeedClock, SeedIds};

/// One ingestion call.
#[derive(Debug, Clone)]
pub enum Job {
    /// Record payment number `seq`.
    Payment {
        seq: usize,
        tenant: TenantId,
        payment: InvoicePayment,
    },
    /// Record refund number `idx` of the plan.
    Refund {
        idx: usize,
        tenant: TenantId,
        refund: Refund,
    },
}

/// The answer to one job.
#[derive(Debug)]
pub enum Done {
    /// A payment's answer.
    Payment { seq: usize, result: IngestionResult },
    /// A refund's answer, or why it was refused (invalid, or of an unknown payment).
    Refund {
        idx: usize,
        result: Result<IngestionResult, String>,
    },
}

/// Counts finished jobs and prints a line every `every` of them, with the rate.
#[derive(Debug)]
pub struct Progress {
    label: &'static str,
    total: u64,
    every: u64,
    done: AtomicU64,
    started: Instant,
}

impl Progress {
    /// A counter of `total` jobs.
    pub fn new(label: &'static str, total: u64, every: u64) -> Self {
        Progress {
            label,
            total,
            every: every.max(1),
            done: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    fn tick(&self) {
        let n = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_multiple_of(self.every) || n == self.total {
            println!(
                "  {} {n:>9}/{}  {:>8.0}/s",
                self.label,
                self.total,
                self.rate()
            );
        }
    }

    /// Jobs per second so far (a display figure, not money).
    pub fn rate(&self) -> f64 {
        let secs = self.started.elapsed().as_secs_f64();
        if secs > 0.0 {
            self.done.load(Ordering::Relaxed) as f64 / secs
        } else {
            0.0
        }
    }

    /// Time since the counter started.
    pub fn elapsed(&self) -> std::time::Duration {
        self.started.elapsed()
    }
}

/// Splits keyed jobs into `lanes` lanes: every distinct key lands in one lane (keys dealt
/// round-robin in key order), and jobs keep their given order within a lane.
pub fn assign<K: Ord + Clone>(jobs: Vec<(K, Job)>, lanes: usize) -> Vec<Vec<Job>> {
    let mut keys: BTreeMap<K, usize> = jobs.iter().map(|(k, _)| (k.clone(), 0)).collect();
    for (i, lane) in keys.values_mut().enumerate() {
        *lane = i % lanes;
    }
    let mut out: Vec<Vec<Job>> = vec![Vec::new(); lanes];
    for (k, job) in jobs {
        out[keys[&k]].push(job);
    }
    out
}

/// Where the engines of a run get their ports.
#[derive(Clone)]
pub struct Ports {
    pub ledger: Arc<dyn Ledger>,
    pub clock: Arc<SeedClock>,
    pub seed: u64,
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports")
            .field("clock", &self.clock)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

impl Ports {
    /// An engine whose ids come from `stream`.
    pub fn engine(&self, stream: u16) -> Engine {
        Engine::new(
            self.ledger.clone(),
            self.clock.clone(),
            Arc::new(SeedIds::new(self.seed, stream)),
        )
    }
}

/// Runs every lane, at most `concurrency` at once; lane `i` draws ids from stream
/// `stream_base + i`. Store failures abort; refused refunds are answers.
pub async fn run(
    ports: &Ports,
    stream_base: u16,
    lanes: Vec<Vec<Job>>,
    concurrency: usize,
    progress: Arc<Progress>,
) -> anyhow::Result<Vec<Done>> {
    let billing = Actor("billing".to_owned());
    let tasks = lanes.into_iter().enumerate().map(|(i, jobs)| {
        let engine = ports.engine(stream_base + i as u16);
        let progress = progress.clone();
        let billing = billing.clone();
        tokio::spawn(async move {
            let mut out = Vec::with_capacity(jobs.len());
            // Payments wait in a batch per tenant (tenants never see each other, so their
            // relative order does not matter); a batch answers what the same payments recorded
            // one by one would, so the ledger is the same either way. A refund flushes first:
            // it may refund a waiting payment.
            let mut waiting: BTreeMap<TenantId, Vec<(usize, InvoicePayment)>> = BTreeMap::new();
            for job in jobs {
                match job {
                    Job::Payment {
                        seq,
                        tenant,
                        payment,
                    } => {
                        let batch = waiting.entry(tenant).or_default();
                        batch.push((seq, payment));
                        if batch.len() == SEED_BATCH {
                            out.extend(
                                payments(&engine, &billing, tenant, batch, &progress).await?,
                            );
                        }
                    }
                    refund @ Job::Refund { .. } => {
                        for (t, batch) in &mut waiting {
                            out.extend(payments(&engine, &billing, *t, batch, &progress).await?);
                        }
                        out.push(one(&engine, &billing, refund).await?);
                        progress.tick();
                    }
                }
            }
            for (t, batch) in &mut waiting {
                out.extend(payments(&engine, &billing, *t, batch, &progress).await?);
            }
            anyhow::Ok(out)
        })
    });
    let lanes: Vec<Vec<Done>> = stream::iter(tasks)
        .buffer_unordered(concurrency.max(1))
        .map(|joined| joined.context("a seeding lane panicked")?)
        .try_collect()
        .await?;
    Ok(lanes.into_iter().flatten().collect())
}

/// Payments per ingestion call: the largest batch the engine takes.
const SEED_BATCH: usize = revshare_domain::usecase::MAX_INGEST_BATCH;

/// Records the pending batch (emptying it) and answers each payment.
async fn payments(
    engine: &Engine,
    billing: &Actor,
    tenant: TenantId,
    batch: &mut Vec<(usize, InvoicePayment)>,
    progress: &Progress,
) -> anyhow::Result<Vec<Done>> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let (seqs, payments): (Vec<usize>, Vec<InvoicePayment>) =
        std::mem::take(batch).into_iter().unzip();
    let first = payments.first().map(|p| p.payment_id.to_string());
    let answers = engine
        .record_payments(tenant, billing, payments)
        .await
        .with_context(|| format!("recording the batch starting with payment {first:?}"))?;
    let mut out = Vec::with_capacity(answers.len());
    for (seq, answer) in seqs.into_iter().zip(answers) {
        let result = answer.with_context(|| format!("recording payment number {seq}"))?;
        out.push(Done::Payment { seq, result });
        progress.tick();
    }
    Ok(out)
}

async fn one(engine: &Engine, billing: &Actor, job: Job) -> anyhow::Result<Done> {
    Ok(match job {
        Job::Payment { seq, .. } => anyhow::bail!("payment {seq} must go in a batch"),
        Job::Refund {
            idx,
            tenant,
            refund,
        } => {
            let id = refund.refund_id.clone();
            let result = match engine.record_refund(tenant, billing, refund).await {
                Ok(r) => Ok(r),
                Err(e @ (DomainError::Validation(_) | DomainError::NotFound { .. })) => {
                    Err(e.to_string())
                }
                Err(e) => return Err(e).with_context(|| format!("recording refund {id}")),
            };
            Done::Refund { idx, result }
        }
    })
}
