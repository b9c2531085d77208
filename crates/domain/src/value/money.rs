//! Exact amounts of money in a currency, and the one rounding rule of revshare.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::error::ValidationError;
use crate::value::Currency;

/// Largest magnitude of one amount accepted from outside, in minor units
/// (9,999,999,999,999.99 USD). Sums of up to 9,000 such amounts still fit an `i64`, the
/// storage type, so stored sums are bounded by `i64` only.
pub const MAX_MINOR_UNITS: i64 = 999_999_999_999_999;

/// An exact amount in a currency. The amount never has more decimals than the currency's
/// minor unit and never exceeds [`MAX_MINOR_UNITS`]; it may be negative (refund adjustments,
/// clawbacks, manual debits).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// Parses a decimal string that must be exact in the currency's minor unit
    /// (`"10.005"` USD is refused, `"100.00"` JPY is 100).
    pub fn parse(text: &str, currency: Currency) -> Result<Self, ValidationError> {
        let t = text.trim();
        if t.is_empty() || t.len() > 40 || t.contains(['e', 'E', '_']) || t.starts_with('+') {
            return Err(ValidationError::new(
                "amount",
                format!("{text:?} is not a decimal amount"),
            ));
        }
        // Exact: `parse` would round digits past a Decimal's 28 places away
        // ("1.000…0001" with 30 decimals would become 1.00), hiding an inexact amount.
        let d = Decimal::from_str_exact(t).map_err(|_| {
            ValidationError::new("amount", format!("{text:?} is not a decimal amount"))
        })?;
        Money::from_input(d, currency)
    }

    /// Accepts an amount from outside: exact in the minor unit and at most
    /// [`MAX_MINOR_UNITS`] in magnitude.
    pub fn from_input(amount: Decimal, currency: Currency) -> Result<Self, ValidationError> {
        let m = Money::from_decimal(amount, currency)?;
        if m.minor().unsigned_abs() > MAX_MINOR_UNITS.unsigned_abs() {
            return Err(ValidationError::new(
                "amount",
                format!("{amount} exceeds the largest accepted amount"),
            ));
        }
        Ok(m)
    }

    /// Accepts a decimal that is exact in the currency's minor unit.
    pub fn from_decimal(amount: Decimal, currency: Currency) -> Result<Self, ValidationError> {
        let normal = amount.normalize();
        if normal.scale() > currency.exponent() {
            return Err(ValidationError::new(
                "amount",
                format!(
                    "{amount} has more than {} decimals for {currency}",
                    currency.exponent()
                ),
            ));
        }
        let m = Money {
            amount: with_scale(normal, currency),
            currency,
        };
        m.minor_checked()
            .ok_or_else(|| ValidationError::new("amount", format!("{amount} is too large")))?;
        Ok(m)
    }

    /// Builds an amount from integer minor units (cents for USD). Any `i64` is valid, so
    /// stored sums always convert; the input bound is enforced by [`Money::parse`].
    pub fn from_minor(minor: i64, currency: Currency) -> Result<Self, ValidationError> {
        Ok(Money {
            amount: Decimal::new(minor, currency.exponent()),
            currency,
        })
    }

    /// Zero in a currency.
    pub fn zero(currency: Currency) -> Self {
        Money {
            amount: with_scale(Decimal::ZERO, currency),
            currency,
        }
    }

    /// Rounds any exact product to the currency's minor unit, half away from zero, once.
    pub fn round(value: Decimal, currency: Currency) -> Result<Self, ValidationError> {
        let r = value
            .round_dp_with_strategy(currency.exponent(), RoundingStrategy::MidpointAwayFromZero);
        Money::from_decimal(r, currency)
    }

    /// The exact decimal amount.
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount in integer minor units; exact by construction.
    pub fn minor(&self) -> i64 {
        // Construction guarantees the scale and the bound, so this cannot fail.
        self.minor_checked().unwrap_or(0)
    }

    fn minor_checked(&self) -> Option<i64> {
        let mut m = self.amount;
        m.rescale(self.currency.exponent());
        i64::try_from(m.mantissa()).ok()
    }

    /// True when the amount is strictly positive.
    pub fn is_positive(&self) -> bool {
        self.amount > Decimal::ZERO
    }

    /// True when the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// The negated amount.
    pub fn negate(&self) -> Self {
        Money {
            amount: -self.amount,
            currency: self.currency,
        }
    }

    /// Adds an amount of the same currency; `None` on another currency or overflow.
    pub fn checked_add(&self, other: Money) -> Option<Money> {
        if self.currency != other.currency {
            return None;
        }
        Money::from_decimal(self.amount.checked_add(other.amount)?, self.currency).ok()
    }

    /// Subtracts an amount of the same currency; `None` on another currency or overflow.
    pub fn checked_sub(&self, other: Money) -> Option<Money> {
        self.checked_add(other.negate())
    }

    /// The amount as a string with exactly the currency's decimals (`"12500.50"`, `"100"` JPY).
    pub fn to_plain_string(&self) -> String {
        self.amount.to_string()
    }
}

fn with_scale(d: Decimal, currency: Currency) -> Decimal {
    let mut d = d;
    d.rescale(currency.exponent());
    d
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// Serialises as `{"amount": "12.50", "currency": "USD"}`, the amount a string.
impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Money", 2)?;
        st.serialize_field("amount", &self.to_plain_string())?;
        st.serialize_field("currency", &self.currency)?;
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn parse_is_exact_in_the_minor_unit() {
        assert_eq!(
            Money::parse("12500.5", Currency::USD)
                .unwrap()
                .to_plain_string(),
            "12500.50"
        );
        assert_eq!(
            Money::parse("100.00", Currency::JPY)
                .unwrap()
                .to_plain_string(),
            "100"
        );
        assert_eq!(Money::parse("1.234", Currency::KWD).unwrap().minor(), 1234);
        assert!(Money::parse("10.005", Currency::USD).is_err());
        assert!(Money::parse("100.5", Currency::JPY).is_err());
        for bad in ["", "abc", "1e3", "1_000", "+5", "NaN", "1.2.3"] {
            assert!(
                Money::parse(bad, Currency::USD).is_err(),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn bounds_hold_at_the_edge() {
        let max = Money::parse("9999999999999.99", Currency::USD).unwrap();
        assert_eq!(max.minor(), MAX_MINOR_UNITS);
        assert!(Money::parse("10000000000000.00", Currency::USD).is_err());
        // Stored sums may exceed one input's bound; they are bounded by i64 only.
        assert_eq!(
            Money::from_minor(i64::MAX, Currency::USD).unwrap().minor(),
            i64::MAX
        );
        assert!(Money::from_decimal(Decimal::MAX, Currency::USD).is_err());
        assert_eq!(
            Money::from_minor(-MAX_MINOR_UNITS, Currency::USD)
                .unwrap()
                .negate(),
            max
        );
    }

    #[test]
    fn rounding_is_half_away_from_zero_once() {
        // The seed stored 333.33 × 15% as 49.9995; we store 50.00.
        let r = Money::round(dec!(333.33) * dec!(0.15), Currency::USD).unwrap();
        assert_eq!(r.to_plain_string(), "50.00");
        assert_eq!(Money::round(dec!(0.005), Currency::USD).unwrap().minor(), 1);
        assert_eq!(
            Money::round(dec!(-0.005), Currency::USD).unwrap().minor(),
            -1
        );
        assert_eq!(
            Money::round(dec!(0.0049), Currency::USD).unwrap().minor(),
            0
        );
        assert_eq!(Money::round(dec!(2.5), Currency::JPY).unwrap().minor(), 3);
    }

    #[test]
    fn serialises_amounts_as_strings() {
        let m = Money::parse("0.1", Currency::USD).unwrap();
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"amount":"0.10","currency":"USD"}"#
        );
    }
}
