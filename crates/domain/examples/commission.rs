//! Prices a payment under a partner's terms and takes a refund back, with the pure parts of
//! revshare-domain only (no database): `cargo run -p revshare-domain --example commission`.

use std::collections::{BTreeMap, BTreeSet};

use revshare_domain::attribution::PartnerAccount;
use revshare_domain::partner::{Partner, PartnerStatus, PartnerTier};
use revshare_domain::refund::RefundState;
use revshare_domain::terms::{
    CommissionModel, CommissionRule, LedgerFacts, PaymentFacts, choose_terms,
};
use revshare_domain::value::{
    Currency, CustomerId, Money, PartnerAccountId, PartnerId, ProductId, Rate, RuleId, TenantId,
};
use time::macros::datetime;
use uuid::Uuid;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tenant = TenantId::from_uuid(Uuid::from_u128(1));
    let partner = Partner {
        id: PartnerId::from_uuid(Uuid::from_u128(2)),
        tenant_id: tenant,
        partner_number: "P-0001".into(),
        name: "Northwind Resellers".into(),
        status: PartnerStatus::Active,
        tier: PartnerTier::Gold,
        default_terms: Some(CommissionModel::RevenueShare {
            rate: Rate::parse("0.15")?,
        }),
        hold_days: 0,
        minimum_payouts: BTreeMap::new(),
        contact_email: None,
        tax_id: None,
        created_at: datetime!(2026-01-01 00:00 UTC),
        updated_at: datetime!(2026-01-01 00:00 UTC),
    };
    let customer = CustomerId::parse("cust_42")?;
    let account = PartnerAccount {
        id: PartnerAccountId::from_uuid(Uuid::from_u128(3)),
        tenant_id: tenant,
        partner_id: partner.id,
        customer_id: customer.clone(),
        start: datetime!(2026-01-01 00:00 UTC),
        end: None,
        custom_rate: None,
        created_at: datetime!(2026-01-01 00:00 UTC),
    };
    // A hybrid rule for the Pro plan: 5.00 USD + 10 %.
    let rule = CommissionRule {
        id: RuleId::from_uuid(Uuid::from_u128(4)),
        tenant_id: tenant,
        partner_id: partner.id,
        name: "Pro plan".into(),
        model: CommissionModel::Hybrid {
            fee: Money::parse("5.00", Currency::USD)?,
            rate: Rate::parse("0.10")?,
        },
        product_ids: BTreeSet::from([ProductId::parse("plan_pro")?]),
        customer_ids: BTreeSet::new(),
        effective_from: datetime!(2026-01-01 00:00 UTC),
        effective_to: None,
        priority: 10,
        max_duration_months: None,
        monthly_cap: None,
        active: true,
        created_at: datetime!(2026-01-01 00:00 UTC),
        updated_at: datetime!(2026-01-01 00:00 UTC),
    };
    let rules = [rule];

    for (amount, products) in [
        ("333.33", vec![]),
        ("200.00", vec![ProductId::parse("plan_pro")?]),
    ] {
        let payment = PaymentFacts {
            amount: Money::parse(amount, Currency::USD)?,
            paid_at: datetime!(2026-03-01 10:00 UTC),
            product_ids: &products,
            customer_id: &customer,
        };
        let terms = choose_terms(&account, &partner, &rules, &payment).ok_or("no terms")?;
        let c = terms
            .calculate(&payment, account.start, LedgerFacts::default())
            .map_err(|n| format!("{n:?}"))?;
        println!(
            "payment {amount} USD → commission {} ({:?} terms)",
            c.amount, c.source
        );
    }

    // Three refunds of a third each take 3.33, 3.33 and exactly what is left, 3.34.
    let mut state = RefundState {
        payment: Money::parse("300.00", Currency::USD)?,
        commission: Money::parse("10.00", Currency::USD)?,
        refunded: Money::zero(Currency::USD),
        adjusted: Money::zero(Currency::USD),
    };
    for _ in 0..3 {
        let refund = Money::parse("100.00", Currency::USD)?;
        let taken = state.adjustment_for(refund)?;
        println!("refund {refund} → adjustment -{taken}");
        state.refunded = state.refunded.checked_add(refund).ok_or("overflow")?;
        state.adjusted = state.adjusted.checked_add(taken).ok_or("overflow")?;
    }
    Ok(())
}
