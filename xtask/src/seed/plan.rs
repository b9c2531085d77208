//! The seeded world, decided entirely from the seed before anything touches the database:
//! tenants, partners and their fates, rules, customers and their attributions, payments and
//! refunds. Each kind of thing draws from its own random stream, so asking for more payments
//! does not change the partners.

use std::collections::{BTreeMap, BTreeSet};

use revshare_domain::ingestion::{InvoicePayment, Refund};
use revshare_domain::partner::PartnerTier;
use revshare_domain::terms::{CommissionModel, TierRate};
use revshare_domain::usecase::NewPartner;
use revshare_domain::value::{
    Currency, CustomerId, InvoiceId, Money, PaymentId, ProductId, Rate, RefundId, TenantId,
};
use rust_decimal::Decimal;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::deterministic::{Rng, SeedIds};
use revshare_domain::port::IdSource;

/// The seeder's "now": every operation is recorded at this instant (or a few hours after).
pub const NOW: OffsetDateTime = datetime!(2026-11-20 12:00 UTC);
/// Payments are spread over this many days before [`NOW`] (about 13 months).
pub const HISTORY_DAYS: i64 = 395;
/// Partners are suspended or terminated between the payments dated before and after
/// `NOW - CUT_DAYS`, so they have earnings and later payments find them inactive.
pub const CUT_DAYS: i64 = 75;
/// The first payout run pays events dated up to `NOW - FIRST_PAYOUT_DAYS`.
pub const FIRST_PAYOUT_DAYS: i64 = 45;

/// What the seeder does to a partner's status over the story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Activated at the start and stays active.
    Active,
    /// Activated, suspended at the cut.
    SuspendedAtCut,
    /// Activated, suspended at the cut and reactivated at once.
    ResumedAtCut,
    /// Activated, terminated at the cut.
    TerminatedAtCut,
    /// Never activated: stays pending.
    NeverActivated,
    /// Created and archived at once (the soft delete).
    Archived,
}

impl Fate {
    /// True when the partner earns commissions at some point.
    pub fn earns(self) -> bool {
        !matches!(self, Fate::NeverActivated | Fate::Archived)
    }
}

/// A commission rule to create; `customers` index into the tenant's customers.
#[derive(Debug, Clone)]
pub struct RulePlan {
    pub name: String,
    pub model: CommissionModel,
    pub products: BTreeSet<ProductId>,
    pub customers: Vec<usize>,
    pub effective_from: OffsetDateTime,
    pub effective_to: Option<OffsetDateTime>,
    pub priority: i32,
    pub max_duration_months: Option<u32>,
    pub monthly_cap: Option<Money>,
    pub active: bool,
}

/// A partner to create.
#[derive(Debug, Clone)]
pub struct PartnerPlan {
    pub input: NewPartner,
    pub fate: Fate,
    pub rules: Vec<RulePlan>,
}

/// One attribution of a customer; `end` is set with `end_attribution` after creation.
#[derive(Debug, Clone)]
pub struct AccountPlan {
    pub partner: usize,
    pub start: OffsetDateTime,
    pub end: Option<OffsetDateTime>,
    pub custom_rate: Option<Rate>,
}

/// A customer of the billing system, with the attributions it will have.
#[derive(Debug, Clone)]
pub struct CustomerPlan {
    pub id: CustomerId,
    pub currency: Currency,
    pub accounts: Vec<AccountPlan>,
}

impl CustomerPlan {
    /// The partner (index) the customer is attributed to at an instant, per the plan.
    pub fn partner_at(&self, at: OffsetDateTime) -> Option<usize> {
        self.accounts
            .iter()
            .find(|a| a.start <= at && a.end.is_none_or(|e| at < e))
            .map(|a| a.partner)
    }
}

/// One tenant's world.
#[derive(Debug, Clone)]
pub struct TenantPlan {
    pub index: usize,
    pub id: TenantId,
    pub partners: Vec<PartnerPlan>,
    pub customers: Vec<CustomerPlan>,
}

/// A payment to record; `replay` marks a redelivery of an earlier `payment_id`.
#[derive(Debug, Clone)]
pub struct PaymentPlan {
    pub seq: usize,
    pub tenant: usize,
    pub customer: usize,
    pub payment: InvoicePayment,
    pub replay: bool,
}

/// When a refund is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundWave {
    /// Before the first payout run: refund adjustments.
    BeforePayouts,
    /// After the first payouts completed: mostly clawbacks.
    AfterPayouts,
}

/// A refund to record, of payment `seq`.
#[derive(Debug, Clone)]
pub struct RefundPlan {
    pub seq: usize,
    pub wave: RefundWave,
    pub refund: Refund,
    /// True when revshare must refuse it (more than is left of the payment).
    pub excessive: bool,
}

/// Everything the seeder will create.
#[derive(Debug, Clone)]
pub struct World {
    pub tenants: Vec<TenantPlan>,
    pub payments: Vec<PaymentPlan>,
    pub refunds: Vec<RefundPlan>,
}

/// How big a world to make.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub tenants: usize,
    pub partners: usize,
    pub customers: usize,
    pub payments: usize,
}

fn usd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::USD).unwrap_or_else(|_| Money::zero(Currency::USD))
}

fn minor_in(minor: i64, c: Currency) -> Money {
    Money::from_minor(minor, c).unwrap_or_else(|_| Money::zero(c))
}

fn rate(micros: i64) -> Rate {
    Rate::from_micros(micros.clamp(0, 1_000_000)).unwrap_or_else(|_| Rate::zero())
}

fn product(name: &str) -> ProductId {
    ProductId::parse(name).unwrap_or_else(|_| unreachable!("static product id"))
}

fn day(at: OffsetDateTime) -> OffsetDateTime {
    revshare_domain::value::start_of_day(at)
}

/// The beginning of the payment history.
pub fn history_start() -> OffsetDateTime {
    NOW - Duration::days(HISTORY_DAYS)
}

/// Builds the whole world of a seed.
pub fn world(seed: u64, size: Size) -> World {
    let tenant_ids = SeedIds::new(seed, 0);
    let tenants: Vec<TenantPlan> = (0..size.tenants)
        .map(|t| tenant(seed, t, TenantId::from_uuid(tenant_ids.new_id()), size))
        .collect();
    let payments = payments(seed, &tenants, size.payments);
    let refunds = refunds(seed, &payments);
    World {
        tenants,
        payments,
        refunds,
    }
}

/// First words of partner names (shared with the bench dataset).
pub(crate) const NAME_A: [&str; 16] = [
    "Northwind",
    "Bluebird",
    "Cobalt",
    "Granite",
    "Harbor",
    "Juniper",
    "Keystone",
    "Lumen",
    "Meridian",
    "Nimbus",
    "Orchard",
    "Pinnacle",
    "Quarry",
    "Riverbend",
    "Summit",
    "Tidewater",
];
/// Second words of partner names.
pub(crate) const NAME_B: [&str; 8] = [
    "Cloud",
    "Systems",
    "Digital",
    "Networks",
    "Software",
    "IT Services",
    "Data",
    "Consulting",
];
const NAME_C: [&str; 5] = ["Partners", "GmbH", "Ltd", "Inc.", "Group"];

fn fate_of(p: usize, rng: &mut Rng) -> Fate {
    match p {
        0 | 4 => Fate::Active,
        1 => Fate::SuspendedAtCut,
        2 => Fate::TerminatedAtCut,
        3 => Fate::NeverActivated,
        5 => Fate::ResumedAtCut,
        _ => match rng.below(100) {
            0..78 => Fate::Active,
            78..84 => Fate::ResumedAtCut,
            84..90 => Fate::SuspendedAtCut,
            90..95 => Fate::TerminatedAtCut,
            _ => Fate::NeverActivated,
        },
    }
}

fn default_terms(p: usize, rng: &mut Rng) -> Option<CommissionModel> {
    if p == 4 || (p > 5 && rng.chance(10)) {
        return None; // rules only: payments they do not match have no terms
    }
    let share = rate(rng.range(8, 25) * 10_000);
    Some(match (p, rng.below(100)) {
        (1, _) | (6.., 70..80) => CommissionModel::Hybrid {
            fee: usd(rng.range(100, 500)),
            rate: rate(rng.range(3, 10) * 10_000),
        },
        (3, _) | (6.., 80..90) => CommissionModel::FlatFee {
            fee: usd(rng.range(1_000, 4_000)),
        },
        (2, _) | (6.., 90..) => tiers(rng),
        _ => CommissionModel::RevenueShare { rate: share },
    })
}

fn tiers(rng: &mut Rng) -> CommissionModel {
    let base = rng.range(8, 12) * 10_000;
    let t = |min: i64, micros: i64| TierRate {
        min_volume: Decimal::from(min),
        rate: rate(micros),
    };
    CommissionModel::tiered(vec![
        t(0, base),
        t(20_000, base + 30_000),
        t(100_000, base + 60_000),
    ])
    .unwrap_or(CommissionModel::RevenueShare { rate: rate(base) })
}

fn partner(seed: u64, t: usize, p: usize, own: &[usize]) -> PartnerPlan {
    let mut rng = Rng::stream(seed, "partner", ((t as u64) << 32) | p as u64);
    let name = format!(
        "{} {} {}",
        rng.pick(&NAME_A),
        rng.pick(&NAME_B),
        rng.pick(&NAME_C)
    );
    let slug: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    let tier = if p == 0 {
        PartnerTier::Gold
    } else {
        *rng.pick(PartnerTier::ALL)
    };
    let hold_days = match (p, rng.below(100)) {
        (0, _) => 30,
        (_, 0..40) => 0,
        (_, 40..70) => 14,
        (_, 70..90) => 30,
        _ => 45,
    };
    let mut minimum_payouts = BTreeMap::new();
    if p == 2 || rng.chance(25) {
        minimum_payouts.insert(Currency::USD, usd(10_000));
        minimum_payouts.insert(Currency::EUR, minor_in(10_000, Currency::EUR));
        minimum_payouts.insert(Currency::JPY, minor_in(15_000, Currency::JPY));
    }
    let fate = fate_of(p, &mut rng);
    let default_terms = default_terms(p, &mut rng);
    let rules = rules(&mut rng, p, own);
    PartnerPlan {
        input: NewPartner {
            partner_number: format!("P-{:04}", p + 1),
            name,
            tier,
            default_terms,
            hold_days,
            minimum_payouts,
            contact_email: Some(format!("finance@{slug}.example")),
            tax_id: rng
                .chance(80)
                .then(|| format!("TAX-{:09}", rng.below(1_000_000_000))),
        },
        fate,
        rules,
    }
}

fn rules(rng: &mut Rng, p: usize, own: &[usize]) -> Vec<RulePlan> {
    let forced = p == 0;
    let since = history_start() - Duration::days(100);
    let mut out = Vec::new();
    let base = |name: &str, model: CommissionModel, priority: i32| RulePlan {
        name: name.to_owned(),
        model,
        products: BTreeSet::new(),
        customers: Vec::new(),
        effective_from: since,
        effective_to: None,
        priority,
        max_duration_months: None,
        monthly_cap: None,
        active: true,
    };
    if forced || rng.chance(70) {
        let mut r = base("Enterprise volume tiers", tiers(rng), 100);
        r.products.insert(product("prod-enterprise"));
        out.push(r);
    }
    if !own.is_empty() && (forced || rng.chance(60)) {
        let model = CommissionModel::Hybrid {
            fee: usd(rng.range(200, 1_000)),
            rate: rate(rng.range(2, 8) * 10_000),
        };
        let mut r = base("Key accounts hybrid", model, 50);
        r.customers = own.iter().copied().filter(|_| rng.chance(35)).collect();
        if r.customers.is_empty() {
            r.customers.push(*rng.pick(own));
        }
        r.monthly_cap = Some(usd(rng.range(200, 800) * 100));
        out.push(r);
    }
    if forced || rng.chance(60) {
        let model = CommissionModel::FlatFee {
            fee: usd(rng.range(1_500, 4_000)),
        };
        let mut r = base("Add-on flat fee", model, 30);
        r.products.insert(product("prod-addon"));
        r.max_duration_months = Some(rng.range(4, 8) as u32);
        out.push(r);
    }
    if forced || rng.chance(40) {
        let model = CommissionModel::RevenueShare {
            rate: rate(rng.range(25, 35) * 10_000),
        };
        let mut r = base("Launch promo", model, 200);
        r.effective_from = day(NOW - Duration::days(300));
        r.effective_to = Some(day(NOW - Duration::days(200)));
        // For new customers only: their first six months.
        r.max_duration_months = Some(6);
        out.push(r);
    }
    if forced || rng.chance(30) {
        let model = CommissionModel::RevenueShare {
            rate: rate(500_000),
        };
        let mut r = base("Retired 2025 plan", model, 500);
        r.active = false;
        out.push(r);
    }
    out
}

fn currency_of(p: usize, c: usize, rng: &mut Rng) -> Currency {
    match (p, c) {
        (0..3, 1) => Currency::EUR,
        (0..3, 2) => Currency::JPY,
        _ => match rng.below(100) {
            0..70 => Currency::USD,
            70..90 => Currency::EUR,
            _ => Currency::JPY,
        },
    }
}

fn tenant(seed: u64, t: usize, id: TenantId, size: Size) -> TenantPlan {
    let mut customers = Vec::new();
    let mut own: Vec<Vec<usize>> = vec![Vec::new(); size.partners];
    for (p, own) in own.iter_mut().enumerate() {
        for c in 0..size.customers {
            let key = ((t as u64) << 48) | ((p as u64) << 24) | c as u64;
            let mut rng = Rng::stream(seed, "customer", key);
            // Most customers were brought before the history starts; some recently.
            let days_ago = if rng.chance(85) {
                rng.range(380, 540)
            } else {
                rng.range(30, 380)
            };
            let start = day(NOW - Duration::days(days_ago));
            let custom_rate =
                ((p == 0 && c == 1) || rng.chance(10)).then(|| rate(rng.range(5, 30) * 10_000));
            let mut accounts = vec![AccountPlan {
                partner: p,
                start,
                end: None,
                custom_rate,
            }];
            let transfer = (p == 0 && c == 2 && size.partners > 1) || rng.chance(6);
            let end = start + Duration::days(rng.range(60, 240));
            if transfer && end < NOW - Duration::days(10) {
                accounts[0].end = Some(end);
                if size.partners > 1 && (p == 0 || rng.chance(60)) {
                    accounts.push(AccountPlan {
                        partner: (p + 1) % size.partners,
                        start: end,
                        end: None,
                        custom_rate: None,
                    });
                }
            }
            own.push(customers.len());
            customers.push(CustomerPlan {
                id: customer_id(&format!("cus-{}-{:03}-{:04}", t + 1, p + 1, c + 1)),
                currency: currency_of(p, c, &mut rng),
                accounts,
            });
        }
    }
    // Customers no partner brought: their payments are `unattributed`.
    let strays = (size.partners * size.customers / 20).max(1);
    for k in 0..strays {
        let mut rng = Rng::stream(seed, "stray", ((t as u64) << 32) | k as u64);
        customers.push(CustomerPlan {
            id: customer_id(&format!("cus-{}-direct-{:04}", t + 1, k + 1)),
            currency: currency_of(usize::MAX, 0, &mut rng),
            accounts: Vec::new(),
        });
    }
    let mut partners: Vec<PartnerPlan> = (0..size.partners)
        .map(|p| partner(seed, t, p, &own[p]))
        .collect();
    // One more partner, archived right away: the soft delete.
    let mut archived = partner(seed, t, size.partners, &[]);
    archived.fate = Fate::Archived;
    archived.rules.clear();
    partners.push(archived);
    TenantPlan {
        index: t,
        id,
        partners,
        customers,
    }
}

fn customer_id(s: &str) -> CustomerId {
    CustomerId::parse(s).unwrap_or_else(|_| unreachable!("generated customer ids are valid"))
}

fn amount(rng: &mut Rng, currency: Currency) -> Money {
    let minor = if rng.chance(1) {
        // Tiny payments: their commission rounds to zero.
        rng.range(1, if currency == Currency::JPY { 4 } else { 20 })
    } else if currency == Currency::JPY {
        rng.magnitude(3, 6)
    } else if rng.chance(5) {
        rng.magnitude(6, 6)
    } else {
        rng.magnitude(3, 5)
    };
    minor_in(minor, currency)
}

fn products(rng: &mut Rng) -> Vec<ProductId> {
    let names: &[&str] = match rng.below(100) {
        0..45 => &[],
        45..70 => &["prod-basic"],
        70..82 => &["prod-pro"],
        82..92 => &["prod-enterprise"],
        92..96 => &["prod-pro", "prod-addon"],
        _ => &["prod-addon"],
    };
    names.iter().map(|n| product(n)).collect()
}

fn payments(seed: u64, tenants: &[TenantPlan], n: usize) -> Vec<PaymentPlan> {
    let mut out: Vec<PaymentPlan> = Vec::with_capacity(n);
    let mut by_tenant: Vec<Vec<usize>> = vec![Vec::new(); tenants.len()];
    let span = HISTORY_DAYS * 86_400;
    for seq in 0..n {
        let mut rng = Rng::stream(seed, "payment", seq as u64);
        let t = rng.below(tenants.len() as u64) as usize;
        if !by_tenant[t].is_empty() && rng.chance(1) {
            // A redelivery of an earlier payment, with a different amount: answered as a
            // duplicate with the original outcome.
            let orig = &out[*rng.pick(&by_tenant[t])];
            let mut payment = orig.payment.clone();
            payment.amount = minor_in(payment.amount.minor() + 1, payment.amount.currency());
            out.push(PaymentPlan {
                seq,
                tenant: t,
                customer: orig.customer,
                payment,
                replay: true,
            });
            continue;
        }
        let tenant = &tenants[t];
        let c = rng.below(tenant.customers.len() as u64) as usize;
        let customer = &tenant.customers[c];
        let paid_at = history_start() + Duration::seconds(rng.range(0, span - 1));
        let payment = InvoicePayment {
            payment_id: PaymentId::parse(&format!("pay-{}-{seq:07}", t + 1))
                .unwrap_or_else(|_| unreachable!()),
            invoice_id: InvoiceId::parse(&format!("inv-{}-{seq:07}", t + 1))
                .unwrap_or_else(|_| unreachable!()),
            invoice_number: Some(format!("INV-{}-{seq:07}", paid_at.year())),
            customer_id: customer.id.clone(),
            amount: amount(&mut rng, customer.currency),
            paid_at,
            product_ids: products(&mut rng),
        };
        by_tenant[t].push(seq);
        out.push(PaymentPlan {
            seq,
            tenant: t,
            customer: c,
            payment,
            replay: false,
        });
    }
    out
}

fn refund(p: &PaymentPlan, k: usize, minor: i64, at: OffsetDateTime) -> Refund {
    let c = p.payment.amount.currency();
    Refund {
        refund_id: RefundId::parse(&format!("re-{}-{:07}-{k}", p.tenant + 1, p.seq))
            .unwrap_or_else(|_| unreachable!()),
        payment_id: p.payment.payment_id.clone(),
        amount: Decimal::new(minor, c.exponent()),
        currency: Some(c),
        refunded_at: at.min(NOW - Duration::hours(1)),
    }
}

fn refunds(seed: u64, payments: &[PaymentPlan]) -> Vec<RefundPlan> {
    let mut out = Vec::new();
    let first_cutoff = NOW - Duration::days(FIRST_PAYOUT_DAYS);
    for p in payments.iter().filter(|p| !p.replay) {
        let mut rng = Rng::stream(seed, "refund", p.seq as u64);
        let amount = p.payment.amount.minor();
        let roll = rng.below(1_000);
        let plan = |k, minor, at, wave, excessive| RefundPlan {
            seq: p.seq,
            wave,
            refund: refund(p, k, minor, at),
            excessive,
        };
        if roll < 40 {
            // Wave 1: before any payout.
            let at = p.payment.paid_at + Duration::days(rng.range(1, 25));
            let wave = RefundWave::BeforePayouts;
            match rng.below(100) {
                0..45 => {
                    let part = (amount * rng.range(10, 60) / 100).max(1);
                    out.push(plan(1, part, at, wave, false));
                }
                45..75 => out.push(plan(1, amount, at, wave, false)),
                75..90 => {
                    let first = (amount * rng.range(30, 50) / 100).max(1);
                    out.push(plan(1, first, at, wave, false));
                    if amount > first {
                        let later = at + Duration::days(rng.range(1, 10));
                        out.push(plan(2, amount - first, later, wave, false));
                    }
                }
                90..95 => out.push(plan(1, 1, at, wave, false)),
                _ => out.push(plan(1, amount + 1, at, wave, true)),
            }
        } else if roll < 65 && p.payment.paid_at < first_cutoff - Duration::days(1) {
            // Wave 2: after the first payouts completed, so mostly clawbacks.
            let at = NOW - Duration::days(rng.range(1, FIRST_PAYOUT_DAYS - 1));
            let minor = if rng.chance(50) {
                amount
            } else {
                (amount * rng.range(10, 90) / 100).max(1)
            };
            out.push(plan(1, minor, at, RefundWave::AfterPayouts, false));
        }
    }
    out
}
