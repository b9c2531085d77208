//! The JSON shapes shared by several resources: instants, amounts, commissions, payouts,
//! pages. Amounts are always strings with the currency's decimals; instants are RFC 3339.

mod commission;
mod ingestion;
mod payout;
mod terms;
mod values;

pub use commission::CommissionDto;
pub use ingestion::{OutcomeDto, PaymentIn, RefundIn};
pub use payout::PayoutDto;
pub use terms::{TermsDto, TierDto};
pub use values::{
    AmountText, CursorQuery, InstantParam, ListQuery, double_option, rfc3339, rfc3339_opt,
};
