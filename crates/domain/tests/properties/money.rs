//! `Money::round`, `Money::parse` and `Money::to_plain_string` (SPEC §2).

use proptest::prelude::*;
use revshare_domain::value::{Currency, MAX_MINOR_UNITS, Money};
use rust_decimal::Decimal;

use crate::{any_currency, pow10};

/// Reference rounding on integers: `mantissa / 10^scale` to `exponent` decimals, half away
/// from zero, as a count of minor units.
fn reference_round(mantissa: i128, scale: u32, exponent: u32) -> i128 {
    if scale <= exponent {
        return mantissa * pow10(exponent - scale);
    }
    let d = pow10(scale - exponent);
    let (q, r) = (mantissa / d, mantissa % d);
    // Rust's `/` truncates toward zero, so |q| is the magnitude rounded down.
    if 2 * r.abs() >= d {
        q + mantissa.signum()
    } else {
        q
    }
}

/// Reference formatting: sign, integer part, and exactly `exponent` decimals.
fn reference_plain(minor: i64, exponent: u32) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    if exponent == 0 {
        return format!("{sign}{abs}");
    }
    let d = 10u64.pow(exponent);
    format!("{sign}{}.{:0w$}", abs / d, abs % d, w = exponent as usize)
}

/// Mantissas that often sit at or near a midpoint, plus arbitrary ones.
fn mantissa() -> impl Strategy<Value = i64> {
    prop_oneof![
        any::<i64>(),
        -1_000_000i64..=1_000_000,
        (-10_000_000i64..=10_000_000).prop_map(|m| m * 10 + 5),
        (-10_000_000i64..=10_000_000).prop_map(|m| m * 100 + 50),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Rounding is half away from zero to the currency's exponent, and the result is exact in
    /// the minor unit; any result within the input bound is accepted.
    #[test]
    fn round_is_half_away_from_zero_to_the_exponent(
        m in mantissa(),
        scale in 0u32..=12,
        currency in any_currency(),
    ) {
        let value = Decimal::new(m, scale);
        let e = currency.exponent();
        let expected = reference_round(i128::from(m), scale, e);
        match Money::round(value, currency) {
            Ok(r) => {
                prop_assert_eq!(i128::from(r.minor()), expected);
                prop_assert_eq!(r.currency(), currency);
                // Exact: the amount is minor × 10^-e with exactly e decimals.
                prop_assert_eq!(r.amount(), Decimal::new(r.minor(), e));
                prop_assert_eq!(r.amount().scale(), e);
                // Within half a unit of the value, and rounding again changes nothing.
                let unit = Decimal::new(1, e);
                prop_assert!((r.amount() - value).abs() * Decimal::TWO <= unit);
                prop_assert_eq!(Money::round(r.amount(), currency).unwrap(), r);
            }
            // Only a result beyond the input bound may be refused (stored sums may go up to
            // i64; one amount never exceeds MAX_MINOR_UNITS).
            Err(_) => prop_assert!(expected.abs() > i128::from(MAX_MINOR_UNITS)),
        }
    }

    /// A value exactly half a minor unit from two neighbours goes to the one farther from zero.
    #[test]
    fn midpoints_go_away_from_zero(
        k in 0i64..1_000_000_000_000,
        negative in any::<bool>(),
        currency in any_currency(),
    ) {
        let e = currency.exponent();
        let sign = if negative { -1 } else { 1 };
        // (k + 0.5) units, with one more decimal than the currency.
        let value = Decimal::new(sign * (k * 10 + 5), e + 1);
        let r = Money::round(value, currency).unwrap();
        prop_assert_eq!(r.minor(), sign * (k + 1));
    }

    /// Any valid amount prints with exactly the currency's decimals and parses back to itself.
    #[test]
    fn plain_string_round_trips(
        minor in -MAX_MINOR_UNITS..=MAX_MINOR_UNITS,
        currency in any_currency(),
    ) {
        let m = Money::from_minor(minor, currency).unwrap();
        let text = m.to_plain_string();
        prop_assert_eq!(&text, &reference_plain(minor, currency.exponent()));
        let back = Money::parse(&text, currency).unwrap();
        prop_assert_eq!(back, m);
        prop_assert_eq!(back.minor(), minor);
        prop_assert_eq!(back.to_plain_string(), text.clone());
        // JSON carries the same string.
        let json = serde_json::to_value(m).unwrap();
        prop_assert_eq!(json["amount"].as_str(), Some(text.as_str()));
        prop_assert_eq!(json["currency"].as_str(), Some(currency.code()));
    }

    /// One more significant decimal than the minor unit is refused; trailing zeros are not.
    #[test]
    fn inexact_amounts_are_refused(
        minor in -1_000_000_000_000i64..=1_000_000_000_000,
        digit in 1u32..=9,
        currency in any_currency(),
    ) {
        let text = reference_plain(minor, currency.exponent());
        let sep = if currency.exponent() == 0 { "." } else { "" };
        let too_precise = format!("{text}{sep}{digit}");
        prop_assert!(Money::parse(&too_precise, currency).is_err(), "{} accepted", too_precise);
        let padded = format!("{text}{sep}000");
        prop_assert_eq!(Money::parse(&padded, currency).unwrap().minor(), minor);
    }
}

#[test]
fn reference_helpers_agree_with_hand_computed_values() {
    // 49.9995 → 50.00 (4999.95 cents → 5000); -0.005 → -0.01; 2.5 JPY → 3.
    assert_eq!(reference_round(499_995, 4, 2), 5_000);
    assert_eq!(reference_round(-5, 3, 2), -1);
    assert_eq!(reference_round(-4, 3, 2), 0);
    assert_eq!(reference_round(25, 1, 0), 3);
    assert_eq!(reference_plain(-5, 2), "-0.05");
    assert_eq!(reference_plain(1_234, 3), "1.234");
    assert_eq!(reference_plain(100, 0), "100");
    assert_eq!(
        Money::round(Decimal::new(499_995, 4), Currency::USD)
            .unwrap()
            .to_plain_string(),
        "50.00"
    );
}
