//! `cargo xtask reconcile [--tenant UUID] [--json]`: the conservation check of SPEC §2.

use std::sync::Arc;

use anyhow::bail;
use clap::Args;
use revshare_domain::Engine;
use revshare_domain::port::{SystemClock, UuidV7Source};
use revshare_domain::reconciliation::{Breach, MonthTotal, ReconciliationReport};
use revshare_domain::value::{Currency, Money, TenantId};
use revshare_infra::{DatabaseConnection, SeaLedger, migration_status};
use time::format_description::well_known::Rfc3339;

/// Options of `reconcile`.
#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// Check one tenant only (default: every tenant).
    #[arg(long, value_parser = parse_tenant)]
    tenant: Option<TenantId>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_tenant(s: &str) -> Result<TenantId, String> {
    TenantId::parse(s).map_err(|e| e.to_string())
}

/// Runs the check; exits with status 1 when any invariant is broken.
pub async fn run(db: DatabaseConnection, args: ReconcileArgs) -> anyhow::Result<()> {
    let (_, pending) = migration_status(&db).await?;
    if !pending.is_empty() {
        bail!(
            "the database has {} pending migration(s); run `cargo xtask migrate up` first",
            pending.len()
        );
    }
    let engine = Engine::new(
        Arc::new(SeaLedger::new(db)),
        Arc::new(SystemClock),
        Arc::new(UuidV7Source),
    );
    let report = engine.reconcile(args.tenant).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_human(&report);
    }
    if !report.is_clean() {
        use std::io::Write;
        std::io::stdout().flush().ok();
        std::process::exit(1);
    }
    Ok(())
}

fn print_human(r: &ReconciliationReport) {
    let scope = r
        .tenant_id
        .map_or_else(|| "every tenant".to_owned(), |t| format!("tenant {t}"));
    let at = r.checked_at.format(&Rfc3339).unwrap_or_default();
    println!("reconciliation of {scope} at {at}");
    println!("  payouts checked: {}", r.payouts_checked);
    println!("  events checked:  {}", r.events_checked);
    if r.is_clean() {
        println!(
            "  result: CLEAN — every payout equals its events, no event is claimed twice or paid \
             outside a completed payout, Σ paid events = Σ completed payouts per partner and \
             currency, and the daily totals and the monthly tier volumes and cap usages equal the events"
        );
        return;
    }
    println!("  result: {} BREACH(ES)", r.breaches.len());
    for b in &r.breaches {
        println!("  - {}", describe(b));
    }
}

fn describe(b: &Breach) -> String {
    match b {
        Breach::PayoutTotalMismatch {
            payout_id,
            total_minor,
            events_minor,
            commission_count,
            events_count,
        } => format!(
            "payout {payout_id}: stored total {total_minor} minor units over {commission_count} \
             commission(s), but its events sum to {events_minor} over {events_count}"
        ),
        Breach::PayoutStatusMismatch {
            payout_id,
            status,
            paid_events,
            events_count,
        } => format!(
            "payout {payout_id} is {status} but {paid_events} of its {events_count} event(s) are paid"
        ),
        Breach::BalanceMismatch {
            partner_id,
            currency,
            paid_events_minor,
            completed_payouts_minor,
        } => format!(
            "partner {partner_id}, {currency}: paid events sum to {}, completed payouts to {}",
            amount(*paid_events_minor, *currency),
            amount(*completed_payouts_minor, *currency)
        ),
        Breach::TotalsDrift {
            partner_id,
            currency,
            status,
            events_minor,
            events_count,
            totals_minor,
            totals_count,
        } => format!(
            "partner {partner_id}, {currency}, {status}: events sum to {} over {events_count}, \
             daily totals to {} over {totals_count}",
            amount(*events_minor, *currency),
            amount(*totals_minor, *currency)
        ),
        Breach::MonthTotalsDrift {
            total,
            currency,
            month,
            events_minor,
            kept_minor,
        } => {
            let (what, id) = match total {
                MonthTotal::TierVolume { partner_id } => {
                    ("tier volume of partner", partner_id.to_string())
                }
                MonthTotal::CapUsage { rule_id } => ("cap usage of rule", rule_id.to_string()),
            };
            format!(
                "{what} {id}, {currency}, month from {}: events sum to {}, the kept total is {}",
                month.start.date(),
                amount(*events_minor, *currency),
                amount(*kept_minor, *currency)
            )
        }
        Breach::Event(a) => format!("commission {}: {}", a.event_id, a.problem),
    }
}

fn amount(minor: i64, currency: Currency) -> String {
    Money::from_minor(minor, currency).map_or_else(
        |_| format!("{minor} minor units {currency}"),
        |m| m.to_string(),
    )
}
