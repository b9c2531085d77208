//! Property tests of the pure money arithmetic and conservation checks of revshare-domain,
//! and of its parsers of outside input fed hostile text.

#[path = "../common/mod.rs"]
mod common;

mod hostile;
mod money;
mod payout;
mod rate;
mod refund;

use proptest::prelude::*;
use revshare_domain::value::Currency;

/// Any supported currency.
pub fn any_currency() -> impl Strategy<Value = Currency> {
    prop::sample::select(Currency::all().collect::<Vec<_>>())
}

/// 10^n as i128.
pub fn pow10(n: u32) -> i128 {
    10i128.pow(n)
}
