//! What the terms of a batch of payments depend on — attributions, partners, rules, tier
//! volumes and cap usage — read in a fixed number of statements per batch, then kept current
//! in memory while the batch's commissions are computed in order, so a batch gives exactly the
//! answers the same payments recorded one by one would.

use std::collections::{BTreeSet, HashMap};

use crate::attribution::PartnerAccount;
use crate::error::StoreError;
use crate::ingestion::{InvoicePayment, PaymentOutcome};
use crate::partner::{Partner, PartnerStatus};
use crate::port::{LedgerTx, UsageKey, VolumeKey};
use crate::terms::{
    ChosenTerms, Commission, CommissionRule, LedgerFacts, PaymentFacts, choose_terms,
};
use crate::value::{CustomerId, Money, PartnerId, Period, TenantId};

use super::Evaluation;

/// The ledger as the batch sees it; partners stay locked until the transaction ends.
pub(super) struct BatchFacts {
    accounts: HashMap<CustomerId, Vec<PartnerAccount>>,
    partners: HashMap<PartnerId, Partner>,
    rules: HashMap<PartnerId, Vec<CommissionRule>>,
    volumes: HashMap<VolumeKey, i64>,
    usages: HashMap<UsageKey, i64>,
}

fn facts_of(p: &InvoicePayment) -> PaymentFacts<'_> {
    PaymentFacts {
        amount: p.amount,
        paid_at: p.paid_at,
        product_ids: &p.product_ids,
        customer_id: &p.customer_id,
    }
}

fn volume_key(partner: PartnerId, p: &InvoicePayment) -> VolumeKey {
    VolumeKey {
        partner,
        currency: p.amount.currency(),
        month: Period::month_of(p.paid_at),
    }
}

/// The cap usage a payment under `terms` depends on, if its rule is capped in its currency.
fn usage_key(terms: &ChosenTerms<'_>, p: &InvoicePayment) -> Option<UsageKey> {
    let currency = p.amount.currency();
    match (terms.rule, terms.monthly_cap()) {
        (Some(rule), Some(cap)) if cap.currency() == currency => Some(UsageKey {
            rule: rule.id,
            currency,
            month: Period::month_of(p.paid_at),
        }),
        _ => None,
    }
}

impl BatchFacts {
    /// Reads (and locks) everything `payments` depend on.
    pub(super) async fn load(
        tx: &mut dyn LedgerTx,
        tenant: TenantId,
        payments: &[&InvoicePayment],
    ) -> Result<Self, StoreError> {
        let customers: Vec<CustomerId> = payments
            .iter()
            .map(|p| p.customer_id.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut facts = BatchFacts {
            accounts: HashMap::new(),
            partners: HashMap::new(),
            rules: HashMap::new(),
            volumes: HashMap::new(),
            usages: HashMap::new(),
        };
        if customers.is_empty() {
            return Ok(facts);
        }
        for a in tx.accounts_of_customers(tenant, &customers).await? {
            facts
                .accounts
                .entry(a.customer_id.clone())
                .or_default()
                .push(a);
        }

        let partner_ids: Vec<PartnerId> = payments
            .iter()
            .filter_map(|p| facts.account_in_force(p).map(|a| a.partner_id))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if partner_ids.is_empty() {
            return Ok(facts);
        }
        facts.partners = tx
            .lock_partners(tenant, &partner_ids)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let active: Vec<PartnerId> = partner_ids
            .iter()
            .copied()
            .filter(|id| {
                facts
                    .partners
                    .get(id)
                    .is_some_and(|p| p.status == PartnerStatus::Active)
            })
            .collect();
        if !active.is_empty() {
            for r in tx.active_rules_of_partners(tenant, &active).await? {
                facts.rules.entry(r.partner_id).or_default().push(r);
            }
        }

        let mut volume_keys = BTreeSet::new();
        let mut usage_keys = BTreeSet::new();
        for p in payments {
            let Some((account, partner)) = facts.attribution(p) else {
                continue;
            };
            if let Some(terms) =
                choose_terms(account, partner, facts.rules_of(partner.id), &facts_of(p))
            {
                if terms.model.needs_volume() {
                    volume_keys.insert(volume_key(partner.id, p));
                }
                usage_keys.extend(usage_key(&terms, p));
            }
        }
        let volume_keys: Vec<VolumeKey> = volume_keys.into_iter().collect();
        if !volume_keys.is_empty() {
            let sums = tx.payment_volumes(tenant, &volume_keys).await?;
            facts.volumes = volume_keys.into_iter().zip(sums).collect();
        }
        let usage_keys: Vec<UsageKey> = usage_keys.into_iter().collect();
        if !usage_keys.is_empty() {
            let sums = tx.rule_usages(tenant, &usage_keys).await?;
            facts.usages = usage_keys.into_iter().zip(sums).collect();
        }
        Ok(facts)
    }

    /// The attribution in force when the payment was made (the latest-starting one).
    fn account_in_force(&self, p: &InvoicePayment) -> Option<&PartnerAccount> {
        self.accounts
            .get(&p.customer_id)?
            .iter()
            .filter(|a| a.in_force_at(p.paid_at))
            .max_by_key(|a| a.start)
    }

    /// The attribution in force and its partner, when the partner exists.
    fn attribution(&self, p: &InvoicePayment) -> Option<(&PartnerAccount, &Partner)> {
        let account = self.account_in_force(p)?;
        let partner = self.partners.get(&account.partner_id)?;
        (partner.status == PartnerStatus::Active).then_some((account, partner))
    }

    fn rules_of(&self, partner: PartnerId) -> &[CommissionRule] {
        self.rules.get(&partner).map_or(&[], Vec::as_slice)
    }

    /// The outcome of a payment given the ledger as it stands now, and its partner.
    pub(super) fn evaluate(&self, p: &InvoicePayment) -> (Evaluation, Option<&Partner>) {
        let Some(account) = self.account_in_force(p) else {
            return (
                Evaluation::without(PaymentOutcome::Unattributed, None),
                None,
            );
        };
        let Some(partner) = self.partners.get(&account.partner_id) else {
            return (
                Evaluation::without(PaymentOutcome::Unattributed, None),
                None,
            );
        };
        let partner_id = Some(partner.id);
        if partner.status != PartnerStatus::Active {
            return (
                Evaluation::without(PaymentOutcome::PartnerInactive, partner_id),
                None,
            );
        }
        let facts = facts_of(p);
        let Some(terms) = choose_terms(account, partner, self.rules_of(partner.id), &facts) else {
            return (
                Evaluation::without(PaymentOutcome::NoTerms, partner_id),
                None,
            );
        };
        let currency = p.amount.currency();
        let mut ledger = LedgerFacts::default();
        if terms.model.needs_volume() {
            let minor = self
                .volumes
                .get(&volume_key(partner.id, p))
                .copied()
                .unwrap_or(0);
            ledger.month_volume = Money::from_minor(minor, currency).ok();
        }
        if let Some(key) = usage_key(&terms, p) {
            let minor = self.usages.get(&key).copied().unwrap_or(0);
            ledger.cap_used = Money::from_minor(minor, currency).ok();
        }
        let evaluation = match terms.calculate(&facts, account.start, ledger) {
            Ok(c) => Evaluation {
                outcome: PaymentOutcome::Created,
                partner_id,
                commission: Some(c),
            },
            Err(no) => Evaluation::without(no.into(), partner_id),
        };
        (evaluation, Some(partner))
    }

    /// Counts a written commission in the volume and cap usage later payments of the batch
    /// see, as the ledger's sums would once it is stored.
    pub(super) fn record(&mut self, partner: PartnerId, p: &InvoicePayment, c: &Commission) {
        if let Some(v) = self.volumes.get_mut(&volume_key(partner, p)) {
            *v = v.saturating_add(c.base.minor());
        }
        if let Some(rule) = c.rule_id {
            let key = UsageKey {
                rule,
                currency: c.amount.currency(),
                month: Period::month_of(p.paid_at),
            };
            if let Some(u) = self.usages.get_mut(&key) {
                *u = u.saturating_add(c.amount.minor());
            }
        }
    }
}
