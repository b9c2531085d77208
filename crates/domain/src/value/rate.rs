//! Exact commission rates between 0 and 1.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ValidationError;

/// Most decimals a rate may carry; rates are stored as integer millionths.
pub const RATE_DECIMALS: u32 = 6;
const MICROS_PER_UNIT: i64 = 1_000_000;

/// A rate `0 ≤ r ≤ 1` with at most six decimals (`0.15` is 15 %).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rate(Decimal);

impl Rate {
    /// Parses a decimal string such as `"0.15"`.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let t = text.trim();
        if t.is_empty() || t.len() > 20 || t.contains(['e', 'E', '_']) {
            return Err(ValidationError::new(
                "rate",
                format!("{text:?} is not a decimal rate"),
            ));
        }
        // Exact: never rounded on the way in.
        let d = Decimal::from_str_exact(t)
            .map_err(|_| ValidationError::new("rate", format!("{text:?} is not a decimal rate")))?;
        Rate::from_decimal(d)
    }

    /// Accepts a decimal in `[0, 1]` with at most six decimals.
    pub fn from_decimal(d: Decimal) -> Result<Self, ValidationError> {
        let d = d.normalize();
        if d.is_sign_negative() && !d.is_zero() || d > Decimal::ONE {
            return Err(ValidationError::new(
                "rate",
                format!("{d} is outside 0..=1"),
            ));
        }
        if d.scale() > RATE_DECIMALS {
            return Err(ValidationError::new(
                "rate",
                format!("{d} has more than {RATE_DECIMALS} decimals"),
            ));
        }
        Ok(Rate(d.abs()))
    }

    /// Builds a rate from integer millionths (150000 is 15 %).
    pub fn from_micros(micros: i64) -> Result<Self, ValidationError> {
        if !(0..=MICROS_PER_UNIT).contains(&micros) {
            return Err(ValidationError::new(
                "rate",
                format!("{micros} millionths is outside 0..=1"),
            ));
        }
        Ok(Rate(Decimal::new(micros, RATE_DECIMALS).normalize()))
    }

    /// The rate in integer millionths, its storage form.
    pub fn micros(&self) -> i64 {
        let mut d = self.0;
        d.rescale(RATE_DECIMALS);
        i64::try_from(d.mantissa()).unwrap_or(0)
    }

    /// The exact decimal value.
    pub fn value(&self) -> Decimal {
        self.0
    }

    /// Zero.
    pub fn zero() -> Self {
        Rate(Decimal::ZERO)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rate({})", self.0)
    }
}

impl Serialize for Rate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Rate::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_zero_to_one_with_six_decimals() {
        assert_eq!(Rate::parse("0.15").unwrap().micros(), 150_000);
        assert_eq!(Rate::parse("1").unwrap().micros(), 1_000_000);
        assert_eq!(Rate::parse("0.000001").unwrap().micros(), 1);
        assert_eq!(Rate::parse("0.100000").unwrap().to_string(), "0.1");
        assert_eq!(
            Rate::from_micros(150_000).unwrap(),
            Rate::parse("0.15").unwrap()
        );
    }

    #[test]
    fn refuses_out_of_range_and_too_precise() {
        for bad in ["-0.1", "1.000001", "0.0000001", "abc", "", "1e-2", "2"] {
            assert!(Rate::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(Rate::from_micros(1_000_001).is_err());
        assert!(Rate::from_micros(-1).is_err());
    }
}
