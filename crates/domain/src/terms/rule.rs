//! Commission rules: terms scoped to a partner, products and customers, in a time window.

use std::collections::BTreeSet;

use time::OffsetDateTime;

use crate::terms::CommissionModel;
use crate::value::{CustomerId, Money, PartnerId, ProductId, RuleId, TenantId};

/// Most product or customer ids one rule may be scoped to.
pub const MAX_SCOPE_IDS: usize = 1_000;
/// Longest `max_duration_months` accepted (100 years).
pub const MAX_DURATION_MONTHS: u32 = 1_200;

/// Terms that apply to a partner's payments in a window, optionally to some products or customers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CommissionRule {
    /// Identity.
    pub id: RuleId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The partner the rule pays.
    pub partner_id: PartnerId,
    /// Operator-facing name.
    pub name: String,
    /// How the amount is computed.
    pub model: CommissionModel,
    /// Products the rule is limited to; empty matches every payment.
    pub product_ids: BTreeSet<ProductId>,
    /// Customers the rule is limited to; empty matches every customer.
    pub customer_ids: BTreeSet<CustomerId>,
    /// First instant the rule applies.
    #[serde(with = "time::serde::rfc3339")]
    pub effective_from: OffsetDateTime,
    /// First instant the rule no longer applies (`None`: open-ended).
    #[serde(with = "time::serde::rfc3339::option")]
    pub effective_to: Option<OffsetDateTime>,
    /// Larger wins; ties go to the older rule.
    pub priority: i32,
    /// Commission only during the first N calendar months of the attribution.
    pub max_duration_months: Option<u32>,
    /// Most commission this rule may produce per UTC month, in the cap's currency.
    pub monthly_cap: Option<Money>,
    /// Inactive rules are kept for history but never chosen.
    pub active: bool,
    /// Creation instant; breaks priority ties.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last change.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl CommissionRule {
    /// True when the rule is active and its window `[effective_from, effective_to)` contains `at`.
    pub fn in_force_at(&self, at: OffsetDateTime) -> bool {
        self.active && self.effective_from <= at && self.effective_to.is_none_or(|to| at < to)
    }

    /// Product and customer scope: an empty scope matches everything; a product-scoped rule
    /// never matches a payment without product ids.
    pub fn matches_scope(&self, products: &[ProductId], customer: &CustomerId) -> bool {
        let products_ok =
            self.product_ids.is_empty() || products.iter().any(|p| self.product_ids.contains(p));
        let customer_ok = self.customer_ids.is_empty() || self.customer_ids.contains(customer);
        products_ok && customer_ok
    }
}
