//! The bench's data, decided entirely by the seed and the profile, and loaded through the
//! engine's use cases: tenants, partners, rules and attributions, then every commission event
//! through the ingestion use case in batches of [`BATCH`] payments.
//!
//! Two tenants:
//! - the *main* tenant: partner 0 is the **big** partner (a million events in `large`),
//!   partner 1 the **reference** partner (10,000 events), and the others share the rest;
//! - the *payout* tenant: `payout_partners` partners with `payout_events_per_partner` approved
//!   commissions each, left unclaimed for the payout-run figure.
//!
//! Payments are generated one at a time from `(seed, tenant, partner, k)`, so ten million of
//! them never sit in memory at once.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration as StdDuration, Instant};

use anyhow::{Context, bail};
use futures_util::{StreamExt, TryStreamExt, stream};
use revshare_domain::access::Tenant;
use revshare_domain::ingestion::InvoicePayment;
use revshare_domain::partner::{PartnerStatus, PartnerTier};
use revshare_domain::port::{Directory, IdSource, Ledger};
use revshare_domain::terms::{CommissionModel, TierRate};
use revshare_domain::usecase::{NewAccount, NewPartner, RuleDraft};
use revshare_domain::value::{
    Currency, CustomerId, InvoiceId, Money, PartnerId, PaymentId, ProductId, Rate, TenantId,
};
use revshare_domain::{Actor, Engine};
use revshare_infra::{DatabaseConnection, SeaDirectory, SeaLedger};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbBackend};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::ingestion::ingest_batch;
use super::profile::{BATCH, Profile};
use crate::deterministic::{Rng, SeedClock, SeedIds};
use crate::seed::plan::{NAME_A, NAME_B};

/// The bench's "now": payments are dated before it, the dataset is loaded at it.
pub const NOW: OffsetDateTime = datetime!(2026-11-20 12:00 UTC);
/// Payments of the dataset are spread over this many days before [`NOW`].
pub const HISTORY_DAYS: i64 = 365;
/// Payments of the ingestion runs are dated in this many days before [`NOW`].
pub const RECENT_DAYS: i64 = 30;

/// The month of the metrics figures: October 2026.
pub const MONTH: (OffsetDateTime, OffsetDateTime) = (
    datetime!(2026-10-01 00:00 UTC),
    datetime!(2026-11-01 00:00 UTC),
);
/// The year of the metrics figures: November 2025 to October 2026.
pub const YEAR: (OffsetDateTime, OffsetDateTime) = (
    datetime!(2025-11-01 00:00 UTC),
    datetime!(2026-11-01 00:00 UTC),
);

/// Index of the big partner in the main tenant.
pub const BIG: usize = 0;
/// Index of the reference partner in the main tenant.
pub const REFERENCE: usize = 1;

/// Direct customers of the main tenant: no partner brought them.
const DIRECT_CUSTOMERS: usize = 20;

/// A customer and its attribution.
#[derive(Debug, Clone)]
pub struct CustomerSpec {
    pub id: CustomerId,
    pub currency: Currency,
    pub custom_rate: Option<Rate>,
}

/// A partner to create, and how many payments to load for it.
#[derive(Debug, Clone)]
pub struct PartnerSpec {
    pub input: NewPartner,
    /// A tiered rule for the enterprise product, when it has one.
    pub rule: Option<CommissionModel>,
    pub customers: Vec<CustomerSpec>,
    /// Payments loaded for it (each earns one commission event).
    pub events: u64,
    /// Its payments are dated in `[from, to)`.
    pub from: OffsetDateTime,
    pub to: OffsetDateTime,
}

/// A tenant to create.
#[derive(Debug, Clone)]
pub struct TenantSpec {
    pub id: TenantId,
    /// `a` (main) or `b` (payouts): the prefix of its external ids.
    pub tag: &'static str,
    pub slug: String,
    pub partners: Vec<PartnerSpec>,
    pub direct: Vec<CustomerId>,
}

impl PartnerSpec {
    /// True when what a payment earns does not depend on the payments recorded before it (no
    /// tier volume, no cap), so its payments may be recorded in any order.
    pub fn order_independent(&self) -> bool {
        self.rule.is_none()
            && matches!(
                self.input.default_terms,
                Some(CommissionModel::RevenueShare { .. })
            )
    }
}

impl TenantSpec {
    /// Payments loaded into the tenant.
    pub fn events(&self) -> u64 {
        self.partners.iter().map(|p| p.events).sum()
    }
}

/// Everything the bench loads.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub seed: u64,
    pub main: TenantSpec,
    pub payouts: TenantSpec,
}

/// The partner ids the engine gave, by index.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub main: Vec<PartnerId>,
    pub payouts: Vec<PartnerId>,
}

impl Loaded {
    /// The big partner.
    pub fn big(&self) -> PartnerId {
        self.main[BIG]
    }

    /// The reference partner.
    pub fn reference(&self) -> PartnerId {
        self.main[REFERENCE]
    }
}

fn rate(micros: i64) -> Rate {
    Rate::from_micros(micros.clamp(0, 1_000_000)).unwrap_or_else(|_| Rate::zero())
}

fn product(name: &str) -> ProductId {
    ProductId::parse(name).unwrap_or_else(|_| unreachable!("static product id"))
}

fn customer_id(s: String) -> CustomerId {
    CustomerId::parse(&s).unwrap_or_else(|_| unreachable!("generated customer ids are valid"))
}

fn tiers(base_micros: i64) -> CommissionModel {
    let t = |min: i64, micros: i64| TierRate {
        min_volume: Decimal::from(min),
        rate: rate(micros),
    };
    CommissionModel::tiered(vec![
        t(0, base_micros),
        t(20_000, base_micros + 30_000),
        t(100_000, base_micros + 60_000),
    ])
    .unwrap_or(CommissionModel::RevenueShare {
        rate: rate(base_micros),
    })
}

/// The start of every attribution: before any payment.
fn attribution_start() -> OffsetDateTime {
    revshare_domain::value::start_of_day(NOW - Duration::days(HISTORY_DAYS + 30))
}

fn main_partner(seed: u64, profile: &Profile, p: usize) -> PartnerSpec {
    let mut rng = Rng::stream(seed, "bench-partner-a", p as u64);
    let name = format!("{} {} {}", rng.pick(&NAME_A), rng.pick(&NAME_B), p + 1);
    let special = p == BIG || p == REFERENCE;
    let default_terms = if special || rng.chance(85) {
        CommissionModel::RevenueShare {
            rate: rate(rng.range(8, 25) * 10_000),
        }
    } else {
        tiers(rng.range(8, 12) * 10_000)
    };
    let hold_days = match (special, rng.below(100)) {
        (true, _) => 14,
        (_, 0..60) => 0,
        (_, 60..90) => 14,
        _ => 30,
    };
    // The big and the reference partner earn a plain revenue share: what a payment earns
    // does not depend on the order they arrive in, so they load on several lanes at once.
    let rule = (!special && rng.chance(50)).then(|| tiers(rng.range(8, 12) * 10_000));
    let n_customers = if p == BIG {
        profile.big_customers
    } else {
        profile.customers_per_partner
    };
    let customers = (0..n_customers)
        .map(|c| CustomerSpec {
            id: customer_id(format!("cus-a-{:05}-{:03}", p + 1, c + 1)),
            currency: match rng.below(100) {
                0..80 => Currency::USD,
                80..95 => Currency::EUR,
                _ => Currency::JPY,
            },
            custom_rate: rng.chance(10).then(|| rate(rng.range(5, 30) * 10_000)),
        })
        .collect();
    let events = match p {
        BIG => profile.big_events,
        REFERENCE => profile.reference_events,
        _ => profile.ordinary_events(p),
    };
    PartnerSpec {
        input: NewPartner {
            partner_number: format!("A-{:05}", p + 1),
            name,
            tier: if p == BIG {
                PartnerTier::Gold
            } else {
                *rng.pick(PartnerTier::ALL)
            },
            default_terms: Some(default_terms),
            hold_days,
            minimum_payouts: BTreeMap::new(),
            contact_email: Some(format!("finance@partner-a{}.example", p + 1)),
            tax_id: None,
        },
        rule,
        customers,
        events,
        from: NOW - Duration::days(HISTORY_DAYS),
        to: NOW,
    }
}

fn payout_partner(profile: &Profile, p: usize) -> PartnerSpec {
    PartnerSpec {
        input: NewPartner {
            partner_number: format!("B-{:05}", p + 1),
            name: format!("Payout partner {}", p + 1),
            tier: PartnerTier::Silver,
            default_terms: Some(CommissionModel::RevenueShare {
                rate: rate(100_000),
            }),
            hold_days: 0,
            minimum_payouts: BTreeMap::new(),
            contact_email: None,
            tax_id: None,
        },
        rule: None,
        customers: vec![CustomerSpec {
            id: customer_id(format!("cus-b-{:05}-001", p + 1)),
            currency: Currency::USD,
            custom_rate: None,
        }],
        events: profile.payout_events_per_partner,
        from: NOW - Duration::days(60),
        to: NOW - Duration::days(1),
    }
}

impl Dataset {
    /// The dataset of a seed and profile.
    pub fn plan(seed: u64, profile: &Profile) -> Dataset {
        let ids = SeedIds::new(seed, 0xB00);
        let main = TenantSpec {
            id: TenantId::from_uuid(ids.new_id()),
            tag: "a",
            slug: format!("bench-{seed}-main"),
            partners: (0..profile.partners)
                .map(|p| main_partner(seed, profile, p))
                .collect(),
            direct: (0..DIRECT_CUSTOMERS)
                .map(|c| customer_id(format!("cus-a-direct-{:03}", c + 1)))
                .collect(),
        };
        let payouts = TenantSpec {
            id: TenantId::from_uuid(ids.new_id()),
            tag: "b",
            slug: format!("bench-{seed}-payouts"),
            partners: (0..profile.payout_partners)
                .map(|p| payout_partner(profile, p))
                .collect(),
            direct: Vec::new(),
        };
        Dataset {
            seed,
            main,
            payouts,
        }
    }

    /// Payment `k` of partner `p` of `tenant`: dated in the partner's window, in order of
    /// `k`, for one of its customers.
    pub fn bulk_payment(&self, tenant: &TenantSpec, p: usize, k: u64) -> InvoicePayment {
        let spec = &tenant.partners[p];
        let label = if tenant.tag == "a" {
            "bench-load-a"
        } else {
            "bench-load-b"
        };
        let mut rng = Rng::stream(self.seed, label, ((p as u64) << 40) | k);
        let span = (spec.to - spec.from).whole_microseconds() as i64;
        let slot = (span / spec.events.max(1) as i64).max(1);
        let offset = k as i64 * slot + rng.below(slot as u64) as i64;
        let paid_at = spec.from + Duration::microseconds(offset.min(span - 1));
        let customer = rng.pick(&spec.customers);
        payment(
            &mut rng,
            format!("pay-{}-{:05}-{k:07}", tenant.tag, p + 1),
            customer.id.clone(),
            customer.currency,
            paid_at,
        )
    }

    /// The `n` payments of ingestion run `run` (`label` tells the use-case and the HTTP runs
    /// apart): new payments of the last [`RECENT_DAYS`] days for partners of the main tenant
    /// picked uniformly, 2 % from direct customers (unattributed) and 1 % redeliveries of an
    /// earlier payment of the same run (replays, answered as duplicates).
    pub fn sample(&self, run: usize, label: &str, n: usize) -> Vec<InvoicePayment> {
        let tenant = &self.main;
        let mut out: Vec<InvoicePayment> = Vec::with_capacity(n);
        let span = Duration::days(RECENT_DAYS).whole_seconds();
        let stream = format!("bench-sample-{label}");
        for i in 0..n {
            let mut rng = Rng::stream(self.seed, &stream, ((run as u64) << 32) | i as u64);
            if i > 0 && rng.chance(1) {
                let mut replay = out[rng.below(i as u64) as usize].clone();
                replay.amount =
                    Money::from_minor(replay.amount.minor() + 1, replay.amount.currency())
                        .unwrap_or(replay.amount);
                out.push(replay);
                continue;
            }
            let (customer, currency) = if rng.chance(2) {
                (rng.pick(&tenant.direct).clone(), Currency::USD)
            } else {
                let p = rng.pick(&tenant.partners);
                let c = rng.pick(&p.customers);
                (c.id.clone(), c.currency)
            };
            let paid_at = NOW - Duration::seconds(rng.range(1, span));
            out.push(payment(
                &mut rng,
                format!("run{run}-{label}-{i:07}"),
                customer,
                currency,
                paid_at,
            ));
        }
        out
    }
}

fn payment(
    rng: &mut Rng,
    id: String,
    customer_id: CustomerId,
    currency: Currency,
    paid_at: OffsetDateTime,
) -> InvoicePayment {
    let minor = if currency == Currency::JPY {
        rng.magnitude(3, 6)
    } else {
        rng.magnitude(3, 5)
    };
    let product_ids = match rng.below(100) {
        0..10 => vec![product("prod-enterprise")],
        10..30 => vec![product("prod-basic")],
        _ => Vec::new(),
    };
    InvoicePayment {
        payment_id: PaymentId::parse(&id).unwrap_or_else(|_| unreachable!()),
        invoice_id: InvoiceId::parse(&id.replacen("pay-", "inv-", 1))
            .unwrap_or_else(|_| unreachable!()),
        invoice_number: Some(format!("INV-{}", &id)),
        customer_id,
        amount: Money::from_minor(minor, currency).unwrap_or_else(|_| Money::zero(currency)),
        paid_at,
        product_ids,
    }
}

/// Engines over the loading pool, each with its own id stream.
#[derive(Clone)]
struct Ports {
    ledger: Arc<dyn Ledger>,
    clock: Arc<SeedClock>,
    seed: u64,
}

impl Ports {
    fn engine(&self, stream: u16) -> Engine {
        Engine::new(
            self.ledger.clone(),
            self.clock.clone(),
            Arc::new(SeedIds::new(self.seed, stream)),
        )
    }
}

/// Splits jobs of the given weights over `lanes` lanes, heaviest first onto the lightest lane.
pub fn balance(weights: &[u64], lanes: usize) -> Vec<Vec<usize>> {
    let lanes = lanes.max(1);
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| weights[b].cmp(&weights[a]).then(a.cmp(&b)));
    let mut load = vec![0_u64; lanes];
    let mut out = vec![Vec::new(); lanes];
    for i in order {
        let lane = (0..lanes).min_by_key(|&l| (load[l], l)).unwrap_or(0);
        load[lane] += weights[i].max(1);
        out[lane].push(i);
    }
    for lane in &mut out {
        lane.sort_unstable();
    }
    out
}

/// What loading took.
#[derive(Debug, Clone)]
pub struct LoadReport {
    pub setup: StdDuration,
    pub events: u64,
    pub ingest: StdDuration,
}

/// Creates tenants, partners, rules and attributions through the use cases, then ingests
/// every payment through [`ingest_batch`], `lanes` lanes at a time. A partner's payments go
/// down one lane, in order (tier volumes and caps depend on it), except for big partners
/// whose earnings do not depend on order: their payments are shared between the lanes. Each
/// lane has its own id stream and a fixed list of payments, so the ledger is the same every
/// time.
pub async fn load(
    db: &DatabaseConnection,
    data: &Dataset,
    lanes: usize,
) -> anyhow::Result<(Loaded, LoadReport)> {
    let ports = Ports {
        ledger: Arc::new(SeaLedger::new(db.clone())),
        clock: Arc::new(SeedClock::at(NOW + Duration::hours(1))),
        seed: data.seed,
    };
    let directory = SeaDirectory::new(db.clone());
    let t0 = Instant::now();
    let mut ids = Vec::new();
    for (i, tenant) in [&data.main, &data.payouts].into_iter().enumerate() {
        directory
            .insert_tenant(&Tenant {
                id: tenant.id,
                slug: tenant.slug.clone(),
                name: format!("Bench tenant {}", tenant.slug),
                created_at: NOW,
            })
            .await
            .with_context(|| format!("creating tenant {}", tenant.slug))?;
        ids.push(setup(&ports, tenant, (i as u16 + 1) << 8, lanes).await?);
    }
    let setup_time = t0.elapsed();
    let loaded = Loaded {
        payouts: ids.pop().unwrap_or_default(),
        main: ids.pop().unwrap_or_default(),
    };
    println!(
        "  setup: {} + {} partners with rules and attributions in {:.1?}",
        loaded.main.len(),
        loaded.payouts.len(),
        setup_time
    );

    // Every partner of both tenants, weighted by its payments; the payments of a big,
    // order-independent partner are cut into one contiguous range per lane.
    let mut jobs: Vec<(&TenantSpec, usize, u64, u64)> = Vec::new();
    for t in [&data.main, &data.payouts] {
        for (p, spec) in t.partners.iter().enumerate() {
            let parts = if spec.order_independent() && spec.events >= (4 * lanes * BATCH) as u64 {
                lanes as u64
            } else {
                1
            };
            for i in 0..parts {
                jobs.push((t, p, spec.events * i / parts, spec.events * (i + 1) / parts));
            }
        }
    }
    let weights: Vec<u64> = jobs.iter().map(|(_, _, from, to)| to - from).collect();
    let total: u64 = weights.iter().sum();
    let done = Arc::new(AtomicU64::new(0));
    let every = (total / 10).max(1);
    let t1 = Instant::now();
    let billing = Actor("bench-billing".to_owned());
    // Fresh planner statistics while the tables grow (autovacuum may be off, or late): plans
    // cached while the tables were empty would otherwise scan what an index finds.
    let analyzer = (db.get_database_backend() == DbBackend::Postgres).then(|| {
        let db = db.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(StdDuration::from_secs(5)).await;
                let _ = db.execute_unprepared("ANALYZE").await;
            }
        })
    });
    let tasks = balance(&weights, lanes)
        .into_iter()
        .enumerate()
        .map(|(l, lane)| {
            let engine = ports.engine(0x400 + l as u16);
            let done = done.clone();
            let billing = billing.clone();
            let jobs = &jobs;
            async move {
                let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
                for j in lane {
                    let (tenant, p, from, n) = jobs[j];
                    let mut k = from;
                    while k < n {
                        let end = (k + BATCH as u64).min(n);
                        let batch: Vec<InvoicePayment> =
                            (k..end).map(|k| data.bulk_payment(tenant, p, k)).collect();
                        let results = ingest_batch(&engine, tenant.id, &billing, batch)
                            .await
                            .with_context(|| format!("loading partner {p} of {}", tenant.slug))?;
                        for r in results {
                            let key = match r {
                                Ok(r) => r.outcome,
                                Err(e) => format!("error: {e}"),
                            };
                            *outcomes.entry(key).or_default() += 1;
                        }
                        let before = done.fetch_add(end - k, Ordering::Relaxed);
                        if (before + end - k) / every > before / every {
                            let now = before + end - k;
                            println!(
                                "  loaded {now:>10}/{total}  {:>7.0}/s",
                                now as f64 / t1.elapsed().as_secs_f64().max(1e-9)
                            );
                        }
                        k = end;
                    }
                }
                anyhow::Ok(outcomes)
            }
        });
    let per_lane: Result<Vec<BTreeMap<String, u64>>, _> = stream::iter(tasks)
        .buffer_unordered(lanes.max(1))
        .try_collect()
        .await;
    if let Some(a) = analyzer {
        a.abort();
    }
    let per_lane = per_lane?;
    let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
    for lane in per_lane {
        for (k, v) in lane {
            *outcomes.entry(k).or_default() += v;
        }
    }
    let ingest = t1.elapsed();
    if outcomes.keys().any(|k| k != "created") {
        bail!("every loaded payment should earn a commission; outcomes: {outcomes:?}");
    }
    Ok((
        loaded,
        LoadReport {
            setup: setup_time,
            events: total,
            ingest,
        },
    ))
}

/// Creates the partners of a tenant (activated), their rule and their attributions, `lanes`
/// partners at a time. Answers the partner ids by index.
async fn setup(
    ports: &Ports,
    tenant: &TenantSpec,
    stream_base: u16,
    lanes: usize,
) -> anyhow::Result<Vec<PartnerId>> {
    let operator = Actor("bench-operator".to_owned());
    let n = tenant.partners.len();
    let lanes = lanes.clamp(1, 32);
    let tasks = (0..lanes).map(|l| {
        let engine = ports.engine(stream_base + l as u16);
        let operator = operator.clone();
        async move {
            let mut out = Vec::new();
            for p in (l..n).step_by(lanes) {
                out.push((p, create_partner(&engine, &operator, tenant, p).await?));
            }
            anyhow::Ok(out)
        }
    });
    let done: Vec<Vec<(usize, PartnerId)>> = stream::iter(tasks)
        .buffer_unordered(lanes)
        .try_collect()
        .await?;
    let mut ids: Vec<Option<PartnerId>> = vec![None; n];
    for (p, id) in done.into_iter().flatten() {
        ids[p] = Some(id);
    }
    ids.into_iter()
        .map(|id| id.context("a partner was not created"))
        .collect()
}

async fn create_partner(
    engine: &Engine,
    operator: &Actor,
    tenant: &TenantSpec,
    p: usize,
) -> anyhow::Result<PartnerId> {
    let spec = &tenant.partners[p];
    let partner = engine
        .create_partner(tenant.id, operator, spec.input.clone())
        .await
        .with_context(|| format!("creating partner {}", spec.input.partner_number))?;
    engine
        .move_partner(tenant.id, operator, partner.id, PartnerStatus::Active)
        .await?;
    if let Some(model) = &spec.rule {
        let draft = RuleDraft {
            partner_id: partner.id,
            name: "Enterprise volume tiers".to_owned(),
            model: model.clone(),
            product_ids: [product("prod-enterprise")].into_iter().collect(),
            customer_ids: Default::default(),
            effective_from: attribution_start(),
            effective_to: None,
            priority: 100,
            max_duration_months: None,
            monthly_cap: None,
            active: true,
        };
        engine.create_rule(tenant.id, operator, draft).await?;
    }
    for c in &spec.customers {
        let input = NewAccount {
            partner_id: partner.id,
            customer_id: c.id.clone(),
            start: attribution_start(),
            end: None,
            custom_rate: c.custom_rate,
        };
        engine
            .attribute_customer(tenant.id, operator, input)
            .await
            .with_context(|| format!("attributing {}", c.id))?;
    }
    Ok(partner.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::profile::ProfileName;

    #[test]
    fn the_plan_is_deterministic_and_sized() {
        let profile = Profile::of(ProfileName::Small);
        let a = Dataset::plan(7, &profile);
        let b = Dataset::plan(7, &profile);
        assert_eq!(a.main.id, b.main.id);
        assert_eq!(a.main.events(), profile.events);
        assert_eq!(a.payouts.events(), profile.payout_events());
        assert_eq!(a.main.partners[BIG].events, profile.big_events);
        assert!(a.main.partners[BIG].order_independent());
        assert_eq!(
            a.bulk_payment(&a.main, BIG, 5),
            b.bulk_payment(&b.main, BIG, 5)
        );
        assert_eq!(a.sample(1, "dom", 50), b.sample(1, "dom", 50));
        assert_ne!(a.sample(1, "dom", 5), a.sample(2, "dom", 5));
    }

    #[test]
    fn bulk_payments_stay_in_order_inside_the_window() {
        let profile = Profile::of(ProfileName::Small);
        let d = Dataset::plan(1, &profile);
        let spec = &d.main.partners[REFERENCE];
        let mut last = spec.from;
        for k in 0..spec.events {
            let p = d.bulk_payment(&d.main, REFERENCE, k);
            assert!(p.paid_at >= last && p.paid_at < spec.to);
            last = p.paid_at;
        }
    }

    #[test]
    fn samples_hold_replays_and_direct_customers() {
        let profile = Profile::of(ProfileName::Small);
        let d = Dataset::plan(1, &profile);
        let s = d.sample(0, "dom", 2_000);
        let distinct: std::collections::BTreeSet<_> =
            s.iter().map(|p| p.payment_id.clone()).collect();
        assert!(distinct.len() < s.len() && distinct.len() > s.len() * 95 / 100);
        assert!(s.iter().any(|p| p.customer_id.as_str().contains("direct")));
        assert!(
            s.iter()
                .all(|p| p.paid_at < NOW && p.paid_at >= NOW - Duration::days(RECENT_DAYS))
        );
    }

    #[test]
    fn balance_keeps_every_job_once() {
        let lanes = balance(&[100, 1, 1, 50, 50, 3], 3);
        assert_eq!(lanes.len(), 3);
        let mut all: Vec<usize> = lanes.concat();
        all.sort_unstable();
        assert_eq!(all, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(lanes[0], vec![0]);
    }
}
