//! Terms precedence and the commission of one payment (SPEC §3 steps 3–4, §3a).

use rust_decimal::Decimal;
use serde::Serialize;
use time::OffsetDateTime;

use crate::attribution::PartnerAccount;
use crate::partner::Partner;
use crate::terms::{CommissionModel, CommissionRule};
use crate::value::{CustomerId, Money, ProductId, Rate, RuleId, add_months};

/// Where the terms of a commission came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TermsSource {
    /// The attribution's custom revenue-share rate.
    CustomRate,
    /// A commission rule.
    Rule,
    /// The partner's default model.
    PartnerDefault,
    /// Entered by an operator (manual adjustments).
    Manual,
    /// Derived from the original commission (refunds, clawbacks).
    Refund,
}

impl TermsSource {
    /// Stored name.
    pub fn name(&self) -> &'static str {
        match self {
            TermsSource::CustomRate => "custom_rate",
            TermsSource::Rule => "rule",
            TermsSource::PartnerDefault => "partner_default",
            TermsSource::Manual => "manual",
            TermsSource::Refund => "refund",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::CustomRate,
            Self::Rule,
            Self::PartnerDefault,
            Self::Manual,
            Self::Refund,
        ]
        .into_iter()
        .find(|t| t.name() == s)
    }
}

/// The terms chosen for a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChosenTerms<'a> {
    /// Which level of precedence produced them.
    pub source: TermsSource,
    /// The model to apply.
    pub model: CommissionModel,
    /// The rule, when `source` is [`TermsSource::Rule`].
    pub rule: Option<&'a CommissionRule>,
}

/// What is known of a payment when its commission is computed.
#[derive(Debug, Clone)]
pub struct PaymentFacts<'a> {
    /// Amount paid.
    pub amount: Money,
    /// When it was paid.
    pub paid_at: OffsetDateTime,
    /// Products on the invoice.
    pub product_ids: &'a [ProductId],
    /// The paying customer.
    pub customer_id: &'a CustomerId,
}

/// Picks the terms, first match wins: the attribution's custom rate, then the partner's
/// highest-priority rule in force whose scope matches (ties to the older rule), then the
/// partner's default. `None` means no terms apply.
pub fn choose_terms<'a>(
    account: &PartnerAccount,
    partner: &Partner,
    rules: &'a [CommissionRule],
    payment: &PaymentFacts<'_>,
) -> Option<ChosenTerms<'a>> {
    if let Some(rate) = account.custom_rate {
        return Some(ChosenTerms {
            source: TermsSource::CustomRate,
            model: CommissionModel::RevenueShare { rate },
            rule: None,
        });
    }
    let best = rules
        .iter()
        .filter(|r| r.partner_id == partner.id && r.in_force_at(payment.paid_at))
        .filter(|r| r.matches_scope(payment.product_ids, payment.customer_id))
        .min_by(|a, b| {
            b.priority
                .cmp(&a.priority)
                .then(a.created_at.cmp(&b.created_at))
                .then(a.id.cmp(&b.id))
        });
    if let Some(rule) = best {
        return Some(ChosenTerms {
            source: TermsSource::Rule,
            model: rule.model.clone(),
            rule: Some(rule),
        });
    }
    partner.default_terms.clone().map(|model| ChosenTerms {
        source: TermsSource::PartnerDefault,
        model,
        rule: None,
    })
}

/// Why chosen terms produced no commission; each is an outcome, not an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoCommission {
    /// A fee or cap is in another currency than the payment (no FX).
    CurrencyMismatch,
    /// The rule's `max_duration_months` since the attribution started has elapsed.
    DurationElapsed,
    /// The rule's monthly cap is used up.
    Capped,
    /// The terms yield an amount that rounds to zero.
    ZeroCommission,
}

/// A computed commission, with everything needed to explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commission {
    /// The amount, rounded once to the minor unit (after the cap).
    pub amount: Money,
    /// The payment amount the rate applied to.
    pub base: Money,
    /// The rate used, if any.
    pub rate: Option<Rate>,
    /// The fee used, if any.
    pub fee: Option<Money>,
    /// Precedence level of the terms.
    pub source: TermsSource,
    /// The rule, if the terms came from one.
    pub rule_id: Option<RuleId>,
    /// True when the monthly cap reduced the amount.
    pub capped: bool,
}

/// What the calculation needs from the ledger, loaded only when the terms ask for it.
#[derive(Debug, Clone, Copy, Default)]
pub struct LedgerFacts {
    /// The partner's paid volume this month in the payment's currency, before this payment.
    pub month_volume: Option<Money>,
    /// What the rule has already produced this month (for capped rules).
    pub cap_used: Option<Money>,
}

impl ChosenTerms<'_> {
    /// The monthly cap of the chosen rule, if any.
    pub fn monthly_cap(&self) -> Option<Money> {
        self.rule.and_then(|r| r.monthly_cap)
    }

    /// Computes the commission of a payment under these terms.
    ///
    /// `attribution_start` anchors `max_duration_months`. The chosen terms decide: a
    /// `duration_elapsed` or `currency_mismatch` never falls through to other terms.
    pub fn calculate(
        &self,
        payment: &PaymentFacts<'_>,
        attribution_start: OffsetDateTime,
        facts: LedgerFacts,
    ) -> Result<Commission, NoCommission> {
        let currency = payment.amount.currency();
        if let Some(months) = self.rule.and_then(|r| r.max_duration_months)
            && payment.paid_at >= add_months(attribution_start, months)
        {
            return Err(NoCommission::DurationElapsed);
        }
        let fee = self.model.fee();
        if fee.is_some_and(|f| f.currency() != currency)
            || self.monthly_cap().is_some_and(|c| c.currency() != currency)
        {
            return Err(NoCommission::CurrencyMismatch);
        }
        let volume = facts.month_volume.map_or(Decimal::ZERO, |v| v.amount());
        let rate = self.model.rate_at(volume);
        let share = rate.map_or(Decimal::ZERO, |r| payment.amount.amount() * r.value());
        let exact = share + fee.map_or(Decimal::ZERO, |f| f.amount());
        let mut amount = Money::round(exact, currency).map_err(|_| NoCommission::ZeroCommission)?;
        let mut capped = false;
        if let Some(cap) = self.monthly_cap() {
            let used = facts.cap_used.unwrap_or_else(|| Money::zero(currency));
            let left = cap
                .checked_sub(used)
                .filter(Money::is_positive)
                .ok_or(NoCommission::Capped)?;
            if amount.amount() > left.amount() {
                amount = left;
                capped = true;
            }
        }
        if !amount.is_positive() {
            return Err(NoCommission::ZeroCommission);
        }
        Ok(Commission {
            amount,
            base: payment.amount,
            rate,
            fee,
            source: self.source,
            rule_id: self.rule.map(|r| r.id),
            capped,
        })
    }
}
