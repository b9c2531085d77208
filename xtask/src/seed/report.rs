//! What the seeder did, and what the ledger holds afterwards.

use std::collections::BTreeMap;
use std::sync::Arc;

use revshare_domain::commission::{EventStatus, EventType};
use revshare_domain::ingestion::{IngestionResult, PaymentOutcome, RefundOutcome};
use revshare_domain::partner::PartnerStatus;
use revshare_domain::payout::PayoutStatus;
use revshare_domain::port::Ledger;
use revshare_domain::query::{CommissionFilter, PageRequest, PayoutFilter};

use super::plan::World;

/// Counts of what the seeder did.
#[derive(Debug, Default)]
pub struct Tally {
    pub partners: u64,
    pub rules: u64,
    pub attributions: u64,
    pub attributions_ended: u64,
    pub partner_moves: u64,
    pub payments: BTreeMap<String, u64>,
    pub duplicates: u64,
    pub refunds: BTreeMap<String, u64>,
    pub refunds_refused: u64,
    pub refunds_unknown: u64,
    /// Refusals or acceptances the plan did not expect (each one a lead for a bug).
    pub surprises: Vec<String>,
    pub rejected: u64,
    pub approved: u64,
    pub approved_due: u64,
    pub adjustments: u64,
    pub payouts_created: u64,
    pub payout_refusals: BTreeMap<String, u64>,
    pub payout_moves: u64,
}

impl Tally {
    /// Counts a payment's answer.
    pub fn payment(&mut self, r: &IngestionResult) {
        if r.duplicate {
            self.duplicates += 1;
        } else {
            *self.payments.entry(r.outcome.clone()).or_default() += 1;
        }
    }

    /// Counts a refund's answer; `excessive` refunds must be refused.
    pub fn refund(&mut self, r: &Result<IngestionResult, String>, excessive: bool) {
        match (r, excessive) {
            (Ok(r), false) => *self.refunds.entry(r.outcome.clone()).or_default() += 1,
            (Err(_), true) => self.refunds_refused += 1,
            (Ok(r), true) => self
                .surprises
                .push(format!("refund {} beyond its payment was accepted", r.id)),
            (Err(e), false) => self.surprises.push(format!("a refund was refused: {e}")),
        }
    }
}

/// Counts per value of each dimension the seed is meant to cover.
#[derive(Debug, Default)]
pub struct Coverage {
    groups: Vec<(&'static str, Vec<(String, u64)>)>,
}

impl Coverage {
    fn group(&mut self, name: &'static str, values: &[&str], counts: &BTreeMap<String, u64>) {
        let row = values
            .iter()
            .map(|v| ((*v).to_owned(), counts.get(*v).copied().unwrap_or(0)))
            .collect();
        self.groups.push((name, row));
    }
}

const MODELS: [&str; 4] = ["revenue_share", "flat_fee", "tiered", "hybrid"];
const PAGE: PageRequest = PageRequest {
    limit: 500,
    offset: 0,
};
const ONE: PageRequest = PageRequest {
    limit: 1,
    offset: 0,
};

/// Reads back, through the ledger, how many of each status, model and type exist.
pub async fn coverage(ledger: &Arc<dyn Ledger>, world: &World) -> anyhow::Result<Coverage> {
    let mut partner_status: BTreeMap<String, u64> = BTreeMap::new();
    let mut rule_models: BTreeMap<String, u64> = BTreeMap::new();
    let mut default_models: BTreeMap<String, u64> = BTreeMap::new();
    let mut features: BTreeMap<String, u64> = BTreeMap::new();
    let mut event_status: BTreeMap<String, u64> = BTreeMap::new();
    let mut event_type: BTreeMap<String, u64> = BTreeMap::new();
    let mut payout_status: BTreeMap<String, u64> = BTreeMap::new();
    let bump = |m: &mut BTreeMap<String, u64>, k: &str, n: u64| {
        *m.entry(k.to_owned()).or_default() += n;
    };
    for t in &world.tenants {
        let mut page = PAGE;
        loop {
            let partners = ledger.list_partners(t.id, page).await?;
            for p in &partners.items {
                bump(&mut partner_status, p.status.name(), 1);
                if let Some(m) = &p.default_terms {
                    bump(&mut default_models, m.kind().name(), 1);
                }
                for r in ledger.rules_of_partner(t.id, p.id).await? {
                    bump(&mut rule_models, r.model.kind().name(), 1);
                    let flags = [
                        ("monthly cap", r.monthly_cap.is_some()),
                        ("max_duration_months", r.max_duration_months.is_some()),
                        ("product scope", !r.product_ids.is_empty()),
                        ("customer scope", !r.customer_ids.is_empty()),
                        ("effective_to", r.effective_to.is_some()),
                        ("inactive", !r.active),
                    ];
                    for (name, on) in flags {
                        bump(&mut features, name, u64::from(on));
                    }
                }
            }
            page.offset += u64::from(page.limit);
            if page.offset >= partners.total {
                break;
            }
        }
        for s in EventStatus::ALL {
            let f = CommissionFilter {
                status: Some(*s),
                ..CommissionFilter::default()
            };
            bump(
                &mut event_status,
                s.name(),
                ledger.list_commissions(t.id, &f, ONE).await?.total,
            );
        }
        for ty in EventType::ALL {
            let f = CommissionFilter {
                event_type: Some(*ty),
                ..CommissionFilter::default()
            };
            bump(
                &mut event_type,
                ty.name(),
                ledger.list_commissions(t.id, &f, ONE).await?.total,
            );
        }
        for s in PayoutStatus::ALL {
            let f = PayoutFilter {
                status: Some(*s),
                ..PayoutFilter::default()
            };
            bump(
                &mut payout_status,
                s.name(),
                ledger.list_payouts(t.id, &f, ONE).await?.total,
            );
        }
    }
    let names = |all: &[&'static str]| all.to_vec();
    let mut c = Coverage::default();
    c.group(
        "partners by status",
        &names(
            &PartnerStatus::ALL
                .iter()
                .map(|s| s.name())
                .collect::<Vec<_>>(),
        ),
        &partner_status,
    );
    c.group("rules by model", &MODELS, &rule_models);
    c.group("partner defaults by model", &MODELS, &default_models);
    c.group(
        "rules with",
        &[
            "monthly cap",
            "max_duration_months",
            "product scope",
            "customer scope",
            "effective_to",
            "inactive",
        ],
        &features,
    );
    c.group(
        "events by status",
        &EventStatus::ALL
            .iter()
            .map(|s| s.name())
            .collect::<Vec<_>>(),
        &event_status,
    );
    c.group(
        "events by type",
        &EventType::ALL.iter().map(|s| s.name()).collect::<Vec<_>>(),
        &event_type,
    );
    c.group(
        "payouts by status",
        &PayoutStatus::ALL
            .iter()
            .map(|s| s.name())
            .collect::<Vec<_>>(),
        &payout_status,
    );
    Ok(c)
}

fn line(label: &str, row: &[(String, u64)]) -> String {
    let parts: Vec<String> = row.iter().map(|(k, n)| format!("{k} {n}")).collect();
    format!("  {label:<28}{}", parts.join(", "))
}

fn row(all: &[&str], counts: &BTreeMap<String, u64>) -> Vec<(String, u64)> {
    all.iter()
        .map(|k| ((*k).to_owned(), counts.get(*k).copied().unwrap_or(0)))
        .collect()
}

/// Prints the summary and the coverage check.
pub fn print(t: &Tally, c: &Coverage) {
    let payment_outcomes: Vec<&str> = PaymentOutcome::ALL.iter().map(|o| o.name()).collect();
    let refund_outcomes: Vec<&str> = RefundOutcome::ALL.iter().map(|o| o.name()).collect();
    let payments = row(&payment_outcomes, &t.payments);
    let refunds = row(&refund_outcomes, &t.refunds);
    println!("summary");
    println!(
        "  {:<28}{} partners, {} rules, {} attributions ({} ended), {} status moves",
        "setup", t.partners, t.rules, t.attributions, t.attributions_ended, t.partner_moves
    );
    println!("{}", line("payments by outcome", &payments));
    println!("  {:<28}{}", "payment redeliveries", t.duplicates);
    println!("{}", line("refunds by outcome", &refunds));
    println!(
        "  {:<28}{} beyond the payment, {} of an unknown payment",
        "refunds refused", t.refunds_refused, t.refunds_unknown
    );
    println!(
        "  {:<28}{} rejected, {} approved by hand, {} approved when due, {} manual adjustments",
        "review", t.rejected, t.approved, t.approved_due, t.adjustments
    );
    let refusals: Vec<String> = t
        .payout_refusals
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    println!(
        "  {:<28}{} created, {} status moves; refused: {}",
        "payouts",
        t.payouts_created,
        t.payout_moves,
        if refusals.is_empty() {
            "none".to_owned()
        } else {
            refusals.join(", ")
        }
    );
    println!("ledger");
    for (name, row) in &c.groups {
        println!("{}", line(name, row));
    }
    let mut missing: Vec<String> = Vec::new();
    for (name, row) in c.groups.iter().map(|(n, r)| (*n, r)).chain([
        ("payments by outcome", &payments),
        ("refunds by outcome", &refunds),
    ]) {
        for (k, n) in row {
            if *n == 0 {
                missing.push(format!("{name}: {k}"));
            }
        }
    }
    for s in &t.surprises {
        println!("  SURPRISE: {s}");
    }
    if missing.is_empty() {
        println!(
            "coverage: complete — every partner status, commission model, payment and refund \
             outcome, event status and type, and payout status is present"
        );
    } else {
        println!(
            "coverage: missing {} (a bigger --partners/--customers/--payments covers them)",
            missing.join("; ")
        );
    }
}
