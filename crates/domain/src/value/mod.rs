//! Value types built by validating constructors: a value that exists is valid.

mod currency;
mod ids;
mod money;
mod period;
mod rate;

pub use currency::Currency;
pub use ids::{
    CustomerId, EventId, InvoiceId, MAX_EXTERNAL_ID_LEN, PartnerAccountId, PartnerId,
    PartnerUserId, PaymentId, PayoutId, ProductId, RefundId, RuleId, TenantId,
};
pub use money::{MAX_MINOR_UNITS, Money};
pub use period::{
    EARLIEST_INSTANT, LATEST_INSTANT, Period, add_months, check_instant, midnight, start_of_day,
    start_of_month,
};
pub use rate::{RATE_DECIMALS, Rate};
