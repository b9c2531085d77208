//! Builders for partners, attributions, rules and payments, with sensible defaults.

use std::collections::{BTreeMap, BTreeSet};

use revshare_domain::Actor;
use revshare_domain::ingestion::{IngestionResult, InvoicePayment, Refund};
use revshare_domain::partner::{Partner, PartnerStatus, PartnerTier};
use revshare_domain::terms::{CommissionModel, CommissionRule};
use revshare_domain::usecase::{NewAccount, NewPartner, RuleDraft};
use revshare_domain::value::{
    Currency, CustomerId, InvoiceId, Money, PartnerId, PaymentId, ProductId, Rate, RefundId,
    TenantId,
};
use time::OffsetDateTime;

use crate::{TestContext, at};

/// The billing principal that ingests in tests.
pub fn billing() -> Actor {
    Actor("billing".into())
}

/// An operator.
pub fn operator() -> Actor {
    Actor("operator@test".into())
}

/// A fresh tenant id.
pub fn tenant() -> TenantId {
    TenantId::from_uuid(uuid::Uuid::now_v7())
}

/// `"0.15"` → a rate.
pub fn rate(s: &str) -> Rate {
    Rate::parse(s).expect("rate")
}

/// `("12.50", USD)` → money.
pub fn money(s: &str, c: Currency) -> Money {
    Money::parse(s, c).expect("money")
}

/// USD shorthand.
pub fn usd(s: &str) -> Money {
    money(s, Currency::USD)
}

impl TestContext {
    /// An active partner with the given default terms and hold period.
    pub async fn active_partner(
        &self,
        tenant: TenantId,
        number: &str,
        default_terms: Option<CommissionModel>,
        hold_days: u32,
    ) -> Partner {
        let p = self
            .engine
            .create_partner(
                tenant,
                &operator(),
                NewPartner {
                    partner_number: number.into(),
                    name: format!("Partner {number}"),
                    tier: PartnerTier::Gold,
                    default_terms,
                    hold_days,
                    minimum_payouts: BTreeMap::new(),
                    contact_email: Some(format!("{number}@partners.test")),
                    tax_id: None,
                },
            )
            .await
            .expect("create partner");
        self.engine
            .move_partner(tenant, &operator(), p.id, PartnerStatus::Active)
            .await
            .expect("activate partner")
    }

    /// Sets a partner's minimum payout in the amount's currency (the only minimum it then has).
    pub async fn set_minimum_payout(&self, tenant: TenantId, partner: PartnerId, minimum: Money) {
        let mut minimums = BTreeMap::new();
        minimums.insert(minimum.currency(), minimum);
        self.engine
            .update_partner(
                tenant,
                &operator(),
                partner,
                revshare_domain::usecase::PartnerUpdate {
                    minimum_payouts: Some(minimums),
                    ..Default::default()
                },
            )
            .await
            .expect("set the minimum payout");
    }

    /// Attributes `customer` to `partner` from `start` (open-ended).
    pub async fn attribute(
        &self,
        tenant: TenantId,
        partner: PartnerId,
        customer: &str,
        start: &str,
        custom_rate: Option<&str>,
    ) {
        self.engine
            .attribute_customer(
                tenant,
                &operator(),
                NewAccount {
                    partner_id: partner,
                    customer_id: CustomerId::parse(customer).expect("customer id"),
                    start: at(start),
                    end: None,
                    custom_rate: custom_rate.map(rate),
                },
            )
            .await
            .expect("attribute customer");
    }

    /// Creates a rule from a draft built by [`rule`].
    pub async fn rule(&self, tenant: TenantId, draft: RuleDraft) -> CommissionRule {
        self.engine
            .create_rule(tenant, &operator(), draft)
            .await
            .expect("create rule")
    }

    /// Records a payment of `amount` USD by `customer` at `paid_at`.
    pub async fn pay(
        &self,
        tenant: TenantId,
        payment_id: &str,
        customer: &str,
        amount: Money,
        paid_at: &str,
    ) -> IngestionResult {
        self.engine
            .record_payment(
                tenant,
                &billing(),
                payment(payment_id, customer, amount, paid_at, &[]),
            )
            .await
            .expect("record payment")
    }

    /// Records a refund.
    pub async fn refund(
        &self,
        tenant: TenantId,
        refund_id: &str,
        payment_id: &str,
        amount: &str,
        at_: &str,
    ) -> IngestionResult {
        self.engine
            .record_refund(
                tenant,
                &billing(),
                Refund {
                    refund_id: RefundId::parse(refund_id).expect("refund id"),
                    payment_id: PaymentId::parse(payment_id).expect("payment id"),
                    amount: crate::dec(amount),
                    currency: None,
                    refunded_at: at(at_),
                },
            )
            .await
            .expect("record refund")
    }
}

/// A payment.
pub fn payment(
    payment_id: &str,
    customer: &str,
    amount: Money,
    paid_at: &str,
    products: &[&str],
) -> InvoicePayment {
    InvoicePayment {
        payment_id: PaymentId::parse(payment_id).expect("payment id"),
        invoice_id: InvoiceId::parse(&format!("inv-{payment_id}")).expect("invoice id"),
        invoice_number: Some(format!("INV-{payment_id}")),
        customer_id: CustomerId::parse(customer).expect("customer id"),
        amount,
        paid_at: at(paid_at),
        product_ids: products
            .iter()
            .map(|p| ProductId::parse(p).expect("product id"))
            .collect(),
    }
}

/// A rule draft for a partner with a model, effective from 2020, priority 0, everything else empty.
pub fn rule(partner: PartnerId, name: &str, model: CommissionModel) -> RuleDraft {
    RuleDraft {
        partner_id: partner,
        name: name.into(),
        model,
        product_ids: BTreeSet::new(),
        customer_ids: BTreeSet::new(),
        effective_from: at("2020-01-01T00:00:00Z"),
        effective_to: None,
        priority: 0,
        max_duration_months: None,
        monthly_cap: None,
        active: true,
    }
}

/// A revenue-share model.
pub fn share(r: &str) -> CommissionModel {
    CommissionModel::RevenueShare { rate: rate(r) }
}

/// The instant `s`.
pub fn instant(s: &str) -> OffsetDateTime {
    at(s)
}
