//! `cargo xtask seed`: a deterministic, realistic ledger for demos, dashboards and load checks.
//!
//! The story, told through the engine's use cases only (no SQL):
//! 1. tenants, partners (then activated, or left pending, or archived), commission rules of
//!    all four models, and attributions (some with custom rates, some ended and moved);
//! 2. about 13 months of invoice payments in USD, EUR and JPY, recorded concurrently, with a
//!    few redeliveries; between the older and the recent payments some partners are suspended
//!    or terminated;
//! 3. rejections, approvals and manual adjustments;
//! 4. refunds (partial, full, tiny, excessive), a payout run and its payouts moved through
//!    every status, more refunds (clawbacks of paid commissions), then, ten days later, the
//!    automatic approval of due held commissions and a second payout run.
//!
//! The clock stands at [`plan::NOW`] (moved forward between steps) and ids come from the seed,
//! so one seed and one set of flags give the same ledger every time, on either backend.

mod lanes;
pub(crate) mod plan;
mod report;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use clap::Args;
use revshare_domain::access::{Tenant, check_slug};
use revshare_domain::commission::EventStatus;
use revshare_domain::ingestion::{IngestionResult, Refund};
use revshare_domain::partner::PartnerStatus;
use revshare_domain::payout::Payout;
use revshare_domain::port::Directory;
use revshare_domain::port::{Clock, Ledger};
use revshare_domain::query::PageRequest;
use revshare_domain::usecase::{
    MAX_BULK_IDS, ManualAdjustment, NewAccount, PayoutBatchOutcome, PayoutMove, RuleDraft,
};
use revshare_domain::value::{Currency, EventId, Money, PartnerId, PaymentId, RefundId, TenantId};
use revshare_domain::{Actor, DomainError, Engine};
use revshare_infra::{DatabaseConnection, SeaDirectory, SeaLedger, migrate_fresh, migrate_up};
use rust_decimal::Decimal;
use time::Duration;

use crate::deterministic::{Rng, SeedClock};
use lanes::{Done, Job, Ports, Progress};
use plan::{Fate, NOW, RefundWave, World};
use report::Tally;

/// Options of `seed`.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// The seed: the same seed and sizes always give the same ledger.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Number of tenants.
    #[arg(long, default_value_t = 2)]
    tenants: usize,
    /// Partners per tenant (plus one archived partner each).
    #[arg(long, default_value_t = 12)]
    partners: usize,
    /// Customers per partner (plus a few unattributed customers per tenant).
    #[arg(long, default_value_t = 20)]
    customers: usize,
    /// Invoice payments in total, over all tenants.
    #[arg(long, default_value_t = 20_000)]
    payments: usize,
    /// Ingestion calls in flight at once (PostgreSQL runs them in parallel; SQLite in turn).
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Print a progress line every N payments (default: a tenth of them, 100 to 10,000).
    #[arg(long)]
    progress_every: Option<u64>,
    /// Drop every table and migrate from scratch first (destroys all data).
    #[arg(long)]
    fresh: bool,
}

const MAX_LANES: usize = 64;

/// Seeds the database.
pub async fn run(db: DatabaseConnection, args: SeedArgs) -> anyhow::Result<()> {
    ensure!(
        args.tenants >= 1 && args.partners >= 1 && args.customers >= 1,
        "--tenants, --partners and --customers must be at least 1"
    );
    ensure!(
        (1..=MAX_LANES).contains(&args.concurrency),
        "--concurrency must be between 1 and {MAX_LANES}"
    );
    ensure!(args.tenants <= 1_000, "--tenants must be at most 1000");
    ensure!(args.partners <= 9_000, "--partners must be at most 9000");
    ensure!(
        args.payments <= 9_999_999,
        "--payments must be below 10 million"
    );
    let started = Instant::now();
    if args.fresh {
        migrate_fresh(&db).await.context("migrating from scratch")?;
        println!("dropped everything and migrated from scratch");
    } else {
        migrate_up(&db).await.context("migrating")?;
    }
    let size = plan::Size {
        tenants: args.tenants,
        partners: args.partners,
        customers: args.customers,
        payments: args.payments,
    };
    let world = plan::world(args.seed, size);
    let customers: usize = world.tenants.iter().map(|t| t.customers.len()).sum();
    println!(
        "seed {}: {} tenant(s), {} partner(s) each (+1 archived), {customers} customers, \
         {} payments, {} refunds planned; clock at {NOW}",
        args.seed,
        args.tenants,
        args.partners,
        world.payments.len(),
        world.refunds.len(),
    );
    let directory = SeaDirectory::new(db.clone());
    let ledger: Arc<dyn Ledger> = Arc::new(SeaLedger::new(db));
    let ports = Ports {
        ledger,
        clock: Arc::new(SeedClock::at(NOW)),
        seed: args.seed,
    };
    ensure_not_seeded(&ports, &world, args.seed).await?;
    for t in world.tenants.iter() {
        if directory.tenant(t.id).await?.is_some() {
            continue; // left by an interrupted run of this seed
        }
        let tenant = Tenant {
            id: t.id,
            slug: tenant_slug(args.seed, t.index),
            name: format!("Seed {} tenant {}", args.seed, t.index + 1),
            created_at: NOW,
        };
        check_slug(&tenant.slug)?;
        directory
            .insert_tenant(&tenant)
            .await
            .with_context(|| format!("creating tenant {}", tenant.slug))?;
    }
    let ops = ports.engine(1);
    let operator = Actor("seed-operator".to_owned());
    let mut tally = Tally::default();

    // 1. Partners, rules, attributions.
    let t0 = Instant::now();
    let partners = setup(&ops, &operator, &world, &mut tally).await?;
    println!(
        "setup: {} partners, {} rules, {} attributions ({} ended) in {:.1?}",
        tally.partners,
        tally.rules,
        tally.attributions,
        tally.attributions_ended,
        t0.elapsed()
    );

    // 2. Payments, in two waves around the cut.
    let every = args
        .progress_every
        .unwrap_or((args.payments as u64 / 10).clamp(100, 10_000));
    let progress = Arc::new(Progress::new(
        "payments",
        world.payments.len() as u64,
        every,
    ));
    let mut results: Vec<Option<IngestionResult>> = vec![None; world.payments.len()];
    let cut = NOW - Duration::days(plan::CUT_DAYS);
    for (wave, before_cut) in [(1_u16, true), (2, false)] {
        let jobs = world
            .payments
            .iter()
            .filter(|p| (p.payment.paid_at < cut) == before_cut)
            .map(|p| {
                let job = Job::Payment {
                    seq: p.seq,
                    tenant: world.tenants[p.tenant].id,
                    payment: p.payment.clone(),
                };
                ((p.payment.paid_at, p.seq), lane_key(&world, p.seq), job)
            });
        let lanes = lanes::assign(sorted(jobs), args.concurrency);
        let done = lanes::run(&ports, wave << 8, lanes, args.concurrency, progress.clone()).await?;
        for d in done {
            if let Done::Payment { seq, result } = d {
                results[seq] = Some(result);
            }
        }
        if before_cut {
            move_at_cut(&ops, &operator, &world, &partners, &mut tally).await?;
        }
    }
    let payment_rate = progress.rate();
    let payment_time = progress.elapsed();
    for r in results.iter().flatten() {
        tally.payment(r);
    }
    println!(
        "payments: {} in {:.1?} ({payment_rate:.0}/s)",
        world.payments.len(),
        payment_time
    );

    // 3. Operators review.
    ports.clock.set(NOW + Duration::hours(1));
    review(&ops, &operator, &world, &results, args.seed, &mut tally).await?;
    adjust(&ops, &operator, &world, &partners, args.seed, &mut tally).await?;
    println!(
        "review: {} rejected, {} approved, {} manual adjustments",
        tally.rejected, tally.approved, tally.adjustments
    );

    // 4. Refunds before any payout.
    ports.clock.set(NOW + Duration::hours(2));
    refunds(
        &ports,
        &world,
        RefundWave::BeforePayouts,
        3 << 8,
        args.concurrency,
        &mut tally,
    )
    .await?;
    for t in &world.tenants {
        unknown_refund(&ops, t.id, t.index, &mut tally).await?;
    }

    // 5. First payout run, and its payouts moved through their statuses.
    ports.clock.set(NOW + Duration::hours(3));
    let first_cutoff = NOW - Duration::days(plan::FIRST_PAYOUT_DAYS);
    let created = payout_run(&ops, &operator, &world, first_cutoff, &mut tally).await?;
    ports.clock.set(NOW + Duration::hours(4));
    move_payouts(&ops, &operator, &created, args.seed, 1, &mut tally).await?;

    // 6. Refunds after payouts: clawbacks of paid commissions.
    ports.clock.set(NOW + Duration::hours(5));
    refunds(
        &ports,
        &world,
        RefundWave::AfterPayouts,
        4 << 8,
        args.concurrency,
        &mut tally,
    )
    .await?;

    // 7. Ten days later: due holds approve themselves, and a second payout run.
    ports.clock.set(NOW + Duration::days(10));
    tally.approved_due = ops.approve_due().await?;
    let created = payout_run(&ops, &operator, &world, ports.clock.now(), &mut tally).await?;
    ports
        .clock
        .set(NOW + Duration::days(10) + Duration::hours(1));
    move_payouts(&ops, &operator, &created, args.seed, 2, &mut tally).await?;

    // 8. What is in the ledger now.
    let coverage = report::coverage(&ports.ledger, &world).await?;
    report::print(&tally, &coverage);
    println!(
        "done in {:.1?} (payments {:.1?} at {payment_rate:.0}/s); `cargo xtask reconcile` checks \
         conservation",
        started.elapsed(),
        payment_time
    );
    Ok(())
}

/// The login slug of a seeded tenant (`seed-7-1`).
fn tenant_slug(seed: u64, index: usize) -> String {
    format!("seed-{seed}-{}", index + 1)
}

/// The lane key of payment `seq`: the partner it will credit per the plan, or its customer.
fn lane_key(world: &World, seq: usize) -> (usize, u8, usize) {
    let p = &world.payments[seq];
    let customer = &world.tenants[p.tenant].customers[p.customer];
    match customer.partner_at(p.payment.paid_at) {
        Some(partner) => (p.tenant, 0, partner),
        None => (p.tenant, 1, p.customer),
    }
}

fn sorted<O: Ord, K>(jobs: impl Iterator<Item = (O, K, Job)>) -> Vec<(K, Job)> {
    let mut v: Vec<(O, K, Job)> = jobs.collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v.into_iter().map(|(_, k, j)| (k, j)).collect()
}

async fn ensure_not_seeded(ports: &Ports, world: &World, seed: u64) -> anyhow::Result<()> {
    for t in &world.tenants {
        let page = PageRequest {
            limit: 1,
            offset: 0,
        };
        if ports.ledger.list_partners(t.id, page).await?.total > 0 {
            bail!(
                "tenant {} ({}) already has partners: seed {seed} was loaded before. Use \
                 another --seed, or --fresh to wipe the database first",
                t.id,
                tenant_slug(seed, t.index)
            );
        }
    }
    Ok(())
}

async fn setup(
    ops: &Engine,
    operator: &Actor,
    world: &World,
    tally: &mut Tally,
) -> anyhow::Result<Vec<Vec<PartnerId>>> {
    let mut all = Vec::new();
    for t in &world.tenants {
        let mut ids = Vec::new();
        for plan in &t.partners {
            let number = plan.input.partner_number.clone();
            let p = ops
                .create_partner(t.id, operator, plan.input.clone())
                .await
                .with_context(|| format!("creating partner {number}"))?;
            match plan.fate {
                Fate::Archived => {
                    ops.move_partner(t.id, operator, p.id, PartnerStatus::Archived)
                        .await?;
                }
                Fate::NeverActivated => {}
                _ => {
                    ops.move_partner(t.id, operator, p.id, PartnerStatus::Active)
                        .await?;
                }
            }
            ids.push(p.id);
            tally.partners += 1;
        }
        for (p, plan) in t.partners.iter().enumerate() {
            for r in &plan.rules {
                let draft = RuleDraft {
                    partner_id: ids[p],
                    name: r.name.clone(),
                    model: r.model.clone(),
                    product_ids: r.products.clone(),
                    customer_ids: r
                        .customers
                        .iter()
                        .map(|&c| t.customers[c].id.clone())
                        .collect(),
                    effective_from: r.effective_from,
                    effective_to: r.effective_to,
                    priority: r.priority,
                    max_duration_months: r.max_duration_months,
                    monthly_cap: r.monthly_cap,
                    active: r.active,
                };
                ops.create_rule(t.id, operator, draft)
                    .await
                    .with_context(|| format!("creating rule {:?}", r.name))?;
                tally.rules += 1;
            }
        }
        for c in &t.customers {
            for a in &c.accounts {
                let input = NewAccount {
                    partner_id: ids[a.partner],
                    customer_id: c.id.clone(),
                    start: a.start,
                    end: None,
                    custom_rate: a.custom_rate,
                };
                let account = ops
                    .attribute_customer(t.id, operator, input)
                    .await
                    .with_context(|| format!("attributing customer {}", c.id))?;
                tally.attributions += 1;
                if let Some(end) = a.end {
                    ops.end_attribution(t.id, operator, account.id, end).await?;
                    tally.attributions_ended += 1;
                }
            }
        }
        all.push(ids);
    }
    Ok(all)
}

async fn move_at_cut(
    ops: &Engine,
    operator: &Actor,
    world: &World,
    partners: &[Vec<PartnerId>],
    tally: &mut Tally,
) -> anyhow::Result<()> {
    use PartnerStatus::{Active, Suspended, Terminated};
    for t in &world.tenants {
        for (p, plan) in t.partners.iter().enumerate() {
            let moves: &[PartnerStatus] = match plan.fate {
                Fate::SuspendedAtCut => &[Suspended],
                Fate::ResumedAtCut => &[Suspended, Active],
                Fate::TerminatedAtCut => &[Terminated],
                _ => &[],
            };
            for &to in moves {
                ops.move_partner(t.id, operator, partners[t.index][p], to)
                    .await?;
                tally.partner_moves += 1;
            }
        }
    }
    Ok(())
}

/// Rejects about 1.5 % of the commissions and approves about 40 % of the held ones.
async fn review(
    ops: &Engine,
    operator: &Actor,
    world: &World,
    results: &[Option<IngestionResult>],
    seed: u64,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    let mut reject: BTreeMap<usize, Vec<EventId>> = BTreeMap::new();
    let mut approve: BTreeMap<usize, Vec<EventId>> = BTreeMap::new();
    for (seq, r) in results.iter().enumerate() {
        let Some(r) = r else { continue };
        let Some(id) = r.commission_id.filter(|_| !r.duplicate) else {
            continue;
        };
        let tenant = world.payments[seq].tenant;
        let mut rng = Rng::stream(seed, "review", seq as u64);
        if rng.below(1_000) < 15 {
            reject.entry(tenant).or_default().push(id);
        } else if r.status == Some(EventStatus::Pending) && rng.chance(40) {
            approve.entry(tenant).or_default().push(id);
        }
    }
    const REASONS: [&str; 3] = [
        "Duplicate deal registration",
        "Customer was already a direct account",
        "Partner agreement excludes this product",
    ];
    for (t, ids) in reject {
        for (i, chunk) in ids.chunks(MAX_BULK_IDS).enumerate() {
            let reason = REASONS[i % REASONS.len()];
            let done = ops
                .reject(world.tenants[t].id, operator, chunk, reason)
                .await?;
            tally.rejected += done.len() as u64;
        }
    }
    for (t, ids) in approve {
        for chunk in ids.chunks(MAX_BULK_IDS) {
            tally.approved += ops
                .approve(world.tenants[t].id, operator, chunk)
                .await?
                .len() as u64;
        }
    }
    Ok(())
}

/// Manual adjustments: bonuses and corrections for partners that earn.
async fn adjust(
    ops: &Engine,
    operator: &Actor,
    world: &World,
    partners: &[Vec<PartnerId>],
    seed: u64,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    for t in &world.tenants {
        for (p, plan) in t.partners.iter().enumerate() {
            if !plan.fate.earns() {
                continue;
            }
            let mut rng = Rng::stream(seed, "adjust", ((t.index as u64) << 32) | p as u64);
            let mut items = Vec::new();
            if p == 0 || rng.chance(40) {
                items.push((rng.range(2_500, 50_000), "Co-marketing bonus, Q3 2026"));
            }
            if p == 0 || rng.chance(20) {
                items.push((
                    -rng.range(1_000, 10_000),
                    "Correction: one invoice was credited twice",
                ));
            }
            for (minor, note) in items {
                let input = ManualAdjustment {
                    partner_id: partners[t.index][p],
                    amount: Money::from_minor(minor, Currency::USD)?,
                    note: note.to_owned(),
                };
                ops.adjust(t.id, operator, input).await?;
                tally.adjustments += 1;
            }
        }
    }
    Ok(())
}

async fn refunds(
    ports: &Ports,
    world: &World,
    wave: RefundWave,
    stream_base: u16,
    concurrency: usize,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    let planned: Vec<(usize, &plan::RefundPlan)> = world
        .refunds
        .iter()
        .enumerate()
        .filter(|(_, r)| r.wave == wave)
        .collect();
    let jobs = planned.iter().map(|&(idx, r)| {
        let job = Job::Refund {
            idx,
            tenant: world.tenants[world.payments[r.seq].tenant].id,
            refund: r.refund.clone(),
        };
        (
            (r.refund.refunded_at, r.seq, idx),
            lane_key(world, r.seq),
            job,
        )
    });
    let lanes = lanes::assign(sorted(jobs), concurrency);
    let label = match wave {
        RefundWave::BeforePayouts => "refunds ",
        RefundWave::AfterPayouts => "refunds²",
    };
    let progress = Arc::new(Progress::new(
        label,
        planned.len() as u64,
        (planned.len() as u64 / 4).max(100),
    ));
    for d in lanes::run(ports, stream_base, lanes, concurrency, progress).await? {
        if let Done::Refund { idx, result } = d {
            tally.refund(&result, world.refunds[idx].excessive);
        }
    }
    Ok(())
}

/// A refund of a payment revshare never saw: refused, and not remembered.
async fn unknown_refund(
    ops: &Engine,
    tenant: TenantId,
    index: usize,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    let refund = Refund {
        refund_id: RefundId::parse(&format!("re-{}-unknown", index + 1))?,
        payment_id: PaymentId::parse(&format!("pay-{}-never-sent", index + 1))?,
        amount: Decimal::new(1_000, 2),
        currency: Some(Currency::USD),
        refunded_at: NOW - Duration::days(1),
    };
    match ops
        .record_refund(tenant, &Actor("billing".to_owned()), refund)
        .await
    {
        Err(DomainError::NotFound { .. }) => tally.refunds_unknown += 1,
        other => bail!("a refund of an unknown payment was not refused: {other:?}"),
    }
    Ok(())
}

async fn payout_run(
    ops: &Engine,
    operator: &Actor,
    world: &World,
    period_end: time::OffsetDateTime,
    tally: &mut Tally,
) -> anyhow::Result<Vec<Payout>> {
    let mut created = Vec::new();
    for t in &world.tenants {
        let report = ops
            .run_payouts(t.id, operator, None, period_end, "bank_transfer")
            .await?;
        for r in &report.refused {
            if let PayoutBatchOutcome::Refused { reason, .. } = r {
                *tally
                    .payout_refusals
                    .entry(format!("{reason:?}"))
                    .or_default() += 1;
            }
        }
        tally.payouts_created += report.created.len() as u64;
        created.extend(report.created);
    }
    println!(
        "payout run up to {period_end}: {} payout(s) created",
        created.len()
    );
    Ok(created)
}

/// Where a payout ends up.
#[derive(Debug, Clone, Copy)]
enum Target {
    Pending,
    Ready,
    Processing,
    Completed,
    Failed,
    CancelledWhilePending,
    CancelledWhenReady,
}

fn target(run: u8, i: usize, rng: &mut Rng) -> Target {
    use Target::*;
    match (run, i) {
        (1, 0) => Completed,
        (1, 1) => Failed,
        (1, 2) => CancelledWhilePending,
        (1, _) => match rng.below(100) {
            0..85 => Completed,
            85..90 => Failed,
            90..95 => CancelledWhenReady,
            _ => Processing,
        },
        (_, 0) => Pending,
        (_, 1) => Ready,
        (_, 2) => Processing,
        (_, 3) => Completed,
        (_, 4) => CancelledWhenReady,
        _ => match rng.below(100) {
            0..60 => Completed,
            60..75 => Pending,
            75..85 => Ready,
            85..95 => Processing,
            _ => CancelledWhilePending,
        },
    }
}

async fn move_payouts(
    ops: &Engine,
    operator: &Actor,
    payouts: &[Payout],
    seed: u64,
    run: u8,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    for (i, p) in payouts.iter().enumerate() {
        let mut rng = Rng::stream(seed, "payout", (u64::from(run) << 32) | i as u64);
        let target = target(run, i, &mut rng);
        let complete = PayoutMove::Complete {
            payment_reference: format!("BT-{}-{:06}", NOW.year(), rng.below(1_000_000)),
        };
        let fail = PayoutMove::Fail {
            reason: "The bank returned the transfer: account closed".to_owned(),
        };
        let cancel = PayoutMove::Cancel {
            reason: "Held at the partner's request until the contract renewal".to_owned(),
        };
        let steps = match target {
            Target::Pending => vec![],
            Target::Ready => vec![PayoutMove::Ready],
            Target::Processing => vec![PayoutMove::Ready, PayoutMove::Processing],
            Target::Completed => vec![PayoutMove::Ready, PayoutMove::Processing, complete],
            Target::Failed => vec![PayoutMove::Ready, PayoutMove::Processing, fail],
            Target::CancelledWhilePending => vec![cancel],
            Target::CancelledWhenReady => vec![PayoutMove::Ready, cancel],
        };
        for step in steps {
            ops.move_payout(p.tenant_id, operator, p.id, step)
                .await
                .with_context(|| format!("moving payout {}", p.id))?;
            tally.payout_moves += 1;
        }
    }
    Ok(())
}
