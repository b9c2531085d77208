//! Commission terms: the four models, rules, precedence, and the calculation of one payment.

mod calculation;
mod model;
mod rule;

pub use calculation::{
    ChosenTerms, Commission, LedgerFacts, NoCommission, PaymentFacts, TermsSource, choose_terms,
};
pub use model::{CommissionModel, MAX_TIERS, ModelKind, TierRate};
pub use rule::{CommissionRule, MAX_DURATION_MONTHS, MAX_SCOPE_IDS};
